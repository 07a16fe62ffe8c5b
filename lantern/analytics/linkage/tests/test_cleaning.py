"""Cleaning: normalisation, nicknames, hyphenated surnames, and placeholders that must never be evidence."""

from __future__ import annotations

import datetime as dt

import pytest

from lantern.analytics.linkage.cleaning import (
    INPUT_COLUMNS,
    InputContractError,
    canonical_given_name,
    clean_nhs_number,
    clean_police_id,
    clean_postcode,
    clean_records,
    clean_upn,
    name_aliases,
    parse_dob,
    to_input_frame,
)


def _one(**fields):
    row = {"unique_id": "r1", "source": "SCH-1"} | fields
    return clean_records([row]).iloc[0]


def test_names_are_folded_to_lower_ascii():
    row = _one(given_name="  Zoë ", family_name="Wójcik-O'Brien")
    assert row["given_name"] == "zoe"
    assert row["family_name"] == "wojcik obrien"
    assert _one(family_name="Łukasz")["family_name"] == "lukasz"


def test_hyphenated_and_double_barrelled_surnames_share_tokens():
    hyphen = _one(family_name="Smith-Jones")
    spaced = _one(family_name="SMITH JONES")
    single = _one(family_name="Jones")
    assert hyphen["family_name"] == spaced["family_name"] == "smith jones"
    assert list(hyphen["family_name_tokens"]) == ["smith", "jones"]
    assert set(hyphen["family_name_tokens"]) & set(single["family_name_tokens"]) == {"jones"}
    assert hyphen["family_first_soundex"] == "S530"
    assert hyphen["family_last_soundex"] == single["family_first_soundex"]


def test_surname_particles_are_not_matching_tokens_alone():
    assert list(_one(family_name="van der Berg")["family_name_tokens"]) == ["berg"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("liam", "william"),
        ("bill", "william"),
        ("will", "liam"),
        ("alfie", "alfred"),
        ("mohammed", "muhammad"),
    ],
)
def test_nicknames_share_an_alias(a, b):
    assert set(name_aliases(a)) & set(name_aliases(b))


@pytest.mark.parametrize(("a", "b"), [("robert", "albert"), ("alexander", "alexandra"), ("oliver", "olivia")])
def test_distinct_names_do_not_share_an_alias(a, b):
    assert not set(name_aliases(a)) & set(name_aliases(b))


def test_canonical_given_name_for_blocking():
    assert canonical_given_name("liam") == canonical_given_name("william") == "william"
    assert canonical_given_name("jack") == "john"
    assert canonical_given_name("zebedee") == "zebedee"
    assert _one(given_name="Ollie James")["given_name_canonical"] == "oliver"


@pytest.mark.parametrize("value", ["UNKNOWN", "Not Known", "n/k", "  ", "BABY", "Unborn", "?", "TBC", None])
def test_placeholder_names_are_missing(value):
    row = _one(given_name=value, family_name=value)
    assert row["given_name"] is None
    assert row["family_name"] is None
    assert row["given_name_aliases"] is None


@pytest.mark.parametrize(
    "value",
    ["1900-01-01", "01/01/1900", "1899-12-31", "1800-01-01", "9999-12-31", "0000-00-00", "garbage", ""],
)
def test_placeholder_dobs_are_missing(value):
    row = _one(dob=value)
    assert row["dob"] is None
    assert row["dob_days"] is None or str(row["dob_days"]) == "<NA>"


def test_dob_formats_and_future_dates():
    assert parse_dob("2012-03-04") == dt.date(2012, 3, 4)
    assert parse_dob("04/03/2012") == dt.date(2012, 3, 4)
    assert parse_dob("2012-03-04T00:00:00") == dt.date(2012, 3, 4)
    assert parse_dob(dt.date(2012, 3, 4)) == dt.date(2012, 3, 4)
    assert parse_dob("2030-01-01", as_of=dt.date(2026, 11, 28)) is None


@pytest.mark.parametrize("value", ["ZZ99 3WZ", "zz993vz", "XX00 0XX", "NFA", "UNKNOWN", "12345", "LE1", ""])
def test_placeholder_and_invalid_postcodes_are_missing(value):
    assert clean_postcode(value) is None


def test_postcodes_are_normalised_with_sector_and_outward_code():
    row = _one(postcode=" le113ab ")
    assert row["postcode"] == "LE11 3AB"
    assert row["postcode_sector"] == "LE11 3"
    assert row["postcode_outward"] == "LE11"


def test_placeholder_address_line_is_missing():
    assert _one(address_line1="No Fixed Abode", postcode="LE11 3AB")["address_line1"] is None
    assert _one(address_line1="12 Mill Rd", postcode="LE11 3AB")["address_key"] == "12 mill road|LE11 3AB"


@pytest.mark.parametrize(
    "value", ["0000000000", "9999999999", "1234567890", "999 000 0001", "99900000", "UNKNOWN"]
)
def test_placeholder_and_invalid_nhs_numbers_are_missing(value):
    assert clean_nhs_number(value) is None


def test_valid_nhs_number_is_kept_without_spaces():
    assert clean_nhs_number("999 040 3333") == "9990403333"


def test_upn_and_police_id_normalisation():
    assert clean_upn(" p855210314127 ") == "P855210314127"
    assert clean_upn("A000000000000") is None
    assert clean_upn("not a upn") is None
    assert clean_police_id("2019/123456A") == "19/0123456A"
    assert clean_police_id("19/0123456a") == "19/0123456A"
    assert clean_police_id("00/0000000A") is None
    assert clean_police_id("NK") is None


def test_issuers_decide_comparability():
    rows = clean_records(
        [
            {"unique_id": "a", "source": "LCC-CFS", "la_child_id": "LCC1234567", "police_id": "19/0123456A"},
            {"unique_id": "b", "source": "NORTHANTS-POLICE", "police_id": "N-998877"},
            {"unique_id": "c", "source": "RUT-CSC", "la_child_id": "7654321"},
        ]
    ).set_index("unique_id")
    assert rows.loc["a", "la_child_id_issuer"] == "LCC"
    assert rows.loc["a", "police_id_issuer"] == "PNC"
    assert rows.loc["b", "police_id_issuer"] == "source:NORTHANTS-POLICE"
    assert rows.loc["c", "la_child_id_issuer"] == "source:RUT-CSC"


def test_sex_unknown_is_missing():
    assert _one(sex="U")["sex"] is None
    assert _one(sex="female")["sex"] == "F"


def test_report_counts_values_dropped_as_placeholders():
    report: dict[str, int] = {}
    clean_records(
        [
            {
                "unique_id": "a",
                "source": "x",
                "dob": "1900-01-01",
                "postcode": "ZZ99 3WZ",
                "nhs_number": "0000000000",
            },
            {"unique_id": "b", "source": "x", "dob": "2010-01-01", "postcode": "LE11 3AB", "sex": "U"},
        ],
        report=report,
    )
    assert report["dob"] == 1
    assert report["postcode"] == 1
    assert report["nhs_number"] == 1
    assert report["sex"] == 0


def test_input_contract():
    frame = to_input_frame([{"unique_id": 7, "source": "SCH-1", "extra": "dropped"}])
    assert list(frame.columns) == list(INPUT_COLUMNS)
    assert frame.loc[0, "unique_id"] == "7"
    with pytest.raises(InputContractError, match="unique_id"):
        to_input_frame([{"source": "x"}])
    with pytest.raises(InputContractError, match="unique"):
        to_input_frame([{"unique_id": "a", "source": "x"}, {"unique_id": "a", "source": "y"}])
