"""Reads for the reports pages. The board report holds aggregates only, so viewing it is audited
with no subjects; naming the most frequently missing children is a consultation of each child named
and goes through the legitimate-relationship policy like any other read of a child."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from lantern.access.policy import Viewer, relationship_q
from lantern.access.roles import Cap
from lantern.analytics.board import Period
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.exceptions import AccessDenied

from .extract import Pseudonymiser
from .models import BoardReport, Extract, JobStatus


def _require(viewer: Viewer, capability: str) -> None:
    if not viewer.can(capability):
        raise AccessDenied("Your role cannot see reports.")


def board_reports(*, viewer: Viewer) -> QuerySet[BoardReport]:
    _require(viewer, Cap.REPORT_VIEW)
    return BoardReport.objects.select_related("requested_by").defer("data")


def extracts(*, viewer: Viewer) -> QuerySet[Extract]:
    _require(viewer, Cap.REPORT_EXTRACT)
    return Extract.objects.select_related("requested_by").defer("pseudonym_key")


def board_report_status(*, viewer: Viewer, report_id) -> BoardReport:
    """A report's build status and progress, without its sections: the page's 2-second poll reads
    no figures, so it writes no audit row."""
    _require(viewer, Cap.REPORT_VIEW)
    report = BoardReport.objects.defer("data").filter(pk=report_id).first()
    if report is None:
        raise AccessDenied("There is no such report.")
    return report


def board_report_get(
    *, viewer: Viewer, report_id, code: AuditCode = AuditCode.BOARD_REPORT_VIEWED, purpose: str = "viewed"
) -> BoardReport:
    """A report with its sections; once built, each read is audited (viewed, or downloaded with
    `code=REPORT_DOWNLOADED`)."""
    _require(viewer, Cap.REPORT_VIEW)
    report = BoardReport.objects.select_related("extract").filter(pk=report_id).first()
    if report is None:
        raise AccessDenied("There is no such report.")
    if report.status == JobStatus.READY:
        audit_record(
            code=code,
            viewer=viewer,
            object_type="board_report",
            object_id=str(report.pk),
            justification=f"Board report {report.period} {purpose} (aggregates, no identities)",
            details={"period": report.period, "purpose": purpose},
        )
    return report


def section(report: BoardReport, key: str) -> dict | None:
    return next((s for s in report.data.get("sections", []) if s["key"] == key), None)


@dataclass(frozen=True)
class NamedChild:
    label: str
    episodes: int
    person_id: str | None  # None: the viewer may not open this child's record
    name: str


def frequent_missing_named(*, viewer: Viewer, report: BoardReport) -> list[NamedChild]:
    """The pseudonymised 'most frequently missing' rows, named for a practitioner who may open each
    child's record (legitimate relationship); the others stay pseudonymised. Audited as a
    consultation of every child named."""
    from lantern.missing.models import MissingReport

    if not viewer.can(Cap.PERSON_VIEW) or report.extract is None:
        return []
    frequent = section(report, "frequent_missing")
    if not frequent or not frequent.get("pids"):
        return []
    period = Period.parse(report.period)
    # Only children reported missing in the period can be behind the pseudonyms: hash just those.
    candidates = set(
        MissingReport.objects.filter(
            reported_at__date__gte=period.start,
            reported_at__date__lte=period.end,
            item__person__merged_into__isnull=True,
        ).values_list("item__person_id", flat=True)
    )
    pseudonym = Pseudonymiser(report.extract.pseudonym_key)
    by_pid = {pseudonym(pk): pk for pk in candidates}
    from lantern.people.models import Person

    wanted = [by_pid.get(pid) for pid in frequent["pids"]]
    openable = {
        p.pk: p
        for p in Person.objects.filter(relationship_q(viewer), pk__in=[w for w in wanted if w]).only(
            "id", "display_name"
        )
    }
    rows = frequent["tables"][0]["rows"]
    named = []
    for (label, episodes, _band), pk in zip(rows, wanted, strict=False):
        person = openable.get(pk)
        named.append(
            NamedChild(label, episodes, str(pk) if person else None, person.display_name if person else "")
        )
    if openable:
        audit_record(
            code=AuditCode.BOARD_REPORT_NAMED,
            viewer=viewer,
            subjects=list(openable),
            object_type="board_report",
            object_id=str(report.pk),
            justification=f"Most frequently missing children named in the {report.period} board report",
        )
    return named
