"""What the emails to followers and commenters say, written when the worker sends them.

The composers below are handed to groundwork's `mail.send_later(compose, *args)`: the worker calls
one when it sends, and it returns the email, or a sentence saying why there is nothing to send
any more (the subscription was stopped, the comment unapproved, the address opted out...).

- `compose_confirmation(address_id, subscription_ids)`: "please confirm", one email for what the
  reader asked to follow at once (both boxes: one email).
- `compose_comment_notice(notice_id)`: a new comment on a post followed; a reply, when it
  answers the follower's own comment.
- `compose_digest(subscription_id, notice_ids)`: the comments held back from a follower who had
  had enough emails that hour, in one email.
- `compose_published(comment_id)`: "Your comment on ... is now published", to the commenter.
- `new_post_message(post, address, subscription_id)`: a new post, for the announcement batches.

Each is written by `build`, on groundwork's `mail.build_email` (the site's one way to write an
email): a plain-text and an HTML part, a footer with the signed link to the page where the
reader sees what they follow and stops any of it, and the link to "Your comments and data"
(privacy/); and, as only the emails a reader asked for have, `List-Unsubscribe` with
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), so mail clients offer
one-click unsubscribe. What a commenter wrote is quoted with "> " in the text, so it can never
pass for a line of the site's, and escaped in the HTML, set apart in a quotation.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from comments.models import Comment, Status
from comments.notifications import commenters_words
from groundwork import mail
from groundwork.site_url import absolute_url

from . import links
from .models import Address, CommentNotice, Subscription

WRITTEN_OFF = (Status.SPAM, Status.TRASH)  # a request that came with such a comment is not sent on


def build(
    *, address: Address, subject: str, template: str, context: dict, unsubscribe: str, why: str
) -> EmailMultiAlternatives:
    """The email `template` (subscriptions/email/<template>.txt and .html) to `address`.

    `why` says in the footer why the reader gets it; `unsubscribe` is the one-click link that stops it.
    """
    context = {
        "address": address,
        "manage_url": links.manage_url(address),
        "why": why,
        "unsubscribe_url": unsubscribe,
        **context,
    }
    return mail.build_email(
        f"subscriptions/email/{template}", context, subject=subject, to=address.email, unsubscribe=unsubscribe
    )


def _same_person(comment, address: Address) -> bool:
    return comment is not None and bool(comment.author_email) and comment.author_email_key == address.email_key


def _told(comment) -> dict:
    """What a comment's email shows of it: who wrote it and their words, quoted (text part), and where it is."""
    return {
        "comment": comment,
        "quoted": commenters_words(comment, with_website=False),
        "comment_url": absolute_url(comment.get_absolute_url()),
    }


def compose_confirmation(address_id: int, subscription_ids: list[int]) -> EmailMultiAlternatives | str:
    address = Address.objects.filter(pk=address_id).first()
    if address is None:
        return "not sent: the address is gone"
    if address.opted_out:
        return "not sent: the address asked for no email"
    waiting = address.subscriptions.waiting().filter(pk__in=subscription_ids).select_related("post", "comment")
    asked = [sub for sub in waiting.order_by("pk") if sub.comment is None or sub.comment.status not in WRITTEN_OFF]
    if not asked:
        return "not sent: nothing left to confirm (confirmed, stopped, expired, or asked for with spam)"
    context = {
        "subscriptions": asked,
        "confirm_url": links.confirm_url(address, [sub.pk for sub in asked]),
        "never_url": links.unsubscribe_url(address),
        "hours": settings.SUBSCRIPTIONS_CONFIRM_MAX_AGE // 3600,
    }
    return build(
        address=address,
        subject="Please confirm your subscription",
        template="confirm",
        context=context,
        unsubscribe=context["never_url"],
        why=f"You get this email because this address was entered in a comment form on {settings.BLOG_TITLE}.",
    )


def _reachable(subscription: Subscription) -> str | None:
    """Why nothing may be sent for `subscription` now, or None."""
    if not subscription.confirmed:
        return "not sent: the subscription is not confirmed"
    if subscription.address.opted_out:
        return "not sent: the address asked for no email"
    return None


