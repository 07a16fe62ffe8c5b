"""Exploitation screening tools as versioned data, the advisory level they compute, and indicators
suggested from what the agencies already recorded (pure Python, no Django).

Sources (/work/shared/domain/standards.md):

* §3.1: there is no single national CCE screening tool. Each partnership sets its own indicators,
  weights, outcome scale (no/low/medium/high; emerging/moderate/significant …) and floor rules
  ("no child under 13 can be categorised as LOW. No child with a learning disability can be
  categorised as LOW", Croydon 2016; "disclosure auto-grades HIGH", points-based CSE tool). Every tool
  says the score only *advises*: the practitioner records the final level as their judgement.
  So a tool here is a YAML file (``lantern/screening/tools/``) keyed by ``(code, version)``; a new
  version sits beside the old one, never replacing it, and ``advise`` only ever raises a level
  through a floor rule, never lowers it.
* §2.1: the indicators are the Home Office county lines guidance list (code list ``cce_indicator``),
  so a tool file naming any other code is refused at load time.

``suggest`` pre-fills a screening from the child's records. Each rule is a small pure function that
returns its evidence text and the ``ref`` of every fact that supports it (the caller turns refs into
links to the source records). A rule looks only at facts inside the window ending at ``at``; the one
exception is a status (being looked after), which an episode that began before the window still
evidences. The ``details`` keys read are those the import formats write
(``lantern/ingest/formats``: police ``drug_class``/``weapon``/``grounds``/``items_found``, health
``injury_type``); when a key is absent (events straight from the synthetic generator, or an older
feed) the rule falls back to the record's free text (offence, outcome, presenting complaint).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from lantern.core.codelists import codelist

__all__ = [
    "RULES",
    "TOOLS_DIR",
    "Advice",
    "ChildFacts",
    "Fact",
    "FloorRule",
    "Indicator",
    "Level",
    "Suggestion",
    "Tool",
    "ToolError",
    "advise",
    "care_periods",
    "load_tool",
    "load_tools",
    "looked_after_on",
    "review_weeks",
    "suggest",
]

TOOLS_DIR = Path(__file__).resolve().parents[1] / "screening" / "tools"
LONDON = ZoneInfo("Europe/London")
EVIDENCE_MAX = 300  # SuggestedIndicator.evidence is a 300-character field

# ================================================================================== tool definitions


class ToolError(ValueError):
    """A screening tool file that cannot be used. ``problems`` lists every problem found, each
    naming the file and the place in it; nothing from a bad file is ever loaded."""

    def __init__(self, path: str | Path, problems: Sequence[str]) -> None:
        self.path = str(path)
        self.problems = list(problems)
        name = Path(path).name or str(path)
        super().__init__("; ".join(f"{name}: {p}" for p in self.problems))


@dataclass(frozen=True)
class Level:
    code: str
    label: str
    rank: int  # 0 = lowest on the tool's scale


@dataclass(frozen=True)
class Indicator:
    code: str  # a cce_indicator code
    label: str  # the tool's wording
    domain: str  # domain code within the tool
    weight: int | float
    window_days: int | None  # how far back evidence counts; None = no limit (e.g. a status)
    evidence_required: bool  # the practitioner must cite evidence, not "gut feeling", to confirm


@dataclass(frozen=True)
class FloorRule:
    code: str
    description: str  # shown as the reason, e.g. "Age under 13"
    condition: Mapping[str, Any]  # {"age_under": 13} | {"fact": "looked_after"} | {"indicator": code}
    at_least: str  # a level code


@dataclass(frozen=True)
class Tool:
    code: str
    version: str
    name: str
    scale_name: str
    levels: tuple[Level, ...]  # ordered low -> high
    thresholds: tuple[tuple[int | float, str], ...]  # (min_score, level code), min_score rising
    indicators: tuple[Indicator, ...]
    floor_rules: tuple[FloorRule, ...]
    review_weeks: Mapping[str, int]  # level code -> weeks until review
    default_review_weeks: int = 12
    domains: tuple[tuple[str, str], ...] = ()  # (code, label), in the file's order
    description: str = ""
    path: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.code, self.version)

    def level(self, code: str) -> Level:
        for level in self.levels:
            if level.code == code:
                return level
        raise ValueError(f"{code!r} is not a level of {self.code} v{self.version}")

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)


FACT_CONDITIONS = ("looked_after", "learning_disability")
_REQUIRED_KEYS = ("code", "version", "name", "scale", "thresholds", "domains")
_OPTIONAL_KEYS = ("description", "floor_rules", "review_weeks")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (plain YAML keeps the last silently,
    which would drop e.g. a whole ``floor_rules`` block without a word)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str | int | float | bool | None):
            continue  # an unhashable key: construct_mapping below refuses it with PyYAML's own error
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def mapping(self, value: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()) -> bool:
        if not isinstance(value, dict):
            self.fail(where, f"expected a mapping, got {_kind(value)}")
            return False
        required = tuple(required)
        allowed = set(required) | set(optional)
        ok = True
        for name in required:
            if name not in value:
                self.fail(where, f"missing field '{name}'")
                ok = False
        for name in value:
            if name not in allowed:
                self.fail(where, f"unknown field '{name}' (expected one of: {', '.join(sorted(allowed))})")
                ok = False
        return ok

    def text(self, value: Any, where: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"expected non-empty text, got {_kind(value)}")
            return None
        return value.strip()

    def code(self, value: Any, where: str) -> str | None:
        text = self.text(value, where)
        if text is not None and not _CODE.fullmatch(text):
            self.fail(where, f"{text!r} is not a code (letters, digits, '_', '-', '.')")
            return None
        return text

    def number(self, value: Any, where: str, *, minimum: float = 0) -> int | float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            self.fail(where, f"expected a number of at least {minimum:g}, got {_kind(value)}")
            return None
        return value

    def whole(self, value: Any, where: str, *, minimum: int = 1) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(where, f"expected a whole number of at least {minimum}, got {_kind(value)}")
            return None
        return value

    def items(self, value: Any, where: str, *, empty: str) -> list[Any]:
        if value is None or value == []:
            self.fail(where, empty)
            return []
        if not isinstance(value, list):
            self.fail(where, f"expected a list, got {_kind(value)}")
            return []
        return value


def _yaml_problem(e: yaml.YAMLError) -> str:
    mark = getattr(e, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(e, "problem", None)
    return f"{where}: {problem}" if problem else where


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, dict):
        return f"a mapping with {', '.join(map(str, value)) or 'no keys'}"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def load_tool(path: str | Path) -> Tool:
    """Parse and strictly validate one tool file. Raises ToolError listing every problem found."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except OSError as e:
        raise ToolError(path, [f"cannot read the file ({e.strerror or e})"]) from e
    except UnicodeDecodeError as e:
        raise ToolError(path, ["the file is not UTF-8 text"]) from e
    except yaml.YAMLError as e:
        raise ToolError(path, [f"not valid YAML{_yaml_problem(e)}"]) from e
    check = _Checker()
    tool = _parse_tool(raw, path, check)
    if check.problems or tool is None:
        raise ToolError(path, check.problems or ["the file does not define a tool"])
    return tool


