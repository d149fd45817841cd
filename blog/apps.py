from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class BlogConfig(AppConfig):
    name = "blog"

    def ready(self):
        # Models may be imported only once the app registry is ready.
        from .frontcache import purge_post
        from .models import Category, Post, invalidate_nav_categories, invalidate_posts_version

        # The header's categories are cached (Category.objects.nav): forget them when one changes.
        post_save.connect(invalidate_nav_categories, sender=Category, dispatch_uid="blog.category-saved")
        post_delete.connect(invalidate_nav_categories, sender=Category, dispatch_uid="blog.category-deleted")
        # The front cache keeps pages: a changed post's must go (frontcache.py).
        post_save.connect(purge_post, sender=Post, dispatch_uid="blog.post-saved")
        post_delete.connect(purge_post, sender=Post, dispatch_uid="blog.post-deleted")
        # What shows other posts (an article's previous and next links) is stored under Post.objects.version().
        post_save.connect(invalidate_posts_version, sender=Post, dispatch_uid="blog.posts-version-saved")
        post_delete.connect(invalidate_posts_version, sender=Post, dispatch_uid="blog.posts-version-deleted")
