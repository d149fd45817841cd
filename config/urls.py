from captcha import urls as captcha_urls
from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import URLPattern, include, path
from django.views.decorators.cache import never_cache
from django.views.generic import RedirectView, TemplateView

from blog.media import media_file
from blog.sitemaps import sitemaps
from comments import views as comment_views
from ops.views import health

# django-simple-captcha's picture and sound: each is of one reader's captcha, so no shared cache keeps them.
captcha_routes = [
    URLPattern(route.pattern, never_cache(route.callback), route.default_args, route.name)
    for route in captcha_urls.urlpatterns
]

# The admin is the blog's, named after it: not "Django administration".
admin.site.site_header = settings.BLOG_TITLE
admin.site.site_title = f"{settings.BLOG_TITLE} admin"
admin.site.index_title = f"{settings.BLOG_TITLE} administration"

urlpatterns = [
    path("healthz", health, name="health"),
    path("admin/", admin.site.urls),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    # WordPress's home page by its file name: a path of its own, so no slash is appended to its old ?p= links
    path("index.php", RedirectView.as_view(url="/", permanent=True, query_string=True)),
    path("robots.txt", TemplateView.as_view(template_name="robots.txt", content_type="text/plain"), name="robots_txt"),
    path("captcha/refresh/", comment_views.captcha_refresh),  # before captcha's own: the same, rate-limited
    path("captcha/", include(captcha_routes)),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("privacy.urls")),
    path("", include("comments.urls")),
    path("", include("subscriptions.urls")),
    path("", include("blog.urls")),
]

if settings.DEBUG:  # in production nginx serves /media/ itself, with the same headers (deploy/nginx/blog.conf)
    urlpatterns.append(path(f"{settings.MEDIA_URL.lstrip('/')}<path:path>", media_file))
