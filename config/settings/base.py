"""Settings for every environment, read from the environment (django-environ).

Safe for production as they stand: DEBUG is off unless asked for, SECRET_KEY must be given,
cookies are secure and HSTS is on. `dev.py` (used by `make run`) and `test.py` relax them.
"""

import shutil
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

BLOG_TITLE = env("BLOG_TITLE", default="The Quiet Margin")
BLOG_TAGLINE = env("BLOG_TAGLINE", default="Notes on slow reading, small tools and the open web")
BLOG_LANGUAGE = env("BLOG_LANGUAGE", default="en")
POSTS_PER_PAGE = env.int("POSTS_PER_PAGE", default=10)

INSTALLED_APPS = [
    "blog",
    "comments",
    "accounts",
    "wordpress",
    "subscriptions",
    "privacy",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.sites",
    "django.forms",
    "captcha",
    "django_tasks_db",
    "ops",
]
SITE_ID = 1

MIDDLEWARE = [
    "groundwork.middleware.ForwardedHeadersMiddleware",  # first: X-Forwarded-* only from TRUSTED_PROXY_ADDRESSES
    "groundwork.middleware.DatabaseAwayMiddleware",  # the database away: 503 "back in a moment", not a 500
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",  # ETag, and 304 for a page the reader has
    "groundwork.shared_pages.SharedPagesMiddleware",  # who may share a page: above the session's Vary
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "groundwork.middleware.RequestTooLargeMiddleware",  # before anything reads the form
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wordpress.redirects.OldAddressMiddleware",  # WordPress addresses of imported content: 301 to their new homes
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "blog.context_processors.blog",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let the web server and the task worker write side by side.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # A kept connection is checked before a request uses it: after a database restart the first reader
    # gets a fresh connection, not a 500.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The cache: what every web process must see alike (stored page parts, rate limits, the login icons, the
# Akismet key check) lives in Redis when REDIS_URL (or CACHE_URL) is set; without it, in each process's
# memory, which is right for one process. Redis being down slows the site but never breaks it: every
# cache call then misses, quickly (short time-outs), and the log says so.
_redis_url = env("REDIS_URL", default="") or env("CACHE_URL", default="")
if _redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": _redis_url,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "cache"
SESSION_ENGINE = env("SESSION_ENGINE", default="django.contrib.sessions.backends.db")

# Background work: django.tasks with a database-backed queue, drained by `manage.py run_worker` (ops/worker.py).
# A running task whose lease (renewed by its living worker) is older than TASK_LEASE_SECONDS is taken as
# abandoned (its worker died) and run again; finished tasks are deleted by the daily maintenance
# TASK_RESULT_RETENTION_DAYS after they finished.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TASK_LEASE_SECONDS = env.int("TASK_LEASE_SECONDS", default=300)
TASK_RESULT_RETENTION_DAYS = env.int("TASK_RESULT_RETENTION_DAYS", default=14)

# Mail: EMAIL_URL such as smtp://user:pass@host:587/?tls=True, consolemail://, dummymail://.
_email = env.email_url("EMAIL_URL", default="smtp://localhost:25")
_SMTP_OPTIONS = {
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_TIMEOUT",
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {
            key.removeprefix("EMAIL_HOST_").removeprefix("EMAIL_").lower(): value
            for key, value in _email.items()
            if key in _SMTP_OPTIONS and value not in ("", None)
        }
        if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
        else {},
    }
}
if MAILERS["default"]["BACKEND"].endswith("smtp.EmailBackend"):
    # A mail server that hangs must not hold the task worker forever.
    MAILERS["default"]["OPTIONS"].setdefault("timeout", env.int("EMAIL_TIMEOUT", default=10))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="blog@localhost")