def compose_comment_notice(notice_id: int) -> EmailMultiAlternatives | str:
    notice = (
        CommentNotice.objects.select_related("subscription__address", "comment__post", "comment__parent")
        .filter(pk=notice_id)
        .first()
    )
    if notice is None:
        return "not sent: the subscription was stopped"
    subscription, comment = notice.subscription, notice.comment
    if why_not := _reachable(subscription):
        return why_not
    if comment.status != Status.APPROVED:
        return f"not sent: the comment is {comment.status} now"
    address = subscription.address
    reply = _same_person(comment.parent, address)
    context = {**_told(comment), "post": comment.post, "reply": reply, "post_url": _post_url(comment.post)}
    subject = (
        f'New reply to your comment on "{comment.post.title}"' if reply else f'New comment on "{comment.post.title}"'
    )
    return build(
        address=address,
        subject=subject,
        template="comment",
        context=context,
        unsubscribe=links.unsubscribe_url(address, subscription.pk),
        why=_why_following(comment.post),
    )


def compose_digest(subscription_id: int, notice_ids: list[int]) -> EmailMultiAlternatives | str:
    subscription = Subscription.objects.select_related("address", "post").filter(pk=subscription_id).first()
    if subscription is None:
        return "not sent: the subscription was stopped"
    if why_not := _reachable(subscription):
        return why_not
    comments = (
        Comment.objects.approved()
        .filter(pk__in=CommentNotice.objects.filter(pk__in=notice_ids).values("comment_id"))
        .select_related("post", "parent")
        .order_by("created_at", "pk")
    )
    address = subscription.address
    told = [{**_told(comment), "reply": _same_person(comment.parent, address)} for comment in comments]
    if not told:
        return "not sent: none of its comments is approved now"
    post = subscription.post
    context = {
        "post": post,
        "told": told,
        "post_url": _post_url(post),
        "per_hour": settings.SUBSCRIPTIONS_COMMENT_EMAILS_PER_HOUR,
    }
    count = len(told)
    return build(
        address=address,
        subject=f'{count} new comment{"s" if count > 1 else ""} on "{post.title}"',
        template="digest",
        context=context,
        unsubscribe=links.unsubscribe_url(address, subscription.pk),
        why=_why_following(post),
    )


def compose_published(comment_id: int) -> EmailMultiAlternatives | str:
    comment = Comment.objects.select_related("post").filter(pk=comment_id).first()
    if comment is None:
        return "not sent: the comment is gone"
    if comment.status != Status.APPROVED:
        return f"not sent: the comment is {comment.status} now"
    if not comment.author_email:
        return "not sent: the comment has no email address (its author erased it, or never gave one)"
    address = Address.objects.for_email(comment.author_email)
    if address.opted_out:
        return "not sent: the address asked for no email"
    context = {**_told(comment), "post": comment.post, "post_url": _post_url(comment.post)}
    return build(
        address=address,
        subject=f'Your comment on "{comment.post.title}" is now published',
        template="published",
        context=context,
        unsubscribe=links.unsubscribe_url(address),
        why=f"You get this email because you left a comment on {settings.BLOG_TITLE} that waited for a moderator.",
    )


def new_post_message(post, address: Address, subscription_id: int) -> EmailMultiAlternatives:
    context = {"post": post, "post_url": _post_url(post), "author_name": _author_name(post)}
    return build(
        address=address,
        subject=post.title,
        template="new_post",
        context=context,
        unsubscribe=links.unsubscribe_url(address, subscription_id),
        why=f"You get this email because you follow new posts on {settings.BLOG_TITLE}.",
    )


def _why_following(post) -> str:
    return f'You get this email because you follow the comments on "{post.title}".'


def _post_url(post) -> str:
    return absolute_url(post.get_absolute_url())


def _author_name(post) -> str:
    return post.author.get_full_name() or post.author.get_username()
