"""Commenting with an account the reader already has: WordPress.com, Google, X, Facebook, any OpenID Connect provider.

Every login runs the whole round trip over real HTTP through allauth's own views: the comment
form's icon posts to the site, the site redirects to the provider's authorize page (a local server,
tests/fakes/oauth_server.py, that each provider is pointed at by config/settings/test.py), the
reader logs in there, the provider sends them back to allauth's callback, and allauth fetches the
token and the profile from the provider before logging the reader in.
"""

import html
import re
import subprocess
import sys
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.providers.wordpress_com.provider import WordPressComProvider
from comments import drafts
from comments.forms import issue_timestamp
from comments.models import Comment, Status
from tests.fakes.oauth_server import social_apps

pytestmark = pytest.mark.django_db

PROVIDERS = {  # button id: (provider shown, SocialAccount.provider)
    "wordpress_com": ("WordPress.com", "wordpress_com"),
    "google": ("Google", "google"),
    "twitter_oauth2": ("X", "twitter_oauth2"),
    "facebook": ("Facebook", "facebook"),
    "demo": ("Demo", "demo"),
}
COMMENTING_AS = "You are commenting using your {} account."


def start_login(client, provider_id, post, **form):
    """Press an icon under the form, with the token comments.js fetches; returns the redirect to the provider."""
    token = client.get(reverse("comments:form-state", args=[post.pk])).json()["csrf_token"]
    form = {"csrfmiddlewaretoken": token, **form}
    response = client.post(reverse("accounts:comment-login", args=[provider_id, post.pk]), form)
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def at_provider(authorize_url, *, decision="approve"):
    """What the reader does on the provider's page; returns where the provider sends them back to."""
    page = httpx.get(authorize_url)
    if page.status_code == 302:  # The provider answered at once, with an error.
        return page.headers["location"]
    assert page.status_code == 200, page.text
    inputs = [dict(re.findall(r'(\w+)="([^"]*)"', tag)) for tag in re.findall(r"<input [^>]*>", page.text)]
    fields = {field["name"]: html.unescape(field.get("value", "")) for field in inputs}
    assert {"name", "email", "state"} <= fields.keys(), fields  # The person the provider suggests, and the state.
    answer = httpx.post(authorize_url.split("?")[0], data={**fields, "decision": decision})
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def back_at_site(client, callback_url, **extra):
    url = urlsplit(callback_url)
    assert url.path.startswith("/accounts/"), callback_url
    return client.get(url.path, dict(parse_qsl(url.query)), **extra)


def log_in(client, fake, provider_id, post, *, decision="approve", email_for_signup=None, **form):
    """The whole round trip; returns the site's last answer (the redirect back to the article, normally)."""
    response = back_at_site(client, at_provider(start_login(client, provider_id, post, **form), decision=decision))
    if response.status_code == 302 and response["Location"] == reverse("socialaccount_signup"):
        assert provider_id == "twitter_oauth2", "only X, which gives no email, asks a question"
        page = client.get(response["Location"])
        assert "doesn't tell us your email address" in page.text
        response = client.post(response["Location"], {"email": email_for_signup or ""})
    return response


def readers():
    """Users other than the articles' author."""
    return get_user_model().objects.exclude(username="ada")


def the_reader():
    return readers().get()


def article_page(client, post):
    return client.get(post.get_absolute_url()).content.decode()


def comment_box(page: str) -> str:
    start = page.index(">", page.index('<textarea name="comment"')) + 1
    return page[start : page.index("</textarea>", start)].removeprefix("\n")  # a browser drops that line break


def post_comment(client, post, text, **fields):
    data = {"comment": text, "timestamp": issue_timestamp(post), **fields}
    return client.post(reverse("comments:post", args=[post.pk]), data)


# The round trip, for each provider


