import errno
import os
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.provider import OpenIDProvider


class Command(BaseCommand):
    help = "Run the local OpenID Connect provider behind the comment form's “Demo login” icon (DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--any-port-if-taken",
            action="store_true",
            help="When DEMO_LOGIN_PORT's port is taken (another checkout's `make run`), listen on a free one instead.",
        )
        parser.add_argument(
            "--port-file",
            type=Path,
            help="Once listening, write the port to this file, for the caller to pass on as DEMO_LOGIN_PORT.",
        )

    def handle(self, *args, any_port_if_taken, port_file, verbosity, **options):
        url = getattr(settings, "DEMO_LOGIN_URL", "")
        if not settings.DEBUG or not url:
            self.stdout.write("Demo login is for development (DEBUG) only: not started.")
            return
        try:
            provider = OpenIDProvider(urlsplit(url).port)
        except OSError as error:
            if not (any_port_if_taken and error.errno == errno.EADDRINUSE):
                raise CommandError(f"Demo login could not listen on {url}: {error}. Set DEMO_LOGIN_PORT.") from error
            provider = OpenIDProvider(0)
        if port_file:
            written = port_file.with_name(f"{port_file.name}.new")
            written.write_text(f"{urlsplit(provider.url).port}\n")
            os.replace(written, port_file)  # whole or not at all: the caller is polling it
        if verbosity:
            self.stdout.write(f"Demo login provider at {provider.url}/ (it logs anyone in as anyone: DEBUG only).")
        try:
            provider.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            provider.stop()
