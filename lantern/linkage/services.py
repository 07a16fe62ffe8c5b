"""Identity resolution inside Lantern: runs the Splink engine (lantern.analytics.linkage) over the
stored source records, turns its clusters into persons with stable ids (`assign.py`), queues
uncertain pairs for clerical review, and records and audits every merge, split and move."""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery

from lantern.access.models import BreakGlassGrant, Relationship
from lantern.access.policy import Viewer
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.exceptions import ValidationFailed
from lantern.core.timeutils import now
from lantern.people.models import Person, PersonCategory, SourceRecord, TimelineItem
from lantern.people.services import people_refresh_display

from .assign import Assignment, NewPerson, assign_persons
from .frame_cache import FRAME_FIELDS, CacheStats, cleaned_records, records_frame
from .models import IdentityChange, LinkageRun, ReviewPair
from .selectors import require_reviewer

# Pairs at or above THRESHOLD join a person; pairs between REVIEW_LOWER and THRESHOLD go to review.
THRESHOLD = 0.95
REVIEW_LOWER = 0.5
_CHUNK = 1_000
_SQLITE_RUN_CACHE_KIB = 512 * 1024
Progress = Callable[[str, int, int], None]


def model_path() -> Path:
    return Path(settings.DATA_DIR) / "linkage" / "model.json"


def _decided_pairs() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    same, different = [], []
    for left, right, decision in ReviewPair.objects.exclude(decision="").values_list(
        "record_l_id", "record_r_id", "decision"
    ):
        if decision == ReviewPair.Decision.SAME:
            same.append((str(left), str(right)))
        elif decision == ReviewPair.Decision.DIFFERENT:
            different.append((str(left), str(right)))
    return same, different


def _apply_decisions(pairs: Any) -> Any:
    """Reviewers' decisions outrank the model: 'same' pairs join at probability 1, 'different'
    pairs lose their edge (a later run that still joins them through others is flagged)."""
    import pandas as pd

    same, different = _decided_pairs()
    if different:
        banned = {frozenset(p) for p in different}
        keep = [
            frozenset((str(a), str(b))) not in banned
            for a, b in zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True)
        ]
        pairs = pairs[keep]
    if same:
        forced = pd.DataFrame(
            {
                "unique_id_l": [a for a, _ in same],
                "unique_id_r": [b for _, b in same],
                "match_probability": 1.0,
                "match_weight": 99.0,
            }
        )
        pairs = pd.concat([pairs, forced], ignore_index=True)
    return pairs


def _age_rank(person_ids: set | None = None) -> dict:
    """Persons ranked by creation (lower is older), to break ties towards the older id."""
    people = Person.objects.all() if person_ids is None else Person.objects.filter(pk__in=person_ids)
    return {
        pk: rank for rank, pk in enumerate(people.order_by("created_at", "id").values_list("pk", flat=True))
    }


