"""Per-field explanation of a scored pair, as rows for a waterfall chart (pure Python; no Splink).

Built from the ``gamma_*`` / ``mw_*`` / ``mw_tf_adj_*`` columns of ``predict_pairs`` and the model's
settings, not from Splink's chart code (whose waterfall and comparison viewer have open bugs about
disagreeing probabilities; see /work/shared/domain/linkage.md §5).

The match weight of a pair is ``prior + sum(comparison weights) + sum(term-frequency adjustments)``
in bits (log2 odds); ``match_probability = 2**w / (1 + 2**w)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .engine import LinkageModel

# Which compared values to show for each comparison (the first column present wins).
_VALUE_COLUMNS: dict[str, tuple[str, ...]] = {
    "address": ("address_key", "postcode"),
}
_NULL_COLUMN = re.compile(r'"?(\w+)_l"?\s+IS\s+NULL', re.IGNORECASE)


def _levels_by_gamma(comparison: Mapping[str, Any]) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
    """Splink's numbering: null levels are -1; the others count down from n-1 to 0 in order."""
    levels = comparison["comparison_levels"]
    non_null = [lv for lv in levels if not lv.get("is_null_level")]
    by_gamma = {len(non_null) - 1 - i: lv for i, lv in enumerate(non_null)}
    nulls = [lv for lv in levels if lv.get("is_null_level")]
    return by_gamma, nulls


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    try:
        return bool(len(value)) if isinstance(value, str | list | tuple) else True
    except TypeError:
        return True


def _plain(value: Any) -> Any:
    if not _present(value):
        return None
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, float | int | str | bool):
        return value
    return str(value)


def _null_label(nulls: list[dict[str, Any]], pair: Mapping[str, Any]) -> str:
    if not nulls:
        return "Not comparable"
    if len(nulls) > 1:
        match = _NULL_COLUMN.search(nulls[0].get("sql_condition", ""))
        if match:
            col = match.group(1)
            if _present(pair.get(f"{col}_l")) and _present(pair.get(f"{col}_r")):
                return nulls[1].get("label_for_charts") or "Not comparable"
    return nulls[0].get("label_for_charts") or "Missing on one or both records"


def _value_column(name: str, pair: Mapping[str, Any]) -> str | None:
    for col in (*_VALUE_COLUMNS.get(name, ()), name):
        if f"{col}_l" in pair:
            return col
    return None


def explanation_columns(model: LinkageModel) -> list[str]:
    """The prediction columns ``explain_pair`` needs (store these to explain a pair later)."""
    cols = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
    for comp in model.settings["comparisons"]:
        name = comp["output_column_name"]
        cols += [f"gamma_{name}", f"mw_{name}"]
        if any(lv.get("tf_adjustment_column") for lv in comp["comparison_levels"]):
            cols.append(f"mw_tf_adj_{name}")
    return cols


def explain_pair(
    pair: Mapping[str, Any], model: LinkageModel, *, include_values: bool = True
) -> list[dict[str, Any]]:
    """Waterfall rows for one pair (a row of ``predict_pairs`` as a dict or pandas Series).

    Rows, in order: ``kind="prior"``; one ``kind="comparison"`` per comparison (field, level label,
    gamma, match weight, Bayes factor, m and u, and the two values unless ``include_values`` is
    False); a ``kind="term_frequency"`` row after a comparison whose value's frequency adjusted it;
    and ``kind="final"``.  Every row carries ``cumulative_match_weight`` for drawing the waterfall.
    The final row also gives ``splink_match_weight`` (as predicted) so a caller can check they agree.
    """
    row = dict(pair.items()) if hasattr(pair, "items") else dict(pair)
    prior = model.probability_two_random_records_match
    prior_weight = math.log2(prior / (1 - prior))
    steps: list[dict[str, Any]] = [
        {
            "kind": "prior",
            "comparison": "prior",
            "label": "Starting point: chance that two random records are the same person",
            "match_weight": prior_weight,
            "bayes_factor": prior / (1 - prior),
            "probability": prior,
            "cumulative_match_weight": prior_weight,
        }
    ]
    total = prior_weight
    for comp in model.settings["comparisons"]:
        name = comp["output_column_name"]
        gamma_raw = row.get(f"gamma_{name}")
        if gamma_raw is None:
            raise KeyError(f"pair has no gamma_{name} column; pass a row of predict_pairs")
        gamma = int(gamma_raw)
        by_gamma, nulls = _levels_by_gamma(comp)
        level = by_gamma.get(gamma)
        weight = float(row.get(f"mw_{name}") or 0.0)
        total += weight
        entry: dict[str, Any] = {
            "kind": "comparison",
            "comparison": name,
            "description": comp.get("comparison_description") or name,
            "gamma": gamma,
            "label": _null_label(nulls, row) if level is None else level.get("label_for_charts"),
            "match_weight": weight,
            "bayes_factor": 2.0**weight,
            "m_probability": None if level is None else level.get("m_probability"),
            "u_probability": None if level is None else level.get("u_probability"),
            "cumulative_match_weight": total,
        }
        col = _value_column(name, row)
        if include_values and col:
            entry["value_l"] = _plain(row.get(f"{col}_l"))
            entry["value_r"] = _plain(row.get(f"{col}_r"))
        steps.append(entry)
        tf = row.get(f"mw_tf_adj_{name}")
        if _present(tf) and float(tf) != 0.0:
            total += float(tf)
            steps.append(
                {
                    "kind": "term_frequency",
                    "comparison": name,
                    "description": comp.get("comparison_description") or name,
                    "label": "Adjustment for how common the shared value is",
                    "match_weight": float(tf),
                    "bayes_factor": 2.0 ** float(tf),
                    "cumulative_match_weight": total,
                }
            )
    splink_weight = row.get("match_weight")
    steps.append(
        {
            "kind": "final",
            "comparison": "final",
            "label": "Final match weight",
            "match_weight": total,
            "match_probability": 2.0**total / (1.0 + 2.0**total) if total < 1000 else 1.0,
            "splink_match_weight": None if splink_weight is None else float(splink_weight),
            "cumulative_match_weight": total,
        }
    )
    return steps


def explain_pairs(
    pairs: Any,
    model: LinkageModel,
    ids: Iterable[tuple[str, str]] | None = None,
    *,
    include_values: bool = True,
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Explanations for many rows of a ``predict_pairs`` / ``predict_between`` frame, keyed by the
    *sorted* id pair (the same order as ``ClusterResult.review_pairs``).  ``ids`` limits the
    result to those pairs (either order); pairs not in ``pairs`` are simply absent."""
    wanted = None if ids is None else {tuple(sorted(pair)) for pair in ids}
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in pairs.to_dict("records"):
        key = tuple(sorted((str(row["unique_id_l"]), str(row["unique_id_r"]))))
        if wanted is not None and key not in wanted:
            continue
        out[key] = explain_pair(row, model, include_values=include_values)
    return out
