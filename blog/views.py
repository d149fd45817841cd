from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, ListView, TemplateView
from django.views.generic.dates import (
    ArchiveIndexView,
    DateDetailView,
    DayArchiveView,
    MonthArchiveView,
    YearArchiveView,
)

from groundwork import limits

from .markup import CONTROL_CHARACTERS
from .models import Category, Post, Tag
from .protection import is_locked, password_matches, remember_unlocked

SEARCH_MAX_LENGTH = 200


class PagedMixin:
    """Lists of post summaries, paged WordPress-style: /page/2/, /category/x/page/3/."""

    def get_paginate_by(self, queryset):
        return settings.POSTS_PER_PAGE

    def get(self, request, *args, **kwargs):
        if kwargs.get(self.page_kwarg) == 1:
            return redirect(self.get_page_url(1), permanent=True)
        return super().get(request, *args, **kwargs)

    def get_page_url(self, number):
        match = self.request.resolver_match
        kwargs = {key: value for key, value in match.kwargs.items() if key != self.page_kwarg}
        if number > 1:
            kwargs[self.page_kwarg] = number
        return reverse(match.view_name, kwargs=kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context.get("page_obj")
        if page is not None:
            if page.has_previous():
                context["previous_page_url"] = self.get_page_url(page.previous_page_number())
            if page.has_next():
                context["next_page_url"] = self.get_page_url(page.next_page_number())
        return context


class BlogViewMixin:
    date_field = "published_at"
    month_format = "%m"
    day_format = "%d"

    def get_queryset(self):
        return Post.objects.published().for_listing()


class HomeView(BlogViewMixin, PagedMixin, ArchiveIndexView):
    allow_empty = True
    template_name = "blog/home.html"

    def get_dated_items(self):
        """Sticky posts first, then the newest, as WordPress's front page."""
        return None, self.get_dated_queryset().order_by("-sticky", "-published_at", "-pk"), {}


class YearView(BlogViewMixin, PagedMixin, YearArchiveView):
    make_object_list = True
    template_name = "blog/archive_year.html"


class MonthView(BlogViewMixin, PagedMixin, MonthArchiveView):
    template_name = "blog/archive_month.html"


class DayView(BlogViewMixin, PagedMixin, DayArchiveView):
    template_name = "blog/archive_day.html"


class ArticleMixin:
    """An article or a page: which page of its comments the address asks for, whether its text is locked (a
    protected post, protection.py); drafts and protected posts never cached.

    Whether anyone else may be shown the same bytes is the caching middleware's to say
    (groundwork/shared_pages.py): it knows which cookies make a page a reader's own.
    """

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            comment_page=self.kwargs.get("comment_page"), locked=is_locked(self.request, self.object), **kwargs
        )

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if not self.object.is_public or self.object.password:
            add_never_cache_headers(response)
        return response


class PostDetailView(ArticleMixin, BlogViewMixin, DateDetailView):
    """One article. Staff also reach drafts and scheduled posts, to preview them."""

    template_name = "article.html"  # blog/post_detail.html with its comments

    def get_allow_future(self):
        return self.request.user.is_staff

    def get_queryset(self):
        # Terms and neighbours are read by the template, only when their stored HTML is missing.
        posts = Post.objects.posts() if self.request.user.is_staff else Post.objects.published().posts()
        return posts.select_related("author")

    def get_context_data(self, **kwargs):
        return super().get_context_data(posts_version=Post.objects.version(), **kwargs)


class PageView(ArticleMixin, DetailView):
    """A page at its own address (/about/, /about/team/). Staff also reach unpublished ones, to preview them."""

    template_name = "page.html"  # the article without date, byline or neighbours
    context_object_name = "post"

    def get_object(self, queryset=None):
        pages = Post.objects.pages() if self.request.user.is_staff else Post.objects.published().pages()
        try:
            return pages.select_related("author").get_page_by_path(self.kwargs["path"])
        except Post.DoesNotExist:
            raise Http404("No such page.") from None

    def get_context_data(self, **kwargs):
        return super().get_context_data(child_pages=self.object.published_children(), **kwargs)


class ArchivesView(TemplateView):
    """The archive index: the months with posts, the categories and the tags, each with how many published posts it
    holds (WordPress's Archives, Categories and Tags widgets, on a page of their own). Three queries, however many."""

    template_name = "blog/archives.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            months=Post.objects.months(),
            categories=Category.objects.with_post_counts(),
            tags=Tag.objects.with_post_counts(),
            **kwargs,
        )


class CategoryView(PagedMixin, ListView):
    template_name = "blog/category.html"

    def get_queryset(self):
        try:
            self.category = Category.objects.get_by_path(self.kwargs["path"])
        except Category.DoesNotExist:
            raise Http404("No such category.") from None
        return Post.objects.published().in_category(self.category).for_listing()

    def get_context_data(self, **kwargs):
        return super().get_context_data(category=self.category, **kwargs)


class TagView(PagedMixin, ListView):
    template_name = "blog/tag.html"

    def get_queryset(self):
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return Post.objects.published().tagged(self.tag).for_listing()

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


class AuthorView(PagedMixin, ListView):
    """An author's posts. Only people with a published post have a page: no one else can be looked up."""

    allow_empty = False
    template_name = "blog/author.html"

    def get_queryset(self):
        user_model = get_user_model()
        self.author = get_object_or_404(user_model, **{user_model.USERNAME_FIELD: self.kwargs["username"]})
        return Post.objects.published().by_author(self.author).for_listing()

    def get_context_data(self, **kwargs):
        return super().get_context_data(author=self.author, **kwargs)


class SearchView(PagedMixin, ListView):
    """Published posts with every word. Protected posts are left out, as WordPress leaves them out for visitors:
    a match would tell what their text says."""

    template_name = "blog/search.html"

    def get_query(self):
        # without control characters: none is in a post, and PostgreSQL refuses to look for a NUL
        return CONTROL_CHARACTERS.sub("", self.request.GET.get("q", "")).strip()[:SEARCH_MAX_LENGTH]

    def get_queryset(self):
        query = self.get_query()
        if not query:
            return Post.objects.none()
        return Post.objects.published().unprotected().search(query).for_listing()

    def get_page_url(self, number):
        params = {"q": self.get_query()}
        if number > 1:
            params["page"] = number
        return f"{reverse('blog:search')}?{urlencode(params)}"

    def get_context_data(self, **kwargs):
        return super().get_context_data(search_query=self.get_query(), **kwargs)


WRONG_PASSWORD = "That is not the password of this post. Please try again."
TOO_MANY_PASSWORDS = "Too many passwords came from your network in a short time. Please wait a minute and try again."


@require_POST
@never_cache
def enter_post_password(request, post_id):
    """A protected post's password form (blog/protection.py): the right password opens the post, for ten days.

    Guesses are counted per address and per network, as comment posts are; past the limit no password is tried.
    """
    post = get_object_or_404(Post.objects.all() if request.user.is_staff else Post.objects.published(), pk=post_id)
    if limits.over_limit(request, "blog.post-password", settings.BLOG_RATE_PASSWORDS):
        error, status = TOO_MANY_PASSWORDS, 429
    elif not password_matches(post, request.POST.get("post_password", "")):
        error, status = WRONG_PASSWORD, 403
    else:
        response = redirect(post.get_absolute_url())
        remember_unlocked(request, response, post)
        return response
    return render(request, "blog/password_form_page.html", {"post": post, "password_error": error}, status=status)
