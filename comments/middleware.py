"""A form too large for Django to read gets the site's own page, not a bare "Bad Request (400)".

Django refuses a POST whose fields exceed DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) with
RequestDataTooBig the moment anything reads `request.POST`, and logs it as an ERROR with a
traceback. A comment is at most 65,525 characters (well under the limit even as URL-encoded
UTF-8), so only a reader who pasted a book, or a robot, gets here: they are told the limit,
and the log says so at WARNING. This middleware reads the form first, before the CSRF check
and the views do.
"""

import logging

from django.core.exceptions import RequestDataTooBig
from django.shortcuts import render

from .models import Comment

logger = logging.getLogger(__name__)


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
                context = {"max_length": f"{Comment._meta.get_field('body').max_length:,}"}
                return render(request, "comments/too_large.html", context, status=413)
        return self.get_response(request)