# Every email's footer links to "Your comments and data" (groundwork/mail.py names no app's page itself).
EMAIL_DATA_PAGE = "privacy:request"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security. Scripts and styles come only from the site itself: no inline code, no nonce, so an
# anonymous page is the same bytes for every reader and any page cache can keep it.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],  # and the login providers' origins (SOCIAL_LOGIN_ORIGINS, below)
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The addresses (or networks, 10.0.0.0/8) of the proxies in front of the app servers (nginx, a load balancer):
# only a request that comes from one of them has its X-Forwarded-For and X-Forwarded-Proto believed
# (groundwork/middleware.py, groundwork.proxies.client_ip). Anyone else reaching gunicorn is who they connect from.
TRUSTED_PROXY_ADDRESSES = env.list("TRUSTED_PROXY_ADDRESSES", default=["127.0.0.1", "::1"])

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
URLIZE_ASSUME_HTTPS = True  # bare domains in comments become https:// links (Django 7's default)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{levelname} {name}: {message}", "style": "{"}},
    "filters": {
        "cache_unavailable": {"()": "config.logfilters.CacheUnavailable"},
        "once_a_minute": {"()": "config.logfilters.OnceAMinute"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "cache": {"filters": ["cache_unavailable"]},
        "groundwork.middleware": {"filters": ["once_a_minute"]},  # the database away: once a minute, not per request
        "django.tasks": {"level": "WARNING"},  # the worker writes one line per task itself (ops/worker.py)
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Comments ("Leave a Reply"). Defaults follow WordPress's Discussion settings.
COMMENTS_MAX_DEPTH = env.int("COMMENTS_MAX_DEPTH", default=5)
# Long threads are paged: top-level comments a page (0: never paged), and which page the article shows.
COMMENTS_PER_PAGE = env.int("COMMENTS_PER_PAGE", default=50)
COMMENTS_DEFAULT_PAGE = env.str("COMMENTS_DEFAULT_PAGE", default="newest")  # or "oldest"
# How many top-level comments a moderator may pin first on page 1 of a post's thread (docs/moderating.md).
COMMENTS_MAX_PINNED = env.int("COMMENTS_MAX_PINNED", default=3)
COMMENTS_FLOOD_SECONDS = env.int("COMMENTS_FLOOD_SECONDS", default=15)
COMMENTS_MAX_LINKS = env.int("COMMENTS_MAX_LINKS", default=2)
COMMENTS_MODERATION_WORDS = env.list("COMMENTS_MODERATION_WORDS", default=[])
COMMENTS_DISALLOWED_WORDS = env.list("COMMENTS_DISALLOWED_WORDS", default=[])
COMMENTS_HOLD_ALL = env.bool("COMMENTS_HOLD_ALL", default=False)
COMMENTS_REQUIRE_KNOWN_AUTHOR = env.bool("COMMENTS_REQUIRE_KNOWN_AUTHOR", default=True)
# Automatic trust (comments/rules.py, docs/moderating.md): approved comments an author needs before theirs skip the
# hold (WordPress's 1; 0: none, as COMMENTS_REQUIRE_KNOWN_AUTHOR=false); hold everything from an author whose
# rejections (spam or Trash) among their comments of the last DAYS days exceed RATE percent (0: off), once MIN of
# them are decided; email domains (and their subdomains) held or refused; approved comments that make an author
# trusted (skipping the link and word holds; 0: only a moderator's trust).
COMMENTS_APPROVED_TO_SKIP_HOLD = env.int("COMMENTS_APPROVED_TO_SKIP_HOLD", default=1)
COMMENTS_REJECTION_RATE = env.int("COMMENTS_REJECTION_RATE", default=0)
COMMENTS_REJECTION_DAYS = env.int("COMMENTS_REJECTION_DAYS", default=14)
COMMENTS_REJECTION_MIN = env.int("COMMENTS_REJECTION_MIN", default=3)
COMMENTS_HELD_DOMAINS = env.list("COMMENTS_HELD_DOMAINS", default=[])
COMMENTS_REFUSED_DOMAINS = env.list("COMMENTS_REFUSED_DOMAINS", default=[])
COMMENTS_TRUSTED_AFTER = env.int("COMMENTS_TRUSTED_AFTER", default=0)
COMMENTS_CLOSE_AFTER_DAYS = env.int("COMMENTS_CLOSE_AFTER_DAYS", default=0)
COMMENTS_MIN_SECONDS = env.int("COMMENTS_MIN_SECONDS", default=3)
COMMENTS_FORM_MAX_AGE = env.int("COMMENTS_FORM_MAX_AGE", default=6 * 3600)
COMMENTS_HONEYPOT_FIELD = "address2"
# Who is commenting, in the "Leave a Reply" form: the login icons for a guest, "You are commenting using your Google
# account" for a reader logged in. The accounts app draws it; comments only includes it ("" for none).
COMMENTS_LOGIN_TEMPLATE = "accounts/_comment_login.html"
# Abuse limits (groundwork/limits.py), "per address,per network (IPv4 /24, IPv6 /48)": the form's state and new
# captcha pictures (each stores a captcha), and comment posts.
COMMENTS_RATE_FORM_STATE = env.list("COMMENTS_RATE_FORM_STATE", default=["30/m", "300/m"])
COMMENTS_RATE_POSTS = env.list("COMMENTS_RATE_POSTS", default=["10/m", "60/m"])
# Readers' reports of comments (comments/reports.py): reports a reader may file (per account, or per address for a
# guest), as django-ratelimit writes a rate ("3/10m": 3 per 10 minutes); how many readers' reports put a published
# comment back in the queue; days a report keeps its sender's name, email, address and browser id.
COMMENTS_RATE_REPORTS = env.str("COMMENTS_RATE_REPORTS", default="3/10m")
COMMENTS_REPORTS_TO_HOLD = env.int("COMMENTS_REPORTS_TO_HOLD", default=3)
COMMENTS_REPORT_RETENTION_DAYS = env.int("COMMENTS_REPORT_RETENTION_DAYS", default=180)
# Passwords tried on password-protected posts (blog/protection.py), counted the same way.
BLOG_RATE_PASSWORDS = env.list("BLOG_RATE_PASSWORDS", default=["5/m", "30/m"])
# The limits are counted in the cache: with Redis away nothing is counted and every request passes (rather than
# every one refused), and the log says once a minute that the cache cannot be reached (config/logfilters.py).
RATELIMIT_FAIL_OPEN = True

# Comment emails (comments/notifications.py). No moderator addresses: every active staff user who
# may change comments is told of a held comment. Moderation links in the emails expire (seconds).
COMMENTS_MODERATOR_EMAILS = env.list("COMMENTS_MODERATOR_EMAILS", default=[])
COMMENTS_NOTIFY_POST_AUTHOR_OF_HELD = env.bool("COMMENTS_NOTIFY_POST_AUTHOR_OF_HELD", default=True)
COMMENTS_NOTIFY_POST_AUTHOR_OF_APPROVED = env.bool("COMMENTS_NOTIFY_POST_AUTHOR_OF_APPROVED", default=True)
COMMENTS_MODERATION_LINK_MAX_AGE = env.int("COMMENTS_MODERATION_LINK_MAX_AGE", default=7 * 24 * 3600)
# What is forgotten, and when (comments/retention.py, run daily by the task worker).
COMMENTS_SPAM_RETENTION_DAYS = env.int("COMMENTS_SPAM_RETENTION_DAYS", default=15)
COMMENTS_IP_RETENTION_DAYS = env.int("COMMENTS_IP_RETENTION_DAYS", default=60)
COMMENTS_TRASH_RETENTION_DAYS = env.int("COMMENTS_TRASH_RETENTION_DAYS", default=30)

# A commenter's own data (privacy/): seconds the emailed "Your comments and data" link works; links sent to one
# address ("3/h": more are not sent); requests for links per IP address and per network (over them: 429);
# whether a reader erasing their data may delete their comments entirely rather than keep them as Anonymous.
PRIVACY_LINK_MAX_AGE = env.int("PRIVACY_LINK_MAX_AGE", default=3600)
PRIVACY_LINKS_PER_ADDRESS = env.str("PRIVACY_LINKS_PER_ADDRESS", default="3/h")
PRIVACY_RATE_REQUESTS = env.list("PRIVACY_RATE_REQUESTS", default=["10/h", "30/h"])
PRIVACY_ALLOW_DELETING_COMMENTS = env.bool("PRIVACY_ALLOW_DELETING_COMMENTS", default=True)

# Following the conversation by email (subscriptions/): the two "Notify me" boxes under the comment form.
# Seconds a confirmation link works (and an unconfirmed subscription waits); seconds the manage and one-click
# unsubscribe links in emails work; confirmation emails per address a day and per IP address an hour.
SUBSCRIPTIONS_CONFIRM_MAX_AGE = env.int("SUBSCRIPTIONS_CONFIRM_MAX_AGE", default=3 * 24 * 3600)
SUBSCRIPTIONS_LINK_MAX_AGE = env.int("SUBSCRIPTIONS_LINK_MAX_AGE", default=365 * 24 * 3600)
SUBSCRIPTIONS_CONFIRMATIONS_PER_ADDRESS = env.int("SUBSCRIPTIONS_CONFIRMATIONS_PER_ADDRESS", default=3)
SUBSCRIPTIONS_CONFIRMATIONS_PER_IP = env.int("SUBSCRIPTIONS_CONFIRMATIONS_PER_IP", default=10)
# Emails a follower gets about one post's comments in an hour; the rest wait for one digest.
SUBSCRIPTIONS_COMMENT_EMAILS_PER_HOUR = env.int("SUBSCRIPTIONS_COMMENT_EMAILS_PER_HOUR", default=3)
# New posts go out in batches of this many emails; an announcement with no progress for this many seconds
# (its worker was killed) is resumed.
SUBSCRIPTIONS_BATCH_SIZE = env.int("SUBSCRIPTIONS_BATCH_SIZE", default=100)
SUBSCRIPTIONS_RESUME_AFTER_SECONDS = env.int("SUBSCRIPTIONS_RESUME_AFTER_SECONDS", default=300)
# A commenter whose held comment a moderator approves is told "Your comment ... is now published".
COMMENTS_NOTIFY_COMMENTER_OF_APPROVED = env.bool("COMMENTS_NOTIFY_COMMENTER_OF_APPROVED", default=True)

# Akismet: no key, no spam service - comments are then held for a moderator.
AKISMET_API_KEY = env("AKISMET_API_KEY", default="")
AKISMET_API_URL = env("AKISMET_API_URL", default="https://rest.akismet.com")
AKISMET_TIMEOUT = env.float("AKISMET_TIMEOUT", default=3.0)
AKISMET_IS_TEST = env.bool("AKISMET_IS_TEST", default=False)
AKISMET_RETRY_SECONDS = env.int("AKISMET_RETRY_SECONDS", default=30)
AKISMET_RETRY_MAX_SECONDS = env.int("AKISMET_RETRY_MAX_SECONDS", default=3600)
# Whether Akismet may call the site back (its webhook, at /comments/akismet/webhook/) with the final answer about a
# provisional "not spam": turn it on when Akismet can reach SITE_URL. Without it the site asks again by itself.
AKISMET_WEBHOOK = env.bool("AKISMET_WEBHOOK", default=False)
# How often the worker verifies the key and reads the usage and sites on it, for the admin's health box.
AKISMET_HEALTH_SECONDS = env.int("AKISMET_HEALTH_SECONDS", default=900)

# Captcha for guests (django-simple-captcha); the audio version is spoken by Debian's flite.
CAPTCHA_TIMEOUT = 30
CAPTCHA_FLITE_PATH = env("CAPTCHA_FLITE_PATH", default=shutil.which("flite"))
CAPTCHA_FONT_SIZE = 30
CAPTCHA_IMAGE_SIZE = (120, 44)
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Logging in to comment (django-allauth, accounts/): WordPress.com, Google, X and Facebook, each offered
# only when it has credentials - from these environment variables or a Social application in the admin
# (docs/configuration.md, "Social login"). Any OpenID Connect provider can be added in the admin too. Readers
# never sign up with a password (SOCIALACCOUNT_ONLY); staff log in at the admin.
INSTALLED_APPS += [
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
    "allauth.socialaccount.providers.twitter_oauth2",
    "allauth.socialaccount.providers.openid_connect",
    "accounts.providers.wordpress_com",
]
MIDDLEWARE += ["allauth.account.middleware.AccountMiddleware"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: a locked-out login is refused before any password is tried
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_ONLY = True
SILENCED_SYSTEM_CHECKS = ["account.W001"]  # Login methods vs sign-up fields: moot, nobody logs in with a password.
ACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SIGNUP_FIELDS = ["email"]  # Optional; asked for once, only when the provider gives none (X).
ACCOUNT_UNIQUE_EMAIL = False  # Two providers with one address are two accounts: never joined on an unverified email.
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_LOGIN_ON_GET = False  # A login starts with a POST carrying a CSRF token.
SOCIALACCOUNT_STORE_TOKENS = False  # The provider's tokens are not needed after the login.
LOGIN_REDIRECT_URL = "/"


def social_app(prefix: str) -> list[dict]:
    """A provider's app when both <PREFIX>_CLIENT_ID and <PREFIX>_CLIENT_SECRET are set, else none."""
    client_id, secret = env(f"{prefix}_CLIENT_ID", default=""), env(f"{prefix}_CLIENT_SECRET", default="")
    return [{"client_id": client_id, "secret": secret}] if client_id and secret else []


SOCIALACCOUNT_PROVIDERS = {
    "wordpress_com": {"APPS": social_app("WORDPRESS_COM")},
    "google": {"APPS": social_app("GOOGLE"), "SCOPE": ["profile", "email"]},
    "twitter_oauth2": {"APPS": social_app("X")},
    "facebook": {"APPS": social_app("FACEBOOK"), "METHOD": "oauth2", "SCOPE": ["email", "public_profile"]},
    "openid_connect": {"APPS": []},
}
# The login form's POST is redirected to the provider: Chromium checks that redirect against form-action.
SOCIAL_LOGIN_ORIGINS = [
    "https://public-api.wordpress.com",
    "https://accounts.google.com",
    "https://x.com",
    "https://www.facebook.com",
    *env.list("SOCIAL_LOGIN_EXTRA_ORIGINS", default=[]),  # OpenID Connect providers added in the admin
]
SECURE_CSP["form-action"] = [CSP.SELF, *SOCIAL_LOGIN_ORIGINS]

# The WordPress import's fetching of attachments (wordpress/media.py): their addresses come from an uploaded file,
# so only public addresses are fetched from, and the networks listed here (CIDRs: an old site on the local
# network); each file within WORDPRESS_FETCH_FILE_SECONDS, all of them within WORDPRESS_FETCH_TOTAL_SECONDS.
WORDPRESS_FETCH_ALLOW_NETWORKS = env.list("WORDPRESS_FETCH_ALLOW_NETWORKS", default=[])
WORDPRESS_FETCH_FILE_SECONDS = env.int("WORDPRESS_FETCH_FILE_SECONDS", default=60)
WORDPRESS_FETCH_TOTAL_SECONDS = env.int("WORDPRESS_FETCH_TOTAL_SECONDS", default=600)

# The front cache (deploy/nginx/blog.conf): how long it may keep an anonymous page, how long it may serve
# it stale while fetching a new one, and where to ask it to forget a page that changed (comma-separated).
FRONT_CACHE_SECONDS = env.int("FRONT_CACHE_SECONDS", default=1)
FRONT_CACHE_STALE_SECONDS = env.int("FRONT_CACHE_STALE_SECONDS", default=30)
FRONT_CACHE_PURGE_URLS = env.list("FRONT_CACHE_PURGE_URLS", default=[])

# The admin's login is locked for an address, and for a username from any address, after ADMIN_LOGIN_FAILURES
# wrong passwords, for ADMIN_LOCKOUT_MINUTES (django-axes, counted in the database): guessing from many addresses
# locks the account too. The way back in sooner: `manage.py axes_reset_username NAME` (templates/admin/locked_out.html).
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as django-axes asks
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "groundwork.limits.client_address"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_VERBOSE = False  # no banner from every process that starts