def _parse_tool(raw: Any, path: Path, check: _Checker) -> Tool | None:
    if raw is None:
        check.fail("", "the file is empty")
        return None
    check.mapping(raw, "", _REQUIRED_KEYS, _OPTIONAL_KEYS)
    if not isinstance(raw, dict):
        return None
    code = check.code(raw.get("code"), "code") if "code" in raw else None
    version = _version(raw.get("version"), check) if "version" in raw else None
    name = check.text(raw.get("name"), "name") if "name" in raw else None
    description = raw.get("description") or ""
    if not isinstance(description, str):
        check.fail("description", f"expected text, got {_kind(description)}")
        description = ""

    scale_name, levels = _parse_scale(raw.get("scale"), check) if "scale" in raw else (None, ())
    level_codes = {lv.code: lv for lv in levels}
    thresholds = _parse_thresholds(raw.get("thresholds"), level_codes, check) if "thresholds" in raw else ()
    domains, indicators = _parse_domains(raw.get("domains"), check) if "domains" in raw else ((), ())
    floor_rules = _parse_floor_rules(raw.get("floor_rules"), level_codes, indicators, check)
    default_weeks, weeks = _parse_review_weeks(raw.get("review_weeks"), level_codes, check)

    if check.problems or None in (code, version, name, scale_name):
        return None
    assert code is not None and version is not None and name is not None and scale_name is not None
    return Tool(
        code=code,
        version=version,
        name=name,
        scale_name=scale_name,
        levels=levels,
        thresholds=thresholds,
        indicators=indicators,
        floor_rules=floor_rules,
        review_weeks=weeks,
        default_review_weeks=default_weeks,
        domains=domains,
        description=description.strip(),
        path=str(path),
    )


def _version(value: Any, check: _Checker) -> str | None:
    # A float version is refused: YAML reads 1.10 as 1.1, silently merging two versions.
    if isinstance(value, bool | float):
        check.fail("version", f'expected a whole number or quoted text (e.g. 2 or "1.1"), got {_kind(value)}')
        return None
    if isinstance(value, int):
        if value < 1:
            check.fail("version", f"expected a version of at least 1, got {value}")
            return None
        return str(value)
    return check.code(value, "version")


