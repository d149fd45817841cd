"""Who wrote a comment, as moderators look at one author's comments together (the admin's author panel and the list
filtered by author).

An author is, from one of their comments:
- their account, when they were logged in: the account's comments, and those written with its email as a guest
  (`CommentQuerySet.written_by`, as "your data" finds them);
- else their email, by its key (groundwork/email_addresses.py), as everything that finds an author's comments does;
- else (a guest who left no email: an import, a pingback) their name together with their IP address: a name alone
  is anyone's, and an address is shared by everyone behind it.
A comment whose author's data was erased has no author to group it with (its name is "Anonymous" for everyone).

Addresses never go in the panel's or the filter's URL: both name the author by one of their comments' ids.
"""

from dataclasses import dataclass

from django.db.models import Count, Q

from .models import Actor, Comment, CommentEvent, Status

REJECTED = (Status.SPAM, Status.TRASH)


@dataclass(frozen=True)
class Author:
    name: str
    user: object = None
    email_key: str = ""
    ip_address: str | None = None

    @classmethod
    def of(cls, comment: Comment) -> "Author | None":
        """The author of `comment` (whose `user` is best read with it), or None when their data was erased."""
        if comment.data_erased_at:
            return None
        if comment.user_id:
            return cls(name=comment.author_name, user=comment.user)
        if comment.author_email_key:
            return cls(name=comment.author_name, email_key=comment.author_email_key)
        return cls(name=comment.author_name, ip_address=comment.ip_address)

    @property
    def described(self) -> str:
        """How their comments are found, for the panel (no address: the panel shows the comments' own)."""
        if self.user is not None:
            return f"their account, {self.user.get_username()}, and its email address"
        if self.email_key:
            return "their email address"
        return f"their name and IP address ({self.ip_address or 'none'}), having left no email"

    def comments(self, queryset=None):
        """The author's comments in every status, among `queryset` (all comments by default)."""
        queryset = Comment.objects.all() if queryset is None else queryset
        if self.user is not None:
            return queryset.written_by(self.user.email, users=[self.user])
        if self.email_key:
            return queryset.filter(author_email_key=self.email_key)
        return queryset.filter(
            user=None, author_email_key="", author_name=self.name, ip_address=self.ip_address, data_erased_at=None
        )


def counts_by_status(comments) -> dict[str, int]:
    """How many of `comments` are in each status (every status present, 0 for none), in one query."""
    counted = comments.aggregate(**{status: Count("pk", filter=Q(status=status)) for status in Status.values})
    return {status: counted[status] for status in Status.values}


def approvals_and_rejections(comments) -> dict[str, int]:
    """How often `comments` were approved and rejected (moved into spam or the trash), by a moderator and
    automatically (the rules, Akismet), from their history, in one query."""
    approvals = Q(to_status=Status.APPROVED) & ~Q(from_status=Status.APPROVED)
    rejections = Q(to_status__in=REJECTED) & ~Q(from_status__in=REJECTED)
    by_moderator = Q(actor=Actor.MODERATOR)
    return CommentEvent.objects.filter(comment__in=comments).aggregate(
        approved_by_moderator=Count("pk", filter=approvals & by_moderator),
        approved_automatically=Count("pk", filter=approvals & ~by_moderator),
        rejected_by_moderator=Count("pk", filter=rejections & by_moderator),
        rejected_automatically=Count("pk", filter=rejections & ~by_moderator),
    )
