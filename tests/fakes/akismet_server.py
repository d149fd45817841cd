"""A loopback HTTP server that speaks Akismet's REST API, with the answer chosen per test.

It answers what the `akismet` package (25.10.x) asks, the way rest.akismet.com does:

- POST /1.1/verify-key      "valid", or "invalid" with an `X-akismet-debug-help` header;
- POST /1.1/comment-check   "false" (ham), "true" (spam), "true" plus `X-akismet-pro-tip: discard`;
- POST /1.1/submit-spam     "Thanks for making the web a better place."
- POST /1.1/submit-ham      the same;
- GET  /1.2/usage-limit     JSON: {"limit", "usage", "percentage", "throttled"} (`usage`, `limit`);
- GET  /1.2/key-sites       JSON: this month's sites on the key (`sites`).

Every comment-check answer carries `X-akismet-guid` (a new one each time, listed in `guids` in
order); a "not spam" answer carries `X-akismet-recheck-after` while `recheck_after` is set (seconds:
Akismet is still checking); every answer carries `X-akismet-alert-code` and `-msg` while `alert`
is set (a (code, message) pair). `send_webhook(url, ...)` calls the site back as Akismet's webhook
does, with a JSON body {"key", "endpoint": "comment-check", "comments": [{"guid", "result"}]}.

`mode` picks the answer:

- "ham", "spam", "discard": comment-check's verdict (the submit calls thank you);
- "error": HTTP 500 from comment-check and the submit calls;
- "timeout": comment-check and the submit calls wait `timeout_sleep` seconds before answering,
  so a client with a shorter time-out gives up;
- "invalid-key": every call answers "invalid" (as does any call with a key other than `key`);
- "nonsense": comment-check answers 200 with a word that is neither "true" nor "false".

`latency` (seconds, 0 by default) is waited before every comment-check and submit answer, in
every mode: Akismet's own answer time, for the benchmarks (bench/stack_load.py). `hold()` keeps
every comment-check waiting for its answer until `release()`: a check caught in the middle.

Key verification keeps answering "valid" in "error" and "timeout", so those modes reach
comment-check: they stand for Akismet failing to check, which is what the retries are for.

Every request is recorded (`requests`, in order of arrival) with its path and its form data
as lists, so repeated keys such as `comment_context` keep all their values.
"""

import json
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MODES = ("ham", "spam", "discard", "error", "timeout", "invalid-key", "nonsense")
THANKS = "Thanks for making the web a better place."
DEBUG_HELP = "We were unable to verify the key you supplied."


