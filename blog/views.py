from django.views.generic import ListView

from .models import Post


class HomeView(ListView):
    queryset = Post.objects.published().for_listing()
    template_name = "blog/home.html"
