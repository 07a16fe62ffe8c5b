"""Every read of people data for a user: scoped by the access policy and audited (one row per
consultation)."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import uuid
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Q
from rapidfuzz import fuzz

from lantern.access.policy import (
    Viewer,
    item_is_visible,
    item_visibility_q,
    relationship_basis,
    relationship_q,
)
from lantern.access.roles import Cap
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.exceptions import AccessDenied, ValidationFailed

from .keys import query_keys
from .models import Person, PersonCategory, SourceRecord, TimelineItem

MAX_RESULTS = 25
_MAX_CANDIDATES = 400
TIMELINE_PAGE_SIZE = 50
_IDENTIFIER = re.compile(r"^[A-Za-z0-9/ -]{4,20}$")
_NAME = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*$")


class NeedsBreakGlass(AccessDenied):
    """No legitimate relationship: the viewer may ask for break-glass access, if their role allows."""


@dataclass(frozen=True)
class SearchQuery:
    name: str = ""
    dob: dt.date | None = None
    identifier: str = ""

    def validate(self, today: dt.date) -> None:
        errors: dict[str, str] = {}
        name, identifier = self.name.strip(), self.identifier.strip()
        if not (name or self.dob or identifier):
            errors["name"] = "Enter a name, a date of birth or an identifier"
        if name and (len(name) < 2 or len(name) > 100 or not _NAME.match(name)):
            errors["name"] = (
                "Enter a name using letters, spaces, hyphens or apostrophes (2 to 100 characters)"
            )
        if name and not query_keys(name):
            errors["name"] = "Enter a name using letters"
        if self.dob and not (today - dt.timedelta(days=125 * 366) <= self.dob <= today):
            errors["dob"] = "Date of birth must be in the past and within the last 125 years"
        if identifier and not _IDENTIFIER.match(identifier):
            errors["identifier"] = (
                "Enter an identifier of 4 to 20 letters, digits, spaces, slashes or hyphens"
            )
        if errors:
            raise ValidationFailed(errors)


@dataclass(frozen=True)
class SearchMatch:
    person: Person
    score: float
    restricted: bool  # matched, but the viewer has no legitimate relationship (break-glass needed)


def _dob_variants(dob: dt.date) -> set[dt.date]:
    """The date and its day/month transposition, a common recording error."""
    variants = {dob}
    if dob.day <= 12 and dob.day != dob.month:
        with contextlib.suppress(ValueError):
            variants.add(dob.replace(month=dob.day, day=dob.month))
    return variants


def _candidate_filter(query: SearchQuery) -> Q:
    keys = query_keys(query.name) if query.name.strip() else set()
    dobs = _dob_variants(query.dob) if query.dob else set()
    clauses = Q()
    if query.identifier.strip():
        value = re.sub(r"\s+", "", query.identifier).upper()
        clauses |= Q(nhs_number=value) | Q(upn=value) | Q(la_child_id=value) | Q(police_id=value)
    if keys:
        family = Q(family_key__in=keys) | Q(family_key_alt__in=keys)
        given = Q(given_key__in=keys)
        if len(keys) >= 2:
            clauses |= family & given
            if dobs:
                clauses |= (family | given) & Q(dob__in=dobs)
        elif dobs:
            clauses |= (family | given) & Q(dob__in=dobs)
        else:
            clauses |= family
    elif dobs:
        clauses |= Q(dob__in=dobs)
    return clauses


def _score(query: SearchQuery, person: Person) -> float:
    score = fuzz.token_sort_ratio(query.name, person.display_name) if query.name.strip() else 50.0
    if query.dob and person.display_dob:
        score += (
            40
            if person.display_dob == query.dob
            else 20
            if person.display_dob in _dob_variants(query.dob)
            else 0
        )
    return score


def _candidates(query: SearchQuery) -> list[Person]:
    """Live people (not merged away) with a record matching the query's keys, before any scoping."""
    candidate_ids = list(
        SourceRecord.objects.filter(_candidate_filter(query), person__isnull=False)
        .values_list("person_id", flat=True)
        .distinct()[:_MAX_CANDIDATES]
    )
    # Filter on the primary keys alone: a merged_into condition here led SQLite's planner to scan
    # every person through that index. Merged-away people are dropped in Python instead.
    return [p for p in Person.objects.filter(pk__in=candidate_ids) if p.merged_into_id is None]


def person_search(*, viewer: Viewer, query: SearchQuery) -> list[SearchMatch]:
    """Typo-tolerant search over every agency's records, returning only people the viewer may open,
    plus (for roles that may break glass) bare matches marked restricted. Writes one audit row."""
    if not viewer.can(Cap.PERSON_SEARCH):
        raise AccessDenied("Your role does not include searching for people.")
    query.validate(viewer.at.date())
    people = _candidates(query)
    permitted = set(
        Person.objects.filter(pk__in=[p.pk for p in people])
        .filter(relationship_q(viewer))
        .values_list("pk", flat=True)
    )
    matches = [
        SearchMatch(person=p, score=_score(query, p), restricted=p.pk not in permitted)
        for p in people
        if p.pk in permitted or viewer.can(Cap.BREAK_GLASS)
    ]
    matches.sort(key=lambda m: (-m.score, m.person.display_name, str(m.person.pk)))
    matches = matches[:MAX_RESULTS]
    audit_record(
        code=AuditCode.PERSON_SEARCHED,
        viewer=viewer,
        subjects=[m.person.pk for m in matches],
        object_type="person_search",
        justification="Person search",
        details={
            "name": query.name.strip(),
            "dob": query.dob.isoformat() if query.dob else "",
            "identifier": query.identifier.strip(),
            "returned": len(matches),
            "restricted": sum(m.restricted for m in matches),
        },
    )
    return matches


