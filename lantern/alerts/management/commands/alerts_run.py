"""The nightly run: derive the missing view from every agency event, then run every alert rule for
everyone. Schedule it once a night (cron or a systemd timer: `manage.py alerts_run`); events that
arrive during the day are handled incrementally as they are imported or recorded."""

import time

from django.core.management.base import BaseCommand

from lantern.alerts.services import alerts_run
from lantern.missing.services import missing_derive

SYSTEM = "nightly alert run"


class Command(BaseCommand):
    help = "Derive missing episodes from all agency events and run every alert rule for everyone."

    def handle(self, *args, **options):
        started = time.perf_counter()
        self.stdout.write("Deriving missing episodes from agency events…")
        touched = missing_derive(system_actor=SYSTEM)
        derived = time.perf_counter()
        self.stdout.write(f"  {len(touched):,} children with missing events ({derived - started:.1f} s)")
        self.stdout.write("Running the alert rules…")
        summary = alerts_run(system_actor=SYSTEM)
        self.stdout.write(
            self.style.SUCCESS(
                f"  {summary.rules} rules: {summary.raised:,} raised, {summary.resolved:,} resolved, "
                f"{summary.reopened:,} back from snooze ({time.perf_counter() - derived:.1f} s)"
            )
        )
