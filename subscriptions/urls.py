from django.urls import path

from . import views

app_name = "subscriptions"
urlpatterns = [
    path("subscriptions/confirm/<str:token>/", views.confirm, name="confirm"),
    path("subscriptions/manage/<str:token>/", views.manage, name="manage"),
    path("subscriptions/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
