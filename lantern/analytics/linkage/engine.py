"""Train, save, load and run the Splink 5 identity-resolution model.

This is the only module (with ``comparisons``) that touches Splink.  Backends: DuckDB (default,
in-process) or Spark, chosen by ``EngineConfig.backend`` or ``LANTERN_LINKAGE_BACKEND``.  Only the
DuckDB path is exercised by the tests; the Spark path (pyspark is the optional ``spark`` extra) was
run in local mode by ``benchmarks/linkage_engine_eval.py`` (figures in docs/linkage.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from . import comparisons
from .cleaning import CLEAN_COLUMNS, InputContractError, clean_records

MODEL_FORMAT = "lantern-linkage-model"
MODEL_FORMAT_VERSION = 1
BACKENDS = ("duckdb", "spark")

Records = pd.DataFrame | Iterable[Mapping[str, Any]]
Progress = Callable[[str], None]

log = logging.getLogger(__name__)


class LinkageError(Exception):
    """Base class for errors raised by the linkage engine."""


class ModelLoadError(LinkageError):
    """A saved model file is missing, unreadable, corrupt or not a Lantern linkage model."""


class BackendError(LinkageError):
    """The requested backend is unknown or cannot be started."""


# ------------------------------------------------------------------------------------------------
# Configuration and backends
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EngineConfig:
    """How to run Splink.  Every field falls back to an environment variable, then a default.

    * ``backend``: ``duckdb`` (default) or ``spark`` (``LANTERN_LINKAGE_BACKEND``).
    * ``threads``: DuckDB threads (``LANTERN_LINKAGE_THREADS``, default 2).
    * ``memory_limit``: DuckDB memory limit such as ``"6GB"`` (``LANTERN_LINKAGE_MEMORY_LIMIT``).
    * ``temp_directory``: where DuckDB spills (``LANTERN_LINKAGE_TEMP_DIR``).
    * ``spark_session``: an existing ``pyspark.sql.SparkSession`` for the Spark backend; if None
      one is built (local[*]) with Splink's similarity jar.
    """

    backend: str | None = None
    threads: int | None = None
    memory_limit: str | None = None
    temp_directory: str | None = None
    spark_session: Any = None

    def resolved_backend(self) -> str:
        backend = (self.backend or os.environ.get("LANTERN_LINKAGE_BACKEND") or "duckdb").strip().lower()
        if backend not in BACKENDS:
            raise BackendError(f"unknown linkage backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        return backend

    def resolved_threads(self) -> int:
        if self.threads:
            return int(self.threads)
        env = os.environ.get("LANTERN_LINKAGE_THREADS")
        return int(env) if env else 2


def _duckdb_api(config: EngineConfig) -> Any:
    import duckdb
    from splink import DuckDBAPI

    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {config.resolved_threads()}")
    memory_limit = config.memory_limit or os.environ.get("LANTERN_LINKAGE_MEMORY_LIMIT")
    if memory_limit:
        con.execute("SET memory_limit = ?", [memory_limit])
    temp_directory = config.temp_directory or os.environ.get("LANTERN_LINKAGE_TEMP_DIR")
    if temp_directory:
        con.execute("SET temp_directory = ?", [temp_directory])
    con.execute("SET preserve_insertion_order = false")
    return DuckDBAPI(connection=con)


def _spark_memory(limit: str) -> str:
    """A DuckDB-style size ("6GB", "6GiB", "512MB") as a JVM size ("6g", "512m")."""
    text = limit.strip().lower().replace("ib", "").replace("b", "")
    return text if text[-1:] in ("k", "m", "g", "t") else f"{text}m"


def _spark_api(config: EngineConfig) -> Any:  # pragma: no cover - needs pyspark (the spark extra)
    """Splink's ``SparkAPI``.  pyspark is an optional extra (``pip install -e '.[spark]'``) and a
    JDK (17+) must be on the PATH; both are checked here, when the backend is chosen, not at
    import.  Without ``spark_session`` a local session is built: ``local[threads]``, driver memory
    from ``memory_limit`` and scratch space in ``temp_directory`` when given, Splink's similarity
    jar (Jaro-Winkler, Damerau-Levenshtein UDFs) on the class path."""
    try:
        from pyspark.sql import SparkSession
        from splink import SparkAPI
        from splink.backends.spark import similarity_jar_location
    except ImportError as exc:
        raise BackendError(
            "LANTERN_LINKAGE_BACKEND=spark needs pyspark, which is not installed: "
            "pip install -e '.[spark]' (and a Java 17+ runtime)"
        ) from exc
    spark = config.spark_session
    temp_directory = config.temp_directory or os.environ.get("LANTERN_LINKAGE_TEMP_DIR")
    if spark is None:
        threads = config.resolved_threads()
        builder = (
            SparkSession.builder.appName("lantern-linkage")
            .master(f"local[{threads}]")
            .config("spark.jars", similarity_jar_location())
            .config("spark.sql.shuffle.partitions", str(max(4, threads * 4)))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
        memory_limit = config.memory_limit or os.environ.get("LANTERN_LINKAGE_MEMORY_LIMIT")
        if memory_limit:
            builder = builder.config("spark.driver.memory", _spark_memory(memory_limit))
        if temp_directory:
            builder = builder.config("spark.local.dir", temp_directory)
        try:
            spark = builder.getOrCreate()
        except Exception as exc:  # pyspark raises a bare runtime error when the JVM cannot start
            raise BackendError(f"the spark backend could not start a local Spark session: {exc}") from exc
    spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="lantern-linkage-spark-", dir=temp_directory))
    return SparkAPI(spark_session=spark)


def make_db_api(config: EngineConfig | None = None) -> Any:
    """A fresh Splink database API for the configured backend."""
    config = config or EngineConfig()
    backend = config.resolved_backend()
    return _duckdb_api(config) if backend == "duckdb" else _spark_api(config)


# ------------------------------------------------------------------------------------------------
# The model
# ------------------------------------------------------------------------------------------------


@dataclass
class LinkageModel:
    """A trained model: Splink's settings JSON plus Lantern's version and training metadata."""

    settings: dict[str, Any]
    model_version: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def probability_two_random_records_match(self) -> float:
        return float(self.settings["probability_two_random_records_match"])

    def as_json_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "model_version": self.model_version,
            "metadata": self.metadata,
            "splink_settings": self.settings,
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model as JSON (atomically: a temporary file renamed over ``path``)."""
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(json.dumps(self.as_json_dict(), indent=2, sort_keys=True), encoding="utf-8")
        tmp.replace(target)
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LinkageModel:
        return load_model(path)


