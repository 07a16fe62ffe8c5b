"""Exploitation screening: open a screening pre-filled with indicators suggested from what the
viewer's agency may see of the child's records (each with its evidence and links); the practitioner
confirms or rejects each (a rejection needs a reason), adds their own, and records the final level
as their judgement against the tool's advisory level; a manager other than the assessor signs off.
The tool and its version are stored with the screening, so a new version never rewrites it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from functools import cache
from pathlib import Path

from django.db import transaction
from django.urls import reverse

from lantern.access.policy import Viewer, item_visibility_q, relationship_basis
from lantern.access.roles import Cap
from lantern.analytics import screening as tools
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.codelists import codelist
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.timeutils import LONDON, age_on, local, now
from lantern.people.models import Person, TimelineItem, lantern_source
from lantern.people.services import person_category_hold

from .models import Screening, ScreeningIndicator, SuggestedIndicator

TOOLS_DIR = Path(__file__).parent / "tools"
DEFAULT_TOOL = "lantern-cce"
FACT_TYPES = (
    "missing_report", "missing_episode_903", "arrest", "stop_search", "custody", "police_incident",
    "ae_attendance", "school_suspension", "permanent_exclusion", "school_attendance_concern",
    "lac_episode", "return_home_interview", "intelligence",
)  # fmt: skip


@cache
def available_tools() -> dict[tuple[str, str], tools.Tool]:
    return tools.load_tools(TOOLS_DIR)


def current_tools() -> dict[str, tools.Tool]:
    """The newest version of each tool (older versions stay loadable for the screenings made with them)."""
    newest: dict[str, tools.Tool] = {}
    for (code, version), tool in available_tools().items():
        if code not in newest or _version_key(version) > _version_key(newest[code].version):
            newest[code] = tool
    return newest


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def tool_of(screening: Screening) -> tools.Tool:
    return available_tools()[(screening.tool_code, screening.tool_version)]


def _item_url(item: TimelineItem) -> str:
    report = getattr(item, "missing_report", None)
    if report is not None:
        return reverse("missing:report", args=[report.pk])
    return reverse("people:timeline", args=[item.person_id]) + f"#item-{item.pk}"


def _fact_items(viewer: Viewer):
    return TimelineItem.objects.filter(item_type__in=FACT_TYPES).filter(item_visibility_q(viewer))


def item_fact(item: TimelineItem) -> tools.Fact:
    return tools.Fact(item.item_type, item.occurred_at, item.details, f"item:{item.pk}", item.summary)


def _disclosure_fact(suggestion: SuggestedIndicator) -> tools.Fact:
    return tools.Fact(
        "rhi_disclosure", suggestion.suggested_at, {"indicator": suggestion.indicator}, f"suggested:{suggestion.pk}",
        suggestion.evidence,
    )  # fmt: skip


def _child(dob: dt.date | None, facts: list[tools.Fact], at: dt.datetime) -> tools.ChildFacts:
    return tools.ChildFacts(
        age=age_on(dob, local(at).date()),
        looked_after=tools.looked_after_on(facts, at),
        learning_disability=False,  # no agency feed carries it: the practitioner records it on the screening
        facts=facts,
    )


def child_facts(viewer: Viewer, person: Person, at: dt.datetime) -> tuple[tools.ChildFacts, dict[str, str]]:
    """What the viewer's agency may see of the child, as facts for the suggestion rules, with a link
    for each fact (its ref). Withheld items never reach the rules, so they never become evidence."""
    items = (
        _fact_items(viewer)
        .filter(person=person)
        .select_related("missing_report")
        .order_by("occurred_at", "pk")
    )
    facts, links = [], {}
    for item in items:
        facts.append(item_fact(item))
        links[facts[-1].ref] = _item_url(item)
    for suggestion in SuggestedIndicator.objects.filter(person=person).filter(item_visibility_q(viewer)):
        facts.append(_disclosure_fact(suggestion))
        links[facts[-1].ref] = suggestion.evidence_url
    from lantern.networks.selectors import screening_facts

    for number, (kind, day, summary, url) in enumerate(screening_facts(viewer, person.pk)):
        occurred = dt.datetime.combine(day, dt.time(12), tzinfo=LONDON) if day else at
        facts.append(tools.Fact(kind, occurred, {}, f"network:{number}", summary))
        links[facts[-1].ref] = url
    return _child(person.display_dob, facts, at), links


def suggestions_for_children(viewer: Viewer, at: dt.datetime) -> dict[uuid.UUID, list[tools.Suggestion]]:
    """Suggested indicators from agency events for every child (under 18) whose events the viewer's
    agency may see, in one pass over those events ordered by person (for a caseload overview or a
    nightly sweep; interview disclosures are suggestions already). Writes no audit row because it
    shows nothing: a caller that shows the result audits what it shows."""
    born_after = local(at).date().replace(year=local(at).year - 18)
    items = (
        _fact_items(viewer)
        .filter(person__display_dob__gt=born_after, person__merged_into__isnull=True)
        .order_by("person_id", "occurred_at", "pk")
        .values_list(
            "person_id", "person__display_dob", "item_type", "occurred_at", "details", "pk", "summary"
        )
    )
    out: dict[uuid.UUID, list[tools.Suggestion]] = {}
    current, dob, facts = None, None, []
    for person_id, person_dob, kind, occurred_at, details, pk, summary in items.iterator(chunk_size=5000):
        if person_id != current:
            if current is not None and (found := tools.suggest(_child(dob, facts, at), at)):
                out[current] = found
            current, dob, facts = person_id, person_dob, []
        facts.append(tools.Fact(kind, occurred_at, details, f"item:{pk}", summary))
    if current is not None and (found := tools.suggest(_child(dob, facts, at), at)):
        out[current] = found
    return out


def _require(viewer: Viewer, capability: str, message: str) -> None:
    if not viewer.can(capability):
        raise AccessDenied(message)


def _editable(viewer: Viewer, screening_id: int) -> Screening:
    _require(viewer, Cap.SCREENING_RECORD, "Your role does not include screening children.")
    screening = Screening.objects.select_related("person").filter(pk=screening_id).first()
    if screening is None or relationship_basis(viewer, screening.person_id) is None:
        raise AccessDenied("You cannot change this screening.")
    if screening.status != "draft":
        raise ValidationFailed({"screening": "This screening has been submitted and can no longer change"})
    return screening


@transaction.atomic
def screening_start(*, viewer: Viewer, person_id: uuid.UUID, tool_code: str = DEFAULT_TOOL) -> Screening:
    _require(viewer, Cap.SCREENING_RECORD, "Your role does not include screening children.")
    if relationship_basis(viewer, person_id) is None:
        raise AccessDenied("You do not have a legitimate relationship with this child.")
    tool = current_tools().get(tool_code)
    if tool is None:
        raise ValidationFailed({"tool": "Choose a screening tool"})
    person = Person.objects.get(pk=person_id)
    at = now()
    screening = Screening.objects.create(
        person=person,
        tool_code=tool.code,
        tool_version=tool.version,
        assessed_by=viewer.user,
        controller=viewer.agency,
        purpose="safeguarding",
        item_type="screening",
        source_reference=lantern_source(f"screening by {viewer.user.username}"),
    )
    child, links = child_facts(viewer, person, at)
    known = {i.code for i in tool.indicators}
    rows = [
        ScreeningIndicator(
            screening=screening,
            indicator=s.indicator,
            origin="suggested",
            evidence=s.evidence,
            evidence_links=[{"text": "Source record", "url": links[ref]} for ref in s.refs if ref in links],
        )
        for s in tools.suggest(child, at)
        if s.indicator in known
    ]
    ScreeningIndicator.objects.bulk_create(rows, ignore_conflicts=True)
    audit_record(
        code=AuditCode.SCREENING_RECORDED,
        viewer=viewer,
        subjects=[person.pk],
        object_type="screening",
        object_id=screening.pk,
        justification="Exploitation screening opened",
        details={"tool": f"{tool.code} {tool.version}", "suggested": [r.indicator for r in rows]},
    )
    return screening


@transaction.atomic
def screening_indicator_decide(
    *, viewer: Viewer, screening_id: int, indicator: str, decision: str, reason: str = ""
) -> ScreeningIndicator:
    screening = _editable(viewer, screening_id)
    row = screening.indicators.filter(indicator=indicator).first()
    if row is None:
        raise ValidationFailed({"indicator": "That indicator is not in this screening"})
    if decision not in ("confirmed", "rejected"):
        raise ValidationFailed({"decision": "Confirm or reject the indicator"})
    if decision == "rejected" and not reason.strip():
        raise ValidationFailed({"reason": "Enter why the indicator does not apply"})
    row.decision, row.reason = decision, reason.strip()
    row.save(update_fields=["decision", "reason"])
    return row


@transaction.atomic
def screening_indicator_add(
    *, viewer: Viewer, screening_id: int, indicator: str, note: str
) -> ScreeningIndicator:
    """An indicator from the practitioner's own knowledge: confirmed, with what they know."""
    screening = _editable(viewer, screening_id)
    if indicator not in {i.code for i in tool_of(screening).indicators}:
        raise ValidationFailed({"indicator": "Choose an indicator from the tool"})
    if not note.strip():
        raise ValidationFailed({"note": "Enter what you know that shows this indicator"})
    row, _ = ScreeningIndicator.objects.update_or_create(
        screening=screening,
        indicator=indicator,
        defaults={
            "origin": "practitioner",
            "decision": "confirmed",
            "reason": note.strip(),
            "evidence": note.strip(),
        },
    )
    return row


