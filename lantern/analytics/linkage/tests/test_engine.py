"""Train / predict / cluster on the tiny synthetic county and on hand-made records (DuckDB, 1 thread)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from lantern.analytics.linkage import (
    BackendError,
    ClusterSettings,
    EngineConfig,
    LinkageModel,
    ModelLoadError,
    clean_records,
    cluster_pairs,
    evaluate_clusters,
    explain_pair,
    explain_pairs,
    explanation_columns,
    load_model,
    predict_between,
    predict_pairs,
)
from lantern.analytics.linkage.engine import make_db_api

from .conftest import AS_OF, CONFIG

NHS_A, NHS_B = "9990403333", "9994716743"  # valid modulus-11 test-range numbers
UPN_A, UPN_B = "P855210314127", "F855279121740"


def _twin_records() -> list[dict]:
    home = {"family_name": "Kowalski", "dob": "2014-06-02", "sex": "M", "postcode": "LE11 3AB"}
    home["address_line1"] = "12 Example Road"
    return [
        {"unique_id": "twin-oscar-school", "source": "SCH-1", "given_name": "Oscar", "upn": UPN_A} | home,
        {"unique_id": "twin-oscar-health", "source": "LPT-NHS", "given_name": "Oscar", "nhs_number": NHS_A}
        | home,
        {"unique_id": "twin-felix-school", "source": "SCH-1", "given_name": "Felix", "upn": UPN_B} | home,
        {"unique_id": "twin-felix-health", "source": "LPT-NHS", "given_name": "Felix", "nhs_number": NHS_B}
        | home,
        {"unique_id": "twin-felix-police", "source": "LEICS-POLICE", "given_name": "Felix"}
        | home
        | {"family_name": "KOWALSKI", "postcode": ""},
    ]


def test_tiny_county_links_well_and_never_holds_conflicts(tiny_county, tiny_clean, tiny_model):
    pairs = predict_pairs(tiny_clean, tiny_model, 0.01, config=CONFIG)
    result = cluster_pairs(pairs, tiny_clean, ClusterSettings(threshold=0.95))
    scores = evaluate_clusters(result.cluster_of(), tiny_county.truth, tiny_clean)
    assert scores["pairwise"]["precision"] >= 0.99
    assert scores["pairwise"]["recall"] >= 0.97
    assert scores["clusters"]["clusters_with_strong_conflicts"] == 0
    assert len(result.assignments) == len(tiny_clean)
    assert {"unique_id_l", "unique_id_r", "match_weight", "match_probability"} <= set(pairs.columns)
    assert set(explanation_columns(tiny_model)) <= set(pairs.columns)
    assert pairs["match_probability"].is_monotonic_decreasing


def test_twins_with_different_forenames_are_not_merged(tiny_frame, tiny_model):
    records = pd.concat([tiny_frame, pd.DataFrame(_twin_records())], ignore_index=True)
    clean = clean_records(records, as_of=AS_OF)
    pairs = predict_pairs(clean, tiny_model, 0.01, config=CONFIG)
    cluster = cluster_pairs(pairs, clean).cluster_of()
    assert cluster["twin-oscar-school"] == cluster["twin-oscar-health"]
    assert cluster["twin-felix-school"] == cluster["twin-felix-health"] == cluster["twin-felix-police"]
    assert cluster["twin-oscar-school"] != cluster["twin-felix-school"]


def test_placeholder_dob_postcode_and_nhs_are_never_evidence(tiny_frame, tiny_model):
    strangers = [
        {
            "unique_id": "stranger-1",
            "source": "LEICS-POLICE",
            "given_name": "Jack",
            "family_name": "SMITH",
            "dob": "1900-01-01",
            "postcode": "ZZ99 3WZ",
            "address_line1": "No fixed abode",
            "nhs_number": "0000000000",
        },
        {
            "unique_id": "stranger-2",
            "source": "UHL-NHS",
            "given_name": "Jack",
            "family_name": "Smith",
            "dob": "01/01/1900",
            "postcode": "ZZ99 3WZ",
            "address_line1": "NFA",
            "nhs_number": "0000000000",
        },
    ]
    blank = {"dob": "", "postcode": "", "address_line1": "", "nhs_number": ""}
    strangers += [s | blank | {"unique_id": s["unique_id"].replace("stranger", "blank")} for s in strangers]
    records = pd.concat([tiny_frame, pd.DataFrame(strangers)], ignore_index=True)
    pairs = predict_pairs(records, tiny_model, 0.0, config=CONFIG).set_index(["unique_id_l", "unique_id_r"])
    row = pairs.loc[("stranger-1", "stranger-2")]  # still compared (the same name blocks them together)...
    assert row["gamma_dob"] == -1  # ...but every placeholder counts as missing
    assert row["gamma_address"] == -1
    assert row["gamma_nhs_number"] == -1
    # exactly the score of the same two records with those fields left blank: no evidence at all
    assert row["match_weight"] == pytest.approx(pairs.loc[("blank-1", "blank-2"), "match_weight"])
    assert row["match_probability"] < 0.95  # two bare "Jack Smith"s are at most a case for review


def test_predict_between_finds_the_existing_person_for_a_noisy_new_record(
    tiny_county, tiny_frame, tiny_model
):
    by_person: dict[str, list[str]] = {}
    for key, person in tiny_county.truth.items():
        by_person.setdefault(person, []).append(key)
    rows = tiny_frame.set_index("unique_id")
    target = next(
        p
        for p, keys in sorted(by_person.items())
        if len(keys) >= 2 and all(rows.loc[k, "dob"] and rows.loc[k, "postcode"] for k in keys)
    )
    source = rows.loc[by_person[target][0]]
    given = source["given_name"]
    new = {
        "unique_id": "new-1",
        "source": "LEICS-POLICE",
        "given_name": given[0] + given[2] + given[1] + given[3:],  # a transposition typo
        "family_name": source["family_name"].upper(),
        "dob": source["dob"],
        "sex": source["sex"],
        "postcode": "NG7 1AA",  # moved out of county
        "address_line1": "3 Elsewhere Street",
    }
    found = predict_between([new], tiny_frame, tiny_model, 0.5, config=CONFIG)
    assert set(found["unique_id_r"]) == {"new-1"}
    assert set(found["pair_kind"]) == {"existing_new"}
    best = found.iloc[0]
    assert best["unique_id_l"] in by_person[target]
    assert best["match_probability"] >= 0.9

    within = predict_between(
        [new, new | {"unique_id": "new-2", "source": "UHL-NHS"}],
        tiny_frame,
        tiny_model,
        0.5,
        include_within_new=True,
        config=CONFIG,
    )
    assert "new_new" in set(within["pair_kind"])
    assert not (within["unique_id_l"].str.startswith("R") & within["unique_id_r"].str.startswith("R")).any()


def test_explanation_adds_up_to_the_match_weight(tiny_clean, tiny_model):
    pairs = predict_pairs(tiny_clean, tiny_model, 0.5, config=CONFIG)
    row = pairs.iloc[len(pairs) // 2]
    steps = explain_pair(row, tiny_model)
    assert steps[0]["kind"] == "prior"
    assert steps[-1]["kind"] == "final"
    comparisons = [s for s in steps if s["kind"] == "comparison"]
    assert [s["comparison"] for s in comparisons] == [
        c["output_column_name"] for c in tiny_model.settings["comparisons"]
    ]
    assert steps[-1]["match_weight"] == pytest.approx(row["match_weight"], abs=1e-6)
    assert steps[-1]["match_probability"] == pytest.approx(row["match_probability"], abs=1e-6)
    assert all(isinstance(s["label"], str) and s["label"] for s in steps)
    assert steps[-1]["cumulative_match_weight"] == pytest.approx(steps[-1]["match_weight"])
    json.dumps(steps)  # plain data, ready for a chart
    assert "value_l" not in explain_pair(row, tiny_model, include_values=False)[1]
    key = tuple(sorted((row["unique_id_l"], row["unique_id_r"])))
    many = explain_pairs(pairs, tiny_model, [key[::-1]])
    assert list(many) == [key]
    assert many[key] == steps


def test_model_save_load_round_trip(tmp_path, tiny_clean, tiny_model):
    path = tiny_model.save(tmp_path / "model.json")
    on_disk = json.loads(path.read_text())
    assert on_disk["model_version"] == "test-tiny"
    assert on_disk["format"] == "lantern-linkage-model"
    assert "comparisons" in on_disk["splink_settings"]
    loaded = load_model(path)
    assert loaded.model_version == tiny_model.model_version
    assert loaded.settings == tiny_model.settings
    before = predict_pairs(tiny_clean, tiny_model, 0.5, config=CONFIG)
    after = predict_pairs(tiny_clean, loaded, 0.5, config=CONFIG)
    pd.testing.assert_series_equal(before["match_weight"], after["match_weight"])
    assert LinkageModel.load(path).model_version == "test-tiny"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        ("{not json", "not valid JSON"),
        ('{"hello": "world"}', "not a Lantern linkage model"),
        ('{"format": "lantern-linkage-model", "format_version": 99}', "format version"),
        ('{"format": "lantern-linkage-model", "format_version": 1, "model_version": "x"}', "splink_settings"),
    ],
)
def test_missing_or_corrupt_model_file_raises_a_clear_error(tmp_path, content, message):
    path = tmp_path / "model.json"
    if content is not None:
        path.write_text(content)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ModelLoadError, match=message):
        load_model(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written or removed


def test_untrained_settings_are_rejected(tmp_path, tiny_model):
    data = tiny_model.as_json_dict()
    level = next(
        lv
        for lv in data["splink_settings"]["comparisons"][0]["comparison_levels"]
        if not lv.get("is_null_level")
    )
    del level["m_probability"]
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ModelLoadError, match="m_probability"):
        load_model(path)


def test_backend_selection(monkeypatch):
    with pytest.raises(BackendError, match="unknown linkage backend"):
        EngineConfig(backend="oracle").resolved_backend()
    monkeypatch.setenv("LANTERN_LINKAGE_BACKEND", "DuckDB")
    assert EngineConfig().resolved_backend() == "duckdb"
    monkeypatch.setenv("LANTERN_LINKAGE_BACKEND", "spark")
    assert EngineConfig().resolved_backend() == "spark"
    assert EngineConfig(backend="duckdb").resolved_backend() == "duckdb"
    pytest.importorskip("duckdb")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        with pytest.raises(BackendError, match="pyspark"):
            make_db_api(EngineConfig())


def test_a_model_runs_only_on_the_backend_it_was_trained_on(tiny_clean, tiny_model):
    spark_model = LinkageModel(
        settings=tiny_model.settings | {"sql_dialect": "spark"}, model_version="spark-trained"
    )
    with pytest.raises(BackendError, match="trained on spark"):
        predict_pairs(tiny_clean.head(20), spark_model, 0.5, config=CONFIG)


def test_spark_driver_memory_is_read_from_a_duckdb_style_limit():
    from lantern.analytics.linkage.engine import _spark_memory

    assert _spark_memory("6GB") == "6g"
    assert _spark_memory("6GiB") == "6g"
    assert _spark_memory("512MB") == "512m"
    assert _spark_memory("2048") == "2048m"