@pytest.mark.parametrize("provider_id", PROVIDERS)
def test_logging_in_through_each_provider_brings_the_reader_back_to_the_form(client, providers, article, provider_id):
    """The round trip signs the reader up, links their provider's account and lands on the form, named."""
    shown, stored = PROVIDERS[provider_id]
    response = log_in(client, providers, provider_id, article, email_for_signup="marianne@example.com")

    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}#respond"
    user = the_reader()
    assert SocialAccount.objects.get(user=user).provider == stored
    assert user.get_full_name() == "Marianne North"
    assert user.email == "marianne@example.com"
    assert not user.has_usable_password()
    page = article_page(client, article)
    assert COMMENTING_AS.format(shown) in page
    assert '<strong class="commenting-as-name">Marianne North</strong>' in page
    assert 'name="email"' not in page and "captcha" not in page.lower()
    asked = {path for method, path in providers.requests}
    assert any(path.endswith(("token", "access_token")) for path in asked), asked
    assert any(path.endswith(("me", "userinfo")) for path in asked), asked


@pytest.mark.parametrize(
    "provider_id, profile_url",
    [
        ("wordpress_com", "https://marianne.example/"),
        ("google", "https://marianne.example/"),
        ("twitter_oauth2", "https://x.com/marianne"),
        ("facebook", "https://marianne.example/"),
        ("demo", ""),  # An OpenID Connect provider gives no profile link allauth uses.
    ],
)
def test_a_comment_carries_the_accounts_name_and_profile_link(client, providers, article, provider_id, profile_url):
    """The comment is the account's: its user, the provider's name and profile link; the email is kept, not shown."""
    log_in(client, providers, provider_id, article, email_for_signup="marianne@example.com")
    response = post_comment(client, article, "The broad beans are up.")

    comment = Comment.objects.get()
    assert response["Location"] == comment.get_absolute_url()
    assert comment.user == the_reader()
    assert (comment.author_name, comment.author_url) == ("Marianne North", profile_url)
    assert comment.author_email == "marianne@example.com"
    page = article_page(client, article)  # The reader sees their own comment, awaiting moderation.
    author = page[page.index(f'id="comment-{comment.pk}-author"') :].split("</b>")[0]
    assert "Marianne North" in author
    assert (f'<a href="{profile_url}"' in author) == bool(profile_url)
    assert "marianne@example.com" not in page


def test_x_gives_no_email_so_the_reader_is_asked_once_and_may_leave_it_empty(client, providers, article):
    """X's profile has no email: one polite question, which may be skipped; the next login asks nothing."""
    response = log_in(client, providers, "twitter_oauth2", article, email_for_signup="")
    assert response["Location"] == f"{article.get_absolute_url()}#respond"
    user = the_reader()
    assert user.email == ""
    assert COMMENTING_AS.format("X") in article_page(client, article)

    client.post(reverse("accounts:comment-logout", args=[article.pk]))
    again = back_at_site(client, at_provider(start_login(client, "twitter_oauth2", article)))
    assert again["Location"] == f"{article.get_absolute_url()}#respond"  # No question this time.
    assert readers().count() == 1


def test_logging_in_again_finds_the_same_account(client, providers, article):
    """A second login with the same provider account is the same user, not a new one."""
    log_in(client, providers, "google", article)
    client.post(reverse("accounts:comment-logout", args=[article.pk]))
    log_in(client, providers, "google", article)
    assert readers().count() == 1
    assert SocialAccount.objects.count() == 1


# The draft


def test_the_comment_and_its_parent_survive_the_round_trip(client, providers, article, make_comment):
    """What the reader typed, and the comment they answer, are waiting in the form when they come back."""
    parent = make_comment(article, author_name="Gertrude Jekyll")
    text = "Try comfrey & nettles <b>tea</b>."
    response = log_in(client, providers, "google", article, comment=text, parent=parent.pk)

    assert response["Location"] == f"{article.get_absolute_url()}?replytocom={parent.pk}#respond"
    page = client.get(response["Location"].split("#")[0]).content.decode()
    assert comment_box(page) == "Try comfrey &amp; nettles &lt;b&gt;tea&lt;/b&gt;."
    assert "Leave a Reply to Gertrude Jekyll" in page
    assert f'name="parent" id="comment_parent" value="{parent.pk}"' in " ".join(page.split())
    assert comment_box(article_page(client, article)) == ""  # Shown once, then forgotten.


def test_a_parent_that_is_not_an_approved_comment_of_the_article_is_dropped(client, providers, article, make_comment):
    """The draft's parent is checked like the form's: a held comment, or one on another article, is not kept."""
    held = make_comment(article, status=Status.PENDING)
    elsewhere = make_comment()
    for parent in (held, elsewhere):
        start_login(client, "google", article, comment="Hello", parent=parent.pk)
        assert client.session[drafts.SESSION_KEY]["parent_id"] is None


