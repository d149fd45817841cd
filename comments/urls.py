from django.urls import path

from . import views

app_name = "comments"
urlpatterns = [
    path("comments/post/<int:post_id>/", views.post_comment, name="post"),
    path("comments/form-state/<int:post_id>/", views.form_state, name="form-state"),
    path("comments/<int:comment_id>/", views.comment_permalink, name="permalink"),
    path("privacy/", views.PrivacyView.as_view(), name="privacy"),
    path("comments/moderate/<slug:action>/<str:token>/", views.moderate_by_link, name="moderate"),
]
