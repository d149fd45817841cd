"""gunicorn's settings for the blog, as deployed (deploy/systemd/blog-web.service) and run by `make stack`.

One access-log line per request, in key=value form a log collector can read, with the comment's id
for a comment that was posted (the site sets X-Comment-Id on that answer).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
timeout = 30
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
access_log_format = (
    'remote=%({x-forwarded-for}i)s method=%(m)s path="%(U)s" status=%(s)s bytes=%(B)s ms=%(M)s '
    'comment=%({x-comment-id}o)s agent="%(a)s"'
)
