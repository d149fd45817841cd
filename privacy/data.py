"""What the site holds under an email address, as its owner sees it, downloads it, or has it erased.

`holdings(email)` gathers it, finding the address under any spelling of it that reaches the same
mailbox and under no other (comments' addresses.email_key: `X@Mail.Example` is `x@mail.example`,
the same with a dotless i is not):
- every comment written with the address, in any status, and every comment posted from an
  account linked to it (comments/);
- the address's subscriptions, and whether it asked for no email at all (subscriptions/);
- the social login accounts linked to it, by the account's email or one of its allauth
  EmailAddress rows. Staff accounts are left out: they are the site's own, managed in the admin;
- the reports of comments sent with the address (a notice of illegal content) or from those accounts
  (comments/reports.py), while they still hold the sender's details.

`export(held)` is all of it as one JSON document: the comments with their articles' titles and
addresses, dates, status, and the IP address, user agent and referrer still stored; the
subscriptions; the accounts with what their provider gave.

`erase(held, delete_comments=...)` removes it, in one transaction, in this order:
1. each comment, deepest first: anonymized, or deleted (emptied instead, a placeholder, when others answered it:
   comments/erasure.py, which also clears every stored copy of the thread and the front cache), and a
   moderator's trust of the address (comments.TrustedCommenter; an account's goes with the account);
2. the address's subscriptions, with the notices, confirmations and deliveries sent under them
   (subscriptions.actions.erase), and the sender's name, email and IP address in their reports;
3. each account: its logged-in sessions, then the account with its social accounts and email
   addresses (allauth's rows go with it), renamed in the admin's log;
4. django-axes's records of admin logins tried with the address or the account as username;
5. the task queue's rows that name the address (the data-link email, "sent to ..." results);
6. one DataRequest row saying what was done, by whom and how much, never whose.

Sessions are found in the database (the default engine, or cached_db). With a cache-only engine
they cannot be listed: the deleted account's sessions then stop logging anyone in, and expire.
"""

import json
import re
from dataclasses import dataclass
from functools import cached_property
from importlib import import_module

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialApp
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured, MultipleObjectsReturned
from django.db import transaction
from django.db.models import Q
from django.http import JsonResponse
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comments import erasure
from comments.models import Comment, Report, Status, TrustedCommenter
from groundwork.email_addresses import matching
from groundwork.site_url import absolute_url
from subscriptions import actions as subscription_actions
from subscriptions.models import Address

from .models import Action, DataRequest, Requester

ACCOUNT_IN_LOG = "An account erased at its owner's request"


def status_shown(comment: Comment) -> str:
    """Where a comment stands, in the words its author reads."""
    if comment.status == Status.SPAM:
        return f"Held as spam: deleted after {settings.COMMENTS_SPAM_RETENTION_DAYS} days"
    if comment.status == Status.TRASH:
        return f"In the Trash: deleted after {settings.COMMENTS_TRASH_RETENTION_DAYS} days"
    if comment.status == Status.PENDING:
        return "Awaiting moderation"
    return "Published"


@dataclass
class Holdings:
    """Everything held under one address."""

    email: str
    comments: list[Comment]
    address: Address | None
    accounts: list

    @cached_property
    def subscriptions(self) -> list:
        return list(self.address.subscriptions.select_related("post")) if self.address else []

    @cached_property
    def reports(self) -> list:
        """The reports of comments filed with this address (a notice's sender) or from these accounts."""
        return list(Report.objects.filed_by(self.email, self.accounts).exclude(data_erased_at__isnull=False))

    @property
    def empty(self) -> bool:
        return not (self.comments or self.address or self.accounts or self.reports)


def holdings(email: str) -> Holdings:
    accounts = list(linked_accounts(email).prefetch_related("socialaccount_set", "emailaddress_set"))
    comments = Comment.objects.written_by(email, accounts).select_related("post", "user").order_by("-created_at", "-pk")
    return Holdings(email, list(comments), Address.objects.get_by_email(email), accounts)


def linked_accounts(email: str):
    """Readers' accounts (never staff) whose email, or one of whose allauth email addresses, is `email`."""
    users = get_user_model().objects.all()
    ids = {user.pk for user in matching(users, "email", email)}
    ids |= {listed.user_id for listed in matching(EmailAddress.objects.all(), "email", email)}
    return users.filter(pk__in=ids, is_staff=False, is_superuser=False).order_by("pk")


