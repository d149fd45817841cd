"""/media/: what staff upload (featured images) and what the WordPress import fetches from an old site.

Any of it may have come from a stranger, and it is served from the blog's own origin, so no file there
may act as a page of the site. nginx serves /media/ in production (deploy/nginx/blog.conf) and
`media_file` below in development, alike:

- a picture (an extension of PICTURE_TYPES) is sent as that type, to be shown; the WordPress import
  keeps a fetched file under such an extension only when its bytes are that picture (wordpress/media.py);
- anything else is a download: `application/octet-stream`, `Content-Disposition: attachment`;
- every answer says `X-Content-Type-Options: nosniff` (no guessing another type) and
  `Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; sandbox`: no script runs,
  nothing is loaded, the file has no origin; inline styles are allowed only because the browser's
  own viewer styles a picture opened by itself that way (to fit it to the window), as
  raw.githubusercontent.com allows them;
- UNSERVED folders answer 404.
"""

import posixpath
from pathlib import PurePosixPath

from django.conf import settings
from django.http import Http404
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.static import serve

PICTURE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
}
UNSERVED = {"wordpress-imports"}  # uploaded WordPress exports, until imported (wordpress.models.upload_name)


@csp_override({"default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE], "sandbox": True})
def media_file(request, path):
    """A file under MEDIA_ROOT, in development, with the headers nginx sends in production."""
    name = posixpath.normpath(path).lstrip("/")  # as `serve` reads it
    if name.partition("/")[0].lower() in UNSERVED:  # lower: a development machine may ignore case
        raise Http404
    response = serve(request, name, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    if response.status_code == 200:
        picture_type = PICTURE_TYPES.get(PurePosixPath(name).suffix.lower())
        response["Content-Type"] = picture_type or "application/octet-stream"
        if picture_type:
            del response["Content-Disposition"]  # shown, as nginx sends it (FileResponse says "inline")
        else:
            response["Content-Disposition"] = "attachment"
    return response