def test_the_return_address_is_the_article_whatever_the_form_says(client, providers, article):
    """The login goes back to the article's form; a `next` in the posted form cannot send the reader elsewhere."""
    response = log_in(client, providers, "google", article, next="https://evil.example/")
    assert response["Location"] == f"{article.get_absolute_url()}#respond"


def test_without_a_csrf_token_the_reader_confirms_once_and_keeps_the_text(providers, article):
    """No token (JavaScript off, or a cross-site post): a page asks to continue, with the text kept, then it goes on."""
    client = Client(enforce_csrf_checks=True)
    url = reverse("accounts:comment-login", args=["google", article.pk])
    response = client.post(url, {"comment": "Mulch, mulch, mulch.", "parent": ""})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Continue to Google" in page
    assert ">Mulch, mulch, mulch.</textarea>" in page
    assert drafts.SESSION_KEY not in client.session
    forged = client.post(url, {"comment": "Spam", "csrfmiddlewaretoken": "x" * 64})  # A cross-site post: same page.
    assert forged.status_code == 200 and drafts.SESSION_KEY not in client.session
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    onward = client.post(url, {"comment": "Mulch, mulch, mulch.", "parent": "", "csrfmiddlewaretoken": token})
    assert onward.status_code == 302
    assert onward["Location"].startswith(f"{providers.url}/google/authorize?")
    assert client.session[drafts.SESSION_KEY]["text"] == "Mulch, mulch, mulch."


# What the anonymous page shows


def test_the_icons_are_the_same_bytes_for_every_guest(providers, article):
    """Guests all get the same page: icons that post the form, no token, nothing of their own."""
    first, second = Client().get(article.get_absolute_url()), Client().get(article.get_absolute_url())
    assert first.content == second.content
    assert not first.cookies and "csrfmiddlewaretoken" not in first.content.decode()
    page = first.content.decode()
    labels = [
        "Log in with WordPress.com",
        "Log in with Google",
        "Log in with X",
        "Log in with Facebook",
        "Demo login",
    ]
    positions = [page.index(f'title="{label}"') for label in labels]
    assert positions == sorted(positions), "WordPress.com, Google, X, Facebook, then the others"
    for provider_id in PROVIDERS:
        assert f'formaction="{reverse("accounts:comment-login", args=[provider_id, article.pk])}"' in page
    assert page.count("/static/img/providers/") == 5


def test_without_credentials_the_guest_form_stands_alone(client, article):
    """No provider has credentials (the test settings' default): no icon, no login script."""
    page = article_page(client, article)
    assert re.search(r'<div class="social-login" id="social-login">\s*</div>', page)
    assert "Log in with" not in page and "accounts.js" not in page


def test_credentials_come_from_the_environment(monkeypatch):
    """GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET together make an app; one without the other makes none."""
    from config.settings.base import social_app

    monkeypatch.setenv("GOOGLE_CLIENT_ID", "id-from-env")
    assert social_app("GOOGLE") == []
    monkeypatch.setenv("GOOGLE_CLIENT_SECRET", "secret-from-env")
    assert social_app("GOOGLE") == [{"client_id": "id-from-env", "secret": "secret-from-env"}]


def test_a_social_application_from_the_admin_adds_its_icon(client, article, settings, fake_providers):
    """A provider set up in the admin's Social applications shows at once (the cached icons are forgotten)."""
    cache.clear()
    assert "Log in with Google" not in article_page(client, article)
    app = SocialApp.objects.create(provider="google", name="Google", client_id="google-client", secret="google-secret")
    app.sites.add(Site.objects.get_current())
    assert "Log in with Google" in article_page(client, article)
    app.delete()
    assert "Log in with Google" not in article_page(client, article)
    cache.clear()


def test_an_unknown_provider_is_not_found(client, providers, article):
    response = client.post(reverse("accounts:comment-login", args=["github", article.pk]), {"comment": "Hi"})
    assert response.status_code == 404


# When the login fails