@dataclass(frozen=True)
class AccountShown:
    """A linked account as its owner's page shows it."""

    name: str
    username: str
    providers: list[str]
    joined_at: object


def accounts_shown(held: Holdings) -> list[AccountShown]:
    return [
        AccountShown(
            user.get_full_name() or user.get_username(),
            user.get_username(),
            [_provider_name(account) for account in user.socialaccount_set.all()],
            user.date_joined,
        )
        for user in held.accounts
    ]


def _provider_name(account) -> str:
    try:
        return account.get_provider().name
    except (SocialApp.DoesNotExist, MultipleObjectsReturned, ImproperlyConfigured):
        return account.provider  # the site no longer has credentials for it


def shown(held: Holdings) -> dict:
    """What the pages showing what is held (the owner's, the admin's) are given: the holdings, each comment with
    where it stands, and the accounts."""
    return {
        "held": held,
        "comments": [(comment, status_shown(comment)) for comment in held.comments],
        "accounts": accounts_shown(held),
    }


# Downloading


def export(held: Holdings) -> dict:
    """Everything held under the address, as one JSON-ready document."""
    return {
        "site": {"title": settings.BLOG_TITLE, "address": settings.SITE_URL},
        "email": held.email,
        "exported_at": timezone.now().isoformat(),
        "comments": [_comment(comment) for comment in held.comments],
        "subscriptions": {
            "asked_for_no_email_at": _iso(held.address.opted_out_at) if held.address else None,
            "followed": [_subscription(subscription) for subscription in held.subscriptions],
        },
        "accounts": [_account(user) for user in held.accounts],
        "reports": [_report(report) for report in held.reports],
    }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _comment(comment: Comment) -> dict:
    published = comment.status == Status.APPROVED
    return {
        "id": comment.pk,
        "article": {"title": comment.post.title, "address": absolute_url(comment.post.get_absolute_url())},
        "address": absolute_url(comment.get_absolute_url()) if published else None,
        "status": comment.status,
        "where_it_stands": status_shown(comment),
        "written_at": comment.created_at.isoformat(),
        "in_reply_to": comment.parent_id,
        "name": comment.author_name,
        "email": comment.author_email,
        "website": comment.author_url,
        "text": comment.body,
        "account": comment.user.get_username() if comment.user else None,
        "ip_address": comment.ip_address,
        "user_agent": comment.user_agent,
        "referrer": comment.referrer,
    }


def _report(report: Report) -> dict:
    return {
        "comment": report.comment_id,
        "reason": report.reason,
        "note": report.note,
        "sent_at": report.created_at.isoformat(),
        "explanation": report.explanation,
        "address_given": report.exact_url,
        "name": report.reporter_name,
        "email": report.reporter_email,
        "ip_address": report.ip_address,
        "outcome": report.outcome,
    }


def _subscription(subscription) -> dict:
    post = subscription.post
    return {
        "follows": subscription.describe(),
        "article": {"title": post.title, "address": absolute_url(post.get_absolute_url())} if post else None,
        "asked_at": subscription.requested_at.isoformat(),
        "confirmed_at": _iso(subscription.confirmed_at),
        "ip_address": subscription.ip_address,
    }


def _account(user) -> dict:
    return {
        "username": user.get_username(),
        "name": user.get_full_name(),
        "email": user.email,
        "joined_at": user.date_joined.isoformat(),
        "last_login_at": _iso(user.last_login),
        "logins": [
            {
                "provider": account.provider,
                "id_there": account.uid,
                "joined_at": account.date_joined.isoformat(),
                "last_login_at": _iso(account.last_login),
                "what_it_gave": account.extra_data,
            }
            for account in user.socialaccount_set.all()
        ],
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in user.emailaddress_set.all()
        ],
    }


def record_export(held: Holdings, *, moderator=None) -> DataRequest:
    return _record(Action.EXPORT, held, moderator=moderator, subscriptions=len(held.subscriptions))


