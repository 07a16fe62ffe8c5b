"""Compare Lantern's persons with the synthetic county's ground truth: pairwise precision, recall
and F1, and cluster metrics. Ground truth is read from the files the generator wrote beside the
data (`truth_records.csv`); it never enters the app."""

import csv
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lantern.people.models import SourceRecord


class Command(BaseCommand):
    help = "Evaluate identity resolution against the synthetic ground truth."

    def add_arguments(self, parser):
        parser.add_argument(
            "--truth",
            type=Path,
            default=None,
            help="truth_records.csv (default: the newest under var/synthetic)",
        )

    def handle(self, *args, truth, **options):
        from lantern.analytics.linkage import evaluate_clusters

        path = truth or self._newest_truth()
        truth_by_key = {}
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                truth_by_key[(row["agency_code"], row["source_system"], row["source_key"])] = row[
                    "person_key"
                ]
        predicted, actual = {}, {}
        for pk, agency, system, key, person in SourceRecord.objects.values_list(
            "pk", "agency__code", "source_system", "source_key", "person_id"
        ).iterator(chunk_size=10_000):
            if (agency, system, key) in truth_by_key:
                predicted[str(pk)] = str(person)
                actual[str(pk)] = truth_by_key[(agency, system, key)]
        if not predicted:
            raise CommandError(f"No stored record appears in {path}.")
        result = evaluate_clusters(predicted, actual)
        self.stdout.write(f"Records evaluated: {len(predicted):,} (truth file {path})")
        for section, values in result.items():
            self.stdout.write(f"{section}:")
            for key, value in values.items():
                self.stdout.write(
                    f"  {key}: {value:.4f}" if isinstance(value, float) else f"  {key}: {value}"
                )

    def _newest_truth(self) -> Path:
        candidates = sorted(
            Path(settings.DATA_DIR).glob("synthetic/*/truth_records.csv"), key=lambda p: p.stat().st_mtime
        )
        if not candidates:
            raise CommandError("No ground truth found: pass --truth PATH/truth_records.csv")
        return candidates[-1]