def settings_fingerprint(settings: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


def load_model(path: str | os.PathLike[str]) -> LinkageModel:
    """Read a model saved by ``LinkageModel.save``.

    Raises ``ModelLoadError`` (and does nothing else: no fallback, no retraining, no writes) when
    the file is missing, unreadable, not JSON, not a Lantern model, of an unknown format version,
    or holds an untrained or malformed Splink settings block.
    """
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ModelLoadError(f"linkage model file not found: {target}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"linkage model file cannot be read: {target}: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"linkage model file is not valid JSON: {target}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
        raise ModelLoadError(f"{target} is not a Lantern linkage model (missing format={MODEL_FORMAT!r})")
    if data.get("format_version") != MODEL_FORMAT_VERSION:
        raise ModelLoadError(
            f"{target} has model format version {data.get('format_version')!r}; "
            f"this engine reads version {MODEL_FORMAT_VERSION}"
        )
    version = data.get("model_version")
    settings = data.get("splink_settings")
    if not isinstance(version, str) or not version:
        raise ModelLoadError(f"{target} has no model_version")
    _validate_settings(settings, target)
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    return LinkageModel(settings=settings, model_version=version, metadata=metadata)


def _validate_settings(settings: Any, target: Path) -> None:
    if not isinstance(settings, dict):
        raise ModelLoadError(f"{target} has no splink_settings object")
    prior = settings.get("probability_two_random_records_match")
    if not isinstance(prior, int | float) or not 0 < prior < 1:
        raise ModelLoadError(f"{target}: probability_two_random_records_match is missing or not in (0, 1)")
    comps = settings.get("comparisons")
    if not isinstance(comps, list) or not comps:
        raise ModelLoadError(f"{target}: splink_settings has no comparisons")
    for comp in comps:
        levels = comp.get("comparison_levels") if isinstance(comp, dict) else None
        if not isinstance(levels, list) or not levels:
            raise ModelLoadError(f"{target}: a comparison has no levels")
        for level in levels:
            if not isinstance(level, dict) or "sql_condition" not in level:
                raise ModelLoadError(f"{target}: a comparison level has no sql_condition")
            if level.get("is_null_level"):
                continue
            for key in ("m_probability", "u_probability"):
                value = level.get(key)
                if not isinstance(value, int | float) or not 0 <= value <= 1 or math.isnan(value):
                    raise ModelLoadError(
                        f"{target}: comparison {comp.get('output_column_name')!r} level "
                        f"{level.get('label_for_charts')!r} has no trained {key}"
                    )


# ------------------------------------------------------------------------------------------------
# Frames
# ------------------------------------------------------------------------------------------------

_LIST_COLUMNS = ("given_name_aliases", "family_name_tokens")
_INT_COLUMNS = ("dob_year", "dob_month", "dob_day", "dob_days")


def prepare(records: Records | pa.Table, *, as_of: dt.date | None = None) -> pd.DataFrame | pa.Table:
    """The clean frame for ``records``; a frame (or Arrow table) that is already clean is returned
    unchanged."""
    if isinstance(records, pa.Table) and records.schema == CLEAN_SCHEMA:
        return records
    if isinstance(records, pd.DataFrame) and all(c in records.columns for c in CLEAN_COLUMNS):
        return records
    return clean_records(records, as_of=as_of)


def _clean_schema() -> pa.Schema:
    fields = []
    for col in CLEAN_COLUMNS:
        if col in _LIST_COLUMNS:
            fields.append(pa.field(col, pa.list_(pa.string())))
        elif col in _INT_COLUMNS:
            fields.append(pa.field(col, pa.int64()))
        else:
            fields.append(pa.field(col, pa.string()))
    return pa.schema(fields)


CLEAN_SCHEMA = _clean_schema()


def to_arrow(clean: pd.DataFrame | pa.Table) -> pa.Table:
    """The clean frame as an Arrow table with ``CLEAN_SCHEMA`` (what DuckDB is given)."""
    if isinstance(clean, pa.Table):
        return clean.select(list(CLEAN_COLUMNS)).cast(CLEAN_SCHEMA)
    try:  # vectorised; a value Arrow cannot take as is falls back to the per-value path below
        return pa.Table.from_pandas(clean[list(CLEAN_COLUMNS)], schema=CLEAN_SCHEMA, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return _arrow_by_value(clean)


def from_arrow(table: pa.Table) -> pd.DataFrame:
    """The clean pandas frame (as ``clean_records`` builds it) from a ``CLEAN_SCHEMA`` table."""
    plain = [col for col in CLEAN_COLUMNS if col not in _LIST_COLUMNS]
    frame = table.select(plain).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    for col in _LIST_COLUMNS:  # Python lists, as cleaning makes them (not numpy arrays)
        frame[col] = table.column(col).to_pylist()
    return frame[list(CLEAN_COLUMNS)]


def _arrow(clean: pd.DataFrame | pa.Table) -> pa.Table:
    return to_arrow(clean)


def _arrow_by_value(clean: pd.DataFrame) -> pa.Table:
    schema = CLEAN_SCHEMA
    fields = list(schema)
    arrays = []
    for f in fields:
        series = clean[f.name]
        if f.name in _INT_COLUMNS:
            values = [None if pd.isna(v) else int(v) for v in series]
        elif f.name in _LIST_COLUMNS:
            values = [list(v) if isinstance(v, list | tuple) else None for v in series]
        else:
            values = [
                None if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v) for v in series
            ]
        arrays.append(pa.array(values, type=f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _register(db_api: Any, clean: pd.DataFrame | pa.Table, name: str) -> Any:
    if db_api.sql_dialect.sql_dialect_str == "spark":  # pragma: no cover - needs pyspark
        # A Spark frame built from the Arrow table keeps CLEAN_SCHEMA's types; Splink's own
        # pandas route infers them row by row and fails on a column that is entirely NULL.
        # The session outlives the linker (getOrCreate), so the previous call's view of the same
        # name is dropped first; DuckDB gets a fresh connection each time instead.
        db_api.spark.catalog.dropTempView(name)
        return db_api.register(db_api.spark.createDataFrame(_arrow(clean)), dataset_display_name=name)
    return db_api.register(_arrow(clean), dataset_display_name=name)


def _linker(db_api: Any, sdf: Any, settings: Any) -> Any:
    from splink import Linker

    # log_level=None: leave logging configuration to the host application (Splink would
    # otherwise attach its own stderr handler at INFO).
    return Linker(sdf, settings, log_level=None)


def _settings_for_predict(model: LinkageModel, db_api: Any) -> dict[str, Any]:
    trained_on = model.settings.get("sql_dialect")
    running_on = db_api.sql_dialect.sql_dialect_str
    if trained_on and trained_on != running_on:
        # The stored comparison SQL is dialect-specific (e.g. DuckDB's list_intersect).
        raise BackendError(
            f"model {model.model_version!r} was trained on {trained_on}; it cannot run on {running_on}. "
            f"Train a model with LANTERN_LINKAGE_BACKEND={running_on}."
        )
    settings = json.loads(json.dumps(model.settings))
    settings["retain_matching_columns"] = True
    settings["retain_intermediate_calculation_columns"] = True
    settings.setdefault("additional_columns_to_retain", ["source"])
    return settings


# ------------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingOptions:
    """Knobs for ``train_model``; the defaults are the ones measured in docs/linkage.md."""

    u_max_pairs: float = 5e6
    seed: int = 2019
    deterministic_rule_recall: float = 0.85
    em_max_pairs: float | None = None
    em_rules: tuple[str, ...] = comparisons.DEFAULT_EM_RULES
    m_floor: float = 1e-4


def train_model(
    records: Records,
    *,
    config: EngineConfig | None = None,
    options: TrainingOptions | None = None,
    model_version: str | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> LinkageModel:
    """Train a model on ``records`` (unsupervised: no labels are used).

    The prior comes from deterministic rules (shared NHS number / UPN / LA id, or exact name and
    DOB) at an assumed recall; u-probabilities from random sampling (seeded); m-probabilities by
    EM over two blocking rules (``comparisons.em_blocking_rules``).
    """
    options = options or TrainingOptions()
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    clean = prepare(records, as_of=as_of)
    if isinstance(clean, pa.Table):
        clean = from_arrow(clean)
    if len(clean) < 2:
        raise LinkageError("training needs at least two records")
    db_api = make_db_api(config)
    sdf = _register(db_api, clean, "records")
    linker = _linker(db_api, sdf, comparisons.settings_creator(comparisons.identifier_u(clean)))
    say("estimating the prior from deterministic rules")
    linker.training.estimate_probability_two_random_records_match(
        comparisons.deterministic_rules(), recall=options.deterministic_rule_recall
    )
    say("estimating u by random sampling")
    linker.training.estimate_u_using_random_sampling(max_pairs=options.u_max_pairs, seed=options.seed)
    for rule in comparisons.em_blocking_rules(options.em_rules):
        say("estimating m by expectation maximisation")
        kwargs: dict[str, Any] = {}
        if options.em_max_pairs:
            kwargs["max_pairs"] = options.em_max_pairs
        linker.training.estimate_parameters_using_expectation_maximisation(rule, **kwargs)
    settings = _fill_unobserved_levels(linker.misc.save_model_to_json(), options)
    elapsed = time.perf_counter() - started
    import splink

    metadata = {
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "training_records": len(clean),
        "training_seconds": round(elapsed, 2),
        "splink_version": getattr(splink, "__version__", "unknown"),
        "backend": (config or EngineConfig()).resolved_backend(),
        "options": {
            "u_max_pairs": options.u_max_pairs,
            "seed": options.seed,
            "deterministic_rule_recall": options.deterministic_rule_recall,
            "em_max_pairs": options.em_max_pairs,
            "em_rules": list(options.em_rules),
            "m_floor": options.m_floor,
        },
    }
    version = model_version or f"{dt.date.today().isoformat()}-{settings_fingerprint(settings)}"
    return LinkageModel(settings=settings, model_version=version, metadata=metadata)


def _fill_unobserved_levels(settings: dict[str, Any], options: TrainingOptions) -> dict[str, Any]:
    """Give levels that training never observed a small, finite probability instead of Splink's
    defaults: m = ``options.m_floor`` when no EM session saw the level among matches, u = half a
    sampled pair (0.5 / u_max_pairs) when random sampling never met it.  The other levels of the
    comparison are scaled so that m (and u) still sum to one."""
    for comp in settings["comparisons"]:
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        for key, floor in (("m_probability", options.m_floor), ("u_probability", 0.5 / options.u_max_pairs)):
            missing = [lv for lv in levels if not isinstance(lv.get(key), int | float)]
            if not missing:
                continue
            present = [lv for lv in levels if lv not in missing]
            total = sum(lv[key] for lv in present)
            scale = (1 - floor * len(missing)) / total if total > 0 else 0.0
            for lv in present:
                lv[key] = lv[key] * scale
            for lv in missing:
                lv[key] = floor if present else 1 / len(levels)
            log.info("filled %s for unobserved level(s) of %s", key, comp.get("output_column_name"))
    return settings


# ------------------------------------------------------------------------------------------------
# Prediction
# ------------------------------------------------------------------------------------------------


def _tidy_predictions(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sort_values(
        ["match_probability", "unique_id_l", "unique_id_r"], ascending=[False, True, True]
    )
    return frame.reset_index(drop=True)


def predict_pairs(
    records: Records,
    model: LinkageModel,
    threshold_match_probability: float = 0.5,
    *,
    config: EngineConfig | None = None,
    as_of: dt.date | None = None,
    stats: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Score candidate pairs within ``records`` and return those at or above the threshold.

    Columns: ``unique_id_l``, ``unique_id_r``, ``match_weight``, ``match_probability``, one
    ``gamma_<comparison>`` (level) and ``mw_<comparison>`` (match weight) column per comparison,
    ``mw_tf_<col>`` term-frequency adjustments, and the compared values (``<col>_l``/``<col>_r``).
    Rows are sorted by descending probability.  If ``stats`` is a dict it receives
    ``candidate_pairs`` (pairs generated by blocking, i.e. scored), ``blocking_seconds`` and
    ``scoring_seconds``.
    """
    clean = prepare(records, as_of=as_of)
    db_api = make_db_api(config)
    sdf = _register(db_api, clean, "records")
    linker = _linker(db_api, sdf, _settings_for_predict(model, db_api))
    started = time.perf_counter()
    blocked = linker.inference.compute_blocked_pairs_for_predict()  # cached; predict() reuses it
    blocked_at = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=threshold_match_probability)
    frame = _tidy_predictions(predictions.as_pandas_dataframe())
    if stats is not None:
        # physical_name is Splink's own generated table name, not user input
        sql = f"select count(*) as n from {blocked.physical_name}"  # noqa: S608
        count = linker.misc.query_sql(sql).as_record_list()
        stats["candidate_pairs"] = int(count[0]["n"])
        stats["blocking_seconds"] = round(blocked_at - started, 3)
        stats["scoring_seconds"] = round(time.perf_counter() - blocked_at, 3)
    return frame


def _unique_ids(clean: pd.DataFrame | pa.Table) -> set[str]:
    column = clean.column("unique_id").to_pylist() if isinstance(clean, pa.Table) else clean["unique_id"]
    return {str(v) for v in column}


def predict_between(
    new_records: Records,
    existing_records: Records,
    model: LinkageModel,
    threshold_match_probability: float = 0.5,
    *,
    include_within_new: bool = False,
    config: EngineConfig | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Incremental linkage: score new records against existing ones (never existing vs existing).

    ``unique_id_l`` is always the *existing* record and ``unique_id_r`` the *new* one.  With
    ``include_within_new`` the result also holds new-vs-new pairs (both ids new; column
    ``pair_kind`` says which).  Term frequencies are computed over existing + new records together.
    Same columns as ``predict_pairs`` plus ``pair_kind``.
    """
    new_clean = prepare(new_records, as_of=as_of)
    existing_clean = prepare(existing_records, as_of=as_of)
    clash = _unique_ids(new_clean) & _unique_ids(existing_clean)
    if clash:
        raise InputContractError(
            f"new and existing records share unique_id(s): {', '.join(sorted(clash)[:5])}"
        )
    db_api = make_db_api(config)
    # Arrow once per side; the union is a zero-copy concatenation of the two.
    existing_clean, new_clean = to_arrow(existing_clean), to_arrow(new_clean)
    everything = pa.concat_tables([existing_clean, new_clean])
    sdf_all = _register(db_api, everything, "all_records")
    sdf_existing = _register(db_api, existing_clean, "existing")
    sdf_new = _register(db_api, new_clean, "new")
    linker = _linker(db_api, sdf_all, _settings_for_predict(model, db_api))
    for col in comparisons.TF_COLUMNS:
        linker.table_management.compute_tf_table(col)
    between = linker.inference.predict_between(
        sdf_existing, sdf_new, threshold_match_probability=threshold_match_probability
    ).as_pandas_dataframe()
    between["pair_kind"] = "existing_new"
    frames = [between]
    if include_within_new and new_clean.num_rows > 1:
        within = linker.inference.predict_within(
            sdf_new, threshold_match_probability=threshold_match_probability
        ).as_pandas_dataframe()
        within["pair_kind"] = "new_new"
        frames.append(within)
    result = pd.concat(frames, ignore_index=True) if len(frames) > 1 else between
    return _tidy_predictions(result)