def download(held: Holdings, name: str, *, moderator=None) -> JsonResponse:
    """Record the export, and return it as a JSON file to download, named `name` and today's date."""
    record_export(held, moderator=moderator)
    response = JsonResponse(export(held), json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate():%Y-%m-%d}.json"'
    return response


# Erasing


def may_delete_comments() -> bool:
    return settings.PRIVACY_ALLOW_DELETING_COMMENTS


@transaction.atomic
def erase(held: Holdings, *, delete_comments: bool = False, moderator=None) -> DataRequest:
    """Remove everything held under the address; returns the record of it (which names nobody)."""
    if delete_comments and not may_delete_comments():
        raise ValueError("This site keeps erased comments as Anonymous (PRIVACY_ALLOW_DELETING_COMMENTS is off).")
    for comment in sorted(held.comments, key=lambda comment: -comment.depth):
        if delete_comments:
            erasure.delete(comment)
        else:
            erasure.anonymize(comment, moderator=moderator)
    TrustedCommenter.objects.of_author(email=held.email).delete()
    ended = subscription_actions.erase(held.address) if held.address else 0
    Report.objects.filter(pk__in=[report.pk for report in held.reports]).update(
        reporter_name="", reporter_email="", reporter_email_key="", ip_address=None, data_erased_at=timezone.now()
    )
    sessions = end_sessions([user.pk for user in held.accounts])
    _erase_accounts(held.accounts)
    _erase_admin_login_attempts([held.email, *(user.get_username() for user in held.accounts)])
    _erase_tasks_naming(held.email)
    action = Action.DELETE if delete_comments else Action.ANONYMIZE
    return _record(action, held, moderator=moderator, subscriptions=ended, sessions=sessions)


def end_sessions(user_ids: list[int]) -> int:
    """Delete the stored sessions of these accounts; returns how many (0 with a session engine that cannot list)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not user_ids or not hasattr(store, "get_model_class"):
        return 0
    wanted = {str(pk) for pk in user_ids}
    ended = 0
    for session in store.get_model_class().objects.iterator():
        if str(store().decode(session.session_data).get(SESSION_KEY)) in wanted:
            store(session_key=session.session_key).delete()
            ended += 1
    return ended


def _erase_accounts(accounts: list) -> None:
    user_type = ContentType.objects.get_for_model(get_user_model())
    ids = [str(user.pk) for user in accounts]
    LogEntry.objects.filter(content_type=user_type, object_id__in=ids).update(object_repr=ACCOUNT_IN_LOG)
    for user in accounts:
        user.delete()  # allauth's SocialAccount, SocialToken and EmailAddress rows go with it


def _erase_admin_login_attempts(usernames: list[str]) -> None:
    """Delete django-axes's records of these usernames, in ASCII case or as another spelling of the address."""
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        named = {row.pk for username in usernames for row in matching(model.objects.all(), "username", username)}
        model.objects.filter(pk__in=named).delete()


def _erase_tasks_naming(email: str) -> int:
    """Delete the task queue's rows (but one being run) whose arguments, result or traceback name the address."""
    escaped = json.dumps(email)[1:-1]  # as JSON stores it, non-ASCII letters escaped
    candidates = Q()
    for text in {email, escaped}:
        for field in ("args_kwargs", "return_value", "traceback"):
            candidates |= Q(**{f"{field}__icontains": text})
    # Case-insensitive in ASCII only ((?ai:...)): an address with a dotless i must not find rows naming one with an i.
    exactly = re.compile("|".join(rf"(?<![\w.+-])(?ai:{re.escape(text)})(?![\w.-])" for text in {email, escaped}))
    naming = [
        result.pk
        for result in DBTaskResult.objects.filter(candidates).exclude(status=TaskResultStatus.RUNNING)
        if exactly.search(json.dumps([result.args_kwargs, result.return_value]) + (result.traceback or ""))
    ]
    return DBTaskResult.objects.filter(pk__in=naming).delete()[0]


def _record(action: Action, held: Holdings, *, moderator=None, **counts) -> DataRequest:
    return DataRequest.objects.create(
        action=action,
        requester=Requester.MODERATOR if moderator else Requester.OWNER,
        moderator=moderator,
        moderator_name=moderator.get_username() if moderator else "",
        comments=len(held.comments),
        accounts=len(held.accounts),
        **counts,
    )