def _assert_failed_politely(client, article, response, why):
    assert response.status_code == 302
    assert response["Location"].split("#")[0].startswith(article.get_absolute_url())
    page = client.get(response["Location"].split("#")[0]).content.decode()
    assert why in page
    assert "Your comment is still in the box above." in page
    assert comment_box(page) == "Half a thought about slugs"
    assert "Log in with Google" in page  # Still a guest, free to try again.
    assert not readers().exists()
    assert not SocialAccount.objects.exists()


@pytest.mark.parametrize(
    "failure, why",
    [
        ("denied", "Google was not given permission"),
        ("provider error", "Google reported a problem"),
        ("token refused", "Google reported a problem"),
        ("time-out", "Google took too long to answer"),
    ],
)
def test_a_failed_login_returns_to_the_article_with_a_message_and_the_draft(
    client, providers, article, settings, failure, why
):
    """Refused, an error, a provider too slow to answer: a message on the article, the text kept, no account."""
    decision = "deny" if failure == "denied" else "approve"
    if failure == "provider error":
        providers.authorize_error = "server_error"
    if failure == "token refused":
        providers.token_error = "invalid_grant"
    if failure == "time-out":
        settings.SOCIALACCOUNT_REQUESTS_TIMEOUT = 0.3
        providers.token_delay = 1.0
    response = log_in(client, providers, "google", article, decision=decision, comment="Half a thought about slugs")
    _assert_failed_politely(client, article, response, why)


def test_a_forged_state_is_refused_and_the_draft_kept(client, providers, article):
    """A callback whose state this session never issued logs nobody in; the reader is back at their draft."""
    start_login(client, "google", article, comment="Half a thought about slugs")
    response = client.get(reverse("google_callback"), {"code": "stolen", "state": "forged-state"})
    _assert_failed_politely(client, article, response, "that login could not be checked")
    assert ("POST", "/google/token") not in providers.requests


def test_an_unreachable_provider_is_reported_on_the_article(client, providers, article, settings):
    """An OpenID Connect provider that cannot be reached: back to the form at once, with a message."""
    configured = social_apps()
    configured["openid_connect"]["APPS"][0]["settings"]["server_url"] = "http://127.0.0.1:9"
    settings.SOCIALACCOUNT_PROVIDERS = configured
    assert start_login(client, "demo", article, comment="Hello") == f"{article.get_absolute_url()}#respond"
    page = article_page(client, article)
    assert "Demo could not be reached" in page
    assert comment_box(page) == "Hello"


def test_a_failed_login_that_did_not_start_at_a_comment_form_shows_allauths_page(client, providers):
    """No draft, no comment-form state: the plain "not logged in" page, not a redirect."""
    response = client.get(reverse("google_callback"), {"code": "x", "state": "unknown"})
    assert response.status_code == 401
    assert "You are not logged in" in response.content.decode()


# Logged in


def test_a_logged_in_readers_comment_goes_through_the_spam_check_and_is_approved_by_account(
    client, providers, article, make_post, make_comment, akismet_fake, run_tasks
):
    """No captcha, the same pipeline: Akismet hears the account's name, email and role; an approved account is known."""
    log_in(client, providers, "google", article)
    user = the_reader()
    yesterday = timezone.now() - timedelta(days=1)
    make_comment(make_post(), user=user, author_email="old@example.com", created_at=yesterday)  # approved, other email

    assert post_comment(client, article, "Comfrey tea works wonders.").status_code == 302
    run_tasks()

    comment = Comment.objects.get(body="Comfrey tea works wonders.")
    assert comment.status == Status.APPROVED
    check = akismet_fake.checks[-1]
    assert check.get("user_role") == "subscriber"
    assert check.get("comment_author") == "Marianne North"
    assert check.get("comment_author_email") == "marianne@example.com"


def test_log_out_returns_to_the_article_as_a_guest_with_the_draft(client, providers, article):
    """Log Out: logged out, back at the same article's form as a guest, the text still there."""
    log_in(client, providers, "google", article)
    response = client.post(reverse("accounts:comment-logout", args=[article.pk]), {"comment": "Unfinished"})

    assert response["Location"] == f"{article.get_absolute_url()}#respond"
    page = article_page(client, article)
    assert "You are logged out." in page
    assert COMMENTING_AS.format("Google") not in page
    assert 'name="email"' in page and "Log in with Google" in page
    assert comment_box(page) == "Unfinished"


