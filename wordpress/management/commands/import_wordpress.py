"""manage.py import_wordpress FILE: bring a WordPress export (WXR) in, with a progress bar.

While another import of the same site runs (this command elsewhere, or the admin's), it refuses,
naming that import, and exits with status 1: run it again once the other has ended.
"""

import os
from pathlib import Path
from socket import gethostname

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from wordpress.importer import import_wxr
from wordpress.locks import SiteBusy
from wordpress.wxr import WXRError


class Command(BaseCommand):
    help = "Import a WordPress export (Tools > Export > All content): posts, pages, terms, authors and comments."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The WXR file WordPress wrote (.xml).")
        parser.add_argument(
            "--fetch-attachments",
            action="store_true",
            help="Copy images and files from their addresses on the old site and point the posts at the copies.",
        )
        parser.add_argument(
            "--match-authors",
            action="store_true",
            help="Put an author's posts on this site's account of the same username, if there is one "
            "(without it, such an author gets an account of their own: admin-2).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Read everything, say what would happen, store and lock nothing."
        )

    def handle(self, *args, file, dry_run, **options):
        bars = {}

        def progress(stage, done, total):
            bar = bars.get(stage)
            if bar is None:
                for other in bars.values():
                    other.close()
                bar = bars[stage] = tqdm(
                    desc=stage, total=total or None, unit=" items" if not total else "", file=self.stderr._out,
                    disable=options["verbosity"] == 0, leave=True, dynamic_ncols=True,
                )  # fmt: skip
            bar.update(done - bar.n)

        try:
            summary = import_wxr(
                file,
                fetch_attachments=options["fetch_attachments"],
                match_authors=options["match_authors"],
                dry_run=dry_run,
                progress=progress,
                holder=f"manage.py import_wordpress {Path(file).name} (process {os.getpid()} on {gethostname()})",
            )
        except SiteBusy as busy:
            raise CommandError(f"{file}: nothing imported: {busy}. Run this again once it has ended.") from None
        except (WXRError, OSError) as error:
            raise CommandError(f"{file}: {error}") from None
        finally:
            for bar in bars.values():
                bar.close()
        self.stdout.write(str(summary))
