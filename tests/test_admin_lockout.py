"""The admin's login locks after repeated wrong passwords (django-axes), for that address, and says for how long."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(make_user):
    return make_user("boss", is_staff=True, is_superuser=True)


def log_in(client, password, address="203.0.113.7"):
    return client.post(
        reverse("admin:login"), {"username": "boss", "password": password}, REMOTE_ADDR=address, follow=False
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


def test_another_address_is_not_locked_out(admin_user, settings):
    """A lockout holds for the address that guessed: the owner elsewhere still logs in."""
    settings.AXES_FAILURE_LIMIT = 5
    for _ in range(6):
        log_in(Client(), "guess")

    response = log_in(Client(), "pw-for-tests-only", address="198.51.100.20")

    assert response.status_code == 302


def test_a_right_password_before_the_limit_starts_the_count_again(admin_user, settings):
    """Four wrong, one right, then four wrong again: still not locked."""
    settings.AXES_FAILURE_LIMIT = 5
    for _ in range(4):
        log_in(Client(), "guess")
    assert log_in(Client(), "pw-for-tests-only").status_code == 302
    for _ in range(4):
        log_in(Client(), "guess")

    assert log_in(Client(), "pw-for-tests-only").status_code == 302
