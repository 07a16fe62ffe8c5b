"""Identity resolution for Lantern: one child across every agency's records (Splink 5, pure Python).

Public facade (names are loaded lazily, so ``import lantern.analytics.linkage.cleaning`` does not
import Splink):

* input:    ``INPUT_COLUMNS``, ``to_input_frame``, ``frame_from_generator``, ``clean_records``
* model:    ``train_model``, ``LinkageModel``, ``load_model``, ``TrainingOptions``, ``EngineConfig``
* predict:  ``predict_pairs``, ``predict_between``
* cluster:  ``cluster_pairs``, ``ClusterSettings``, ``ClusterResult``, ``strong_conflict``
* explain:  ``explain_pair``, ``explain_pairs``, ``explanation_columns``
* evaluate: ``evaluate_clusters``, ``pairwise_scores``, ``cluster_scores``
* errors:   ``LinkageError``, ``ModelLoadError``, ``BackendError``, ``InputContractError``

See docs/linkage.md.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "INPUT_COLUMNS": "cleaning",
    "CLEAN_COLUMNS": "cleaning",
    "InputContractError": "cleaning",
    "to_input_frame": "cleaning",
    "frame_from_generator": "cleaning",
    "clean_records": "cleaning",
    "BackendError": "engine",
    "EngineConfig": "engine",
    "LinkageError": "engine",
    "LinkageModel": "engine",
    "ModelLoadError": "engine",
    "TrainingOptions": "engine",
    "load_model": "engine",
    "predict_between": "engine",
    "predict_pairs": "engine",
    "train_model": "engine",
    "ClusterResult": "clusters",
    "ClusterSettings": "clusters",
    "cluster_pairs": "clusters",
    "strong_conflict": "clusters",
    "explain_pair": "explain",
    "explanation_columns": "explain",
    "explain_pairs": "explain",
    "cluster_scores": "evaluate",
    "evaluate_clusters": "evaluate",
    "pairwise_scores": "evaluate",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
