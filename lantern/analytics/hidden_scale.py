"""Which agencies' lists a child is on: the input to multiple systems estimation (lantern.analytics.mse).

MSE needs, for each child identified in a period, the set of agencies ("lists") that identified the
child as criminally exploited. This module decides list membership from pseudonymised event rows
(one :class:`IdentificationEvent` per timeline item, screening or NRM referral) by one documented rule
per list, :data:`LIST_RULES`. A rule says "this agency identified the child as criminally exploited":
a decision recorded by the agency, not merely information that mentions the child.

- **police:** a police incident or crime record with the child as the *victim* of child criminal
  exploitation (or modern slavery). Police *intelligence* naming the child, even in the victim-centred
  role ("child at risk of criminal exploitation"), does not count: it is graded, unverified
  information, not the force's decision to treat the child as a victim, and a list built from
  intelligence is what the ICO criticised in the Gangs Matrix (2018). In the synthetic county it
  also names every exploited child by construction, which would make the estimate trivial.
- **childrens_social_care:** a child and family (CIN) assessment recording factor 24A, child
  criminal exploitation (DfE CIN census factor codes).
- **health:** a health contact or emergency attendance recording a concern of child criminal
  exploitation (a safeguarding referral by the trust's safeguarding team).
- **youth_justice:** a youth justice record whose assessment records a concern of child criminal
  exploitation. The county's youth justice feed carries orders only, so this list is usually empty
  and left out.
- **exploitation_hub:** a screening whose final level is the tool's top level ("HIGH" on the Lantern
  tool, "SIGNIFICANT" on the partnership tool, or "top" from a caller that has already ranked it).
- **nrm:** a National Referral Mechanism referral (for criminal exploitation, when the referral says
  which types).

A list with nobody on it in the period is left out, with the reason kept on the table
(:attr:`IdentificationTable.left_out`); fewer than three lists left is refused with
:class:`~lantern.analytics.mse.MSEError`, since two lists cannot allow for dependence between them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .mse import CaptureTable, MSEError

__all__ = [
    "CCE_TERMS",
    "LIST_RULES",
    "TOP_SCREENING_LEVELS",
    "IdentificationEvent",
    "IdentificationTable",
    "ListRule",
    "identification_event",
    "identification_lists",
    "list_memberships",
]

# How a record says "child criminal exploitation" (lower case, compared with each factor).
CCE_TERMS: frozenset[str] = frozenset(
    {"24a", "child criminal exploitation", "criminal exploitation", "criminal", "modern slavery", "cce"}
)
TOP_SCREENING_LEVELS: frozenset[str] = frozenset({"top", "high", "significant"})


@dataclass(frozen=True)
class IdentificationEvent:
    """One pseudonymised event. `kind` is the timeline item type (code list 'item_type'), or
    "screening" (`level` = its final level) or "nrm_referral"; `agency_type` is from the code list
    'agency_type'; `factors` holds what the record says about the concern (CIN factor codes, an
    incident type, a stated concern, NRM exploitation types); `role` the child's recorded role."""

    person: str
    kind: str
    agency_type: str
    occurred_on: dt.date
    factors: tuple[str, ...] = ()
    role: str = ""
    level: str = ""


def _cce(e: IdentificationEvent) -> bool:
    return any(f.strip().lower() in CCE_TERMS for f in e.factors)


@dataclass(frozen=True)
class ListRule:
    """One agency's list: `rule` decides whether an event identifies the child."""

    name: str
    description: str
    rule: Callable[[IdentificationEvent], bool]
    empty_reason: str = "nobody was identified by this agency in the period"

    def matches(self, event: IdentificationEvent) -> bool:
        return self.rule(event)


