from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("privacy/", views.PolicyView.as_view(), name="policy"),
    path("privacy/your-data/", views.request_link, name="request"),
    path("privacy/your-data/<str:token>/", views.your_data, name="your-data"),
    path("privacy/your-data/<str:token>/download/", views.download, name="download"),
    path("privacy/your-data/<str:token>/erase/", views.erase, name="erase"),
]