@dataclass(frozen=True)
class AkismetRequest:
    """One request as the fake received it."""

    path: str
    data: dict[str, list[str]]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        """The last part of the path: "verify-key", "comment-check", "submit-spam" or "submit-ham"."""
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value sent for `key`."""
        values = self.data.get(key)
        return values[0] if values else default

    def getlist(self, key: str) -> list[str]:
        return list(self.data.get(key, []))


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    server_version = "FakeAkismet/1.0"
    protocol_version = "HTTP/1.1"  # Keep-alive: verify-key and comment-check share a connection, as with Akismet.
    disable_nagle_algorithm = True  # Headers and body go out at once, not 40 ms apart.

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        request = AkismetRequest(
            path=self.path,
            data=parse_qs(body, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
        )
        self.server.fake._record(request)
        self._answer(request)

    def do_GET(self):
        fake = self.server.fake
        request = AkismetRequest(
            path=urlsplit(self.path).path,
            data=parse_qs(urlsplit(self.path).query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
        )
        fake._record(request)
        if request.endpoint not in ("usage-limit", "key-sites"):
            self._send(HTTPStatus.NOT_FOUND, "not found")
        elif fake.mode == "invalid-key" or request.get("api_key") != fake.key:
            self._send(HTTPStatus.OK, "invalid")
        elif fake.mode == "error":
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal Server Error")
        elif request.endpoint == "usage-limit":
            percentage = f"{100 * fake.usage / fake.limit:.2f}" if fake.limit else "0"
            answer = {"limit": fake.limit, "usage": fake.usage, "percentage": percentage, "throttled": False}
            self._send(HTTPStatus.OK, json.dumps(answer), content_type="application/json")
        else:
            answer = {"2026-12": fake.sites, "limit": 500, "offset": 0, "total": len(fake.sites)}
            self._send(HTTPStatus.OK, json.dumps(answer), content_type="application/json")

    def _answer(self, request: AkismetRequest):
        fake = self.server.fake
        mode = fake.mode
        if request.endpoint == "verify-key":
            if mode == "invalid-key" or request.get("key") != fake.key:
                self._send(HTTPStatus.OK, "invalid", {"X-akismet-debug-help": DEBUG_HELP})
            else:
                self._send(HTTPStatus.OK, "valid")
            return
        if request.endpoint not in ("comment-check", "submit-spam", "submit-ham"):
            self._send(HTTPStatus.NOT_FOUND, "not found")
            return
        if fake.latency:
            fake._stopping.wait(fake.latency)
        if request.endpoint == "comment-check":
            fake._released.wait()
        if mode == "invalid-key" or request.get("api_key") != fake.key:
            self._send(HTTPStatus.OK, "invalid", {"X-akismet-debug-help": "Empty or invalid API key"})
            return
        if mode == "error":
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal Server Error")
            return
        if mode == "timeout":
            fake._stopping.wait(fake.timeout_sleep)
        if request.endpoint != "comment-check":
            self._send(HTTPStatus.OK, THANKS)
            return
        guid = fake._new_guid()
        if mode == "spam":
            self._send(HTTPStatus.OK, "true", {"X-akismet-guid": guid})
        elif mode == "discard":
            self._send(HTTPStatus.OK, "true", {"X-akismet-pro-tip": "discard", "X-akismet-guid": guid})
        elif mode == "nonsense":
            self._send(HTTPStatus.OK, "perhaps", {"X-akismet-guid": guid})
        elif fake.recheck_after is not None:
            self._send(HTTPStatus.OK, "false", {"X-akismet-guid": guid, "X-akismet-recheck-after": fake.recheck_after})
        else:
            self._send(HTTPStatus.OK, "false", {"X-akismet-guid": guid})

    def _send(self, status: HTTPStatus, text: str, headers: dict | None = None, content_type: str = "text/plain"):
        body = text.encode()
        headers = dict(headers or {})
        alert = self.server.fake.alert
        if alert:
            headers.update({"X-akismet-alert-code": alert[0], "X-akismet-alert-msg": alert[1]})
        try:
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # The client gave up (time-out mode); nobody is listening any more.

    def log_message(self, format, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: "FakeAkismet"):
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)


class FakeAkismet:
    """The controller: start it (or use it as a context manager), set `mode`, read `requests`."""

    def __init__(
        self, *, key: str = "fake-akismet-key", mode: str = "ham", timeout_sleep: float = 1.0, latency: float = 0.0
    ):
        self.key = key
        self.mode = mode
        self.timeout_sleep = timeout_sleep
        self.latency = latency
        self.recheck_after: str | None = None  # a header's value, so tests may send nonsense too
        self.alert: tuple[str, str] | None = None
        self.limit, self.usage = 350_000, 7_463
        self.sites: list[dict] = [
            {
                "site": "https://blog.example",
                "api_calls": "2072",
                "spam": "2069",
                "ham": "3",
                "missed_spam": "0",
                "false_positives": "4",
                "is_revoked": False,
            }
        ]
        self.guids: list[str] = []
        self._requests: list[AkismetRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._released = threading.Event()
        self._released.set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str):
        if value not in MODES:
            raise ValueError(f"Unknown fake Akismet mode {value!r}; choose one of {', '.join(MODES)}.")
        self._mode = value

    @property
    def url(self) -> str:
        """The base URL to put in settings.AKISMET_API_URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[AkismetRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, endpoint: str) -> list[AkismetRequest]:
        """The requests to one endpoint, e.g. "comment-check"."""
        return [request for request in self.requests if request.endpoint == endpoint]

    @property
    def checks(self) -> list[AkismetRequest]:
        """The comment-check requests."""
        return self.requests_to("comment-check")

    def _new_guid(self) -> str:
        with self._lock:
            self.guids.append(str(uuid.uuid4()))
            return self.guids[-1]

    def send_webhook(self, url: str, *, guid: str, spam: bool, key: str | None = None, body=None) -> int:
        """Call the site back as Akismet's webhook does; `body` (bytes) replaces the JSON, for hostile cases.

        Returns the HTTP status the site answered with."""
        if body is None:
            call = {
                "key": self.key if key is None else key,
                "endpoint": "comment-check",
                "comments": [{"guid": guid, "result": "true" if spam else "false"}],
            }
            body = json.dumps(call).encode()
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def hold(self):
        """From now on every comment-check waits, unanswered, until `release()`."""
        self._released.clear()

    def release(self):
        self._released.set()

    def clear(self):
        with self._lock:
            self._requests.clear()
            self.guids.clear()

    def _record(self, request: AkismetRequest):
        with self._lock:
            self._requests.append(request)

    def start(self) -> "FakeAkismet":
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-akismet", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()  # Wakes handlers sleeping in "timeout" mode.
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "FakeAkismet":
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
