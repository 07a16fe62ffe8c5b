"""The board report's SVG charts: escaped text, suppressed small numbers drawn as labels not bars,
an empty state, a forest plot on the right side of its reference line, deterministic output."""

from __future__ import annotations

import math
import re
from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import fromstring

from lantern.reporting.charts import EMPTY_STATE, bar_chart, interval_chart, line_chart, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"
QUARTERS = ["Q2 2024", "Q3 2024", "Q4 2024", "Q1 2025"]


def parse(svg: str) -> Element:
    root = fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def by_class(root: Element, tag: str, css: str) -> list[Element]:
    return [el for el in root.iter(f"{SVG}{tag}") if css in (el.get("class") or "").split()]


def texts(root: Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


# ------------------------------------------------------------------------------ accessible markup


def test_a_chart_is_an_image_with_title_and_a_description_of_the_data():
    root = parse(bar_chart("Referrals by agency", ["Police", "Health"], {"Referrals": [12, 7]}))
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox"))
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Referrals by agency"
    assert "Police: 12" in desc.text and "Health: 7" in desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_text_is_escaped_everywhere():
    svg = bar_chart(
        "Referrals <b>& more</b>",
        ["<script>alert(1)</script>", "Health"],
        {'Q1 "quoted"': [3, 9], "<img src=x>": [4, None]},
    )
    assert "<script>" not in svg and "<img" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)  # well-formed XML, so nothing broke out of an attribute or element
    assert "<script>alert(1)</script>" in texts(root)
    assert root.find(f"{SVG}title").text == "Referrals <b>& more</b>"


# ------------------------------------------------------------------------------ bar chart


@pytest.mark.parametrize("horizontal", [False, True])
def test_one_bar_per_shown_value_and_the_suppressed_label_instead_of_a_bar(horizontal):
    series = {"This quarter": [42, None, 7, 0], "Last quarter": [38, 6, None, 3]}
    root = parse(
        bar_chart("Referrals", ["Police", "Health", "Education", "YJS"], series, horizontal=horizontal)
    )
    assert len(by_class(root, "rect", "bar")) == 6  # eight cells, two suppressed
    suppressed = by_class(root, "text", "suppressed")
    assert [el.text for el in suppressed] == ["<5", "<5"]
    assert sorted(el.text for el in by_class(root, "text", "value")) == sorted(
        ["42", "7", "0", "38", "6", "3"]
    )
    assert "<5 marks a small number suppressed" in root.find(f"{SVG}desc").text
    assert any("suppressed to protect privacy" in t for t in texts(root))


def test_custom_suppressed_label():
    root = parse(bar_chart("Referrals", ["A", "B"], {"n": [None, 8]}, suppressed_label="fewer than 5"))
    assert [el.text for el in by_class(root, "text", "suppressed")] == ["fewer than 5"]
    assert len(by_class(root, "rect", "bar")) == 1


def test_bar_heights_are_proportional_to_values():
    root = parse(bar_chart("Referrals", ["A", "B"], {"n": [10, 20]}))
    a, b = (float(el.get("height")) for el in by_class(root, "rect", "bar"))
    assert b == pytest.approx(2 * a, rel=0.02)


def test_several_series_get_a_legend_and_distinct_patterns():
    root = parse(bar_chart("Referrals", ["A", "B"], {"First": [1, 2], "Second": [3, 4], "Third": [5, 6]}))
    labels = texts(root)
    assert {"First", "Second", "Third"} <= set(labels)
    fills = {el.get("fill") for el in by_class(root, "rect", "bar")}
    assert len(fills) == 3  # a solid fill and two patterns: colour is never the only difference
    pattern_ids = {el.get("id") for el in root.iter(f"{SVG}pattern")}
    assert {f.removeprefix("url(#").removesuffix(")") for f in fills if f.startswith("url(")} <= pattern_ids


def test_a_single_series_has_no_legend():
    root = parse(bar_chart("Referrals", ["A", "B"], {"Referrals": [1, 2]}))
    assert "Referrals" not in texts(root)


@pytest.mark.parametrize(
    "categories, series",
    [
        ([], {"n": []}),
        (["A", "B"], {}),
        (["A", "B"], {"n": [0, 0], "m": [0, 0]}),
    ],
)
def test_nothing_to_show_is_a_sentence_not_an_empty_chart(categories, series):
    assert bar_chart("Referrals", categories, series) == EMPTY_STATE
    assert line_chart("Referrals", categories, series) == EMPTY_STATE


