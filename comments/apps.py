from django.apps import AppConfig
from django.db.models.signals import post_delete


class CommentsConfig(AppConfig):
    name = "comments"

    def ready(self):
        # Models may be imported only once the app registry is ready.
        from blog.frontcache import menu_changed

        from .closing import purge_every_article
        from .models import Comment

        # A deleted comment that was shown leaves its post's thread: the stored HTML must go, by the rule
        # Comment.save follows (a spam or trashed comment deleted leaves the post's row alone).
        post_delete.connect(
            lambda instance, **kwargs: instance.touched_post(),
            sender=Comment,
            weak=False,
            dispatch_uid="comments.comment-deleted",
        )
        # Every article shows the menus of pages: when they change, each page of each thread is purged.
        menu_changed.connect(lambda **kwargs: purge_every_article(), weak=False, dispatch_uid="comments.menus-changed")