def test_change_logs_out_to_choose_another_account(client, providers, article):
    """Change: logged out, back at the icons with the text kept, to log in with another provider."""
    log_in(client, providers, "google", article)
    client.post(reverse("accounts:comment-logout", args=[article.pk]), {"comment": "Draft", "change": "1"})
    page = article_page(client, article)
    assert "Choose the account to comment with" in page
    log_in(client, providers, "wordpress_com", article)
    assert COMMENTING_AS.format("WordPress.com") in article_page(client, article)
    assert readers().count() == 2


def test_staff_logged_in_at_the_admin_comment_as_themselves(client, providers, article, author):
    """An account without a provider (staff, via the admin) is "logged in", with Log Out."""
    client.force_login(author)
    page = article_page(client, article)
    assert "You are logged in." in page and "Ada Lovelace" in page
    post_comment(client, article, "Thanks, all.")
    assert Comment.objects.get().author_url == ""


# Sign-up and login rules


def test_nobody_signs_up_or_logs_in_with_a_password(client, make_user):
    """Local sign-up does not exist and allauth's login page takes no password; staff log in at the admin."""
    from accounts.adapters import AccountAdapter

    make_user("editor", is_staff=True)
    assert AccountAdapter().is_open_for_signup(None) is False
    assert client.get("/accounts/signup/").status_code == 404
    client.post(reverse("account_login"), {"login": "editor", "password": "pw-for-tests-only"})
    assert "_auth_user_id" not in client.session
    admin = client.post(reverse("admin:login"), {"username": "editor", "password": "pw-for-tests-only"})
    assert admin.status_code == 302
    assert "_auth_user_id" in client.session


def test_a_login_link_opened_with_get_asks_to_continue(client, providers):
    """allauth's own login address, opened with GET, shows a "Continue" page (a login starts with a POST)."""
    response = client.get(reverse("google_login"))
    assert response.status_code == 200
    assert "Continue to Google" in response.content.decode()


def test_the_csp_lets_the_login_forms_go_to_the_providers_and_nowhere_else(client, article):
    """form-action: the site, the four providers' login origins and (in the tests) the local provider."""
    policy = client.get(article.get_absolute_url()).headers["Content-Security-Policy"]
    form_action = next(part.split()[1:] for part in policy.split(";") if part.strip().startswith("form-action"))
    assert form_action == [
        "'self'",
        "https://public-api.wordpress.com",
        "https://accounts.google.com",
        "https://x.com",
        "https://www.facebook.com",
        settings.FAKE_OAUTH_URL,
    ]


# The WordPress.com provider on its own


def test_wordpress_com_profile_becomes_the_account():
    """WordPress.com's `me`: the numeric ID is the uid; display name, username and email as given."""
    provider = WordPressComProvider.__new__(WordPressComProvider)
    profile = {"ID": 42, "username": "mnorth", "display_name": "Marianne North", "email": "m@example.com"}
    assert provider.extract_uid(profile) == "42"
    assert provider.extract_common_fields(profile) == {
        "username": "mnorth",
        "email": "m@example.com",
        "name": "Marianne North",
    }
    unverified = provider.extract_email_addresses(profile)
    assert [(a.email, a.verified) for a in unverified] == [("m@example.com", False)]
    assert provider.extract_email_addresses({**profile, "email_verified": True})[0].verified
    assert provider.extract_email_addresses({**profile, "email": ""}) == []
    assert provider.get_default_scope() == ["auth"]


# The demo provider


@pytest.mark.parametrize("debug, offered", [("true", True), ("false", False)])
def test_demo_login_is_offered_only_with_debug(debug, offered):
    """The development settings add the "Demo login" provider when DEBUG is on, and never otherwise."""
    code = (
        "from django.conf import settings;"
        "apps = settings.SOCIALACCOUNT_PROVIDERS['openid_connect']['APPS'];"
        "print([a['provider_id'] for a in apps], settings.SECURE_CSP['form-action'][-1])"
    )
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DEBUG": debug}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert ("['demo'] http://127.0.0.1:8765" in result.stdout) == offered, result.stdout


def test_the_demo_provider_command_refuses_without_debug(capsys):
    from django.core.management import call_command

    call_command("demo_login_provider")
    assert "DEBUG" in capsys.readouterr().out
