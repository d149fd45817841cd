"""A small OpenID Connect provider on 127.0.0.1 that vouches for whoever the reader says they are.

`make run` starts it (`manage.py demo_login_provider`, DEBUG only) and the comment form offers it as
a fifth icon, "Demo login", so the logged-in comment flow can be tried without registering an app
with Google or anyone. The tests run the same server with the four real providers' dialects added
(tests/fakes/oauth_server.py). Never expose it: it logs anyone in as anyone.

It speaks what allauth's `openid_connect` provider needs, over real HTTP:

1. `/.well-known/openid-configuration`: where everything else is.
2. `GET /authorize`: a page asking for a name and an email address, with "Log in" and "Cancel".
3. `POST /authorize`: back to the site's redirect_uri with a one-time code and the state, or with
   `error=access_denied` after "Cancel".
4. `POST /token`: the code (single use, two minutes; PKCE S256 checked when the site sent a
   challenge; the client's secret checked when the server was given `clients`) for an access
   token, and an RS256-signed id_token when the scope has `openid`.
5. `GET /userinfo` (Bearer token) and `/jwks`: the person's claims and the signing key.
"""

import base64
import hashlib
import html
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

logger = logging.getLogger(__name__)

CODE_SECONDS = 120
TOKEN_SECONDS = 3600


@dataclass
class Person:
    """Who the provider says the reader is."""

    name: str
    email: str = ""
    username: str = ""
    profile_url: str = ""
    uid: str = ""

    def __post_init__(self):
        if not self.username:
            self.username = self.email.split("@")[0] if self.email else self.name.lower().replace(" ", "")
        seed = (self.email or self.username).lower().encode()
        self.uid = self.uid or str(int(hashlib.sha256(seed).hexdigest()[:12], 16))


@dataclass
class Grant:
    """What a code, then an access token, stands for."""

    client_id: str
    redirect_uri: str
    person: Person
    scope: str
    code_challenge: str = ""
    nonce: str = ""
    expires_at: float = 0.0


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: Message

    def param(self, name: str, default: str = "") -> str:
        return self.form.get(name, self.query.get(name, default))


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data, status: int = 200) -> "Response":
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json"})

    @classmethod
    def html(cls, text: str, status: int = 200) -> "Response":
        return cls(status, text.encode(), {"Content-Type": "text/html; charset=utf-8"})

    @classmethod
    def redirect(cls, url: str, **params) -> "Response":
        separator = "&" if urlsplit(url).query else "?"
        return cls(302, b"", {"Location": f"{url}{separator}{urlencode(params)}" if params else url})


