"""Reads for reviewers: the queue and one pair side by side. Each record's fields are shown only if
the reviewer's agency may see that agency's records (the access policy's item rule); the match
explanation never carries the values themselves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q

from lantern.access.policy import Viewer, item_is_visible
from lantern.access.roles import Cap
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.exceptions import AccessDenied
from lantern.people.models import SourceRecord

from .charts import Waterfall, waterfall
from .models import ReviewPair

PAGE_SIZE = 25


def require_reviewer(viewer: Viewer) -> None:
    if not viewer.can(Cap.LINKAGE_REVIEW):
        raise AccessDenied("Your role does not include resolving record matches.")


def review_queue(*, viewer: Viewer, page: int = 1) -> Page:
    """Undecided pairs, and decided pairs flagged by later evidence, most likely matches first.
    Lists agencies and scores only (no personal data)."""
    require_reviewer(viewer)
    pairs = (
        ReviewPair.objects.filter(Q(decision="") | ~Q(conflict=""))
        .select_related("record_l__agency", "record_r__agency")
        .order_by("-match_probability", "id")
    )
    return Paginator(pairs, PAGE_SIZE).get_page(page)


def _record_visible(viewer: Viewer, record: SourceRecord) -> bool:
    return item_is_visible(
        viewer,
        controller_id=record.agency_id,
        item_type="source_record",
        purpose="law_enforcement" if record.agency.is_law_enforcement else "safeguarding",
        handling=None,
    )


@dataclass
class PairView:
    pair: ReviewPair
    left: SourceRecord
    right: SourceRecord
    left_visible: bool
    right_visible: bool
    chart: Waterfall
    explanation: list[dict[str, Any]]


def review_pair_get(*, viewer: Viewer, pair_id: int) -> PairView:
    require_reviewer(viewer)
    pair = (
        ReviewPair.objects.select_related(
            "record_l__agency", "record_l__address", "record_r__agency", "record_r__address"
        )
        .filter(pk=pair_id)
        .first()
    )
    if pair is None:
        raise AccessDenied("There is no such pair.")
    view = PairView(
        pair=pair,
        left=pair.record_l,
        right=pair.record_r,
        left_visible=_record_visible(viewer, pair.record_l),
        right_visible=_record_visible(viewer, pair.record_r),
        chart=waterfall(pair.explanation),
        explanation=[row for row in pair.explanation if row.get("kind") in ("comparison", "term_frequency")],
    )
    audit_record(
        code=AuditCode.LINKAGE_PAIR_VIEWED,
        viewer=viewer,
        subjects={pair.record_l.person_id, pair.record_r.person_id},
        object_type="review_pair",
        object_id=pair.pk,
        justification="Clerical review of a possible match",
        details={"left_shown": view.left_visible, "right_shown": view.right_visible},
    )
    return view