def _parse_scale(raw: Any, check: _Checker) -> tuple[str | None, tuple[Level, ...]]:
    check.mapping(raw, "scale", ("name", "levels"))
    if not isinstance(raw, dict):
        return None, ()
    scale_name = check.text(raw.get("name"), "scale.name") if "name" in raw else None
    levels: list[Level] = []
    for i, item in enumerate(check.items(raw.get("levels"), "scale.levels", empty="the scale has no levels")):
        where = f"scale.levels[{i}]"
        if not check.mapping(item, where, ("code", "label")):
            continue
        lcode, label = check.code(item["code"], f"{where}.code"), check.text(item["label"], f"{where}.label")
        if lcode is None or label is None:
            continue
        if any(lv.code == lcode for lv in levels):
            check.fail(where, f"level {lcode!r} is listed twice")
            continue
        levels.append(Level(lcode, label, len(levels)))
    return scale_name, tuple(levels)


def _parse_thresholds(
    raw: Any, levels: Mapping[str, Level], check: _Checker
) -> tuple[tuple[int | float, str], ...]:
    out: list[tuple[int | float, str]] = []
    for i, item in enumerate(
        check.items(raw, "thresholds", empty="no thresholds: every score needs a level")
    ):
        where = f"thresholds[{i}]"
        if not check.mapping(item, where, ("min_score", "level")):
            continue
        score = check.number(item["min_score"], f"{where}.min_score")
        lcode = item["level"]
        if not isinstance(lcode, str) or lcode not in levels:
            _unknown_level(check, f"{where}.level", lcode, levels)
            continue
        if score is None:
            continue
        if out and score <= out[-1][0]:
            check.fail(where, f"thresholds must increase: min_score {score:g} follows {out[-1][0]:g}")
            continue
        if out and levels[lcode].rank <= levels[out[-1][1]].rank:
            check.fail(where, f"a higher score must give a higher level: {lcode} follows {out[-1][1]}")
            continue
        out.append((score, lcode))
    if out and out[0][0] != 0:
        check.fail(
            "thresholds[0].min_score",
            f"the first threshold must be 0 so every score has a level, got {out[0][0]:g}",
        )
    return tuple(out)


def _unknown_level(check: _Checker, where: str, code: Any, levels: Mapping[str, Level]) -> None:
    if levels:  # with no levels at all, "the scale has no levels" (or a missing scale) says it once
        check.fail(where, f"unknown level {code!r} (the scale has: {', '.join(levels)})")
    elif not check.problems:
        check.fail(where, f"unknown level {code!r}: the tool defines no levels")


def _parse_domains(raw: Any, check: _Checker) -> tuple[tuple[tuple[str, str], ...], tuple[Indicator, ...]]:
    known = codelist("cce_indicator")
    domains: list[tuple[str, str]] = []
    indicators: list[Indicator] = []
    seen: dict[str, str] = {}
    for d, dom in enumerate(check.items(raw, "domains", empty="the tool has no indicator domains")):
        dwhere = f"domains[{d}]"
        if not check.mapping(dom, dwhere, ("code", "label", "indicators")):
            continue
        dcode, dlabel = check.code(dom["code"], f"{dwhere}.code"), check.text(dom["label"], f"{dwhere}.label")
        if dcode is not None and any(c == dcode for c, _ in domains):
            check.fail(f"{dwhere}.code", f"domain {dcode!r} is listed twice")
        if dcode is not None and dlabel is not None:
            domains.append((dcode, dlabel))
        items = check.items(dom["indicators"], f"{dwhere}.indicators", empty="the domain has no indicators")
        for i, item in enumerate(items):
            where = f"{dwhere}.indicators[{i}]"
            if not check.mapping(
                item, where, ("code", "label", "weight", "evidence_required"), ("window_days",)
            ):
                continue
            icode = item["code"]
            if not isinstance(icode, str) or icode not in known:
                check.fail(
                    f"{where}.code", f"unknown indicator code {icode!r} (not in the cce_indicator code list)"
                )
                continue
            if icode in seen:
                check.fail(f"{where}.code", f"duplicate indicator code {icode!r} (already at {seen[icode]})")
                continue
            seen[icode] = where
            label = check.text(item["label"], f"{where}.label")
            weight = check.number(item["weight"], f"{where}.weight")
            window = item.get("window_days")
            bad_window = window is not None and check.whole(window, f"{where}.window_days") is None
            required = item["evidence_required"]
            if not isinstance(required, bool):
                check.fail(f"{where}.evidence_required", f"expected true or false, got {_kind(required)}")
                continue
            if label is None or weight is None or dcode is None or bad_window:
                continue
            indicators.append(Indicator(icode, label, dcode, weight, window, required))
    return tuple(domains), tuple(indicators)