class OpenIDProvider:
    """The provider: codes and tokens in memory, answered by a threaded HTTP server on 127.0.0.1."""

    title = "Demo login"
    note = "A provider for trying the site: it logs you in as whoever you say you are."

    def __init__(self, port: int = 0, *, clients: dict[str, str] | None = None, person: Person | None = None):
        self.clients = clients  # client_id -> secret; None accepts any client
        self.person = person or Person("Demo Reader", "demo.reader@example.com")  # the form's suggestion
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, for tests to look at
        self._codes: dict[str, Grant] = {}
        self._tokens: dict[str, Grant] = {}
        self._lock = threading.Lock()
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = secrets.token_hex(4)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._httpd.provider = self
        self.url = f"http://127.0.0.1:{self._httpd.server_port}"

    # Running it

    def start(self) -> "OpenIDProvider":
        threading.Thread(target=self._httpd.serve_forever, name="openid-provider", daemon=True).start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def routes(self) -> dict:
        return {
            ("GET", "/.well-known/openid-configuration"): self.discovery,
            ("GET", "/authorize"): self.authorize_page,
            ("POST", "/authorize"): self.authorize,
            ("POST", "/token"): self.token,
            ("GET", "/userinfo"): self.userinfo,
            ("GET", "/jwks"): self.jwks,
        }

    def handle(self, request: Request) -> Response:
        self.requests.append((request.method, request.path))
        route = self.routes().get((request.method, request.path))
        if route is None:
            return Response.json({"error": "not_found"}, 404)
        return route(request)

    # 1. Discovery

    def discovery(self, request):
        return Response.json(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "userinfo_endpoint": f"{self.url}/userinfo",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "profile", "email"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                "code_challenge_methods_supported": ["S256"],
                "claims_supported": ["sub", "name", "email", "email_verified", "preferred_username", "profile"],
            }
        )

    # 2 and 3. The reader's decision

    def authorize_page(self, request):
        """The page asking who to be; it posts back to its own address."""
        problem = self._authorize_problem(request.query)
        if problem:
            return Response.html(self._page("Cannot log in", f"<p>{html.escape(problem)}</p>"), 400)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
            for name, value in request.query.items()
        )
        fields = (
            f'<p><label for="name">Name</label><input id="name" name="name" value="{html.escape(self.person.name)}"'
            ' autocomplete="name" required></p>'
            f'<p><label for="email">Email</label><input id="email" name="email" type="email"'
            f' value="{html.escape(self.person.email)}" autocomplete="email"></p>'
        )
        buttons = (
            '<p><button type="submit" name="decision" value="approve">Log in</button> '
            '<button type="submit" name="decision" value="deny">Cancel</button></p>'
        )
        body = (
            f"<p>{html.escape(self.note)}</p>"
            f'<form method="post" action="{html.escape(request.path)}">{hidden}{fields}{buttons}</form>'
        )
        return Response.html(self._page(self.title, body))

    def authorize(self, request):
        """Back to the site: with a code after "Log in", with error=access_denied after "Cancel"."""
        params = request.form
        problem = self._authorize_problem(params)
        if problem:
            return Response.html(self._page("Cannot log in", f"<p>{html.escape(problem)}</p>"), 400)
        back = {"state": params["state"]} if params.get("state") else {}
        if params.get("decision") != "approve":
            return Response.redirect(params["redirect_uri"], error="access_denied", **back)
        person = Person(params.get("name") or self.person.name, params.get("email", ""), **self._person_extras(params))
        grant = Grant(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            person=person,
            scope=params.get("scope", ""),
            code_challenge=params.get("code_challenge", ""),
            nonce=params.get("nonce", ""),
            expires_at=time.time() + CODE_SECONDS,
        )
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = grant
        return Response.redirect(params["redirect_uri"], code=code, **back)

    def _person_extras(self, params) -> dict:
        """The suggested person's other details, when the reader kept the suggested email."""
        if params.get("email", "") != self.person.email:
            return {}
        return {"username": self.person.username, "profile_url": self.person.profile_url, "uid": self.person.uid}

    def _authorize_problem(self, params) -> str:
        if params.get("response_type", "code") != "code":
            return "Only the authorization code flow is supported."
        if not params.get("client_id") or (self.clients is not None and params["client_id"] not in self.clients):
            return "This site is not registered with the provider (unknown client_id)."
        if not params.get("redirect_uri", "").startswith(("http://", "https://")):
            return "The site did not say where to come back to (redirect_uri)."
        return ""

    # 4. The code for a token

    def token(self, request):
        grant = self.redeem_code(request)
        if isinstance(grant, Response):
            return grant
        body = {"access_token": self.issue_token(grant), "token_type": "Bearer", "expires_in": TOKEN_SECONDS}
        if "openid" in grant.scope.split():
            body["id_token"] = self.id_token(grant)
        return Response.json(body)

    def redeem_code(self, request) -> Grant | Response:
        """The grant behind the request's code, checked; or the error response the site gets."""
        client_id, secret = self.client_credentials(request)
        if self.clients is not None and self.clients.get(client_id) != secret:
            return Response.json({"error": "invalid_client"}, 401)
        if request.param("grant_type", "authorization_code") != "authorization_code":
            return Response.json({"error": "unsupported_grant_type"}, 400)
        with self._lock:
            grant = self._codes.pop(request.param("code"), None)
        if grant is None or grant.expires_at < time.time() or grant.client_id != client_id:
            return Response.json({"error": "invalid_grant", "error_description": "Unknown or used code."}, 400)
        if request.param("redirect_uri") != grant.redirect_uri:
            return Response.json({"error": "invalid_grant", "error_description": "redirect_uri differs."}, 400)
        if grant.code_challenge:
            verifier = request.param("code_verifier").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
            if challenge != grant.code_challenge:
                return Response.json({"error": "invalid_grant", "error_description": "PKCE check failed."}, 400)
        return grant

    def client_credentials(self, request) -> tuple[str, str]:
        """HTTP Basic (client_secret_basic) or form fields (client_secret_post)."""
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
            return client_id, secret
        return request.param("client_id"), request.param("client_secret")

    def issue_token(self, grant: Grant) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = grant
        return token

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "aud": grant.client_id, "iat": now, "exp": now + TOKEN_SECONDS}
        claims |= self.claims(grant.person)
        if grant.nonce:
            claims["nonce"] = grant.nonce
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self._kid})

    # 5. Who it is

    def bearer(self, request) -> Grant | None:
        authorization = request.headers.get("Authorization", "")
        token = authorization[7:] if authorization.startswith("Bearer ") else request.param("access_token")
        return self._tokens.get(token)

    def userinfo(self, request):
        grant = self.bearer(request)
        if grant is None:
            return Response.json({"error": "invalid_token"}, 401)
        return Response.json(self.claims(grant.person))

    def claims(self, person: Person) -> dict:
        claims = {"sub": person.uid, "name": person.name, "preferred_username": person.username}
        if person.email:
            claims |= {"email": person.email, "email_verified": True}
        if person.profile_url:
            claims["profile"] = person.profile_url
        return claims

    def jwks(self, request):
        key = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        return Response.json({"keys": [key | {"kid": self._kid, "use": "sig", "alg": "RS256"}]})

    def _page(self, title: str, body: str) -> str:
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
            f"<title>{html.escape(title)}</title>"
            "<style>body{font:1.05rem/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}"
            "label{display:block;font-weight:600}input{font:inherit;width:100%;margin:.2rem 0 .6rem;padding:.4rem}"
            "button{font:inherit;padding:.5rem 1rem;margin-right:.5rem}</style></head>"
            f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
        )


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()

    def _answer(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        request = Request(self.command, url.path, _flat(url.query), _flat(body), self.headers)
        response = self.server.provider.handle(request)
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # The site stopped waiting (a time-out).

    def log_message(self, format, *args):
        logger.debug("%s %s", self.address_string(), format % args)


def _flat(query: str) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(query, keep_blank_values=True).items()}
