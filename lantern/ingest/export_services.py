"""Export the local authority's SSDA903 return (children looked after: Header, Episodes, Missing) for
one collection year, from what Lantern holds (issue 3, acceptance point 3).

The 903 is the authority's own statutory return, so only its own records go into it. The rows are
the authority's source records that have ``lac_episode`` or ``missing_episode_903`` timeline items,
and those items, read through the access policy (``item_visibility_q``) and restricted to items the
authority itself controls. What the files hold and how episodes are rebuilt is
``lantern.ingest.exports.ssda903``.

Only a children's social care agency makes a 903 return, and only a role with ``Cap.EXPORT_903``
(team manager, data officer) may export it. The command line acts as a system actor for a named
agency. One audit row (``AuditCode.EXPORT_903``, a disclosure) names every exported child as a
subject. It is written in the same transaction as the files, so a failed write leaves no audit row,
and a refused export writes nothing at all.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from lantern.access.models import Agency
from lantern.access.policy import Viewer, item_visibility_q
from lantern.access.roles import Cap
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.ingest.exports import ssda903 as export903
from lantern.ingest.formats.base import MAX_YEAR, MIN_YEAR
from lantern.ingest.formats.ssda903 import year_label
from lantern.people.models import SourceRecord, TimelineItem

ITEM_TYPES = ("lac_episode", "missing_episode_903")
#: Collection years whose dates every format accepts (1 April of the year before to 31 March).
YEARS = range(MIN_YEAR + 1, MAX_YEAR + 1)


@dataclass(frozen=True)
class Ssda903Export:
    collection_year: int
    agency_code: str
    paths: dict[str, Path]
    counts: dict[str, int]
    person_ids: list[uuid.UUID]


def _require_export(viewer: Viewer) -> None:
    if not viewer.can(Cap.EXPORT_903):
        raise AccessDenied("Your role does not include exporting the SSDA903 return.")
    if viewer.agency.agency_type != "childrens_social_care":
        raise AccessDenied("Only a children's social care agency makes an SSDA903 return.")


def _first(values: list[Any]) -> Any:
    return next((v for v in values if v not in (None, "")), None)


def _return_rows(
    agency: Agency, viewer: Viewer | None, collection_year: int
) -> tuple[export903.Return903, dict[str, set[uuid.UUID]]]:
    items = TimelineItem.objects.filter(
        controller=agency, item_type__in=ITEM_TYPES, source_record__agency=agency
    )
    if viewer is not None:
        items = items.filter(item_visibility_q(viewer))
    by_record: dict[int, list[tuple[str, uuid.UUID, dict[str, Any]]]] = defaultdict(list)
    for record_id, item_type, person_id, details in items.order_by("occurred_at", "pk").values_list(
        "source_record_id", "item_type", "person_id", "details"
    ):
        by_record[record_id].append((item_type, person_id, details))
    records = SourceRecord.objects.filter(pk__in=by_record).order_by("-received_at", "-pk")
    by_child: dict[str, list[SourceRecord]] = defaultdict(list)
    for record in records:
        by_child[record.la_child_id or record.source_key].append(record)

    children: list[export903.Child] = []
    episodes: list[export903.Episode] = []
    missing: list[export903.MissingPeriod] = []
    persons: dict[str, set[uuid.UUID]] = {}
    for child, recs in by_child.items():
        held = [item for r in recs for item in by_record[r.pk]]
        children.append(
            export903.Child(
                child=child,
                sex=_first([r.sex for r in recs]) or "U",
                dob=_first([r.dob for r in recs]),
                ethnic=_first([r.ethnicity for r in recs]) or "",
                upn=_first([r.upn for r in recs]) or "",
            )
        )
        episodes += export903.episodes_from_items(child, [d for t, _, d in held if t == "lac_episode"])
        missing += export903.missing_from_items(child, [d for t, _, d in held if t == "missing_episode_903"])
        persons[child] = {person for _, person, _ in held}
    ret = export903.build_return(
        collection_year=collection_year, children=children, episodes=episodes, missing=missing
    )
    return ret, persons


def ssda903_export(
    *,
    viewer: Viewer | None,
    collection_year: int,
    out_dir: Path,
    agency: Agency | None = None,
    system_actor: str = "",
) -> Ssda903Export:
    """Write ``903_<yyyy-yy>_{Header,Episodes,Missing}.csv`` for ``collection_year`` (2026 = 1 April
    2025 - 31 March 2026) into ``out_dir``, as ``viewer`` for their own agency, or (``viewer=None``)
    as ``system_actor`` for ``agency``."""
    if viewer is not None:
        _require_export(viewer)
        agency = viewer.agency
    elif agency is None or not system_actor:
        raise ValueError("an export needs a viewer, or an agency and a system actor")
    elif agency.agency_type != "childrens_social_care":
        raise AccessDenied("Only a children's social care agency makes an SSDA903 return.")
    if collection_year not in YEARS:
        raise ValidationFailed(
            {"collection_year": f"a year from {YEARS[0]} to {YEARS[-1]} (the year the collection ends)"}
        )
    ret, persons = _return_rows(agency, viewer, collection_year)
    person_ids = sorted({p for child in ret.children for p in persons[child]}, key=str)
    names = export903.file_names(collection_year)
    with transaction.atomic():
        # Audit first: if writing a file fails, the transaction rolls the audit row back with it.
        audit_record(
            code=AuditCode.EXPORT_903,
            viewer=viewer,
            system_actor=system_actor,
            subjects=person_ids,
            object_type="ssda903_return",
            object_id=f"{agency.code}:{collection_year}",
            justification=f"SSDA903 statutory return {year_label(collection_year)} for {agency.code}",
            details={
                "collection_year": collection_year,
                "agency": agency.code,
                "directory": str(out_dir),
                "files": list(names.values()),
                "rows": ret.counts,
            },
        )
        paths = export903.write_return(out_dir, ret)
    return Ssda903Export(
        collection_year=collection_year,
        agency_code=agency.code,
        paths=paths,
        counts=ret.counts,
        person_ids=person_ids,
    )
