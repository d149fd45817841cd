from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("comment-login/<str:provider_id>/<int:post_id>/", views.comment_login, name="comment-login"),
    path("comment-logout/<int:post_id>/", views.comment_logout, name="comment-logout"),
]