LIST_RULES: tuple[ListRule, ...] = (
    ListRule(
        "police",
        "A police incident or crime record with the child as the victim of child criminal exploitation "
        "(intelligence alone does not count).",
        lambda e: (
            e.agency_type in ("police", "regional_partner")
            and e.kind in ("police_incident", "custody", "arrest")
            and e.role.strip().lower() == "victim"
            and _cce(e)
        ),
    ),
    ListRule(
        "childrens_social_care",
        "A child and family assessment recording CIN factor 24A (child criminal exploitation).",
        lambda e: (
            e.agency_type == "childrens_social_care"
            and e.kind == "cin_assessment"
            and "24a" in {f.strip().lower() for f in e.factors}
        ),
    ),
    ListRule(
        "health",
        "A health contact or emergency attendance recording a concern of child criminal exploitation.",
        lambda e: e.agency_type == "health" and e.kind in ("health_contact", "ae_attendance") and _cce(e),
    ),
    ListRule(
        "youth_justice",
        "A youth justice record whose assessment records a concern of child criminal exploitation.",
        lambda e: e.agency_type == "youth_justice" and _cce(e),
        "the youth justice records in the period record no concern of criminal exploitation "
        "(the county's feed carries orders, not assessments)",
    ),
    ListRule(
        "exploitation_hub",
        "A screening whose final level is the tool's top level.",
        lambda e: e.kind == "screening" and e.level.strip().lower() in TOP_SCREENING_LEVELS,
        "no screening in the period reached the tool's top level",
    ),
    ListRule(
        "nrm",
        "A National Referral Mechanism referral (for criminal exploitation where the types are given).",
        lambda e: e.kind == "nrm_referral" and (not e.factors or _cce(e)),
        "no NRM referral for criminal exploitation in the period",
    ),
)


@dataclass(frozen=True)
class IdentificationTable(CaptureTable):
    """A :class:`CaptureTable` of the lists with someone on them, and why the others were left out."""

    left_out: tuple[tuple[str, str], ...] = ()  # (list, reason)
    period: tuple[dt.date, dt.date] | None = None


def list_memberships(
    events: Iterable[IdentificationEvent],
    start: dt.date,
    end: dt.date,
    rules: Sequence[ListRule] = LIST_RULES,
) -> dict[str, frozenset[str]]:
    """Each identified child's set of lists, from the events dated `start` to `end` inclusive."""
    if end < start:
        raise ValueError("the period ends before it starts")
    found: dict[str, set[str]] = {}
    for e in events:
        if not start <= e.occurred_on <= end:
            continue
        for r in rules:
            if r.matches(e):
                found.setdefault(e.person, set()).add(r.name)
    return {person: frozenset(lists) for person, lists in sorted(found.items())}


def identification_lists(
    events: Iterable[IdentificationEvent],
    start: dt.date,
    end: dt.date,
    rules: Sequence[ListRule] = LIST_RULES,
) -> IdentificationTable:
    """The capture table of the children identified from `start` to `end` (inclusive), one list per
    rule that has anyone on it. Raises MSEError when fewer than three lists remain."""
    members = list_memberships(events, start, end, rules)
    used = {name for lists in members.values() for name in lists}
    kept = [r.name for r in rules if r.name in used]
    left_out = tuple((r.name, r.empty_reason) for r in rules if r.name not in used)
    if len(kept) < 3:
        why = "; ".join(f"{name}: {reason}" for name, reason in left_out)
        raise MSEError(
            f"cannot estimate because only {len(kept)} agenc{'y has' if len(kept) == 1 else 'ies have'} "
            f"identified anyone in the period ({', '.join(kept) or 'none'}), and at least three lists are "
            f"needed (left out: {why})"
        )
    table = CaptureTable.from_memberships(members.values(), kept)
    return IdentificationTable(table.lists, table.counts, left_out, (start, end))


def identification_event(
    person: str,
    kind: str,
    agency_type: str,
    occurred_on: dt.date,
    details: Mapping[str, object] | None = None,
    level: str = "",
) -> IdentificationEvent:
    """An event from a timeline item's details as the ingest formats and the synthetic county write
    them: CIN ``factors``, a police ``incident_type``, a health ``concern`` and NRM
    ``exploitation_types`` become `factors`; ``subject_role`` or ``role`` becomes `role`."""
    d = details or {}
    factors: list[str] = []
    for key in ("factors", "exploitation_types"):
        value = d.get(key)
        if isinstance(value, list | tuple):
            factors.extend(str(v) for v in value)
    for key in ("incident_type", "concern"):
        value = d.get(key)
        if value:
            factors.append(str(value))
    role = str(d.get("subject_role") or d.get("role") or "")
    return IdentificationEvent(person, kind, agency_type, occurred_on, tuple(factors), role, level)