def _parse_floor_rules(
    raw: Any, levels: Mapping[str, Level], indicators: Sequence[Indicator], check: _Checker
) -> tuple[FloorRule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        check.fail("floor_rules", f"expected a list, got {_kind(raw)}")
        return ()
    in_tool = {i.code for i in indicators}
    out: list[FloorRule] = []
    for r, item in enumerate(raw):
        where = f"floor_rules[{r}]"
        if not check.mapping(item, where, ("code", "description", "condition", "at_least")):
            continue
        rcode = check.code(item["code"], f"{where}.code")
        if rcode is not None and any(f.code == rcode for f in out):
            check.fail(f"{where}.code", f"floor rule {rcode!r} is listed twice")
            rcode = None
        description = check.text(item["description"], f"{where}.description")
        at_least = item["at_least"]
        if not isinstance(at_least, str) or at_least not in levels:
            _unknown_level(check, f"{where}.at_least", at_least, levels)
            at_least = None
        condition = _parse_condition(item["condition"], f"{where}.condition", in_tool, check)
        if None in (rcode, description, at_least, condition):
            continue
        out.append(FloorRule(rcode, description, condition, at_least))  # type: ignore[arg-type]
    return tuple(out)


def _parse_condition(raw: Any, where: str, in_tool: set[str], check: _Checker) -> dict[str, Any] | None:
    kinds = ("age_under", "fact", "indicator")
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in kinds:
        facts = "|".join(FACT_CONDITIONS)
        expected = f"{{age_under: N}}, {{fact: {facts}}} or {{indicator: CODE}}"
        check.fail(where, f"expected exactly one of {expected}, got {_kind(raw)}")
        return None
    kind, value = next(iter(raw.items()))
    if kind == "age_under":
        age = check.whole(value, f"{where}.age_under")
        return None if age is None else {"age_under": age}
    if kind == "fact":
        if value not in FACT_CONDITIONS:
            check.fail(f"{where}.fact", f"unknown fact {value!r} (expected {' or '.join(FACT_CONDITIONS)})")
            return None
        return {"fact": value}
    if value not in codelist("cce_indicator"):
        check.fail(
            f"{where}.indicator", f"unknown indicator code {value!r} (not in the cce_indicator code list)"
        )
        return None
    if value not in in_tool:
        check.fail(
            f"{where}.indicator",
            f"indicator {value!r} is not one of this tool's indicators, so it can never be confirmed",
        )
        return None
    return {"indicator": value}


def _parse_review_weeks(raw: Any, levels: Mapping[str, Level], check: _Checker) -> tuple[int, dict[str, int]]:
    if raw is None:
        return 12, {}
    if not isinstance(raw, dict):
        check.fail("review_weeks", f"expected a mapping of level code to weeks, got {_kind(raw)}")
        return 12, {}
    default = 12
    weeks: dict[str, int] = {}
    for key, value in raw.items():
        n = check.whole(value, f"review_weeks.{key}")
        key = str(key)
        if key == "default":
            default = n or default
        elif key not in levels:
            _unknown_level(check, f"review_weeks.{key}", key, levels)
        elif n is not None:
            weeks[key] = n
    return default, {code: weeks[code] for code in levels if code in weeks}


def load_tools(directory: str | Path) -> dict[tuple[str, str], Tool]:
    """Every ``*.yaml``/``*.yml`` tool in ``directory``, keyed by ``(code, version)``. Raises one
    ToolError listing the problems in every bad file (and any (code, version) defined twice); the
    caller keeps whatever it loaded before, so a bad new version never displaces a good old one."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ToolError(directory, ["not a directory of screening tools"])
    tools: dict[tuple[str, str], Tool] = {}
    problems: list[str] = []
    paths = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")], key=lambda p: p.name)
    for path in paths:
        try:
            tool = load_tool(path)
        except ToolError as e:
            problems.append(str(e))
            continue
        if tool.key in tools:
            first = Path(tools[tool.key].path).name
            problems.append(f"{path.name}: {tool.code} version {tool.version} is already defined in {first}")
            continue
        tools[tool.key] = tool
    if problems:
        raise ToolError(directory, problems)
    return tools


# ================================================================================== advice


@dataclass(frozen=True)
class Advice:
    level: str  # a level code of the tool
    score: int | float
    reasons: list[str]  # one per floor rule that applies to the child, in the tool's order


def advise(tool: Tool, confirmed: Iterable[str], child: ChildFacts) -> Advice:
    """The tool's advisory level for the confirmed indicators: the weights of the confirmed indicators
    the tool knows are summed (others are ignored), the score gives a level through the thresholds,
    then every floor rule that applies raises the level to its ``at_least`` (never lowers it). The
    practitioner's final level is their judgement (ST §3.1); this only advises."""
    codes = set(confirmed)
    score = sum(i.weight for i in tool.indicators if i.code in codes)
    level = tool.thresholds[0][1]
    for min_score, code in tool.thresholds:
        if score >= min_score:
            level = code
    reasons: list[str] = []
    for rule in tool.floor_rules:
        if not _condition_holds(rule.condition, codes, child):
            continue
        floor = tool.level(rule.at_least)
        reason = f"{rule.description}: not lower than {floor.code}"
        if floor.rank > tool.level(level).rank:
            reason += f" (raised from {level})"
            level = floor.code
        reasons.append(reason)
    return Advice(level=level, score=score, reasons=reasons)


def _condition_holds(condition: Mapping[str, Any], confirmed: set[str], child: ChildFacts) -> bool:
    if "age_under" in condition:
        return child.age is not None and child.age < condition["age_under"]
    if "fact" in condition:
        return bool(getattr(child, condition["fact"]))
    return condition.get("indicator") in confirmed


def review_weeks(tool: Tool, level: str | Level) -> int:
    """Weeks until the screening is reviewed at this level (the tool's default, 12 unless it says)."""
    code = level.code if isinstance(level, Level) else level
    tool.level(code)  # refuses a level that is not on this tool's scale
    return tool.review_weeks.get(code, tool.default_review_weeks)


# ================================================================================== suggestions


@dataclass(frozen=True)
class Fact:
    kind: str  # Lantern item_type, or "rhi_disclosure" with details {"indicator": code}
    occurred_at: dt.datetime  # timezone-aware
    details: Mapping[str, Any]
    ref: str  # how the caller finds the source record again (e.g. a timeline item id)
    summary: str = ""


@dataclass(frozen=True)
class ChildFacts:
    age: int | None
    looked_after: bool
    learning_disability: bool
    facts: list[Fact] = field(default_factory=list)


@dataclass(frozen=True)
class Suggestion:
    indicator: str  # a cce_indicator code
    evidence: str  # at most EVIDENCE_MAX characters
    refs: tuple[str, ...]  # the supporting facts, oldest first


@dataclass(frozen=True)
class _Window:
    at: dt.datetime
    start: dt.datetime  # exclusive: a fact exactly window_days before `at` is outside
    days: int
    facts: tuple[Fact, ...]  # inside the window, oldest first
    history: tuple[Fact, ...]  # every fact up to `at`, oldest first (for status rules only)
    child: ChildFacts
    missing_times: int
    attendance_at_or_below: float

    def of(self, *kinds: str) -> list[Fact]:
        return [f for f in self.facts if f.kind in kinds]


Rule = Callable[[_Window], list[Suggestion]]

# Words that name what was involved when no structured code says so (offence, search outcome).
_DRUGS = re.compile(
    r"\b(drugs?|class [abc]|cannabis|cocaine|crack|heroin|wraps?|snap ?bags?|scales|cling ?film|spice"
    r"|ketamine|mdma|ecstasy|controlled substance)\b",
    re.I,
)
_WEAPON = re.compile(
    r"\b(knife|knives|blades?|bladed|weapons?|machete|firearms?|guns?|knuckle ?dusters?|axe|sword|baton)\b",
    re.I,
)
_MONEY = re.compile(r"\b(cash|money|criminal property)\b|£\d", re.I)
_PHONES = re.compile(r"\b(phones|handsets|sim cards|sims|burner)\b", re.I)
_NOTHING = re.compile(r"^\s*(nothing|no items|none)\b", re.I)
ASSAULT_INJURIES = ("stab_wound", "gunshot", "assault")
# The order of lantern.ingest.formats.health.injury_type_for (first match wins).
_COMPLAINT_WORDS = (
    ("stab", "stab_wound"),
    ("gunshot", "gunshot"),
    ("assault", "assault"),
    ("overdose", "overdose"),
    ("self-harm", "self_harm"),
    ("self harm", "self_harm"),
)
HARM_TO_SELF = ("self_harm", "overdose")


def _day(t: dt.datetime) -> str:
    d = t.astimezone(LONDON).date()
    return f"{d.day} {d:%b %Y}"


def _item(f: Fact, default: str) -> str:
    return f"{(f.summary or default).rstrip('.')} ({_day(f.occurred_at)})"


def _list(facts: Sequence[Fact], default: str, limit: int = 3) -> str:
    shown = "; ".join(_item(f, default) for f in facts[-limit:])
    more = len(facts) - limit
    return f"{shown}; and {more} earlier" if more > 0 else shown


def _found_something(f: Fact) -> bool:
    found = f.details.get("items_found")
    if isinstance(found, bool):
        return found
    return not _NOTHING.search(str(f.details.get("outcome", "")))


def _what_was_found(f: Fact) -> set[str]:
    """What a stop and search or an arrest involved: a subset of {drugs, weapon, money, phones}."""
    out: set[str] = set()
    d = f.details
    if f.kind == "arrest":
        text = str(d.get("offence", ""))
        if d.get("drug_class") or _DRUGS.search(text):
            out.add("drugs")
        if d.get("weapon") or _WEAPON.search(text):
            out.add("weapon")
        if _MONEY.search(text):
            out.add("money")
    elif f.kind == "stop_search" and _found_something(f):
        text = str(d.get("outcome", ""))
        for name, pattern in (("drugs", _DRUGS), ("weapon", _WEAPON), ("money", _MONEY), ("phones", _PHONES)):
            if pattern.search(text):
                out.add(name)
        if not out:  # a bare "items found": the object of the search says what
            grounds = str(d.get("grounds", "")).lower()
            if grounds == "drugs":
                out.add("drugs")
            elif grounds == "offensive weapons":
                out.add("weapon")
    return out


def _injury_type(f: Fact) -> str:
    """The health format's injury_type; from the complaint text when a feed did not code it."""
    code = f.details.get("injury_type")
    if code:
        return str(code)
    complaint = str(f.details.get("presenting_complaint", "")).lower()
    return next((kind for word, kind in _COMPLAINT_WORDS if word in complaint), "")


def rule_missing(w: _Window) -> list[Suggestion]:
    """Missing N times in the window (police reports, plus SSDA903 'missing' episodes on days with no
    police report, so one episode counts once), or found out of area once (HO indicator 1, ST §2.1)."""
    reports = w.of("missing_report")
    report_days = {f.occurred_at.astimezone(LONDON).date() for f in reports}
    from_care = [
        f
        for f in w.of("missing_episode_903")
        if f.details.get("missing_type", "M") == "M"
        and f.occurred_at.astimezone(LONDON).date() not in report_days
    ]
    episodes = sorted([*reports, *from_care], key=lambda f: (f.occurred_at, f.ref))
    out_of_area = [f for f in w.facts if _found_out_of_area(f)]
    parts: list[str] = []
    refs: list[Fact] = []
    if len(episodes) >= w.missing_times:
        dates = ", ".join(_day(f.occurred_at) for f in episodes[-5:])
        more = f" and {len(episodes) - 5} earlier" if len(episodes) > 5 else ""
        parts.append(f"Missing {len(episodes)} times in the {w.days} days to {_day(w.at)}: {dates}{more}")
        refs += episodes
    if out_of_area:
        where = "; ".join(f"{_place(f)} ({_day(f.occurred_at)})" for f in out_of_area[-3:])
        parts.append(f"Found out of area: {where}")
        refs += out_of_area
    return [_suggestion("missing_or_out_of_area", parts, refs)] if parts else []


def _found_out_of_area(f: Fact) -> bool:
    """A police missing report found out of area, or another force's record of finding the child
    (the generator's "missing from another force area" incident)."""
    if f.kind == "missing_report":
        return f.details.get("found_out_of_area") is True
    incident = str(f.details.get("incident_type", "")).lower()
    return f.kind == "police_incident" and "missing" in incident and "area" in incident


def _place(f: Fact) -> str:
    return str(f.details.get("found_location") or f.details.get("location") or "place not recorded")


def _police_rule(indicator: str, thing: str, label: str) -> Rule:
    def rule(w: _Window) -> list[Suggestion]:
        hits = [f for f in w.of("arrest", "stop_search") if thing in _what_was_found(f)]
        if not hits:
            return []
        return [_suggestion(indicator, [f"{label}: {_list(hits, 'Police record')}"], hits)]

    rule.__name__ = f"rule_{indicator}"
    rule.__doc__ = f"Arrested, or stopped and searched and found, with {thing} (HO indicator, ST §2.1)."
    return rule


rule_drugs = _police_rule("drugs_paraphernalia", "drugs", "Arrested or searched with drugs")
rule_weapons = _police_rule("weapons", "weapon", "Arrested or searched with a weapon")
rule_money = _police_rule("unexplained_money_items", "money", "Arrested or searched with cash")
rule_phones = _police_rule("multiple_phones", "phones", "Searched and found with phones")


def rule_injuries(w: _Window) -> list[Suggestion]:
    """Emergency attendances for a stab wound, gunshot or assault, and police records of the child as
    the victim of an assault ("suspicion of physical assault / unexplained injuries", ST §2.1)."""
    ae = [f for f in w.of("ae_attendance") if _injury_type(f) in ASSAULT_INJURIES]
    assaults = [
        f
        for f in w.of("police_incident")
        if "assault" in str(f.details.get("incident_type", "")).lower() and f.details.get("role") == "victim"
    ]
    parts = []
    if ae:
        parts.append(f"Emergency department: {_list(ae, 'Injury')}")
    if assaults:
        parts.append(f"Police: {_list(assaults, 'Victim of an assault')}")
    return [_suggestion("unexplained_injuries", parts, [*ae, *assaults])] if parts else []


def rule_harm_to_self(w: _Window) -> list[Suggestion]:
    """Emergency attendances for self-harm or an overdose ("self-harm or significant changes in
    emotional well-being", ST §2.1)."""
    hits = [f for f in w.of("ae_attendance") if _injury_type(f) in HARM_TO_SELF]
    if not hits:
        return []
    return [_suggestion("emotional_change", [f"Emergency department: {_list(hits, 'Self-harm')}"], hits)]


def rule_education(w: _Window) -> list[Suggestion]:
    """A suspension or permanent exclusion, or attendance at or below 50% ("school exclusion(s) and/or
    significant decline in attendance", ST §2.1). The attendance line is the DfE's "severely absent"
    (missing 50% or more of sessions), not "persistently absent" (10% or more): persistent absence is
    common among children who are not being exploited, so on its own it says little."""
    exclusions = w.of("school_suspension", "permanent_exclusion")
    attendance = [(f, _attendance(f)) for f in w.of("school_attendance_concern")]
    low = [(f, pct) for f, pct in attendance if pct is not None and pct <= w.attendance_at_or_below]
    absent = [f for f, _pct in low]
    parts = []
    if exclusions:
        parts.append(_list(exclusions, "Excluded"))
    if absent:
        lowest = min(pct for _f, pct in low)
        plural = "s" if len(absent) > 1 else ""
        parts.append(
            f"Attendance at or below {w.attendance_at_or_below:g}% in {len(absent)} attendance concern{plural} "
            f"(lowest {lowest:g}%, latest {_day(absent[-1].occurred_at)})"
        )
    return [_suggestion("education_decline", parts, [*exclusions, *absent])] if parts else []


def care_periods(facts: Iterable[Fact], at: dt.datetime) -> list[tuple[dt.date, dt.date | None, list[Fact]]]:
    """Periods looked after as (first day, last day or None if still looked after at ``at``, the
    records that show it), from the ``lac_episode`` facts up to ``at`` in time order. A record marked
    ``ceased`` (the SSDA903 import) or whose ``dec`` is its own date (the generator) ends a period;
    an episode that ends with the child still in care (a new episode follows) does not."""
    periods: list[tuple[dt.date, dt.date | None, list[Fact]]] = []
    start: dt.date | None = None
    support: list[Fact] = []
    episodes = sorted(
        (f for f in facts if f.kind == "lac_episode" and f.occurred_at <= at),
        key=lambda f: (f.occurred_at, f.ref),
    )
    for f in episodes:
        day = f.occurred_at.astimezone(LONDON).date()
        dec = f.details.get("dec")
        ends = f.details.get("ceased") is True or (bool(dec) and str(dec) == day.isoformat())
        if start is None:
            start = _date(f.details.get("decom")) or day
        support.append(f)
        if ends:
            periods.append((start, _date(dec) or day, support))
            start, support = None, []
    if start is not None:
        periods.append((start, None, support))
    return periods


def looked_after_on(facts: Iterable[Fact], at: dt.datetime) -> bool:
    """Whether the records show the child looked after at ``at`` (for ``ChildFacts.looked_after``)."""
    periods = care_periods(facts, at)
    return bool(periods) and periods[-1][1] is None


def rule_looked_after(w: _Window) -> list[Suggestion]:
    """Looked after at any time in the window ("being in or leaving care", HO vulnerability factors
    2023, ST §2.1). A status: the episode that began it may predate the window (see
    ``care_periods``); ``ChildFacts.looked_after`` with no record is suggested without a ref."""
    window_start = w.start.astimezone(LONDON).date()
    for began, ended, facts in reversed(care_periods(w.history, w.at)):
        if ended is None or ended > window_start:
            text = f"Looked after from {began.day} {began:%b %Y}"
            text += f" to {ended.day} {ended:%b %Y}" if ended is not None else " (still looked after)"
            return [_suggestion("looked_after", [text], facts)]
    if w.child.looked_after:
        return [Suggestion("looked_after", "Recorded as looked after", ())]
    return []


def rule_disclosures(w: _Window) -> list[Suggestion]:
    """What the child disclosed in a return home interview, each as its own indicator."""
    known = codelist("cce_indicator")
    by_code: dict[str, list[Fact]] = {}
    for f in w.of("rhi_disclosure"):
        code = f.details.get("indicator")
        if isinstance(code, str) and code in known:
            by_code.setdefault(code, []).append(f)
    return [
        _suggestion(code, [f"Told in a return home interview: {_list(facts, 'Disclosed')}"], facts)
        for code, facts in by_code.items()
    ]


def rule_network(w: _Window) -> list[Suggestion]:
    """What the association map shows: linked to an adult posing risk (arrested or found together),
    or found at an address where a vulnerable adult lives (possible cuckooing) (HO indicators)."""
    out = []
    for kind, indicator, label in (
        ("linked_adult_posing_risk", "adult_posing_risk", "In the association map"),
        ("linked_cuckooed_address", "cuckooed_address", "In the association map"),
    ):
        if hits := w.of(kind):
            out.append(_suggestion(indicator, [f"{label}: {_list(hits, 'Linked')}"], hits))
    return out


def rule_deal_line(w: _Window) -> list[Suggestion]:
    """Police intelligence linking the child to a deal line (its brand or number), where the child is
    recorded in the victim-centred role, not as an adult posing risk (HO indicator, ST §2.1)."""
    hits = [
        f
        for f in w.of("intelligence")
        if (f.details.get("deal_line_number") or f.details.get("line_name"))
        and str(f.details.get("subject_role", "")).lower() != "adult posing risk"
    ]
    if not hits:
        return []
    lines = sorted({str(f.details.get("line_name") or f.details.get("deal_line_number")) for f in hits})
    return [
        _suggestion(
            "linked_to_deal_line",
            [
                f"Intelligence links the child to the {', '.join(repr(x) for x in lines)} deal line: "
                f"{_list(hits, 'Intelligence log')}"
            ],
            hits,
        )  # fmt: skip
    ]


def _attendance(f: Fact) -> float | None:
    pct = f.details.get("attendance_pct")
    return float(pct) if isinstance(pct, int | float) and not isinstance(pct, bool) else None


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _suggestion(indicator: str, parts: Sequence[str], facts: Sequence[Fact]) -> Suggestion:
    ordered = sorted({f.ref: f for f in facts}.values(), key=lambda f: (f.occurred_at, f.ref))
    return Suggestion(indicator, _clip("; ".join(parts)), tuple(f.ref for f in ordered))


def _clip(text: str) -> str:
    return text if len(text) <= EVIDENCE_MAX else text[: EVIDENCE_MAX - 1].rstrip() + "…"


RULES: dict[str, Rule] = {
    "missing": rule_missing,
    "drugs": rule_drugs,
    "weapons": rule_weapons,
    "money": rule_money,
    "phones": rule_phones,
    "injuries": rule_injuries,
    "harm_to_self": rule_harm_to_self,
    "education": rule_education,
    "looked_after": rule_looked_after,
    "disclosures": rule_disclosures,
    "deal_line": rule_deal_line,
    "network": rule_network,
}


def suggest(
    child: ChildFacts,
    at: dt.datetime,
    *,
    window_days: int = 180,
    missing_times: int = 2,
    attendance_at_or_below: float = 50.0,
) -> list[Suggestion]:
    """Indicators the child's records suggest at ``at``, one per indicator (rules suggesting the same
    one are merged: evidence joined, refs combined), in the cce_indicator code list's order."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("`at` must be timezone-aware")
    if window_days < 1 or missing_times < 1:
        raise ValueError("window_days and missing_times must be at least 1")
    if naive := [f.ref for f in child.facts if f.occurred_at.utcoffset() is None]:
        raise ValueError(f"facts must have timezone-aware times: {', '.join(naive[:5])}")
    start = at - dt.timedelta(days=window_days)
    history = tuple(
        sorted((f for f in child.facts if f.occurred_at <= at), key=lambda f: (f.occurred_at, f.ref))
    )
    window = _Window(
        at=at,
        start=start,
        days=window_days,
        facts=tuple(f for f in history if f.occurred_at > start),
        history=history,
        child=child,
        missing_times=missing_times,
        attendance_at_or_below=attendance_at_or_below,
    )
    found: dict[str, list[Suggestion]] = {}
    facts_by_ref = {f.ref: f for f in history}
    for rule in RULES.values():
        for s in rule(window):
            found.setdefault(s.indicator, []).append(s)
    order = list(codelist("cce_indicator").codes)
    out = []
    for code in sorted(found, key=order.index):
        parts = found[code]
        if len(parts) == 1:
            out.append(parts[0])
            continue
        refs = {r for s in parts for r in s.refs}
        ordered = sorted(
            refs, key=lambda r: (facts_by_ref[r].occurred_at, r) if r in facts_by_ref else (at, r)
        )
        out.append(Suggestion(code, _clip("; ".join(s.evidence for s in parts)), tuple(ordered)))
    return out
