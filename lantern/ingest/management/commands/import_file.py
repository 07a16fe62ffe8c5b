"""Import one agency file from the command line: store it, check it (with a progress bar), print the
preview and the rejected rows, and commit it with --commit. The command acts as a named user in a role
that may import for the agency, so every step is audited with a real actor."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from lantern.access.models import Membership
from lantern.access.policy import Viewer
from lantern.access.roles import ROLES, Cap
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.ingest.models import ImportBatch
from lantern.ingest.services import (
    ENCODINGS,
    FORMATS,
    ImportFailed,
    import_batch_commit,
    import_batch_create,
    import_batch_validate,
)

REJECTED_SHOWN = 20


class Command(BaseCommand):
    help = "Check (and with --commit, commit) one agency file, as a named user of that agency."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The file to import.")
        parser.add_argument("--format", required=True, choices=sorted(FORMATS), dest="format_code")
        parser.add_argument(
            "--table", default=None, help="SSDA903 or police table (default: from the header)."
        )
        parser.add_argument("--agency", required=True, help="Code of the agency the file comes from.")
        parser.add_argument(
            "--source-system", default="", help="The agency's system (e.g. NICHE); default: the format's."
        )
        parser.add_argument("--as", required=True, dest="username", help="Username to act as (audited).")
        parser.add_argument("--collection-year", type=int, default=None, help="SSDA903 collection year.")
        parser.add_argument("--encoding", default="utf-8", choices=sorted(ENCODINGS))
        parser.add_argument("--mapping", type=Path, default=None, help="Column mapping JSON (generic).")
        parser.add_argument("--commit", action="store_true", help="Commit if the check succeeds.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def _viewer(self, username: str, agency: str) -> Viewer:
        memberships = Membership.objects.select_related("user", "team__agency").filter(
            user__username=username, user__is_active=True, is_active=True, team__agency__code=agency
        )
        for membership in memberships.order_by("pk"):
            if Cap.IMPORT in ROLES[membership.role].capabilities:
                return Viewer(user=membership.user, membership=membership)
        raise CommandError(
            f"{username!r} holds no active role that may import files for agency {agency!r} "
            "(a data officer or team manager membership in one of its teams)"
        )

    def _bar(self, options, desc: str, total: int):
        bar = tqdm(
            total=total,
            desc=desc,
            unit="B",
            unit_scale=True,
            file=self.stderr,
            disable=options["no_progress"],
        )
        state = {"done": 0}

        def progress(rows: int, position: int, size: int) -> None:
            if position < state["done"]:  # the commit's next stage: reading, comparing, writing
                bar.reset(total=size)
                bar.set_description(f"{desc}: comparing / writing")
            else:
                bar.update(position - state["done"])
            bar.set_postfix(rows=rows, refresh=False)
            state["done"] = position

        return bar, progress

    def handle(self, *args, **options):
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"No file at {path}")
        viewer = self._viewer(options["username"], options["agency"])
        mapping = options["mapping"].read_text(encoding="utf-8-sig") if options["mapping"] else None
        try:
            batch = import_batch_create(
                viewer=viewer,
                format_code=options["format_code"],
                path=path,
                table=options["table"],
                source_system=options["source_system"],
                collection_year=options["collection_year"],
                encoding=options["encoding"],
                mapping_json=mapping,
            )
        except (ValidationFailed, AccessDenied) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Import {batch.pk}: {batch.original_filename} ({batch.size} bytes, sha256 {batch.sha256})"
        )

        bar, progress = self._bar(options, "checking", batch.size)
        with bar:
            batch = import_batch_validate(batch, viewer=viewer, progress=progress)
        if batch.status == ImportBatch.Status.REJECTED_FILE:
            raise CommandError(f"The file was rejected:\n{batch.error}")
        if batch.status != ImportBatch.Status.VALIDATED:
            raise CommandError(f"The check failed: {batch.error}")
        self._report(batch, "Preview")

        if not options["commit"]:
            self.stdout.write(
                f"Not committed. To commit, run again with --commit (or use /imports/{batch.pk}/)."
            )
            return
        bar, progress = self._bar(options, "committing", batch.size)
        try:
            with bar:
                batch = import_batch_commit(batch, viewer=viewer, progress=progress)
        except (ImportFailed, ValidationFailed, AccessDenied) as error:
            raise CommandError(f"Nothing was committed: {error}") from error
        self._report(batch, "Committed", rejected=False)

    def _report(self, batch: ImportBatch, heading: str, *, rejected: bool = True) -> None:
        c = batch.counts
        write = self.stdout.write
        write(
            f"{heading}: {c['rows']} rows read, {c['accepted']} accepted ({c['notes']} with a note), {c['rejected']} rejected"
        )
        for kind in ("records", "events"):
            parts = ", ".join(f"{n} {status}" for status, n in c[kind].items())
            write(f"  {kind}: {parts}")
        if not rejected or not c["rejected"]:
            return
        write(f"Rejected rows (first {REJECTED_SHOWN}):")
        for q in batch.quarantined_rows.order_by("row", "id")[:REJECTED_SHOWN]:
            for error in q.errors:
                write(f"  {error['message']}")
        write(f"Quarantine report: {batch.quarantine_path}")
