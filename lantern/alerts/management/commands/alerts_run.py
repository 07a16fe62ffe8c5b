"""The nightly run: derive the missing view and the association map from every agency event, then
run every alert rule for everyone. Schedule it once a night (cron or a systemd timer: `manage.py alerts_run`); events that
arrive during the day are handled incrementally as they are imported or recorded."""

import time

from django.core.management.base import BaseCommand

from lantern.alerts.services import alerts_run
from lantern.lines.services import lines_derive
from lantern.missing.services import missing_derive
from lantern.networks.services import network_derive

SYSTEM = "nightly alert run"


class Command(BaseCommand):
    help = "Derive missing episodes from all agency events and run every alert rule for everyone."

    def handle(self, *args, **options):
        started = time.perf_counter()
        self.stdout.write("Deriving missing episodes from agency events…")
        touched = missing_derive(system_actor=SYSTEM)
        self.stdout.write(
            f"  {len(touched):,} children with missing events ({time.perf_counter() - started:.1f} s)"
        )
        self.stdout.write("Deriving the association map and the lines register from police records…")
        links = network_derive(system_actor=SYSTEM)
        lines = lines_derive(system_actor=SYSTEM)
        derived = time.perf_counter()
        self.stdout.write(
            f"  {links:,} new links, {lines:,} new lines ({derived - started:.1f} s since the start)"
        )
        self.stdout.write("Running the alert rules…")
        summary = alerts_run(system_actor=SYSTEM)
        self.stdout.write(
            self.style.SUCCESS(
                f"  {summary.rules} rules: {summary.raised:,} raised, {summary.resolved:,} resolved, "
                f"{summary.reopened:,} back from snooze ({time.perf_counter() - derived:.1f} s)"
            )
        )
