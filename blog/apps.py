from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_save


class BlogConfig(AppConfig):
    name = "blog"

    def ready(self):
        # Models may be imported only once the app registry is ready.
        from .frontcache import note_before_save, purge_menus_if_changed, purge_menus_if_listed, purge_post
        from .models import Category, Post, invalidate_nav_categories, invalidate_posts_version

        # The header's categories are cached (Category.objects.nav): forget them when one changes.
        post_save.connect(invalidate_nav_categories, sender=Category, dispatch_uid="blog.category-saved")
        post_delete.connect(invalidate_nav_categories, sender=Category, dispatch_uid="blog.category-deleted")
        # The front cache keeps pages: a changed post's must go (frontcache.py).
        post_save.connect(purge_post, sender=Post, dispatch_uid="blog.post-saved")
        post_delete.connect(purge_post, sender=Post, dispatch_uid="blog.post-deleted")
        # ...and when the menus of pages change (a page published, renamed, reordered), every page's (frontcache.py).
        pre_save.connect(note_before_save, sender=Post, dispatch_uid="blog.post-before-save")
        post_save.connect(purge_menus_if_changed, sender=Post, dispatch_uid="blog.menus-saved")
        post_delete.connect(purge_menus_if_listed, sender=Post, dispatch_uid="blog.menus-deleted")
        # What shows other posts (an article's previous and next links) is stored under Post.objects.version().
        post_save.connect(invalidate_posts_version, sender=Post, dispatch_uid="blog.posts-version-saved")
        post_delete.connect(invalidate_posts_version, sender=Post, dispatch_uid="blog.posts-version-deleted")
