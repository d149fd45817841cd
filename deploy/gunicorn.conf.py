"""gunicorn's settings for the blog, as deployed (deploy/systemd/blog-web.service) and run by `make stack`.

One access-log line per request, in key=value form a log collector can read: who connected (nginx,
usually) and the X-Forwarded-For it sent, and the comment's id for a comment that was posted (the site
sets X-Comment-Id on that answer).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
timeout = 30
graceful_timeout = 20
# No `gunicornc` control socket: nothing here uses it, and every gunicorn of a user shares its one path
# ($HOME/.gunicorn/gunicorn.ctl), so two app servers on one machine (make stack) fought over it.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
access_log_format = (
    'remote=%(h)s forwarded="%({x-forwarded-for}i)s" method=%(m)s path="%(U)s" status=%(s)s bytes=%(B)s ms=%(M)s '
    'comment=%({x-comment-id}o)s agent="%(a)s"'
)
