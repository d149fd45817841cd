from django.urls import path, re_path

from blog.slugs import SEGMENT

from . import feeds, views

# An article's dated address, as blog/urls.py spells it (its converters are registered after this file is read).
ARTICLE = rf"^(?P<year>[12][0-9]{{3}})/(?P<month>[0-9]{{2}})/(?P<day>[0-9]{{2}})/(?P<slug>{SEGMENT})/"

app_name = "comments"
urlpatterns = [
    path("comments/post/<int:post_id>/", views.post_comment, name="post"),
    path("comments/form-state/<int:post_id>/", views.form_state, name="form-state"),
    path("comments/<int:comment_id>/", views.comment_permalink, name="permalink"),
    path("comments/<int:comment_id>/report/", views.report_comment, name="report"),
    path("comments/moderate/<slug:action>/<str:token>/", views.moderate_by_link, name="moderate"),
    path("comments/akismet/webhook/", views.akismet_webhook, name="akismet-webhook"),
    path("comments/feed/", feeds.LatestCommentsFeed(), name="feed"),
    path("comments/feed/atom/", feeds.LatestCommentsAtomFeed(), name="feed_atom"),
    re_path(ARTICLE + r"feed/$", feeds.PostCommentsFeed(), name="post_feed"),
    re_path(ARTICLE + r"feed/atom/$", feeds.PostCommentsAtomFeed(), name="post_feed_atom"),
]