def advice_for(viewer: Viewer, screening: Screening) -> tools.Advice:
    confirmed = set(screening.indicators.filter(decision="confirmed").values_list("indicator", flat=True))
    child, _ = child_facts(viewer, screening.person, now())
    child = dataclasses.replace(child, learning_disability=screening.learning_disability)
    return tools.advise(tool_of(screening), confirmed, child)


@transaction.atomic
def screening_learning_disability_set(*, viewer: Viewer, screening_id: int, known: bool) -> Screening:
    """What the practitioner knows of a learning disability: no agency feed carries it, and the tools
    never let a child with one be assessed at the lowest level."""
    screening = _editable(viewer, screening_id)
    screening.learning_disability = known
    screening.save(update_fields=["learning_disability", "updated_at"])
    return screening


@transaction.atomic
def screening_submit(*, viewer: Viewer, screening_id: int, final_level: str, rationale: str) -> Screening:
    """Record the practitioner's level. Every suggestion must be confirmed or rejected first."""
    screening = _editable(viewer, screening_id)
    tool = tool_of(screening)
    errors = {}
    undecided = list(screening.indicators.filter(decision="").values_list("indicator", flat=True))
    if undecided:
        labels = ", ".join(codelist("cce_indicator").label(c) for c in undecided)
        errors["indicators"] = f"Confirm or reject every suggested indicator first ({labels})"
    if final_level not in {level.code for level in tool.levels}:
        errors["final_level"] = "Choose the level you judge right"
    advice = advice_for(viewer, screening)
    if final_level != advice.level and not rationale.strip():
        errors["rationale"] = f"Enter why your level differs from the tool's advisory level ({advice.level})"
    if errors:
        raise ValidationFailed(errors)
    at = now()
    screening.advisory_level, screening.advisory_score, screening.advisory_reasons = (
        advice.level,
        advice.score,
        advice.reasons,
    )
    screening.final_level, screening.rationale = final_level, rationale.strip()
    screening.status, screening.submitted_at = "submitted", at
    screening.review_due_on = local(at).date() + dt.timedelta(weeks=tools.review_weeks(tool, final_level))
    screening.save()
    _record_child_at_risk(viewer, screening)
    audit_record(
        code=AuditCode.SCREENING_RECORDED,
        viewer=viewer,
        subjects=[screening.person_id],
        object_type="screening",
        object_id=screening.pk,
        justification="Exploitation screening submitted for sign-off",
        details={"advisory": advice.level, "final": final_level, "score": advice.score},
    )
    from lantern.alerts.services import alerts_refresh

    alerts_refresh(person_ids={screening.person_id})
    return screening


