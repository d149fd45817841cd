"""What the app servers do about what stands in front of them.

- `ForwardedHeadersMiddleware`, first of all: X-Forwarded-For and X-Forwarded-Proto are believed
  only from TRUSTED_PROXY_ADDRESSES. Anyone who reaches gunicorn directly could write them, and
  be someone else to the rate limits, the flood rule, the admin's lockout and Akismet, or claim HTTPS.
"""

from comments.pipeline import is_trusted_proxy

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT")


class ForwardedHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
