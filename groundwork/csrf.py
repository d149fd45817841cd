"""Forms posted from cached pages carry no CSRF token, so their views check it themselves.

An article page is the same for every reader, so a cache may keep it, and its forms ("Leave a
Reply", the login icons under it) cannot carry a per-reader token. Their views, wrapped in
`checked_in_view`, run whatever the token and read `request.csrf_ok`: when it is False they
show the form again, filled in, on a fresh page with a token, for the reader to confirm.
Nothing a reader typed is refused for a missing token.
"""

from functools import wraps

from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt


def checked_in_view(view):
    """Exempt `view` from the middleware's CSRF check, and set `request.csrf_ok` to that check's result."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.csrf_ok = _token_is_right(request)
        return view(request, *args, **kwargs)

    return wrapper


def _token_is_right(request) -> bool:
    middleware = CsrfViewMiddleware(lambda request: None)
    if "csrfmiddlewaretoken" not in request.POST and not getattr(request, "_dont_enforce_csrf_checks", False):
        return False  # a cached page's form: nothing to check, and no warning to log
    return middleware.process_view(request, None, (), {}) is None
