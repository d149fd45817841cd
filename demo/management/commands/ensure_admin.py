"""Make sure a development superuser exists and show how to log in as it.

On first creation the password is random and kept in BASE_DIR/.dev-admin-password (git-ignored,
readable by its owner only; DEV_ADMIN_PASSWORD_FILE or --password-file names another file), so every
later `make run` can print the same login. The command
refuses to run with DEBUG off: a production site gets its superuser from `createsuperuser`.
"""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = "admin"


def write_private(path, text):
    """Write `text` to a file only its owner can read, replacing any earlier one."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text + "\n")


class Command(BaseCommand):
    help = f"Create the development superuser '{USERNAME}' with a random password, or print its login."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")
        parser.add_argument(
            "--password-file",
            type=Path,
            default=Path(os.environ.get("DEV_ADMIN_PASSWORD_FILE") or settings.BASE_DIR / ".dev-admin-password"),
            help="Where the generated password is kept (default: %(default)s).",
        )

    def handle(self, *args, force, password_file, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: this looks like production, where a printed password has no place. "
                "Use 'manage.py createsuperuser', or pass --force if this really is a development machine."
            )
        users = get_user_model()
        user = users.objects.filter(username=USERNAME).first()
        if user is None:
            password = secrets.token_urlsafe(15)
            users.objects.create_superuser(username=USERNAME, email="admin@localhost", password=password)
            write_private(password_file, password)
            self.print_login(password, heading=f"Created the superuser '{USERNAME}'.")
            return

        password = password_file.read_text().strip() if password_file.exists() else ""
        if password and user.check_password(password):
            self.print_login(password, heading="Log in to the admin with:")
        else:
            self.stdout.write(
                f"The superuser '{USERNAME}' exists, but its password is not the one kept in {password_file} "
                f"(or that file is missing): it was set some other way.\n"
                f"Log in with the password you chose, or set a new one with: python manage.py changepassword {USERNAME}"
            )

    def print_login(self, password, *, heading):
        port = os.environ.get("PORT", "8000")
        rule = "-" * 60
        self.stdout.write(
            f"{rule}\n{heading}\n"
            f"  URL:      http://127.0.0.1:{port}/admin/\n"
            f"  username: {USERNAME}\n"
            f"  password: {password}\n"
            f"{rule}"
        )