def _apply_assignment(
    assignment: Assignment,
    confidence: dict[str, float],
    run: LinkageRun | None,
    actor: Viewer | None,
    method: str = "probabilistic",
    tick: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write the new record→person map: create persons, move records and their items, retire
    persons left empty (pointing them at their survivor) and log each change."""
    created: dict[Any, Person] = {}
    for cluster, person in assignment.person_of_cluster.items():
        if isinstance(person, NewPerson):
            created[cluster] = Person()
    Person.objects.bulk_create(created.values(), batch_size=_CHUNK)

    def resolve(person: Any) -> Any:
        return created[person.cluster].pk if isinstance(person, NewPerson) else person

    # One prepared UPDATE per moved record (bulk_update's CASE expressions are far slower).
    linked_at = SourceRecord._meta.get_field("linked_at").get_db_prep_value(now(), connection)
    rows = [
        (
            Person._meta.pk.get_db_prep_value(resolve(new), connection),
            method,
            confidence.get(str(record)),
            linked_at,
            int(record),
        )
        for record, _old, new in assignment.moves
    ]
    moved_records = [row[-1] for row in rows]
    table = connection.ops.quote_name(SourceRecord._meta.db_table)
    sql = (
        f"UPDATE {table} SET person_id = %s, link_method = %s, link_confidence = %s, "  # noqa: S608 — model's table; values bound
        "linked_at = %s WHERE id = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    for start in range(0, len(moved_records), _CHUNK):
        chunk = moved_records[start : start + _CHUNK]
        owner = Subquery(SourceRecord.objects.filter(pk=OuterRef("source_record_id")).values("person_id")[:1])
        TimelineItem.objects.filter(source_record_id__in=chunk).update(person_id=owner)
        PersonCategory.objects.filter(source_record_id__in=chunk).update(person_id=owner)

    moved_by_old: dict[Any, list[int]] = defaultdict(list)
    for record, old, _new in assignment.moves:
        if old is not None:
            moved_by_old[old].append(int(record))
    survivor_of = {old: resolve(survivor) for old, survivor in assignment.retired.items()}
    prep = Person._meta.pk.get_db_prep_value
    person_table = connection.ops.quote_name(Person._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {person_table} SET merged_into_id = %s WHERE id = %s",  # noqa: S608 — model's table; values bound
            [(prep(new, connection), prep(old, connection)) for old, new in survivor_of.items()],
        )
    # Allocations and break-glass grants follow the child; only the few retired persons holding one are touched.
    for model in (Relationship, BreakGlassGrant):
        # These tables are small next to a run's retired persons: read their holders once.
        holders = set(model.objects.values_list("person_id", flat=True).distinct()) & survivor_of.keys()
        for old in holders:
            model.objects.filter(person_id=old).update(person_id=survivor_of[old])
    changes = [
        (IdentityChange.Kind.MERGE, old, survivor, moved_by_old.get(old, []))
        for old, survivor in survivor_of.items()
    ]
    changes += [
        (IdentityChange.Kind.SPLIT, old, None, records)
        for old, records in moved_by_old.items()
        if old not in assignment.retired
    ]
    _insert_identity_changes(changes, run, actor)
    touched = {resolve(new) for _r, _o, new in assignment.moves} | {o for _r, o, _n in assignment.moves if o}
    if tick:
        tick("writing: display fields")
    people_refresh_display(touched - set(assignment.retired))
    return {
        "records_moved": len(moved_records),
        "persons_created": len(created),
        "persons_retired": len(assignment.retired),
        "persons_split": sum(1 for c in changes if c[0] == IdentityChange.Kind.SPLIT),
        "touched": len(touched),
    }


def _insert_identity_changes(
    changes: list[tuple[str, Any, Any, list[int]]], run: LinkageRun | None, actor: Viewer | None
) -> None:
    """Log (kind, person, survivor, records) changes with one prepared INSERT run many times: model
    instances and bulk_create cost about 0.3 ms a row, which is minutes for a large first run."""
    if not changes:
        return
    field = IdentityChange._meta.get_field
    stamp = field("created_at").get_db_prep_save(now(), connection)
    constant = {
        "created_at": stamp,
        "updated_at": stamp,
        "run": run.pk if run else None,
        "actor": actor.user.pk if actor else None,
        "reason": "",
    }
    person_pk, records_field = Person._meta.pk, field("records")
    columns = ["created_at", "updated_at", "run", "actor", "reason", "kind", "person", "survivor", "records"]
    table = connection.ops.quote_name(IdentityChange._meta.db_table)
    names = ", ".join(connection.ops.quote_name(field(c).column) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 — model's table; values bound
    head = [constant[c] for c in columns[:5]]
    rows = [
        [
            *head,
            kind,
            person_pk.get_db_prep_value(person, connection),
            person_pk.get_db_prep_value(survivor, connection) if survivor is not None else None,
            records_field.get_db_prep_save(records, connection),
        ]
        for kind, person, survivor, records in changes
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 10 * _CHUNK):
            cursor.executemany(sql, rows[start : start + 10 * _CHUNK])


def _queue_for_review(review_pairs: Any, scored: Any, run: LinkageRun, model: Any) -> int:
    """Store new uncertain pairs with their explanation (from the full scored row, which carries
    each comparison's level)."""
    from lantern.analytics.linkage import explain_pair

    because = {
        frozenset((str(a), str(b))): str(reason)
        for a, b, reason in zip(
            review_pairs["unique_id_l"], review_pairs["unique_id_r"], review_pairs["reason"], strict=True
        )
    }
    wanted = set(because)
    # Select the few queued rows before converting: the scored frame holds every candidate pair.
    queued = [
        frozenset((str(a), str(b))) in wanted
        for a, b in zip(scored["unique_id_l"], scored["unique_id_r"], strict=True)
    ]
    full_rows = {
        frozenset((str(row["unique_id_l"]), str(row["unique_id_r"]))): row
        for row in scored[queued].to_dict("records")
    }
    existing = set(ReviewPair.objects.values_list("record_l_id", "record_r_id"))
    new = []
    for key, pair in full_rows.items():
        left, right = sorted(int(x) for x in key)
        if (left, right) in existing:
            continue
        existing.add((left, right))
        new.append(
            ReviewPair(
                record_l_id=left,
                record_r_id=right,
                run=run,
                match_probability=float(pair["match_probability"]),
                match_weight=float(pair.get("match_weight") or 0.0),
                queued_because=because[key]
                if because[key] in ReviewPair.Queued.values
                else "probability_band",
                explanation=_jsonable(explain_pair(pair, model, include_values=False))
                if "gamma_given_name" in pair
                else [],
            )
        )
    ReviewPair.objects.bulk_create(new, batch_size=_CHUNK)
    return len(new)


def _jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        clean = {}
        for key, value in row.items():
            if hasattr(value, "item"):
                value = value.item()
            if isinstance(value, float) and value != value:  # NaN
                value = None
            clean[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        out.append(clean)
    return out


def linkage_run_full(
    *,
    actor: Viewer | None = None,
    system_actor: str = "linkage",
    retrain: bool = False,
    progress: Progress | None = None,
) -> LinkageRun:
    """Link every stored record: predict, cluster with over-merge guards, assign stable person ids."""
    from lantern.analytics.linkage import (
        ClusterSettings,
        cluster_pairs,
        load_model,
        predict_pairs,
        train_model,
    )
    from lantern.analytics.linkage.engine import from_arrow

    def tick(stage: str) -> None:
        if progress:
            progress(stage, 0, 0)

    run = LinkageRun.objects.create(kind=LinkageRun.Kind.FULL)
    with _failure_recorded(run), _run_tuned():
        tick("reading records")
        cache = CacheStats()
        table = cleaned_records(stats=cache)
        frame = from_arrow(table)
        path = model_path()
        if retrain or not path.exists():
            tick("training")
            model = train_model(frame)
            path.parent.mkdir(parents=True, exist_ok=True)
            model.save(path)
        else:
            model = load_model(path)
        tick("predicting")
        scored = predict_pairs(table, model, REVIEW_LOWER)
        del table
        pairs = _apply_decisions(scored)
        tick("clustering")
        result = cluster_pairs(pairs, frame, ClusterSettings(threshold=THRESHOLD, review_lower=REVIEW_LOWER))
        current = {str(pk): person for pk, person in SourceRecord.objects.values_list("pk", "person_id")}
        tick("writing")
        _commit_run(
            run,
            result=result,
            scored=scored,
            pairs=pairs,
            current=current,
            age_rank=_age_rank(),
            model=model,
            actor=actor,
            system_actor=system_actor,
            justification="Identity resolution (combination of records, DPA 2018 s62)",
            extra={
                "records": len(frame),
                "pairs_scored": len(pairs),
                "guard_actions": len(result.guard_actions),
                "records_cleaned": cache.cleaned,
            },
            tick=tick,
        )
    return run


def _commit_run(
    run: LinkageRun,
    *,
    result: Any,
    scored: Any,
    pairs: Any,
    current: dict[str, Any],
    age_rank: dict,
    model: Any,
    actor: Viewer | None,
    system_actor: str,
    justification: str,
    extra: dict[str, int],
    tick: Callable[[str], None] | None = None,
) -> None:
    """Turn a clustering into persons, queue its review pairs and record the run, in one transaction."""
    clusters: dict[str, list[str]] = defaultdict(list)
    for record, cluster in result.cluster_of().items():
        clusters[cluster].append(record)
    with transaction.atomic():
        assignment = assign_persons(clusters, current, age_rank)
        if tick:
            tick("writing: records and persons")
        stats = _apply_assignment(assignment, _best_probability(pairs), run, actor, tick=tick)
        if tick:
            tick("writing: review queue")
        stats["review_pairs_queued"] = _queue_for_review(result.review_pairs, scored, run, model)
        stats["decisions_flagged"] = flag_contradicted_decisions()
        stats.update(extra)
        run.status, run.finished_at, run.stats = LinkageRun.Status.SUCCEEDED, now(), stats
        run.model_version = getattr(model, "model_version", "")
        run.save()
        audit_record(
            code=AuditCode.RECORD_LINKED,
            viewer=actor,
            system_actor=system_actor,
            object_type="linkage_run",
            object_id=run.pk,
            justification=justification,
            details=stats,
        )


@contextmanager
def _run_tuned() -> Iterator[None]:
    """A run holds millions of small objects; Python's cyclic collector walked them all again and
    again (seconds per run at county size). It is paused for the run. On SQLite the run's updates
    land all over tables far larger than the default 2 MB page cache; a 512 MiB cache for the run
    halved their time (measured on the 300,000-record benchmark database)."""
    was_enabled = gc.isenabled()
    gc.disable()
    previous_cache = None
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            previous_cache = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = -{_SQLITE_RUN_CACHE_KIB}")
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        if previous_cache is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(previous_cache)}")


@contextmanager
def _failure_recorded(run: LinkageRun) -> Iterator[None]:
    """A failed run changes no person (the writes are one transaction) and says why on the run."""
    try:
        yield
    except Exception as error:
        LinkageRun.objects.filter(pk=run.pk).update(
            status=LinkageRun.Status.FAILED, finished_at=now(), error=str(error)[:2000]
        )
        raise


def _best_probability(pairs: Any) -> dict[str, float]:
    import pandas as pd

    if not len(pairs):
        return {}
    both = pd.DataFrame(
        {
            "record": pd.concat([pairs["unique_id_l"], pairs["unique_id_r"]], ignore_index=True).astype(str),
            "p": pd.concat([pairs["match_probability"], pairs["match_probability"]], ignore_index=True),
        }
    )
    best = both.groupby("record", sort=False)["p"].max()
    return {str(k): float(v) for k, v in best.items() if v > 0.0}


# --- reviewers' decisions, manual merge and split ----------------------------------------------


def _relink(clusters: dict[str, list[str]], actor: Viewer, run: LinkageRun | None = None) -> dict[str, int]:
    records = [r for members in clusters.values() for r in members]
    current = {
        str(pk): person
        for pk, person in SourceRecord.objects.filter(pk__in=records).values_list("pk", "person_id")
    }
    assignment = assign_persons(clusters, current, _age_rank(set(current.values())))
    return _apply_assignment(assignment, {}, run, actor, method="manual")


def _record_pair(left: int, right: int) -> tuple[int, int]:
    return (left, right) if left < right else (right, left)


def _remember(left: int, right: int, decision: str, reason: str, actor: Viewer) -> ReviewPair:
    """Store a decision as a constraint later runs respect (creating the pair if it was never queued)."""
    record_l, record_r = _record_pair(left, right)
    pair, _ = ReviewPair.objects.get_or_create(
        record_l_id=record_l, record_r_id=record_r, defaults={"match_probability": 0.0, "match_weight": 0.0}
    )
    pair.decision, pair.reason, pair.decided_by, pair.decided_at = decision, reason, actor.user, now()
    pair.save()
    return pair


@transaction.atomic
def persons_merge(*, viewer: Viewer, person_ids: list, reason: str) -> Person:
    """Merge persons a reviewer knows to be one: the oldest id survives, the others point to it."""
    require_reviewer(viewer)
    if not reason.strip():
        raise ValidationFailed({"reason": "Enter why these are the same person"})
    records = list(SourceRecord.objects.filter(person_id__in=person_ids).values_list("pk", "person_id"))
    if len({person for _pk, person in records}) < 2:
        raise ValidationFailed({"person_ids": "Choose at least two different people to merge"})
    stats = _relink({"merged": [str(pk) for pk, _ in records]}, viewer)
    anchor = records[0][0]
    for pk, person in records:
        if person != records[0][1]:
            _remember(anchor, pk, ReviewPair.Decision.SAME, reason, viewer)
    survivor = SourceRecord.objects.get(pk=anchor).person
    audit_record(
        code=AuditCode.PERSONS_MERGED,
        viewer=viewer,
        subjects=set(person_ids) | {survivor.pk},
        object_type="person",
        object_id=survivor.pk,
        justification=reason,
        details=stats,
    )
    return survivor


@transaction.atomic
def person_split(*, viewer: Viewer, person_id, record_ids: list[int], reason: str) -> Person:
    """Move some of a person's records to a new person; later runs keep them apart."""
    require_reviewer(viewer)
    if not reason.strip():
        raise ValidationFailed({"reason": "Enter why these records are a different person"})
    all_records = [
        str(pk) for pk in SourceRecord.objects.filter(person_id=person_id).values_list("pk", flat=True)
    ]
    moving = [str(pk) for pk in record_ids if str(pk) in all_records]
    staying = [pk for pk in all_records if pk not in moving]
    if not moving or not staying:
        raise ValidationFailed(
            {"record_ids": "Choose some, but not all, of this person's records to split off"}
        )
    stats = _relink({"stay": staying, "move": moving}, viewer)
    for left in staying:
        for right in moving:
            _remember(int(left), int(right), ReviewPair.Decision.DIFFERENT, reason, viewer)
    new_person = SourceRecord.objects.get(pk=int(moving[0])).person
    audit_record(
        code=AuditCode.PERSON_SPLIT,
        viewer=viewer,
        subjects={person_id, new_person.pk},
        object_type="person",
        object_id=person_id,
        justification=reason,
        details={**stats, "records_moved": len(moving)},
    )
    return new_person


@transaction.atomic
def review_pair_decide(*, viewer: Viewer, pair: ReviewPair, decision: str, reason: str) -> ReviewPair:
    """Record a reviewer's decision and apply it now: 'same' merges the two people, 'different'
    splits the right-hand record off if they are one person. 'Unsure' changes nothing."""
    require_reviewer(viewer)
    if decision not in ReviewPair.Decision.values:
        raise ValidationFailed({"decision": "Choose same person, different people or unsure"})
    if decision != ReviewPair.Decision.UNSURE and not reason.strip():
        raise ValidationFailed({"reason": "Enter the reason for your decision"})
    left, right = pair.record_l, pair.record_r
    if decision == ReviewPair.Decision.SAME and left.person_id != right.person_id:
        persons_merge(viewer=viewer, person_ids=[left.person_id, right.person_id], reason=reason)
    elif decision == ReviewPair.Decision.DIFFERENT and left.person_id == right.person_id:
        person_split(viewer=viewer, person_id=left.person_id, record_ids=[right.pk], reason=reason)
    pair.refresh_from_db()
    pair.decision, pair.reason, pair.decided_by, pair.decided_at = (
        decision,
        reason.strip(),
        viewer.user,
        now(),
    )
    pair.save()
    audit_record(
        code=AuditCode.LINKAGE_DECISION,
        viewer=viewer,
        subjects={left.person_id, right.person_id},
        object_type="review_pair",
        object_id=pair.pk,
        justification=reason,
        details={"decision": decision, "records": [left.pk, right.pk]},
    )
    return pair


_STRONG = ("nhs_number", "upn")


def flag_contradicted_decisions() -> int:
    """A 'different' decision contradicted by a later shared strong identifier is flagged for a
    reviewer, never silently overridden."""
    flagged = 0
    for pair in ReviewPair.objects.filter(decision=ReviewPair.Decision.DIFFERENT, conflict="").select_related(
        "record_l", "record_r"
    ):
        shared = [
            f
            for f in _STRONG
            if getattr(pair.record_l, f) and getattr(pair.record_l, f) == getattr(pair.record_r, f)
        ]
        if shared:
            pair.conflict = (
                f"Both records now carry the same {', '.join(shared)}; the decision needs a second look."
            )
            pair.save(update_fields=["conflict", "updated_at"])
            flagged += 1
    return flagged


# --- incremental linking of newly collected records --------------------------------------------


def linkage_link_new(
    *, record_ids: list[int], actor: Viewer | None = None, system_actor: str = "linkage"
) -> LinkageRun | None:
    """Link just-collected records against the people already resolved, touching only the people
    they join. Existing people are held together (their records are tied at probability 1), so an
    incremental run can attach, create or merge, but never splits a person the full run made.
    Without a trained model there is nothing to compare with: run `linkage_run` first."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    from lantern.analytics.linkage import (
        ClusterSettings,
        clean_records,
        cluster_pairs,
        load_model,
        predict_between,
    )
    from lantern.analytics.linkage.engine import from_arrow

    if not record_ids or not model_path().exists():
        return None
    run = LinkageRun.objects.create(kind=LinkageRun.Kind.INCREMENTAL)
    with _failure_recorded(run), _run_tuned():
        model = load_model(model_path())
        new_frame = clean_records(
            records_frame(SourceRecord.objects.filter(pk__in=record_ids).values_list(*FRAME_FIELDS))
        )
        cache = CacheStats()
        existing = cleaned_records(exclude_ids=record_ids, rewrite_share=0.01, stats=cache)
        scored = predict_between(new_frame, existing, model, REVIEW_LOWER, include_within_new=True)
        pairs = _apply_decisions(scored)
        new_ids = {str(pk) for pk in record_ids}
        matched = {str(r) for side in ("unique_id_l", "unique_id_r") for r in pairs[side]} - new_ids
        persons = set(
            SourceRecord.objects.filter(pk__in=[int(r) for r in matched]).values_list("person_id", flat=True)
        )
        local_existing = list(
            SourceRecord.objects.filter(person_id__in=persons)
            .values_list("pk", "person_id")
            .order_by("person_id", "pk")
        )
        anchors: dict[Any, int] = {}
        ties = []
        for pk, person in local_existing:
            anchor = anchors.setdefault(person, pk)
            if anchor != pk:
                ties.append((str(anchor), str(pk)))
        held_together = pd.DataFrame(
            {
                "unique_id_l": [a for a, _ in ties],
                "unique_id_r": [b for _, b in ties],
                "match_probability": 1.0,
                "match_weight": 99.0,
            }
        )
        local_ids = new_ids | {str(pk) for pk, _ in local_existing}
        local_existing_rows = existing.filter(
            pc.is_in(existing.column("unique_id"), pa.array(sorted(local_ids - new_ids), pa.string()))
        )
        local_frame = pd.concat([new_frame, from_arrow(local_existing_rows)], ignore_index=True)
        result = cluster_pairs(
            pd.concat([pairs, held_together], ignore_index=True),
            local_frame,
            ClusterSettings(threshold=THRESHOLD, review_lower=REVIEW_LOWER),
        )
        current = {
            str(pk): person
            for pk, person in SourceRecord.objects.filter(pk__in=[int(r) for r in local_ids]).values_list(
                "pk", "person_id"
            )
        }
        _commit_run(
            run,
            result=result,
            scored=scored,
            pairs=pairs,
            current=current,
            age_rank=_age_rank(set(current.values())),
            model=model,
            actor=actor,
            system_actor=system_actor,
            justification="Identity resolution of newly collected records (DPA 2018 s62 combination)",
            extra={
                "new_records": len(new_ids),
                "records_considered": len(local_ids),
                "pairs_scored": len(scored),
                "records_cleaned": cache.cleaned + len(new_frame),
            },
        )
    return run
