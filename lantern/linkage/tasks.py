"""Background identity resolution (Django's tasks API): newly imported records are linked after
their import commits."""

from __future__ import annotations

from django_tasks import task

from lantern.access.models import Membership
from lantern.access.policy import Viewer
from lantern.alerts.services import alerts_refresh
from lantern.people.models import SourceRecord

from .services import linkage_link_new


@task()
def link_new_records_task(record_ids: list[int], membership_id: int) -> dict:
    membership = Membership.objects.select_related("user", "team__agency").filter(pk=membership_id).first()
    actor = Viewer(user=membership.user, membership=membership) if membership else None
    run = linkage_link_new(record_ids=record_ids, actor=actor)
    # A new link can join a child's episodes across agencies: let the rules look at them again.
    persons = set(SourceRecord.objects.filter(pk__in=record_ids).values_list("person_id", flat=True)) - {None}
    alerts_refresh(person_ids=persons)
    return {"run": run.pk if run else None, "stats": run.stats if run else {}}
