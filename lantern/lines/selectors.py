"""Reads of the lines register: police and hub only (law-enforcement purpose, shared under the CCE
agreement); a line's linked people are those the viewer may see in the association map. Audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lantern.access.policy import Viewer, item_visibility_q
from lantern.analytics import graph as g
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.exceptions import AccessDenied
from lantern.core.timeutils import local
from lantern.networks import selectors as network

from .models import Line, Operation


@dataclass
class LineSummary:
    line: Line
    last_activity: dt.date | None
    active: bool


def _summaries(viewer: Viewer, lines: list[Line]) -> list[LineSummary]:
    view = network.viewer_graph(viewer)
    activity = {a.line_id: a for a in network.line_activity(view)}
    today = local(viewer.at).date()
    out = []
    for line in lines:
        seen = activity.get(network.node_id(line.entity_id))
        days = seen.activity if seen else ()
        out.append(
            LineSummary(line, seen.last_activity(today) if seen else None, g.line_is_active(days, today))
        )
    return out


def lines_register(*, viewer: Viewer) -> list[LineSummary]:
    lines = list(
        Line.objects.filter(item_visibility_q(viewer)).select_related("ocg").prefetch_related("numbers")
    )
    audit_record(
        code=AuditCode.LINES_VIEWED, viewer=viewer, object_type="lines_register",
        justification="County lines register", details={"lines": len(lines)},
    )  # fmt: skip
    return sorted(_summaries(viewer, lines), key=lambda s: (not s.active, s.line.brand))


@dataclass
class LinePage:
    summary: LineSummary
    numbers: list
    children: list
    adults: list
    addresses: list
    operations: list[Operation]


def line_get(*, viewer: Viewer, line_id: int) -> LinePage:
    line = (
        Line.objects.filter(item_visibility_q(viewer), pk=line_id)
        .select_related("ocg", "entity", "controller")
        .first()
    )
    if line is None:
        raise AccessDenied("You cannot see this line.")
    view = network.viewer_graph(viewer)
    line_node = network.node_id(line.entity_id)
    linked = {"child": {}, "adult": {}, "address": {}}
    if line_node in view.graph.index:
        vertex = view.graph.vertex(line_node)
        for edge in view.graph.incident(vertex):
            other = view.graph.nodes[view.graph.other_end(edge, vertex)]
            key = "address" if other.kind is g.NodeKind.ADDRESS else "child" if other.kind is g.NodeKind.CHILD else (
                "adult" if other.is_person else None
            )  # fmt: skip
            if key:
                linked[key][other.id] = view.entity(other.id)
    summary = _summaries(viewer, [line])[0]
    audit_record(
        code=AuditCode.LINES_VIEWED, viewer=viewer,
        subjects=[e.person_id for group in ("child", "adult") for e in linked[group].values()],
        object_type="county_line", object_id=line.pk, justification="County line viewed",
    )  # fmt: skip
    return LinePage(
        summary=summary,
        numbers=list(line.numbers.select_related("phone")),
        children=list(linked["child"].values()),
        adults=list(linked["adult"].values()),
        addresses=list(linked["address"].values()),
        operations=list(line.operations.filter(item_visibility_q(viewer))),
    )


@dataclass
class OperationOutcomes:
    operation: Operation
    warrants: int
    arrests: int
    charged: int
    vulnerable_adults: int
    children: int


def operation_get(*, viewer: Viewer, operation_id: int) -> OperationOutcomes:
    operation = (
        Operation.objects.filter(item_visibility_q(viewer), pk=operation_id).prefetch_related("lines").first()
    )
    if operation is None:
        raise AccessDenied("You cannot see this operation.")
    arrests = list(operation.arrests.values_list("details", flat=True))
    audit_record(
        code=AuditCode.LINES_VIEWED, viewer=viewer, object_type="police_operation", object_id=operation.pk,
        justification="Operation outcomes (counts only)",
    )  # fmt: skip
    return OperationOutcomes(
        operation=operation,
        warrants=operation.warrants_executed,
        arrests=len(arrests),
        charged=sum(1 for d in arrests if str(d.get("outcome", "")).lower().startswith("charged")),
        vulnerable_adults=operation.vulnerable_adults.count(),
        children=operation.children_identified.count(),
    )
