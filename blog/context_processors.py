from django.conf import settings


def blog(request):
    """The site's name and tagline, for the header, titles and feeds."""
    return {"BLOG_TITLE": settings.BLOG_TITLE, "BLOG_TAGLINE": settings.BLOG_TAGLINE, "SITE_URL": settings.SITE_URL}