@dataclass
class PersonView:
    person: Person
    basis: str
    records: list[SourceRecord]
    records_withheld: int
    categories: list[PersonCategory]
    timeline: Page
    items_withheld: int
    suggested_indicators: list = field(default_factory=list)


def person_resolve_id(person_id: uuid.UUID) -> uuid.UUID:
    """The live id for a person id: a merged person's id keeps working and leads to its survivor."""
    for _ in range(20):  # merge chains are short; the bound guards against a corrupt cycle
        merged_into = Person.objects.filter(pk=person_id).values_list("merged_into_id", flat=True).first()
        if merged_into is None:
            return person_id
        person_id = merged_into
    return person_id


def _open_person(viewer: Viewer, person_id: uuid.UUID) -> tuple[Person, str]:
    if not viewer.can(Cap.PERSON_VIEW):
        raise AccessDenied("Your role does not include opening people's records.")
    person = Person.objects.filter(pk=person_id).first()
    basis = relationship_basis(viewer, person_id) if person else None
    if person is None or basis is None:
        # The same refusal whether or not the person exists, so ids cannot be probed.
        audit_record(
            code=AuditCode.ACCESS_REFUSED,
            viewer=viewer,
            subjects=[person_id] if person else [],
            object_type="person",
            object_id=str(person_id),
            justification="No legitimate relationship",
        )
        raise NeedsBreakGlass("You do not have a legitimate relationship with this person.")
    return person, basis


def _timeline_page(viewer: Viewer, person: Person, page: int) -> tuple[Page, int]:
    all_items = TimelineItem.objects.filter(person=person)
    visible = (
        all_items.filter(item_visibility_q(viewer))
        .select_related("controller")
        .order_by("-occurred_at", "-id")
    )
    paginator = Paginator(visible, TIMELINE_PAGE_SIZE)
    timeline = paginator.get_page(page)
    return timeline, all_items.count() - paginator.count


def person_get(*, viewer: Viewer, person_id: uuid.UUID, justification: str = "") -> PersonView:
    """A person's page: demographics, the records and items the viewer may see, and counts of what is
    withheld. Writes one PERSON_VIEWED audit row."""
    person, basis = _open_person(viewer, person_id)
    all_records = list(SourceRecord.objects.filter(person=person).select_related("agency", "address"))
    records = [
        r
        for r in all_records
        if item_is_visible(
            viewer,
            controller_id=r.agency_id,
            item_type="source_record",
            purpose="law_enforcement" if r.agency.is_law_enforcement else "safeguarding",
            handling=None,
        )
    ]
    categories = list(
        PersonCategory.objects.filter(person=person)
        .filter(item_visibility_q(viewer))
        .select_related("controller")
        .order_by("-starts_on")
    )
    timeline, withheld = _timeline_page(viewer, person, 1)
    from lantern.screening.models import SuggestedIndicator

    suggested = list(
        SuggestedIndicator.objects.filter(person=person)
        .filter(item_visibility_q(viewer))
        .order_by("-suggested_at")
    )
    audit_record(
        code=AuditCode.PERSON_VIEWED,
        viewer=viewer,
        subjects=[person.pk],
        object_type="person",
        object_id=str(person.pk),
        justification=justification or f"Legitimate relationship: {basis}",
        details={
            "basis": basis,
            "records_shown": len(records),
            "items_shown": len(timeline.object_list),
            "items_withheld": withheld,
        },
    )
    return PersonView(
        person=person,
        basis=basis,
        records=records,
        records_withheld=len(all_records) - len(records),
        categories=categories,
        timeline=timeline,
        items_withheld=withheld,
        suggested_indicators=suggested,
    )


def person_timeline(*, viewer: Viewer, person_id: uuid.UUID, page: int = 1) -> tuple[Person, Page, int]:
    """A further page of a person's timeline. Writes one TIMELINE_VIEWED audit row."""
    person, basis = _open_person(viewer, person_id)
    timeline, withheld = _timeline_page(viewer, person, page)
    audit_record(
        code=AuditCode.TIMELINE_VIEWED,
        viewer=viewer,
        subjects=[person.pk],
        object_type="person",
        object_id=str(person.pk),
        justification=f"Legitimate relationship: {basis}",
        details={
            "page": timeline.number,
            "items_shown": len(timeline.object_list),
            "items_withheld": withheld,
        },
    )
    return person, timeline, withheld


def person_lookup_for_audit(*, viewer: Viewer, query: SearchQuery) -> list[Person]:
    """The data protection officer's lookup of a data subject, to answer "who accessed this child".

    Returns identities only (no records or items); audited like any search."""
    if not viewer.can(Cap.AUDIT_READ):
        raise AccessDenied("Your role does not include reading the audit log.")
    query.validate(viewer.at.date())
    people = sorted(_candidates(query), key=lambda p: (-_score(query, p), p.display_name))[:MAX_RESULTS]
    audit_record(
        code=AuditCode.PERSON_SEARCHED,
        viewer=viewer,
        subjects=[p.pk for p in people],
        object_type="person_search",
        justification="Data protection audit lookup",
        details={"name": query.name.strip(), "returned": len(people)},
    )
    return people