def test_all_suppressed_is_still_a_chart_saying_so():
    root = parse(bar_chart("Referrals", ["A", "B"], {"n": [None, None]}))
    assert not by_class(root, "rect", "bar")
    assert len(by_class(root, "text", "suppressed")) == 2
    # A zero beside a suppressed value is a real zero: a flat bar labelled 0, not the empty state.
    root = parse(bar_chart("Referrals", ["A", "B"], {"n": [None, 0]}))
    assert [float(el.get("height")) for el in by_class(root, "rect", "bar")] == [0]
    assert [el.text for el in by_class(root, "text", "value")] == ["0"]


def test_a_single_category_and_a_single_value():
    root = parse(bar_chart("Referrals", ["Only"], {"n": [5]}))
    (bar,) = by_class(root, "rect", "bar")
    assert float(bar.get("height")) > 0 and float(bar.get("width")) > 0


def test_mismatched_lengths_and_too_many_series_are_programming_errors():
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        bar_chart("x", ["A", "B", "C"], {"n": [1, 2]})
    with pytest.raises(ValueError, match="at most 5 series"):
        bar_chart("x", ["A"], {str(i): [i + 1] for i in range(6)})


def test_units_percent_on_labels_other_units_once_on_the_axis():
    root = parse(bar_chart("Rate", ["A"], {"n": [12.5]}, unit="%"))
    assert [el.text for el in by_class(root, "text", "value")] == ["12.5%"]
    root = parse(bar_chart("Wait", ["A"], {"n": [3]}, unit="days"))
    assert [el.text for el in by_class(root, "text", "value")] == ["3"]
    assert "Days" in texts(root)


def test_one_precision_per_chart_rounded_half_up():
    root = parse(bar_chart("Rate", ["A", "B", "C"], {"n": [12.25, 0.75, 30]}, unit="%"))
    assert [el.text for el in by_class(root, "text", "value")] == ["12.3%", "0.8%", "30.0%"]
    root = parse(bar_chart("Rate", ["A", "B"], {"n": [1.255, 2]}))
    assert [el.text for el in by_class(root, "text", "value")] == ["1.26", "2.00"]


def test_labels_wider_than_their_bars_turn_upright_and_stay_inside_the_chart():
    months = ["Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar"]
    root = parse(bar_chart("Episodes", months, {"2023/24": [1234] * 12, "2024/25": [1500] * 12}))
    labels = by_class(root, "text", "value")
    assert len(labels) == 24 and all(el.get("transform", "").startswith("rotate(-90") for el in labels)
    top_of_text = min(float(el.get("y")) - len(el.text) * 10 * 0.56 for el in labels)
    assert top_of_text > 0
    root = parse(bar_chart("Referrals", ["A", "B"], {"n": [12, 7]}))
    assert not any(el.get("transform") for el in by_class(root, "text", "value"))


def test_output_is_deterministic_and_ids_differ_between_charts():
    args = ("Referrals", ["A", "B"], {"x": [1, None], "y": [3, 4]})
    assert bar_chart(*args) == bar_chart(*args)
    other = bar_chart("Referrals", ["A", "B"], {"x": [1, None], "y": [3, 5]})
    assert parse(bar_chart(*args)).find(f"{SVG}title").get("id") != parse(other).find(f"{SVG}title").get("id")


# ------------------------------------------------------------------------------ line chart


def test_a_suppressed_quarter_breaks_the_line_and_is_labelled():
    root = parse(line_chart("Missing episodes", QUARTERS, {"Episodes": [12, None, 15, 19]}))
    (path,) = by_class(root, "path", "series")
    assert path.get("d").count("M") == 2  # two runs: Q2, then Q4 to Q1
    assert [el.text for el in by_class(root, "text", "suppressed")] == ["<5"]
    assert [el.text for el in by_class(root, "text", "value")] == ["12", "15", "19"]
    assert "Q3 2024: <5" in root.find(f"{SVG}desc").text


def test_several_lines_get_a_legend_and_different_dashes():
    root = parse(line_chart("Trend", QUARTERS, {"A": [1, 2, 3, 4], "B": [4, 3, None, 1]}))
    assert {"A", "B"} <= set(texts(root))
    dashes = [el.get("stroke-dasharray") for el in by_class(root, "path", "series")]
    assert dashes[0] is None and dashes[1]
    assert len(by_class(root, "text", "suppressed")) == 1


def test_a_flat_line_and_a_single_period_do_not_divide_by_zero():
    root = parse(line_chart("Trend", ["Q1 2025"], {"A": [7]}))
    assert [el.text for el in by_class(root, "text", "value")] == ["7"]
    root = parse(line_chart("Trend", QUARTERS, {"A": [None, None, None, None]}))
    assert len(by_class(root, "text", "suppressed")) == 4


