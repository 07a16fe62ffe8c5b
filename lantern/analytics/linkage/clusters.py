"""Clustering scored pairs into people, with over-merge guards (pure Python; no Splink).

Algorithm (``cluster_pairs``):

1. **Constrained merging.**  Edges with ``match_probability >= threshold`` are taken strongest
   first (ties broken by ids, so the result is deterministic).  Two groups are merged only if the
   merged group would hold no *strong conflict* (below).  A refused edge is reported as a guard
   action and as a review pair.  Without conflicts this is exactly connected components.
2. **Weak-bridge cutting.**  Inside each group, an edge whose removal would split the group into
   two parts of at least ``min_side`` records each, which is the *only* link between them at
   ``support_threshold`` or above, and whose probability is below ``bridge_threshold``, is cut.
   This stops two people's record groups chaining together through one borderline pair.  Cuts are
   repeated until no such bridge remains, and each is reported.
3. **Review pairs**: every pair with ``review_lower <= p < review_upper`` (default upper: the
   threshold) plus every refused or cut edge.

A *strong conflict* between two records (``strong_conflict``) is any of:

* both hold an NHS number and they differ;
* both hold a UPN and they differ;
* both hold an LA child id from the same issuer (letter prefix) and they differ;
* both hold a police id from the same issuer (PNC, or the same force for local ids) and they
  differ (only if ``police_id`` is in ``identifier_fields``, which it is by default);
* both hold a DOB and the two are *incompatible*: more than 400 days apart, unless they share day
  and month with years at most 2 apart (a year slip), or are each other's day/month transposition
  within one year.

A group holds a strong conflict if any two of its records do.

A *forename conflict* (``forenames_compatible`` is False; the twins guard, on by default) is a pair
of records whose forenames are both present and clearly different: not equal, no shared token, no
shared nickname alias, first forenames more than one edit apart and Jaro-Winkler below 0.9, neither
a prefix (or initial) of the other, not in a common nickname group even allowing one typo in
either name (``cleaning.name_groups``), and not explained by given and family names being swapped.
Two groups with a forename conflict are not merged *unless they share a strong identifier value*
(same NHS number, UPN, LA child id or PNC id), which overrides it.  Fellegi-Sunter scores twins
(same surname, DOB and address) as near-certain matches because it treats those agreements as
independent evidence; this rule is what keeps them apart.  Forename conflicts are guard actions
but are not counted as *strong* conflicts in evaluation.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jellyfish
import pandas as pd

from .cleaning import name_groups

IDENTIFIER_FIELDS: tuple[str, ...] = ("nhs_number", "upn", "la_child_id", "police_id")
_ISSUER_FIELD = {"la_child_id": "la_child_id_issuer", "police_id": "police_id_issuer"}
DOB_MAX_DAYS_APART = 400


@dataclass(frozen=True)
class ClusterSettings:
    threshold: float = 0.95
    review_lower: float = 0.5
    review_upper: float | None = None  # None: same as threshold
    bridge_threshold: float = 0.99
    support_threshold: float = 0.5
    min_side: int = 2
    identifier_fields: tuple[str, ...] = IDENTIFIER_FIELDS
    guard_conflicts: bool = True
    guard_forenames: bool = True
    cut_weak_bridges: bool = True


@dataclass
class ClusterResult:
    """``assignments``: DataFrame (unique_id, cluster_id, cluster_size), one row per record;
    ``review_pairs``: DataFrame (unique_id_l, unique_id_r, match_probability, match_weight,
    same_cluster, reason); ``guard_actions``: list of dicts describing each refusal or cut."""

    assignments: pd.DataFrame
    review_pairs: pd.DataFrame
    guard_actions: list[dict[str, Any]] = field(default_factory=list)

    def cluster_of(self) -> dict[str, str]:
        return dict(zip(self.assignments["unique_id"], self.assignments["cluster_id"], strict=True))


# ------------------------------------------------------------------------------------------------
# Strong conflicts
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Name:
    given: str
    first: str
    aliases: frozenset[str]
    family: str


@dataclass
class _Profile:
    """What one group holds: identifier values per (field, issuer), its distinct DOBs and names."""

    ids: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    dobs: set[dt.date] = field(default_factory=set)
    names: set[_Name] = field(default_factory=set)


def _name_of(given: Any, aliases: Any, family: Any) -> _Name | None:
    if not isinstance(given, str) or not given:
        return None
    first = given.split(" ")[0]
    alias_set = frozenset({first}) if aliases is None else frozenset(list(aliases)) | {first}
    return _Name(
        given=given, first=first, aliases=alias_set, family=family if isinstance(family, str) else ""
    )


def forenames_compatible(a: _Name, b: _Name) -> bool:
    """False only when two present forenames are clearly different (see the module docstring)."""
    if a.given == b.given or a.aliases & b.aliases:
        return True
    if set(a.given.split(" ")) & set(b.given.split(" ")):
        return True
    if a.given == b.family or b.given == a.family:  # given and family names swapped
        return True
    x, y = a.first, b.first
    if x.startswith(y) or y.startswith(x):
        return True
    if jellyfish.damerau_levenshtein_distance(x, y) <= 1 or jellyfish.jaro_winkler_similarity(x, y) >= 0.9:
        return True
    return bool(name_groups(x) & name_groups(y))  # nickname of a typo'd name, e.g. "olver" / "ollie"


def _record_profiles(
    records: pd.DataFrame, fields: Sequence[str], *, with_names: bool = False
) -> dict[str, _Profile]:
    profiles: dict[str, _Profile] = {}
    cols = {c: records[c].tolist() if c in records.columns else [None] * len(records) for c in fields}
    issuers = {
        c: records[_ISSUER_FIELD[c]].tolist()
        if c in _ISSUER_FIELD and _ISSUER_FIELD[c] in records.columns
        else [""] * len(records)
        for c in fields
    }
    dobs = records["dob"].tolist() if "dob" in records.columns else [None] * len(records)
    names = [None] * len(records)
    if with_names and "given_name" in records.columns:
        aliases = (
            records["given_name_aliases"].tolist()
            if "given_name_aliases" in records.columns
            else [None] * len(records)
        )
        family = (
            records["family_name"].tolist() if "family_name" in records.columns else [None] * len(records)
        )
        names = [
            _name_of(g, al, f)
            for g, al, f in zip(records["given_name"].tolist(), aliases, family, strict=True)
        ]
    for i, uid in enumerate(records["unique_id"].tolist()):
        prof = _Profile()
        for c in fields:
            value = cols[c][i]
            if isinstance(value, str) and value:
                prof.ids[(c, issuers[c][i] or "")] = {value}
        dob = dobs[i]
        if isinstance(dob, str) and dob:
            prof.dobs.add(dt.date.fromisoformat(dob))
        elif isinstance(dob, dt.date):
            prof.dobs.add(dob)
        if names[i] is not None:
            prof.names.add(names[i])
        profiles[str(uid)] = prof
    return profiles


def dobs_compatible(a: dt.date, b: dt.date) -> bool:
    if abs((a - b).days) <= DOB_MAX_DAYS_APART:
        return True
    if (a.month, a.day) == (b.month, b.day) and abs(a.year - b.year) <= 2:
        return True
    return (a.month, a.day) == (b.day, b.month) and abs(a.year - b.year) <= 1


def _conflict(a: _Profile, b: _Profile) -> str | None:
    for key, values in a.ids.items():
        other = b.ids.get(key)
        if other is not None and other != values:
            return f"{key[0]}: {'/'.join(sorted(values))} vs {'/'.join(sorted(other))}"
    for da in a.dobs:
        for db in b.dobs:
            if not dobs_compatible(da, db):
                return f"dob: {da.isoformat()} vs {db.isoformat()}"
    return None


def _forename_conflict(a: _Profile, b: _Profile) -> str | None:
    if any(a.ids.get(key) == values for key, values in b.ids.items()):
        return None  # a shared strong identifier outweighs different forenames
    for na in a.names:
        for nb in b.names:
            if not forenames_compatible(na, nb):
                return f"forenames: {na.given} vs {nb.given}"
    return None


def _merge_profiles(a: _Profile, b: _Profile) -> _Profile:
    ids = {k: set(v) for k, v in a.ids.items()}
    for k, v in b.ids.items():
        ids.setdefault(k, set()).update(v)
    return _Profile(ids=ids, dobs=a.dobs | b.dobs, names=a.names | b.names)


def strong_conflict(
    record_a: Mapping[str, Any], record_b: Mapping[str, Any], fields: Sequence[str] = IDENTIFIER_FIELDS
) -> str | None:
    """The reason two clean records strongly conflict, or None.  Records are clean-frame rows."""
    frame = pd.DataFrame([dict(record_a), dict(record_b)])
    frame["unique_id"] = ["a", "b"]
    profiles = _record_profiles(frame, fields)
    return _conflict(profiles["a"], profiles["b"])


def clusters_with_conflicts(
    records: pd.DataFrame, cluster_of: Mapping[str, str], fields: Sequence[str] = IDENTIFIER_FIELDS
) -> list[str]:
    """Ids of clusters holding at least one strong conflict (records: the clean frame)."""
    profiles = _record_profiles(records, fields)
    members: dict[str, list[str]] = defaultdict(list)
    for uid, cid in cluster_of.items():
        members[cid].append(uid)
    bad = []
    for cid, uids in members.items():
        if len(uids) < 2:
            continue
        acc = profiles[uids[0]]
        for uid in uids[1:]:
            if _conflict(acc, profiles[uid]) is not None:
                bad.append(cid)
                break
            acc = _merge_profiles(acc, profiles[uid])
    return sorted(bad)


# ------------------------------------------------------------------------------------------------
# Clustering
# ------------------------------------------------------------------------------------------------


class _UnionFind:
    def __init__(self, nodes: Iterable[str]):
        self.parent = {n: n for n in nodes}

    def find(self, x: str) -> str:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root


def _edges(pairs: pd.DataFrame) -> list[tuple[float, str, str, float]]:
    weights = (
        pairs["match_weight"].tolist() if "match_weight" in pairs.columns else [float("nan")] * len(pairs)
    )
    edges = []
    for left, right, p, w in zip(
        pairs["unique_id_l"].astype(str).tolist(),
        pairs["unique_id_r"].astype(str).tolist(),
        pairs["match_probability"].astype(float).tolist(),
        weights,
        strict=True,
    ):
        if left == right:
            continue
        a, b = (left, right) if left < right else (right, left)
        edges.append((p, a, b, w))
    edges.sort(key=lambda e: (-e[0], e[1], e[2]))
    return edges


def _find_bridges(nodes: list[str], adj: Mapping[str, list[tuple[str, int]]]) -> list[int]:
    """Edge indices that are bridges of the graph on ``nodes`` (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    bridges: list[int] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        index[start] = low[start] = counter
        counter += 1
        stack: list[tuple[str, int, Iterable[tuple[str, int]]]] = [(start, -1, iter(adj.get(start, ())))]
        while stack:
            node, via, it = stack[-1]
            advanced = False
            for nxt, eid in it:
                if eid == via:
                    continue
                if nxt in index:
                    low[node] = min(low[node], index[nxt])
                else:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append((nxt, eid, iter(adj.get(nxt, ()))))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > index[parent]:
                        bridges.append(via)
    return bridges


def _component(start: str, adj: Mapping[str, list[tuple[str, int]]], banned: set[int]) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        node = todo.pop()
        for nxt, eid in adj.get(node, ()):
            if eid not in banned and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _cut_weak_bridges(
    members: list[str],
    support: list[tuple[float, str, str, float]],
    settings: ClusterSettings,
    actions: list[dict[str, Any]],
) -> list[set[str]]:
    """Split one group at weak single bridges; returns the resulting groups."""
    adj: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for eid, (_p, a, b, _w) in enumerate(support):
        adj[a].append((b, eid))
        adj[b].append((a, eid))
    banned: set[int] = set()
    while True:
        live = {n: [(m, e) for m, e in adj[n] if e not in banned] for n in adj}
        candidates = []
        for eid in _find_bridges(members, live):
            p, a, b, _w = support[eid]
            if p >= settings.bridge_threshold or p < settings.threshold:
                continue
            side = _component(a, live, banned | {eid})
            whole = _component(a, live, banned)
            if min(len(side), len(whole) - len(side)) >= settings.min_side:
                candidates.append((p, a, b, eid))
        if not candidates:
            break
        p, a, b, eid = min(candidates)
        banned.add(eid)
        actions.append(
            {
                "action": "cut_weak_bridge",
                "unique_id_l": a,
                "unique_id_r": b,
                "match_probability": p,
                "reason": f"only link between two groups of records, p={p:.4f} < {settings.bridge_threshold}",
            }
        )
    groups: list[set[str]] = []
    seen: set[str] = set()
    live = {n: [(m, e) for m, e in adj[n] if e not in banned] for n in adj}
    for node in members:
        if node not in seen:
            comp = _component(node, live, banned) & set(members)
            seen |= comp
            groups.append(comp)
    return groups


def cluster_pairs(
    pairs: pd.DataFrame,
    records: pd.DataFrame,
    settings: ClusterSettings | None = None,
) -> ClusterResult:
    """Cluster ``records`` (the clean frame, or any frame with ``unique_id`` plus the identifier,
    issuer and ``dob`` columns) using scored ``pairs`` (``unique_id_l``, ``unique_id_r``,
    ``match_probability`` and optionally ``match_weight``).  Every record gets a cluster, singletons
    included; ``cluster_id`` is the smallest ``unique_id`` in the cluster."""
    settings = settings or ClusterSettings()
    review_upper = settings.review_upper if settings.review_upper is not None else settings.threshold
    nodes = [str(u) for u in records["unique_id"].tolist()]
    node_set = set(nodes)
    edges = [e for e in _edges(pairs) if e[1] in node_set and e[2] in node_set]
    guarded = settings.guard_conflicts or settings.guard_forenames
    profiles: dict[str, _Profile] = {}
    if guarded:
        # Only records on a merging edge are ever compared; most records are on none.
        merging = {n for e in edges if e[0] >= settings.threshold for n in (e[1], e[2])}
        involved = records[[str(u) in merging for u in records["unique_id"].tolist()]]
        profiles = _record_profiles(involved, settings.identifier_fields, with_names=settings.guard_forenames)
    uf = _UnionFind(nodes)
    group_profile: dict[str, _Profile] = dict(profiles)
    actions: list[dict[str, Any]] = []
    flagged: dict[tuple[str, str], str] = {}

    for p, a, b, _w in edges:
        if p < settings.threshold:
            break
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb:
            continue
        if guarded:
            pa, pb = group_profile[ra], group_profile[rb]
            reason = _conflict(pa, pb) if settings.guard_conflicts else None
            kind = "strong conflict"
            if reason is None and settings.guard_forenames:
                reason, kind = _forename_conflict(pa, pb), "forename conflict"
            if reason is not None:
                actions.append(
                    {
                        "action": "refused_merge",
                        "unique_id_l": a,
                        "unique_id_r": b,
                        "match_probability": p,
                        "reason": f"{kind}: {reason}",
                    }
                )
                flagged[(a, b)] = "guard_refused"
                continue
            merged = _merge_profiles(pa, pb)
        uf.parent[rb] = ra
        if guarded:
            group_profile[ra] = merged
            group_profile.pop(rb, None)

    groups: dict[str, list[str]] = defaultdict(list)
    for n in nodes:
        groups[uf.find(n)].append(n)

    if settings.cut_weak_bridges:
        by_root_edges: dict[str, list[tuple[float, str, str, float]]] = defaultdict(list)
        for e in edges:
            if e[0] < settings.support_threshold:
                break
            ra, rb = uf.find(e[1]), uf.find(e[2])
            if ra == rb and len(groups[ra]) >= 2 * settings.min_side:
                by_root_edges[ra].append(e)
        final_groups: list[list[str]] = []
        for root, members in groups.items():
            if root in by_root_edges:
                before = len(actions)
                parts = _cut_weak_bridges(members, by_root_edges[root], settings, actions)
                for act in actions[before:]:
                    flagged[(act["unique_id_l"], act["unique_id_r"])] = "bridge_cut"
                final_groups.extend(sorted(part) for part in parts)
            else:
                final_groups.append(members)
    else:
        final_groups = list(groups.values())

    cluster_of: dict[str, str] = {}
    sizes: dict[str, int] = {}
    for members in final_groups:
        cid = min(members)
        sizes[cid] = len(members)
        for m in members:
            cluster_of[m] = cid
    assignments = pd.DataFrame(
        {
            "unique_id": nodes,
            "cluster_id": [cluster_of[n] for n in nodes],
            "cluster_size": [sizes[cluster_of[n]] for n in nodes],
        }
    )

    review_rows = []
    for p, a, b, w in edges:
        reason = flagged.get((a, b))
        if reason is None and not (settings.review_lower <= p < review_upper):
            continue
        review_rows.append(
            {
                "unique_id_l": a,
                "unique_id_r": b,
                "match_probability": p,
                "match_weight": w,
                "same_cluster": cluster_of[a] == cluster_of[b],
                "reason": reason or "probability_band",
            }
        )
    review = pd.DataFrame(
        review_rows,
        columns=["unique_id_l", "unique_id_r", "match_probability", "match_weight", "same_cluster", "reason"],
    )
    return ClusterResult(assignments=assignments, review_pairs=review, guard_actions=actions)
