from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo_provider import OpenIDProvider


class Command(BaseCommand):
    help = "Run the local OpenID Connect provider behind the comment form's “Demo login” icon (DEBUG only)."

    def handle(self, **options):
        url = getattr(settings, "DEMO_LOGIN_URL", "")
        if not settings.DEBUG or not url:
            self.stdout.write("Demo login is for development (DEBUG) only: not started.")
            return
        try:
            provider = OpenIDProvider(urlsplit(url).port)
        except OSError as error:
            raise CommandError(f"Demo login could not listen on {url}: {error}. Set DEMO_LOGIN_PORT.") from error
        self.stdout.write(f"Demo login provider at {provider.url}/ (it logs anyone in as anyone: DEBUG only).")
        try:
            provider.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            provider.stop()
