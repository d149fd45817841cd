"""The admin's login locks after repeated wrong passwords (django-axes): for the address that guessed, and for the
username guessed from any number of addresses; the page says how long, and how the real admin gets back in."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(make_user):
    return make_user("boss", is_staff=True, is_superuser=True)


def log_in(client, password, address="203.0.113.7", username="boss"):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password}, REMOTE_ADDR=address, follow=False
    )


def test_five_wrong_passwords_lock_the_login_even_for_the_right_one(admin_user, settings):
    """The fifth wrong password locks the login: the next try gets a 429 page naming the wait, whatever the password."""
    settings.AXES_FAILURE_LIMIT = 5
    client = Client()
    for _ in range(4):
        assert log_in(client, "guess").status_code == 200  # the form again, with its error
    assert log_in(client, "guess").status_code == 429

    locked = log_in(client, "pw-for-tests-only")

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.text and "15 minutes" in locked.text
    assert "_auth_user_id" not in client.session


def test_an_address_that_guessed_is_locked_for_every_username(admin_user, make_user, settings):
    """Five wrong passwords for one account from an address: another account cannot log in from it either."""
    settings.AXES_FAILURE_LIMIT = 5
    make_user("editor", is_staff=True)
    for _ in range(5):
        log_in(Client(), "guess")

    assert log_in(Client(), "pw-for-tests-only", username="editor").status_code == 429
    assert log_in(Client(), "pw-for-tests-only", username="editor", address="198.51.100.20").status_code == 302


def test_guessing_from_many_addresses_locks_the_account(admin_user, settings):
    """12 addresses guessing 5 times each lock the username itself: its owner, from an address never seen, waits too."""
    settings.AXES_FAILURE_LIMIT = 5
    answers = [log_in(Client(), "guess", address=f"198.51.100.{n}").status_code for n in range(1, 13) for _ in range(5)]

    locked = log_in(Client(), "pw-for-tests-only", address="192.0.2.200")

    assert answers[:4] == [200] * 4 and set(answers[4:]) == {429}
    assert locked.status_code == 429
    assert "for this username from anywhere" in " ".join(locked.text.split())
    assert "manage.py axes_reset_username USERNAME" in locked.text


def test_the_real_admin_gets_back_in_after_the_username_is_reset(admin_user, settings):
    """`manage.py axes_reset_username boss`, as the lockout page says, lets the right password in again at once."""
    settings.AXES_FAILURE_LIMIT = 5
    for n in range(1, 6):
        log_in(Client(), "guess", address=f"198.51.100.{n}")
    assert log_in(Client(), "pw-for-tests-only", address="192.0.2.200").status_code == 429

    call_command("axes_reset_username", "boss", stdout=StringIO())

    client = Client()
    assert log_in(client, "pw-for-tests-only", address="192.0.2.200").status_code == 302
    assert client.session["_auth_user_id"] == str(admin_user.pk)


def test_a_right_password_before_the_limit_starts_the_count_again(admin_user, settings):
    """Four wrong, one right, then four wrong again: still not locked."""
    settings.AXES_FAILURE_LIMIT = 5
    for _ in range(4):
        log_in(Client(), "guess")
    assert log_in(Client(), "pw-for-tests-only").status_code == 302
    for _ in range(4):
        log_in(Client(), "guess")

    assert log_in(Client(), "pw-for-tests-only").status_code == 302
