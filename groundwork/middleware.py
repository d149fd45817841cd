"""What the app servers do about what stands around them: the proxies in front, the database behind, and forms
too large to read.

- `ForwardedHeadersMiddleware`, first of all: X-Forwarded-For and X-Forwarded-Proto are believed
  only from TRUSTED_PROXY_ADDRESSES. Anyone who reaches gunicorn directly could write them, and
  be someone else to the rate limits, the flood rule, the admin's lockout and Akismet, or claim HTTPS.
- `DatabaseAwayMiddleware`: while the database does not answer, a request answers 503 with
  Retry-After: the site's static "back in a moment" page (the one nginx shows when no app server
  answers, deploy/nginx/blog.conf), or JSON for a script that asks for JSON (the comment form's
  state: comments.js asks again on the reader's next keystroke). Not a 500 and its traceback, and
  the front nginx keeps serving its copy of a cached page (`proxy_cache_use_stale http_503`).
  A comment being posted keeps its own page, with the reader's text (comments/views.py).
- `RequestTooLargeMiddleware`, before anything reads the form: a form too large for Django to read
  (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB, which Django refuses with RequestDataTooBig and an ERROR
  with a traceback) gets the site's own page (413), saying how long a comment may be, and a
  WARNING in the log. A comment is at most 65,525 characters, well under the limit even as
  URL-encoded UTF-8: only a reader who pasted a book, or a robot, gets here.
"""

import functools
import logging
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from .proxies import is_trusted_proxy

logger = logging.getLogger(__name__)

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT")
BACK_IN_A_MOMENT = "back-in-a-moment.html"  # in static/: collected, so nginx serves the same file
RETRY_AFTER_SECONDS = 10
WAIT_A_MOMENT = "The site cannot reach its database just now. Please try again in a moment."


class ForwardedHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)


@functools.cache
def back_in_a_moment_page() -> bytes:
    return Path(finders.find(BACK_IN_A_MOMENT)).read_bytes()


class DatabaseAwayMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning('The database cannot be reached; answering 503 "back in a moment": %r', exception)
        if request.get_preferred_type(["text/html", "application/json"]) == "application/json":
            response = JsonResponse({"error": WAIT_A_MOMENT}, status=503)
        else:
            response = HttpResponse(back_in_a_moment_page(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        add_never_cache_headers(response)
        return response


class RequestTooLargeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST":
            try:
                request.POST  # noqa: B018 (reading it is the check)
            except RequestDataTooBig:
                length = request.META.get("CONTENT_LENGTH", "?")
                logger.warning("Refused a POST of %s bytes to %s: more than Django reads.", length, request.path)
                return render(request, "too_large.html", status=413)
        return self.get_response(request)
