"""Who is told what about comments, by email, and what the emails say.

- `comment_held(comment)`: a new comment waits for moderation - tell the moderators (the
  addresses in COMMENTS_MODERATOR_EMAILS, or else every active staff user who may change
  comments) and the post's author (COMMENTS_NOTIFY_POST_AUTHOR_OF_HELD).
- `comment_approved(comment)`: a comment was published - tell the post's author
  (COMMENTS_NOTIFY_POST_AUTHOR_OF_APPROVED), unless they wrote or approved it themselves.

A post's author hears of comments only while they are active staff: imported authors and the
demo's writer, who cannot log in, are never emailed.

Both only queue an email per recipient (`mail.send_later`); `compose` writes it when the worker
sends it, with groundwork's `mail.build_email` (the site's one way to write an email), from
`templates/comments/email/<kind>.{txt,html}` and the comment as it is *then*. A held comment's
email carries signed one-click Approve / Spam / Trash links (links.py) for the moderators'
addresses and for accounts that may moderate. Everything the commenter wrote is quoted with
"> " in the text, so none of it can pass for a line of the site's, and escaped in the HTML, set
apart in a quotation. Like every email the site sends, it ends with a link to "Your comments and
data", where anyone can see, download or erase what the site holds under their address.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.urls import reverse

from groundwork import mail
from groundwork.email_addresses import email_key, same_address
from groundwork.links import lifetime_in_words
from groundwork.site_url import absolute_url

from .links import ACTIONS, moderation_link
from .models import Comment, Status
from .moderators import may_moderate, moderators

HELD, APPROVED = "held", "approved"
SUBJECTS = {HELD: 'Please moderate: "{title}"', APPROVED: 'Comment: "{title}"'}  # after "[<BLOG_TITLE>] ", as WordPress


@dataclass(frozen=True)
class Recipient:
    email: str
    user_id: int | None = None


def comment_held(comment):
    """Queue the moderators' email about a held comment."""
    for recipient in held_recipients(comment):
        mail.send_later(compose, HELD, comment.pk, recipient.email, recipient.user_id)


def comment_approved(comment):
    """Queue the post author's email about a published comment."""
    author = comment.post.author
    if not settings.COMMENTS_NOTIFY_POST_AUTHOR_OF_APPROVED or not _on_the_team(author) or _written_by(comment, author):
        return
    mail.send_later(compose, APPROVED, comment.pk, author.email, author.pk)


def _on_the_team(user) -> bool:
    return user.is_active and user.is_staff and bool(user.email)


def _written_by(comment, user) -> bool:
    return comment.user_id == user.pk or same_address(comment.author_email, user.email)


def held_recipients(comment) -> list[Recipient]:
    """Who hears of a held comment: one entry per address, with the account it belongs to if any."""
    staff = list(moderators().exclude(email=""))
    if settings.COMMENTS_MODERATOR_EMAILS:
        accounts = {email_key(user.email): user.pk for user in staff}
        recipients = [Recipient(email, accounts.get(email_key(email))) for email in settings.COMMENTS_MODERATOR_EMAILS]
    else:
        recipients = [Recipient(user.email, user.pk) for user in staff]
    author = comment.post.author
    if settings.COMMENTS_NOTIFY_POST_AUTHOR_OF_HELD and _on_the_team(author):
        recipients.append(Recipient(author.email, author.pk))
    unique = {}
    for recipient in recipients:
        unique.setdefault(email_key(recipient.email), recipient)
    return list(unique.values())


# Writing the email, in the task worker, when it is sent.


def compose(kind: str, comment_id: int, to: str, user_id: int | None = None) -> EmailMessage | str:
    """The email about comment `comment_id` for `to`, or why there is none to send any more."""
    comment = Comment.objects.select_related("post__author", "parent").filter(pk=comment_id).first()
    if comment is None:
        return "comment deleted"
    if kind == HELD and comment.status != Status.PENDING:
        return f"not sent: the comment is {comment.status} now"
    if kind == APPROVED and comment.status != Status.APPROVED:
        return f"not sent: the comment is {comment.status} now"
    if kind == APPROVED and _approved_by_post_author(comment):
        return "not sent: the post's author approved it"
    return build_message(kind, comment, Recipient(to, user_id))


def _approved_by_post_author(comment) -> bool:
    approval = comment.events.approvals().last()
    return approval is not None and approval.moderator_id == comment.post.author_id


def build_message(kind: str, comment, recipient: Recipient) -> EmailMessage:
    may_act = kind == HELD and _may_act(recipient)
    context = {
        "comment": comment,
        "post": comment.post,
        "quoted": commenters_words(comment, with_contact=may_act),
        "post_url": absolute_url(comment.post.get_absolute_url()),
        "comment_url": absolute_url(comment.get_absolute_url()),
        "admin_url": absolute_url(reverse("admin:comments_comment_change", args=[comment.pk])),
    }
    if may_act:
        context |= {
            "links": {action: moderation_link(comment, action, recipient.user_id) for action in ACTIONS},
            "link_lifetime": lifetime_in_words(settings.COMMENTS_MODERATION_LINK_MAX_AGE),
            "pending_count": Comment.objects.pending().count(),
            "queue_url": absolute_url(reverse("admin:comments_comment_changelist") + "?status=pending"),
        }
    subject = SUBJECTS[kind].format(title=comment.post.title)
    reply_to = comment.author_email if kind == APPROVED else None
    return mail.build_email(f"comments/email/{kind}", context, subject=subject, to=recipient.email, reply_to=reply_to)


def quote(text: str) -> str:
    """`text` with every line marked "> ", as mail quotes: the reader can tell it from the site's own lines."""
    return "\n".join(f"> {line}".rstrip() for line in (text.splitlines() or [""]))


def commenters_words(comment, *, with_contact: bool = False, with_website: bool = True) -> str:
    """What the commenter wrote, quoted: their details, then their comment.

    `with_contact` adds their email address (for those who may moderate it); `with_website=False` leaves out
    their website (the followers' emails, subscriptions/emails.py). Nothing a commenter typed may pass for a
    line of the site's, such as a fake "Approve it:" link.
    """
    details = [f"Author: {comment.author_name}"]
    if with_contact:
        details.append(f"Email: {comment.author_email}")
    if with_website:
        details.append(f"Website: {comment.author_url or '(none)'}")
    if comment.parent:
        details.append(f"In reply to: {comment.parent.author_name}")
    return quote("\n".join([*details, "", comment.body]))


def _may_act(recipient: Recipient) -> bool:
    """Links go to the moderators' addresses from the settings and to accounts that may moderate."""
    if recipient.user_id is None:
        return True
    user = get_user_model().objects.filter(pk=recipient.user_id).first()
    return user is not None and may_moderate(user)
