"""What this app listens to, and who answers: the one place its receivers are connected (apps.ready).

- comments' `follow_requested` (a reader ticked a "Notify me" box): intake.follow_requested;
- comments' `comment_published` (a comment became approved): followers.comment_published;
- blog's Post `post_save` (a post saved, perhaps published or scheduled): announcements.post_saved.
"""

from django.db.models.signals import post_save

from comments import signals

from .announcements import post_saved
from .followers import comment_published
from .intake import follow_requested


def connect() -> None:
    signals.follow_requested.connect(follow_requested, dispatch_uid="subscriptions.follow-requested")
    signals.comment_published.connect(comment_published, dispatch_uid="subscriptions.comment-published")
    post_save.connect(post_saved, sender="blog.Post", dispatch_uid="subscriptions.post-saved")
