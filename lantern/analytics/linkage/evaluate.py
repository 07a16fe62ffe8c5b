"""Evaluation of predicted clusters against ground truth (pure Python; no Splink).

Pairwise figures count *pairs of records placed together*, computed from contingency counts in
O(records), never by listing pairs: with n_ij records shared by predicted cluster i and true
person j, a_i = sum_j n_ij and b_j = sum_i n_ij,

* true positives  TP = sum_ij C(n_ij, 2)
* predicted pairs P  = sum_i C(a_i, 2)
* true pairs      T  = sum_j C(b_j, 2)
* precision = TP / P, recall = TP / T, F1 = 2PR / (P + R).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from .clusters import IDENTIFIER_FIELDS, clusters_with_conflicts


def _c2(n: int) -> int:
    return n * (n - 1) // 2


@dataclass(frozen=True)
class PairwiseScores:
    true_positive_pairs: int
    predicted_pairs: int
    true_pairs: int
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class ClusterScores:
    records: int
    predicted_clusters: int
    true_clusters: int
    true_persons_split: int
    share_true_persons_split: float  # of true persons with 2+ records
    predicted_clusters_merged: int
    share_predicted_clusters_merged: float  # of predicted clusters with 2+ records
    clusters_with_strong_conflicts: int
    exact_cluster_matches: int  # predicted clusters identical to a true person's record set


def pairwise_scores(predicted: Mapping[str, str], truth: Mapping[str, str]) -> PairwiseScores:
    """Pairwise precision / recall / F1 of ``predicted`` (record -> cluster) against ``truth``
    (record -> person).  Only records present in both mappings are counted."""
    keys = [k for k in predicted if k in truth]
    cells = Counter((predicted[k], truth[k]) for k in keys)
    pred_sizes = Counter(predicted[k] for k in keys)
    true_sizes = Counter(truth[k] for k in keys)
    tp = sum(_c2(n) for n in cells.values())
    p_pairs = sum(_c2(n) for n in pred_sizes.values())
    t_pairs = sum(_c2(n) for n in true_sizes.values())
    precision = tp / p_pairs if p_pairs else 1.0
    recall = tp / t_pairs if t_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairwiseScores(tp, p_pairs, t_pairs, precision, recall, f1)


def cluster_scores(
    predicted: Mapping[str, str],
    truth: Mapping[str, str],
    records: pd.DataFrame | None = None,
    identifier_fields: tuple[str, ...] = IDENTIFIER_FIELDS,
) -> ClusterScores:
    """Cluster-level figures.  A true person is *split* if their records fall in 2+ predicted
    clusters; a predicted cluster is *merged* if it holds records of 2+ true persons.  Strong
    conflicts (``clusters.strong_conflict``) are counted only when the clean ``records`` are given."""
    keys = [k for k in predicted if k in truth]
    pred_people: dict[str, set[str]] = {}
    true_clusters: dict[str, set[str]] = {}
    for k in keys:
        pred_people.setdefault(predicted[k], set()).add(truth[k])
        true_clusters.setdefault(truth[k], set()).add(predicted[k])
    true_sizes = Counter(truth[k] for k in keys)
    pred_sizes = Counter(predicted[k] for k in keys)
    multi_true = [p for p, n in true_sizes.items() if n > 1]
    multi_pred = [c for c, n in pred_sizes.items() if n > 1]
    split = sum(1 for p in multi_true if len(true_clusters[p]) > 1)
    merged = sum(1 for c in multi_pred if len(pred_people[c]) > 1)
    exact = sum(
        1
        for c, people in pred_people.items()
        if len(people) == 1 and true_sizes[next(iter(people))] == pred_sizes[c]
    )
    conflicts = 0
    if records is not None:
        conflicts = len(clusters_with_conflicts(records, {k: predicted[k] for k in keys}, identifier_fields))
    return ClusterScores(
        records=len(keys),
        predicted_clusters=len(pred_sizes),
        true_clusters=len(true_sizes),
        true_persons_split=split,
        share_true_persons_split=split / len(multi_true) if multi_true else 0.0,
        predicted_clusters_merged=merged,
        share_predicted_clusters_merged=merged / len(multi_pred) if multi_pred else 0.0,
        clusters_with_strong_conflicts=conflicts,
        exact_cluster_matches=exact,
    )


def evaluate_clusters(
    predicted: Mapping[str, str], truth: Mapping[str, str], records: pd.DataFrame | None = None
) -> dict[str, Any]:
    """Both sets of figures as one flat-ish dict (``pairwise`` and ``clusters``)."""
    return {
        "pairwise": asdict(pairwise_scores(predicted, truth)),
        "clusters": asdict(cluster_scores(predicted, truth, records)),
    }
