"""A loopback HTTP server that speaks Akismet's REST API, with the answer chosen per test.

It answers what the `akismet` package (25.10.x) asks, the way rest.akismet.com does:

- POST /1.1/verify-key      "valid", or "invalid" with an `X-akismet-debug-help` header;
- POST /1.1/comment-check   "false" (ham), "true" (spam), "true" plus `X-akismet-pro-tip: discard`;
- POST /1.1/submit-spam     "Thanks for making the web a better place."
- POST /1.1/submit-ham      the same.

`mode` picks the answer:

- "ham", "spam", "discard": comment-check's verdict (the submit calls thank you);
- "error": HTTP 500 from comment-check and the submit calls;
- "timeout": comment-check and the submit calls wait `timeout_sleep` seconds before answering,
  so a client with a shorter time-out gives up;
- "invalid-key": every call answers "invalid" (as does any call with a key other than `key`).

`latency` (seconds, 0 by default) is waited before every comment-check and submit answer, in
every mode: Akismet's own answer time, for the benchmarks (bench/stack_load.py). `hold()` keeps
every comment-check waiting for its answer until `release()`: a check caught in the middle.

Key verification keeps answering "valid" in "error" and "timeout", so those modes reach
comment-check: they stand for Akismet failing to check, which is what the retries are for.

Every request is recorded (`requests`, in order of arrival) with its path and its form data
as lists, so repeated keys such as `comment_context` keep all their values.
"""

import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

MODES = ("ham", "spam", "discard", "error", "timeout", "invalid-key")
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
        self._send(HTTPStatus.NOT_FOUND, "not found")

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
        elif mode == "spam":
            self._send(HTTPStatus.OK, "true")
        elif mode == "discard":
            self._send(HTTPStatus.OK, "true", {"X-akismet-pro-tip": "discard"})
        else:
            self._send(HTTPStatus.OK, "false")

    def _send(self, status: HTTPStatus, text: str, headers: dict | None = None):
        body = text.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
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

    def hold(self):
        """From now on every comment-check waits, unanswered, until `release()`."""
        self._released.clear()

    def release(self):
        self._released.set()

    def clear(self):
        with self._lock:
            self._requests.clear()

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
