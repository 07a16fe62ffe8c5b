"""Clustering guards on hand-made pairs (pure Python, no Splink)."""

from __future__ import annotations

import pandas as pd

from lantern.analytics.linkage import ClusterSettings, clean_records, cluster_pairs, strong_conflict
from lantern.analytics.linkage.clusters import clusters_with_conflicts, dobs_compatible


def _records(*rows):
    return clean_records([{"source": "x"} | r for r in rows])


def _pairs(*edges):
    return pd.DataFrame(
        [
            {"unique_id_l": a, "unique_id_r": b, "match_probability": p, "match_weight": 0.0}
            for a, b, p in edges
        ]
    )


def _groups(result):
    out: dict[str, set[str]] = {}
    for uid, cid in result.cluster_of().items():
        out.setdefault(cid, set()).add(uid)
    return sorted(sorted(g) for g in out.values())


def test_plain_components_without_conflicts():
    recs = _records({"unique_id": "a"}, {"unique_id": "b"}, {"unique_id": "c"}, {"unique_id": "d"})
    result = cluster_pairs(_pairs(("a", "b", 0.99), ("b", "c", 0.97), ("c", "d", 0.6)), recs)
    assert _groups(result) == [["a", "b", "c"], ["d"]]
    assert result.guard_actions == []
    assert result.assignments.set_index("unique_id").loc["c", "cluster_id"] == "a"
    band = result.review_pairs
    assert list(zip(band.unique_id_l, band.unique_id_r, band.reason, strict=True)) == [
        ("c", "d", "probability_band")
    ]


def test_conflicting_nhs_numbers_split_a_forced_bad_cluster():
    # a and c hold different NHS numbers; b (no NHS number) links to both strongly.  Plain
    # connected components would put all three together.
    recs = _records(
        {"unique_id": "a", "nhs_number": "9990403333"},
        {"unique_id": "b"},
        {"unique_id": "c", "nhs_number": "9994716743"},
    )
    pairs = _pairs(("a", "b", 0.999), ("b", "c", 0.98))
    plain = cluster_pairs(pairs, recs, ClusterSettings(guard_conflicts=False, cut_weak_bridges=False))
    assert _groups(plain) == [["a", "b", "c"]]
    assert clusters_with_conflicts(recs, plain.cluster_of()) == ["a"]

    guarded = cluster_pairs(pairs, recs)
    assert _groups(guarded) == [["a", "b"], ["c"]]  # the weaker edge is the one refused
    assert clusters_with_conflicts(recs, guarded.cluster_of()) == []
    (action,) = guarded.guard_actions
    assert action["action"] == "refused_merge"
    assert (action["unique_id_l"], action["unique_id_r"]) == ("b", "c")
    assert "nhs_number" in action["reason"]
    refused = guarded.review_pairs[guarded.review_pairs.reason == "guard_refused"]
    assert list(zip(refused.unique_id_l, refused.unique_id_r, strict=True)) == [("b", "c")]


def test_dobs_years_apart_are_a_strong_conflict():
    recs = _records(
        {"unique_id": "a", "dob": "2012-05-31"},
        {"unique_id": "b"},
        {"unique_id": "c", "dob": "2015-05-31"},
    )
    result = cluster_pairs(_pairs(("a", "b", 0.99), ("b", "c", 0.99)), recs)
    assert _groups(result) == [["a", "b"], ["c"]]
    assert "dob" in result.guard_actions[0]["reason"]


def test_dob_slips_are_not_conflicts():
    assert dobs_compatible(pd.Timestamp("2012-05-31").date(), pd.Timestamp("2013-05-31").date())
    assert dobs_compatible(pd.Timestamp("2011-05-31").date(), pd.Timestamp("2013-05-31").date())  # +1 and -1
    assert dobs_compatible(pd.Timestamp("2012-03-04").date(), pd.Timestamp("2012-04-03").date())
    assert not dobs_compatible(pd.Timestamp("2012-05-31").date(), pd.Timestamp("2015-05-31").date())
    assert not dobs_compatible(pd.Timestamp("1987-06-11").date(), pd.Timestamp("2018-07-31").date())


def test_identifiers_from_different_issuers_do_not_conflict():
    a = _records({"unique_id": "a", "la_child_id": "LCC1234567"}).iloc[0]
    b = _records({"unique_id": "b", "la_child_id": "NCC7654321"}).iloc[0]
    c = _records({"unique_id": "c", "la_child_id": "LCC7654321"}).iloc[0]
    assert strong_conflict(a, b) is None
    assert "la_child_id" in strong_conflict(a, c)
    assert strong_conflict(a, a) is None


def test_a_single_weak_bridge_between_two_groups_is_cut():
    recs = _records(*({"unique_id": u} for u in "abcd"))
    pairs = _pairs(("a", "b", 0.999), ("c", "d", 0.999), ("b", "c", 0.96))
    result = cluster_pairs(pairs, recs)
    assert _groups(result) == [["a", "b"], ["c", "d"]]
    assert result.guard_actions[0]["action"] == "cut_weak_bridge"
    # A strong bridge, or a second supporting link between the groups, keeps them together.
    assert _groups(cluster_pairs(_pairs(("a", "b", 0.999), ("c", "d", 0.999), ("b", "c", 0.995)), recs)) == [
        ["a", "b", "c", "d"]
    ]
    supported = _pairs(("a", "b", 0.999), ("c", "d", 0.999), ("b", "c", 0.96), ("a", "d", 0.7))
    assert _groups(cluster_pairs(supported, recs)) == [["a", "b", "c", "d"]]
    # A leaf record hanging off a group by one edge is not a "bridge between groups".
    leaf = _pairs(("a", "b", 0.999), ("b", "c", 0.999), ("c", "d", 0.96))
    assert _groups(cluster_pairs(leaf, recs)) == [["a", "b", "c", "d"]]


def test_edges_below_threshold_never_merge_and_results_are_deterministic():
    recs = _records(*({"unique_id": u} for u in "abc"))
    pairs = _pairs(("b", "a", 0.94), ("c", "b", 0.5))
    first = cluster_pairs(pairs, recs)
    again = cluster_pairs(pairs.iloc[::-1], recs)
    assert _groups(first) == [["a"], ["b"], ["c"]]
    assert first.assignments.equals(again.assignments)
    assert set(zip(first.review_pairs.unique_id_l, first.review_pairs.unique_id_r, strict=True)) == {
        ("a", "b"),
        ("b", "c"),
    }
