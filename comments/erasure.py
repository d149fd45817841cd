"""A commenter's comments, erased at their request (privacy/: "Your comments and data", or a moderator's Erase there).

Erasing is not a change of status: the comment stays where it was (published, held, in the
Trash...) and `moderation.change_status` is not involved. The commenter chooses one of two ways:

- `anonymize(comment)`, as WordPress's personal-data eraser does: the name becomes "Anonymous";
  the email, website, account, IP address, user agent and referrer are emptied; the text stays.
  The history gets a row saying that this was done, never what was erased, and any older note
  of the history that quotes what was erased is emptied.
- `delete(comment)`: the comment goes, with its history. One that others answered stays as an
  empty row in the Trash (reason "deleted by its author": no name, address, text or history left),
  its replies in place under it: the thread shows "This comment was deleted by its author." there
  (thread.py), and nobody else's words leave the thread or change place.

Either way a published comment is gone from every copy at once (caching.purge_comment): every
stored page of the post's thread is deleted from the cache, whatever its version, and the front
cache is told to forget every page of the thread at each of its addresses, and the comment feeds,
once the transaction commits. The admin's log, which names a comment by its author, is renamed.
After an erasure nothing about the comment goes to Akismet: the spam check and the report to
Akismet look at `data_erased_at` when they run (pipeline.py, akismet.py), and the emails, written
when they are sent (mail.py), find the comment as it is then.
"""

import re

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from . import caching
from .models import Actor, Comment, CommentEvent, Reason, Status, comments_changed
from .moderation import change_status

ANONYMOUS = "Anonymous"
ERASED_NOTE = "Its author's name, email address, website, IP address and browser details were erased at their request."
NOTE_REMOVED = "(This note quoted details its author had erased.)"
DELETED_IN_LOG = "A comment deleted at its author's request"
DELETED_NOTE = "Deleted at its author's request; kept empty for the replies under it."
ERASED_FIELDS = ["author_name", "author_email", "author_url", "user", "ip_address", "user_agent", "referrer"]


@transaction.atomic
def anonymize(comment: Comment, *, moderator=None) -> Comment:
    """Erase the author's details from `comment`, keep its text under "Anonymous"; `moderator` did it, or its author."""
    comment = Comment.objects.select_for_update(of=("self",)).select_related("post").get(pk=comment.pk)
    erased = _details(comment)
    comment.author_name = ANONYMOUS
    comment.author_email = comment.author_url = comment.user_agent = comment.referrer = comment.honeypot_value = ""
    comment.ip_address = comment.user = None
    comment.data_erased_at = timezone.now()
    # updated_at stays: the spam and Trash retention periods count from the last moderation.
    comment.save(update_fields=[*ERASED_FIELDS, "honeypot_value", "data_erased_at"])
    _remove_notes_quoting(comment, erased)
    actor = Actor.MODERATOR if moderator else Actor.AUTHOR
    CommentEvent.objects.record(comment, actor=actor, moderator=moderator, note=ERASED_NOTE)
    _rename_in_admin_log(comment.pk, str(comment))
    if comment.status == Status.APPROVED:
        caching.purge_comment(comment)
    return comment


@transaction.atomic
def delete(comment: Comment) -> None:
    """Delete `comment` and its history; one with replies is emptied instead, and left in the Trash to hold them."""
    comment = Comment.objects.select_for_update(of=("self",)).select_related("post", "parent").get(pk=comment.pk)
    published = comment.status == Status.APPROVED
    _rename_in_admin_log(comment.pk, DELETED_IN_LOG)
    if comment.replies.exists():
        _empty(comment)
        return
    comment.delete()
    if published:
        caching.purge_comment(comment)  # the thread as it now is: itself gone


def _empty(comment: Comment) -> None:
    """Keep of `comment` only its place in the thread: in the Trash, "deleted by its author", nothing of it left."""
    comment.events.all().delete()
    comment.author_name = comment.body = comment.body_html = ""
    comment.author_email = comment.author_url = comment.user_agent = comment.referrer = comment.honeypot_value = ""
    comment.ip_address = comment.user = comment.pinned_at = None
    comment.data_erased_at = timezone.now()
    emptied = [*ERASED_FIELDS, "body", "body_html", "honeypot_value", "data_erased_at", "pinned_at"]
    comment.save(update_fields=emptied, touch_post=False)
    if comment.status == Status.TRASH:
        comment.reason = Reason.AUTHOR_DELETED  # in the Trash already: only why it is there changes
        comment.save(update_fields=["reason"], touch_post=False)
        CommentEvent.objects.record(comment, actor=Actor.AUTHOR, note=DELETED_NOTE)
    else:
        change_status(comment, Status.TRASH, actor=Actor.AUTHOR, reason=Reason.AUTHOR_DELETED, note=DELETED_NOTE)
    comments_changed(comment.post_id)
    caching.purge_comment(comment)


def _details(comment: Comment) -> list[str]:
    values = [comment.author_name, comment.author_email, comment.author_url, comment.ip_address or ""]
    return [value for value in values if value and value != ANONYMOUS]


def _remove_notes_quoting(comment: Comment, erased: list[str]) -> int:
    """Empty the notes of the comment's history that quote any of the erased details; returns how many."""
    if not erased:
        return 0
    quoting = re.compile("|".join(rf"(?<!\w){re.escape(value)}(?!\w)" for value in erased), re.IGNORECASE)
    noted = [event.pk for event in comment.events.exclude(note="") if quoting.search(event.note)]
    return CommentEvent.objects.filter(pk__in=noted).update(note=NOTE_REMOVED)


def _rename_in_admin_log(comment_id: int, text: str) -> None:
    """The admin's "Recent actions" name a comment as it was then ("Name on Post"): name it as it is now."""
    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Comment), object_id=str(comment_id)).update(
        object_repr=text[:200]
    )
