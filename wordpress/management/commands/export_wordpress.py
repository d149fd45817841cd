"""manage.py export_wordpress: the whole site as a WordPress export (WXR 1.2), for WordPress or another blog."""

import sys

from django.core.management.base import BaseCommand

from wordpress.exporter import wxr_chunks


class Command(BaseCommand):
    help = "Write posts, pages, terms, authors and comments (all but spam) as WordPress's exporter does."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="The file to write (default: standard output).")

    def handle(self, *args, output, **options):
        with open(output, "w", encoding="utf-8") if output else open(sys.stdout.fileno(), "w", closefd=False) as out:
            for chunk in wxr_chunks():
                out.write(chunk)
