"""Run identity resolution over every stored record (train the model first if there is none)."""

import time

from django.core.management.base import BaseCommand, CommandError

from lantern.linkage.services import linkage_run_full


class Command(BaseCommand):
    help = (
        "Link all source records into persons with stable ids (Splink), queueing uncertain pairs for review."
    )

    def add_arguments(self, parser):
        parser.add_argument("--retrain", action="store_true", help="Train a new model even if one is saved")

    def handle(self, *args, retrain, **options):
        started = time.perf_counter()

        def progress(stage: str, _done: int, _total: int) -> None:
            self.stdout.write(f"  {stage} ({time.perf_counter() - started:.0f}s)")

        try:
            run = linkage_run_full(retrain=retrain, progress=progress)
        except Exception as error:
            raise CommandError(f"Linkage failed, nothing was changed: {error}") from error
        self.stdout.write(f"Linkage run {run.pk} finished in {time.perf_counter() - started:.1f}s:")
        for key, value in run.stats.items():
            self.stdout.write(f"  {key}: {value}")
