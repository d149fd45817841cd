from django.core.management.base import BaseCommand
from django.utils import timezone

from comments import retention


class Command(BaseCommand):
    help = (
        "Make sure the daily comment maintenance (deleting old spam, forgetting old IP addresses) waits in "
        "the task queue: queue it to run now unless a run is already waiting. Safe to run at every start."
    )

    def handle(self, *args, **options):
        waiting, queued = retention.schedule_daily()
        if waiting is None:
            self.stderr.write("Not scheduled: the daily maintenance needs the database task backend.")
        elif queued:
            self.stdout.write("Queued the daily comment maintenance to run now; it then runs once a day.")
        else:
            when = timezone.localtime(waiting.run_after)
            self.stdout.write(f"The daily comment maintenance is already queued (next run {when:%Y-%m-%d %H:%M %Z}).")
