"""Evaluation metrics on a small example computed by hand."""

from __future__ import annotations

import pytest

from lantern.analytics.linkage import clean_records, cluster_scores, evaluate_clusters, pairwise_scores

# Truth: person P = {1, 2, 3}, Q = {4, 5}, R = {6}.
TRUTH = {"1": "P", "2": "P", "3": "P", "4": "Q", "5": "Q", "6": "R"}
# Predicted: A = {1, 2}, B = {3, 4, 5}, C = {6}.
PREDICTED = {"1": "A", "2": "A", "3": "B", "4": "B", "5": "B", "6": "C"}


def test_pairwise_scores_by_hand():
    # True pairs: C(3,2) + C(2,2) = 4.  Predicted pairs: C(2,2) + C(3,2) = 4.
    # Shared: {1,2} from A∩P and {4,5} from B∩Q = 2.
    scores = pairwise_scores(PREDICTED, TRUTH)
    assert (scores.true_positive_pairs, scores.predicted_pairs, scores.true_pairs) == (2, 4, 4)
    assert scores.precision == pytest.approx(0.5)
    assert scores.recall == pytest.approx(0.5)
    assert scores.f1 == pytest.approx(0.5)


def test_perfect_and_empty_predictions():
    assert pairwise_scores(TRUTH, TRUTH).f1 == pytest.approx(1.0)
    singletons = {k: k for k in TRUTH}
    s = pairwise_scores(singletons, TRUTH)
    assert (s.precision, s.recall, s.f1) == (1.0, 0.0, 0.0)


def test_cluster_scores_by_hand():
    scores = cluster_scores(PREDICTED, TRUTH)
    assert scores.predicted_clusters == 3
    assert scores.true_clusters == 3
    assert scores.true_persons_split == 1  # P is split across A and B; Q is whole
    assert scores.share_true_persons_split == pytest.approx(0.5)
    assert scores.predicted_clusters_merged == 1  # B holds P and Q
    assert scores.share_predicted_clusters_merged == pytest.approx(0.5)
    assert scores.exact_cluster_matches == 1  # C == R


def test_conflicting_clusters_are_counted_from_records():
    records = clean_records(
        [
            {"unique_id": "1", "source": "h", "nhs_number": "9990403333"},
            {"unique_id": "2", "source": "h"},
            {"unique_id": "3", "source": "h", "nhs_number": "9994716743"},
            {"unique_id": "4", "source": "s", "upn": "P855210314127"},
            {"unique_id": "5", "source": "s", "upn": "F855279121740"},
            {"unique_id": "6", "source": "s"},
        ]
    )
    result = evaluate_clusters(PREDICTED, TRUTH, records)
    # A = {1, 2} is clean; B = {3, 4, 5} holds two different UPNs.
    assert result["clusters"]["clusters_with_strong_conflicts"] == 1
    assert result["pairwise"]["f1"] == pytest.approx(0.5)