# ------------------------------------------------------------------------------ forest plot


def rows_by_label(root: Element) -> tuple[float, list[Element], list[Element]]:
    (reference,) = by_class(root, "line", "reference")
    return float(reference.get("x1")), by_class(root, "line", "ci"), by_class(root, "rect", "estimate")


def test_an_interval_wholly_above_one_is_right_of_the_reference_line():
    root = parse(
        interval_chart(
            "Disproportionality",
            [("Above", 2.4, (1.6, 3.6)), ("Below", 0.6, (0.35, 0.9)), ("Spans", 1.2, (0.8, 1.9))],
        )
    )
    ref_x, (above, below, spans), estimates = rows_by_label(root)
    assert ref_x < float(above.get("x1")) < float(above.get("x2"))
    assert float(below.get("x1")) < float(below.get("x2")) < ref_x
    assert float(spans.get("x1")) < ref_x < float(spans.get("x2"))
    centre = float(estimates[0].get("x")) + float(estimates[0].get("width")) / 2
    assert float(above.get("x1")) < centre < float(above.get("x2"))
    assert "2.40 (1.60–3.60)" in texts(root)


def test_the_log_scale_puts_halving_and_doubling_the_same_distance_from_one():
    root = parse(interval_chart("OR", [("Half", 0.5, (0.4, 0.6)), ("Double", 2.0, (1.7, 2.4))]))
    ref_x, _, (half, double) = rows_by_label(root)
    half_x = float(half.get("x")) + 5
    double_x = float(double.get("x")) + 5
    assert ref_x - half_x == pytest.approx(double_x - ref_x, abs=0.2)


def test_a_linear_scale_and_a_reference_other_than_one():
    root = parse(
        interval_chart("Diff", [("A", 3.0, (1.0, 5.0))], reference=0.0, log_scale=False, label="difference")
    )
    ref_x, (ci,), _ = rows_by_label(root)
    assert ref_x < float(ci.get("x1"))
    assert "linear scale" in root.find(f"{SVG}desc").text


def test_rows_without_an_estimate_say_not_estimated():
    root = parse(
        interval_chart("OR", [("Estimated", 1.5, (1.1, 2.0)), ("Too few", None, None), ("No CI", 1.2, None)])
    )
    assert [el.text for el in by_class(root, "text", "not-estimated")] == ["not estimated"]
    assert len(by_class(root, "line", "ci")) == 1
    assert len(by_class(root, "rect", "estimate")) == 2
    assert "Too few: not estimated" in root.find(f"{SVG}desc").text


def test_an_interval_off_the_axis_ends_in_an_arrow_not_off_the_chart():
    root = parse(interval_chart("OR", [("Wide", 3.0, (0.0, 1e6))]))
    (ci,) = by_class(root, "line", "ci")
    assert ci.get("marker-start") and ci.get("marker-end")
    width = float(root.get("viewBox").split()[2])
    assert 0 <= float(ci.get("x1")) < float(ci.get("x2")) <= width


def test_no_rows_is_the_empty_state():
    assert interval_chart("OR", []) == EMPTY_STATE


# ------------------------------------------------------------------------------ ticks


@pytest.mark.parametrize(
    "low, high, integer, expected",
    [
        (0, 0, True, [0, 1]),
        (0, 0, False, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (0, 3, True, [0, 1, 2, 3]),
        (0, 1, True, [0, 1]),
        (0, 42, True, [0, 10, 20, 30, 40, 50]),
        (0, 0.3, False, [0, 0.1, 0.2, 0.3]),
        (0, 0.33, False, [0, 0.1, 0.2, 0.3, 0.4]),
        (-7, 12, True, [-10, -5, 0, 5, 10, 15]),
    ],
)
def test_nice_ticks(low, high, integer, expected):
    assert nice_ticks(low, high, integer=integer) == pytest.approx(expected)


def test_nice_ticks_cover_the_range_in_few_round_steps():
    for high in (1, 7, 13, 99, 101, 950, 12345, 0.07):
        ticks = nice_ticks(0, high)
        assert ticks[0] <= 0 and ticks[-1] >= high
        assert 2 <= len(ticks) <= 7
        steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:], strict=False)}
        assert len(steps) == 1
        mantissa = steps.pop() / 10 ** math.floor(math.log10(ticks[1] - ticks[0]))
        assert round(mantissa, 6) in (1, 2, 2.5, 5)
