"""Export a children's social care agency's SSDA903 return (Header, Episodes, Missing CSV) for one
collection year. The command acts as the system actor ``export_903``, or with ``--as`` as a named
user of that agency whose role may export it. Either way the export is audited as a disclosure."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lantern.access.models import Agency, Membership
from lantern.access.policy import Viewer
from lantern.access.roles import ROLES, Cap
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.ingest.export_services import ssda903_export

SYSTEM = "export_903"


class Command(BaseCommand):
    help = "Write an agency's SSDA903 return (Header, Episodes, Missing CSV) for one collection year."

    def add_arguments(self, parser):
        parser.add_argument(
            "--year", type=int, required=True, help="Collection year: 2026 = 1 April 2025 - 31 March 2026."
        )
        parser.add_argument("--agency", required=True, help="Code of the children's social care agency.")
        parser.add_argument("--out", type=Path, required=True, help="Directory to write the files to.")
        parser.add_argument(
            "--as", dest="username", default=None, help="Act as this user (audited) instead of the system."
        )

    def _viewer(self, username: str, agency: str) -> Viewer:
        memberships = Membership.objects.select_related("user", "team__agency").filter(
            user__username=username, user__is_active=True, is_active=True, team__agency__code=agency
        )
        for membership in memberships.order_by("pk"):
            if Cap.EXPORT_903 in ROLES[membership.role].capabilities:
                return Viewer(user=membership.user, membership=membership)
        raise CommandError(
            f"{username!r} holds no active role that may export the SSDA903 return for agency {agency!r} "
            "(a data officer or team manager membership in one of its teams)"
        )

    def handle(self, *args, year: int, agency: str, out: Path, username: str | None, **options):
        try:
            if username:
                result = ssda903_export(
                    viewer=self._viewer(username, agency), collection_year=year, out_dir=out
                )
            else:
                found = Agency.objects.filter(code=agency).first()
                if found is None:
                    raise CommandError(f"No agency with code {agency!r}")
                result = ssda903_export(
                    viewer=None, collection_year=year, out_dir=out, agency=found, system_actor=SYSTEM
                )
        except (AccessDenied, ValidationFailed) as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{table} {n}" for table, n in result.counts.items())
        self.stdout.write(f"SSDA903 return {year} for {result.agency_code}: {counts} rows")
        for path in result.paths.values():
            self.stdout.write(f"  {path}")
