"""Background identity resolution (Django's tasks API): newly imported records are linked after
their import commits."""

from __future__ import annotations

from django_tasks import task

from lantern.access.models import Membership
from lantern.access.policy import Viewer

from .services import linkage_link_new


@task()
def link_new_records_task(record_ids: list[int], membership_id: int) -> dict:
    membership = Membership.objects.select_related("user", "team__agency").filter(pk=membership_id).first()
    actor = Viewer(user=membership.user, membership=membership) if membership else None
    run = linkage_link_new(record_ids=record_ids, actor=actor)
    return {"run": run.pk if run else None, "stats": run.stats if run else {}}
