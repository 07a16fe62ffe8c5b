"""Stable person ids from a fresh clustering. Pure Python: no Django.

A linkage run groups source records into clusters; Lantern must turn clusters back into persons
without churning ids. Rules:
- a cluster keeps the id of the existing person that holds most of its records (ties: the oldest
  person), provided no larger share of that person went to another cluster;
- when a person's records split across clusters, the cluster with most of them keeps the id, and
  the others take their next-best unclaimed person or a new id;
- a person left with no records is retired and points at the person now holding most of its
  records (it is never reused).
So an unchanged clustering changes nothing, and new records touch only the people they join."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

RecordId = Hashable
PersonId = Hashable


@dataclass(frozen=True)
class NewPerson:
    """A person to create, named by the cluster it is for."""

    cluster: Hashable


@dataclass
class Assignment:
    person_of_cluster: dict[Hashable, PersonId | NewPerson]
    moves: list[tuple[RecordId, PersonId | None, PersonId | NewPerson]] = field(default_factory=list)
    retired: dict[PersonId, PersonId | NewPerson] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.moves or self.retired)


def assign_persons(
    clusters: Mapping[Hashable, list[RecordId]],
    current: Mapping[RecordId, PersonId | None],
    age_rank: Mapping[PersonId, int],
) -> Assignment:
    """Map each cluster to a person id, keeping existing ids wherever the records allow.

    `current` is each record's person now (None for a record not yet linked); `age_rank` orders
    persons by creation (lower is older) to break ties deterministically."""
    shares: dict[Hashable, Counter] = {
        cluster: Counter(current.get(r) for r in records if current.get(r) is not None)
        for cluster, records in clusters.items()
    }
    candidates = sorted(
        (
            (count, cluster, person)
            for cluster, counter in shares.items()
            for person, count in counter.items()
        ),
        key=lambda t: (-t[0], age_rank.get(t[2], 0), str(t[1])),
    )
    person_of_cluster: dict[Hashable, PersonId | NewPerson] = {}
    claimed: set = set()
    for _count, cluster, person in candidates:
        if cluster in person_of_cluster or person in claimed:
            continue
        person_of_cluster[cluster] = person
        claimed.add(person)
    for cluster in clusters:
        person_of_cluster.setdefault(cluster, NewPerson(cluster))

    moves = [
        (record, current.get(record), person_of_cluster[cluster])
        for cluster, records in clusters.items()
        for record in records
        if current.get(record) != person_of_cluster[cluster]
    ]
    # Where did each old person's records go? A person that kept none is retired into the biggest share.
    destinations: dict[PersonId, Counter] = defaultdict(Counter)
    for cluster, records in clusters.items():
        for record in records:
            if (old := current.get(record)) is not None:
                destinations[old][person_of_cluster[cluster]] += 1

    def rank(person: PersonId | NewPerson) -> tuple[int, int]:  # existing persons by age, then new ones
        return (1, 0) if isinstance(person, NewPerson) else (0, age_rank.get(person, 0))

    retired = {
        old: min(dest, key=lambda person: (-dest[person], rank(person)))
        for old, dest in destinations.items()
        if old not in claimed
    }
    return Assignment(person_of_cluster=person_of_cluster, moves=moves, retired=retired)