def _record_child_at_risk(viewer: Viewer, screening: Screening) -> None:
    """Screened at any level above the lowest: the child is a child at risk (victim-centred, DPA s38)."""
    if screening.final_level == tool_of(screening).levels[0].code:
        return
    person_category_hold(
        person_id=screening.person_id,
        controller=viewer.agency,
        category="child_at_risk",
        purpose="safeguarding",
        source_reference=lantern_source(f"screening {screening.pk}"),
        on=local(now()).date(),
    )


@transaction.atomic
def screening_sign_off(*, viewer: Viewer, screening_id: int) -> Screening:
    _require(viewer, Cap.SCREENING_SIGN_OFF, "Your role does not include signing off screenings.")
    screening = Screening.objects.select_for_update().filter(pk=screening_id).first()
    if screening is None or relationship_basis(viewer, screening.person_id) is None:
        raise AccessDenied("You cannot sign off this screening.")
    if screening.status != "submitted":
        raise ValidationFailed({"screening": "Only a submitted screening can be signed off"})
    if screening.assessed_by_id == viewer.user.pk:
        raise ValidationFailed(
            {"screening": "A screening is signed off by a manager other than its assessor"}
        )
    screening.status, screening.signed_off_by, screening.signed_off_at = "signed_off", viewer.user, now()
    screening.save(update_fields=["status", "signed_off_by", "signed_off_at", "updated_at"])
    audit_record(
        code=AuditCode.SCREENING_SIGNED_OFF,
        viewer=viewer,
        subjects=[screening.person_id],
        object_type="screening",
        object_id=screening.pk,
        justification="Exploitation screening signed off",
        details={"final": screening.final_level},
    )
    return screening
