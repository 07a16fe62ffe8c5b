"""The data protection officer's reads of the audit log. Consulting the log is itself audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch

from lantern.access.models import User
from lantern.access.policy import Viewer
from lantern.access.roles import Cap
from lantern.core.exceptions import AccessDenied

from .codes import AuditCode
from .models import AuditEvent, AuditSubject
from .services import audit_record

PAGE_SIZE = 50


def _require_auditor(viewer: Viewer) -> None:
    if not viewer.can(Cap.AUDIT_READ):
        raise AccessDenied("Your role does not include reading the audit log.")


@dataclass
class AuditPage:
    page: Page
    subject_names: dict[str, str]


def _with_subject_names(page: Page) -> AuditPage:
    from lantern.people.models import Person

    ids = {s.person_id for event in page.object_list for s in event.subjects.all()}
    names = {
        str(pk): name for pk, name in Person.objects.filter(pk__in=ids).values_list("pk", "display_name")
    }
    return AuditPage(page=page, subject_names=names)


def _events():
    return AuditEvent.objects.select_related("actor").prefetch_related(
        Prefetch("subjects", queryset=AuditSubject.objects.only("event_id", "person_id"))
    )


def audit_for_person(*, viewer: Viewer, person_id: uuid.UUID, page: int = 1) -> AuditPage:
    """Who accessed this person: every view, search that returned them, export and change."""
    _require_auditor(viewer)
    events = _events().filter(subjects__person_id=person_id).order_by("-seq")
    result = _with_subject_names(Paginator(events, PAGE_SIZE).get_page(page))
    audit_record(
        code=AuditCode.AUDIT_PERSON_CONSULTED,
        viewer=viewer,
        subjects=[person_id],
        object_type="person",
        object_id=str(person_id),
        justification="Data protection audit",
        details={"page": result.page.number},
    )
    return result


def audit_for_user(*, viewer: Viewer, user_id: int, page: int = 1) -> tuple[User, AuditPage]:
    """What this user accessed, newest first."""
    _require_auditor(viewer)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise AccessDenied("There is no such user.")
    events = _events().filter(actor=user).order_by("-seq")
    result = _with_subject_names(Paginator(events, PAGE_SIZE).get_page(page))
    audit_record(
        code=AuditCode.AUDIT_USER_CONSULTED,
        viewer=viewer,
        object_type="user",
        object_id=user.pk,
        justification="Data protection audit",
        details={"page": result.page.number, "username": user.username},
    )
    return user, result


def users_for_audit(*, viewer: Viewer, text: str = ""):
    _require_auditor(viewer)
    users = User.objects.order_by("username")
    if text.strip():
        users = users.filter(username__icontains=text.strip()) | users.filter(
            display_name__icontains=text.strip()
        )
    return users[:100]
