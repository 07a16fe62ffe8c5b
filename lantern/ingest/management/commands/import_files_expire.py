"""`manage.py import_files_expire`: remove the stored uploads, rejected rows and change samples of
imports with no activity for LANTERN_IMPORT_FILE_RETENTION_DAYS (run it daily from cron, beside
`board_report --due`). `--dry-run` lists what would go; `--days` overrides the setting."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lantern.core.exceptions import ValidationFailed
from lantern.ingest.services import import_files_expire


class Command(BaseCommand):
    help = "Remove import files (uploads, rejected rows, change samples) kept past the retention period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep files this many days after an import's last activity "
            f"(default LANTERN_IMPORT_FILE_RETENTION_DAYS, now {settings.LANTERN_IMPORT_FILE_RETENTION_DAYS}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be removed; change nothing."
        )

    def handle(self, *args, days: int | None, dry_run: bool, **options):
        try:
            result = import_files_expire(days=days, dry_run=dry_run)
        except ValidationFailed as error:
            raise CommandError(str(error)) from error
        verb = "Would remove" if dry_run else "Removed"
        self.stdout.write(
            f"{verb} the files of {len(result.removed)} import{'s' if len(result.removed) != 1 else ''} "
            f"with no activity for {result.days} days."
        )
        for batch in result.removed:
            self.stdout.write(
                f"  {batch.created_at:%d/%m/%Y} {batch.agency.code} {batch.original_filename} "
                f"({batch.get_status_display().lower()}, {batch.rejected_count} rejected rows)"
            )
        if result.kept_running:
            self.stdout.write(
                f"Kept {result.kept_running} past the period that are being checked, committed or queued; "
                "they are removed once finished and idle for the period."
            )
        if result.swept:
            self.stdout.write(f"Swept {result.swept} directories left by an earlier run.")
