"""Reads of screenings: only for a child the viewer has a legitimate relationship with, and only
screenings the policy lets the viewer's agency see; each read is audited."""

from __future__ import annotations

import uuid

from lantern.access.policy import Viewer, item_visibility_q, relationship_q
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.exceptions import AccessDenied

from .charts import trajectory_svg
from .models import Screening


def _visible(viewer: Viewer):
    return Screening.objects.filter(relationship_q(viewer, "person_id")).filter(item_visibility_q(viewer))


def screening_get(*, viewer: Viewer, screening_id: int) -> Screening:
    screening = (
        _visible(viewer)
        .filter(pk=screening_id)
        .select_related("person", "assessed_by", "signed_off_by", "controller")
        .prefetch_related("indicators")
        .first()
    )
    if screening is None:
        audit_record(
            code=AuditCode.ACCESS_REFUSED,
            viewer=viewer,
            object_type="screening",
            object_id=screening_id,
            justification="No legitimate relationship or screening not shared",
        )
        raise AccessDenied("You cannot see this screening.")
    audit_record(
        code=AuditCode.SCREENING_VIEWED,
        viewer=viewer,
        subjects=[screening.person_id],
        object_type="screening",
        object_id=screening.pk,
        justification="Exploitation screening",
    )
    return screening


def person_screenings(*, viewer: Viewer, person_id: uuid.UUID) -> list[Screening]:
    """The child's screenings the viewer may see, newest first (the caller has opened the person,
    which wrote the audit row)."""
    return list(
        _visible(viewer)
        .filter(person_id=person_id)
        .select_related("assessed_by", "signed_off_by")
        .order_by("-created_at")
    )


def screening_trajectory(screenings: list[Screening]):
    """The chart of levels recorded over time, for the tool the child was most often screened with."""
    from collections import Counter

    from .services import available_tools

    done = [s for s in screenings if s.final_level and s.submitted_at]
    if not done:
        return ""
    (code, version), _ = Counter((s.tool_code, s.tool_version) for s in done).most_common(1)[0]
    levels = [level.code for level in available_tools()[(code, version)].levels]
    points = sorted((s.submitted_at.date(), s.final_level) for s in done if s.tool_code == code)
    return trajectory_svg(points, levels)
