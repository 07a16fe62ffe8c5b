"""The lines register, derived from the association map and kept by analysts: a line for every deal
line named in intelligence, with the numbers it used and when, the group that controls it, the towns
it supplies and the forces whose records mention it; operations whose outcomes are counted from the
records linked to them."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db import transaction
from django.db.models import Q

from lantern.access.policy import Viewer
from lantern.access.roles import Cap
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.codelists import codelist
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.networks.models import Entity, Link
from lantern.people.models import TimelineItem, lantern_source

from .models import Line, LineNumber, Operation


@transaction.atomic
def lines_derive(*, system_actor: str = "lines") -> int:
    """A register entry for every deal line in the map (kept if it exists), with its numbers' first
    and last sightings, its controlling group, the towns named in its intelligence and the other
    forces whose records mention it. Analysts' status and transport entries are never overwritten."""
    made = 0
    for entity in Entity.objects.filter(kind="deal_line"):
        links = list(
            Link.objects.filter(Q(source=entity) | Q(target=entity)).select_related(
                "source", "target", "source_item"
            )
        )
        if not links:
            continue
        controllers = Counter(link.controller_id for link in links)
        line, created = Line.objects.get_or_create(
            entity=entity,
            defaults={
                "brand": entity.label,
                "controller_id": controllers.most_common(1)[0][0],
                "purpose": "law_enforcement",
                "handling_code": 2,
                "item_type": "county_line",
                "source_reference": lantern_source("derived from intelligence"),
            },
        )
        made += created
        ocgs = Counter(
            link.source for link in links if link.source.kind == "ocg" and link.link_type == "controls"
        )
        towns = Counter(
            link.source_item.details.get("location", "")
            for link in links
            if link.source_item and "," not in (link.source_item.details.get("location") or ",")
        )
        line.ocg = ocgs.most_common(1)[0][0] if ocgs else line.ocg
        line.importing_towns = [town for town, _ in towns.most_common()]
        line.other_force_areas = sorted(
            {link.controller.name for link in links if link.controller_id != line.controller_id}
        )
        line.save()
        for phone, days in _phone_days(entity, links).items():
            LineNumber.objects.update_or_create(
                line=line, phone=phone, defaults={"first_seen": min(days), "last_seen": max(days)}
            )
    if made:
        audit_record(
            code=AuditCode.NETWORK_DERIVED,
            system_actor=system_actor,
            object_type="lines",
            justification="County lines register entries derived from intelligence",
            details={"lines": made},
        )
    return made


def _phone_days(line: Entity, links: list[Link]) -> dict[Entity, list[dt.date]]:
    days: dict[Entity, list[dt.date]] = {}
    for link in links:
        if link.link_type == "uses_phone" and link.source_id == line.pk and link.starts_on:
            days.setdefault(link.target, []).append(link.starts_on)
    return days


def _editor(viewer: Viewer) -> None:
    if not viewer.can(Cap.NETWORK_EDIT) or not viewer.agency.is_law_enforcement:
        raise AccessDenied("Only police analysts keep the lines register.")


@transaction.atomic
def line_update(
    *, viewer: Viewer, line_id: int, status: str, transport_modes: list[str], exporting_area: str
) -> Line:
    _editor(viewer)
    line = Line.objects.select_for_update().filter(pk=line_id, controller=viewer.agency).first()
    if line is None:
        raise AccessDenied("You cannot change this line.")
    errors = {}
    if status not in codelist("line_status"):
        errors["status"] = "Choose confirmed or suspected"
    if any(mode not in codelist("transport_mode") for mode in transport_modes):
        errors["transport_modes"] = "Choose transport modes from the list"
    if errors:
        raise ValidationFailed(errors)
    line.status, line.transport_modes, line.exporting_area = status, transport_modes, exporting_area.strip()
    line.save()
    audit_record(
        code=AuditCode.NETWORK_LINK_RECORDED, viewer=viewer, object_type="county_line", object_id=line.pk,
        justification="Lines register entry updated", details={"status": status},
    )  # fmt: skip
    return line


@transaction.atomic
def operation_record(
    *,
    viewer: Viewer,
    name: str,
    started_on: dt.date,
    ended_on: dt.date | None,
    line_ids: list[int],
    warrants_executed: int,
) -> Operation:
    """An operation against lines. Its arrests, vulnerable adults and children are the records linked
    to those lines in its period (counted, not typed); warrants executed are typed (no record holds
    them)."""
    _editor(viewer)
    errors = {}
    if not name.strip():
        errors["name"] = "Enter the operation's name"
    if ended_on and ended_on < started_on:
        errors["ended_on"] = "The operation cannot end before it starts"
    if warrants_executed < 0:
        errors["warrants_executed"] = "Enter the number of warrants executed"
    lines = list(Line.objects.filter(pk__in=line_ids).select_related("entity"))
    if not lines:
        errors["lines"] = "Choose the lines the operation was against"
    if errors:
        raise ValidationFailed(errors)
    operation = Operation.objects.create(
        name=name.strip(),
        started_on=started_on,
        ended_on=ended_on,
        warrants_executed=warrants_executed,
        controller=viewer.agency,
        purpose="law_enforcement",
        handling_code=2,
        item_type="police_operation",
        source_reference=lantern_source(f"operation by {viewer.user.username}"),
    )
    operation.lines.set(lines)
    _link_outcomes(operation, lines)
    audit_record(
        code=AuditCode.NETWORK_LINK_RECORDED, viewer=viewer, object_type="police_operation",
        object_id=operation.pk, justification="Operation recorded",
    )  # fmt: skip
    return operation


def _link_outcomes(operation: Operation, lines: list[Line]) -> None:
    end = operation.ended_on or dt.date.max
    people = Link.objects.filter(target__in=[line.entity for line in lines], source__kind="person")
    adults = set(people.filter(link_type="controls").values_list("source__person_id", flat=True))
    eighteen_before = operation.started_on.replace(year=operation.started_on.year - 18)
    children = set(
        people.filter(link_type="exploited_by", source__person__display_dob__gt=eighteen_before).values_list(
            "source__person_id", flat=True
        )
    )
    arrests = TimelineItem.objects.filter(
        item_type="arrest",
        person_id__in=adults | children,
        occurred_at__date__gte=operation.started_on,
        occurred_at__date__lte=end,
    )
    operation.arrests.set(arrests)
    homes = Link.objects.filter(
        link_type="frequents", source__in=[line.entity for line in lines], target__kind="address"
    ).values_list("target_id", flat=True)
    vulnerable = Link.objects.filter(link_type="lives_at", target_id__in=list(homes)).filter(
        source__person__categories__category="vulnerable_adult"
    )
    operation.vulnerable_adults.set({link.source.person_id for link in vulnerable.select_related("source")})
    operation.children_identified.set(children)
