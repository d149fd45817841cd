from django.apps import AppConfig
from django.db.models.signals import post_delete


class CommentsConfig(AppConfig):
    name = "comments"

    def ready(self):
        # Models may be imported only once the app registry is ready.
        from .models import Comment, comments_changed

        # A deleted comment leaves its post's thread: the stored HTML must go (Comment.save does the rest).
        post_delete.connect(
            lambda instance, **kwargs: comments_changed(instance.post_id),
            sender=Comment,
            weak=False,
            dispatch_uid="comments.comment-deleted",
        )
