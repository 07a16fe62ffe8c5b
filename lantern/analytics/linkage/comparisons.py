"""The Splink model definition: comparisons, blocking rules and training rules (Splink 5 API).

Every SQL condition below uses only ``=``, ``<>``, ``abs()``, ``IS NULL`` and integer arithmetic on
columns that ``cleaning.clean_records`` derives, plus Splink's own dialect-aware levels
(Jaro-Winkler, Damerau-Levenshtein, array intersection), so the same definition runs on DuckDB and
Spark.  See docs/linkage.md for why each level exists.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

# Columns whose exact-match level gets a term-frequency adjustment (a match on "smith" is worth
# less than a match on "wojcik", and a heaped DOB less than a rare one).
TF_COLUMNS: tuple[str, ...] = ("given_name", "family_name", "dob", "address_key", "postcode")

NAMES_SWAPPED_SQL = "given_name_l = family_name_r AND family_name_l = given_name_r"


def _given_name() -> Any:
    return cl.CustomComparison(
        output_column_name="given_name",
        comparison_description="Forename",
        comparison_levels=[
            cll.NullLevel("given_name"),
            cll.ExactMatchLevel("given_name").configure(
                tf_adjustment_column="given_name", label_for_charts="Exact match"
            ),
            cll.CustomLevel(NAMES_SWAPPED_SQL).configure(label_for_charts="Given and family names swapped"),
            cll.ArrayIntersectLevel("given_name_aliases", 1).configure(
                label_for_charts="Nickname or variant of the same name"
            ),
            cll.JaroWinklerLevel("given_name", 0.92).configure(label_for_charts="Jaro-Winkler >= 0.92"),
            cll.JaroWinklerLevel("given_name", 0.80).configure(label_for_charts="Jaro-Winkler >= 0.80"),
            cll.ElseLevel().configure(label_for_charts="Different"),
        ],
    )


def _family_name() -> Any:
    return cl.CustomComparison(
        output_column_name="family_name",
        comparison_description="Family name",
        comparison_levels=[
            cll.NullLevel("family_name"),
            cll.ExactMatchLevel("family_name").configure(
                tf_adjustment_column="family_name", label_for_charts="Exact match"
            ),
            # Scored once, under the forename comparison; here it is neutral so that a swap does
            # not count twice (nor count against the pair as "different family name").
            cll.CustomLevel(NAMES_SWAPPED_SQL).configure(
                is_null_level=True, label_for_charts="Given and family names swapped (scored under forename)"
            ),
            cll.ArrayIntersectLevel("family_name_tokens", 1).configure(
                label_for_charts="Shares a part of a hyphenated or double-barrelled name"
            ),
            cll.JaroWinklerLevel("family_name", 0.92).configure(label_for_charts="Jaro-Winkler >= 0.92"),
            cll.JaroWinklerLevel("family_name", 0.80).configure(label_for_charts="Jaro-Winkler >= 0.80"),
            cll.ElseLevel().configure(label_for_charts="Different"),
        ],
    )


def _dob() -> Any:
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_description="Date of birth",
        comparison_levels=[
            cll.NullLevel("dob"),
            # TF on DOB: heaped dates (1 January for an assigned DOB, system defaults) are
            # shared by many unrelated people and are worth less than a rare date.
            cll.ExactMatchLevel("dob").configure(tf_adjustment_column="dob", label_for_charts="Exact match"),
            cll.CustomLevel(
                "dob_year_l = dob_year_r AND dob_month_l = dob_day_r AND dob_day_l = dob_month_r"
            ).configure(label_for_charts="Day and month transposed"),
            cll.CustomLevel(
                "dob_month_l = dob_month_r AND dob_day_l = dob_day_r AND abs(dob_year_l - dob_year_r) = 1"
            ).configure(label_for_charts="Year off by one"),
            cll.Or(
                cll.And(cll.DamerauLevenshteinLevel("dob", 1), cll.CustomLevel("dob_year_l = dob_year_r")),
                cll.CustomLevel("abs(dob_days_l - dob_days_r) <= 2"),
            ).configure(label_for_charts="Within two days, or one digit of day or month different"),
            cll.CustomLevel("abs(dob_days_l - dob_days_r) <= 366").configure(
                label_for_charts="Within a year"
            ),
            cll.ElseLevel().configure(label_for_charts="Different"),
        ],
    )


def _sex() -> Any:
    return cl.CustomComparison(
        output_column_name="sex",
        comparison_description="Sex",
        comparison_levels=[
            cll.NullLevel("sex"),
            cll.ExactMatchLevel("sex").configure(label_for_charts="Same"),
            cll.ElseLevel().configure(label_for_charts="Different"),
        ],
    )


def _address() -> Any:
    # One comparison for postcode and address line: they are strongly dependent, and two separate
    # comparisons would count "same house" twice (Fellegi-Sunter assumes independence).
    return cl.CustomComparison(
        output_column_name="address",
        comparison_description="Address (postcode and first line)",
        comparison_levels=[
            cll.NullLevel("postcode"),
            cll.ExactMatchLevel("address_key").configure(
                tf_adjustment_column="address_key", label_for_charts="Same address (line 1 and postcode)"
            ),
            cll.ExactMatchLevel("postcode").configure(
                tf_adjustment_column="postcode", label_for_charts="Same postcode"
            ),
            cll.ExactMatchLevel("postcode_sector").configure(label_for_charts="Same postcode sector"),
            cll.ExactMatchLevel("postcode_outward").configure(label_for_charts="Same outward code"),
            cll.ElseLevel().configure(label_for_charts="Different area"),
        ],
    )


def _identifier(col: str, label: str, issuer_col: str | None = None, u_same: float | None = None) -> Any:
    levels: list[Any] = [cll.NullLevel(col)]
    if issuer_col:
        # Ids from different issuers (another council, a force-local id) say nothing either way.
        levels.append(
            cll.CustomLevel(f"{issuer_col}_l <> {issuer_col}_r").configure(
                is_null_level=True, label_for_charts="Issued by different bodies (not comparable)"
            )
        )
    same = cll.ExactMatchLevel(col).configure(label_for_charts="Same")
    different = cll.ElseLevel().configure(label_for_charts="Different")
    if u_same is not None:
        # Random sampling rarely meets two records sharing an identifier, so u is computed
        # exactly from the value counts (see identifier_u) and kept fixed.
        same.configure(u_probability=u_same, fix_u_probability=True)
        different.configure(u_probability=1 - u_same, fix_u_probability=True)
    levels += [same, different]
    return cl.CustomComparison(output_column_name=col, comparison_description=label, comparison_levels=levels)


IDENTIFIERS: tuple[tuple[str, str, str | None], ...] = (
    ("nhs_number", "NHS number", None),
    ("upn", "Unique pupil number", None),
    ("la_child_id", "Local authority child id", "la_child_id_issuer"),
    ("police_id", "Police id (PNC)", "police_id_issuer"),
)


def identifier_u(clean: pd.DataFrame) -> dict[str, float]:
    """u (chance that two random, comparable records share the value) for each identifier:
    pairs sharing a value / pairs where both hold a value from the same issuer.  Floors at half a
    pair so that an identifier nobody shares still gets a finite, very strong weight."""
    out: dict[str, float] = {}
    for col, _label, issuer_col in IDENTIFIERS:
        present = clean[clean[col].notna()]
        groups = present[issuer_col] if issuer_col else pd.Series("", index=present.index)
        comparable = sum(n * (n - 1) / 2 for n in groups.value_counts().tolist())
        shared = sum(n * (n - 1) / 2 for n in present[col].value_counts().tolist())
        out[col] = min(0.5, max(shared, 0.5) / max(comparable, 1.0))
    return out


def comparisons(u_identifiers: dict[str, float] | None = None) -> list[Any]:
    u_identifiers = u_identifiers or {}
    return [
        _given_name(),
        _family_name(),
        _dob(),
        _sex(),
        _address(),
        *(_identifier(col, label, issuer, u_identifiers.get(col)) for col, label, issuer in IDENTIFIERS),
    ]


def prediction_blocking_rules() -> list[Any]:
    """Candidate pairs: the union of these rules.  Chosen for recall (see docs/linkage.md)."""
    return [
        block_on("dob"),
        block_on("nhs_number"),
        block_on("upn"),
        block_on("la_child_id"),
        block_on("police_id"),
        block_on("family_first_soundex", "dob_year"),
        block_on("family_last_soundex", "dob_year"),
        block_on("given_name_canonical", "family_name"),
        block_on("postcode", "given_initial"),
        # given and family names swapped, DOB missing or wrong
        "l.given_name = r.family_name AND l.family_name = r.given_name",
    ]


EM_RULES: dict[str, Any] = {
    "dob": block_on("dob"),
    "name": block_on("given_name", "family_name"),
    "name_dob": block_on("given_name", "family_name", "dob"),
    "nhs_number": block_on("nhs_number"),
    "upn": block_on("upn"),
    "postcode": block_on("postcode"),
}
DEFAULT_EM_RULES: tuple[str, ...] = ("dob", "nhs_number")


def em_blocking_rules(names: tuple[str, ...] = DEFAULT_EM_RULES) -> list[Any]:
    """Each EM session fixes the columns it blocks on; together they train every comparison."""
    return [EM_RULES[n] for n in names]


def deterministic_rules() -> list[str]:
    """Pairs that are almost certainly the same person; used only to estimate the prior."""
    return [
        "l.nhs_number = r.nhs_number",
        "l.upn = r.upn",
        "l.la_child_id = r.la_child_id",
        "l.given_name = r.given_name AND l.family_name = r.family_name AND l.dob = r.dob",
    ]


def settings_creator(u_identifiers: dict[str, float] | None = None) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(u_identifiers),
        blocking_rules_to_generate_predictions=prediction_blocking_rules(),
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["source"],
        max_iterations=25,
        em_convergence=0.0001,
    )
