from django.urls import path, register_converter

from . import feeds, views
from .slugs import SEGMENT


class YearConverter:
    """Four digits, 1000-2999: a year the date-based views can step one either side of."""

    regex = "[12][0-9]{3}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):04d}"


class TwoDigitConverter:
    """A zero-padded month or day, "01" to "31"; the views parse it with "%m" and "%d"."""

    regex = "[0-9]{2}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return f"{int(value):02d}"


class PageConverter:
    """A page number from 1 up: /page/0/ and /page/01/ match nothing."""

    regex = "[1-9][0-9]{0,5}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


class UnicodeSlugConverter:
    """A slug as WordPress allows it: any characters but "/" ("хлеб-на-закваске", "we-❤-the-night-train").

    Django matches the decoded path, so /2025/09/20/%d0%a5%d0%bb.../ (or %D0%A5..., as browsers write it)
    finds the slug in Cyrillic; the models write the address back in WordPress's bytes (slugs.percent_encoded).
    """

    regex = SEGMENT

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class SlugPathConverter(UnicodeSlugConverter):
    """Slugs under their parents', a page's or a category's: "about", "about/team", "food-drink/baking"."""

    regex = rf"{SEGMENT}(?:/{SEGMENT})*"


register_converter(YearConverter, "year")
register_converter(PageConverter, "page")
register_converter(TwoDigitConverter, "two")
register_converter(UnicodeSlugConverter, "uslug")
register_converter(SlugPathConverter, "slugpath")


def paged(route, view, name):
    """The route and its WordPress-style /page/N/ twin, under one name: reverse() picks by the kwargs given."""
    return [path(route, view, name=name), path(f"{route}page/<page:page>/", view, name=name)]


app_name = "blog"
urlpatterns = [
    *paged("", views.HomeView.as_view(), "home"),
    path("feed/", feeds.LatestPostsFeed(), name="feed"),
    path("feed/atom/", feeds.LatestPostsAtomFeed(), name="feed_atom"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("archives/", views.ArchivesView.as_view(), name="archives"),
    path("posts/<int:post_id>/password/", views.enter_post_password, name="post-password"),
    *paged("<year:year>/", views.YearView.as_view(), "archive_year"),
    *paged("<year:year>/<two:month>/", views.MonthView.as_view(), "archive_month"),
    *paged("<year:year>/<two:month>/<two:day>/", views.DayView.as_view(), "archive_day"),
    path("<year:year>/<two:month>/<two:day>/<uslug:slug>/", views.PostDetailView.as_view(), name="post"),
    path(  # a page of a long comment thread, as WordPress pages them
        "<year:year>/<two:month>/<two:day>/<uslug:slug>/comment-page-<page:comment_page>/",
        views.PostDetailView.as_view(),
        name="post",
    ),
    path("category/<slugpath:path>/page/<page:page>/", views.CategoryView.as_view(), name="category"),
    path("category/<slugpath:path>/feed/", feeds.CategoryFeed(), name="category_feed"),
    path("category/<slugpath:path>/", views.CategoryView.as_view(), name="category"),
    *paged("tag/<uslug:slug>/", views.TagView.as_view(), "tag"),
    *paged("author/<uslug:username>/", views.AuthorView.as_view(), "author"),
    # Last: a page's address is any path the routes above leave free (/about/, /about/team/).
    path("<slugpath:path>/comment-page-<page:comment_page>/", views.PageView.as_view(), name="page"),
    path("<slugpath:path>/", views.PageView.as_view(), name="page"),
]
