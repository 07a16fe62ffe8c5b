"""Search keys for typo-tolerant person search. Pure Python: no Django.

Names are folded (case, accents, punctuation), nicknames mapped to one form, then reduced to a
Metaphone key, so "Jon Smyth", "John Smith" and "Jack Smith" share keys. Hyphenated surnames give
two keys ("Smith-Jones" is found by "Smith" and by "Jones")."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path

import jellyfish

_LETTERS = re.compile(r"[^a-z]+")
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


@cache
def _nickname_map() -> dict[str, str]:
    raw = json.loads((Path(__file__).parent / "data" / "nicknames.json").read_text(encoding="utf-8"))
    return {name: group[0] for group in raw["groups"] for name in group}


def fold(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _LETTERS.sub(" ", ascii_text.lower()).strip()


def name_key(name: str) -> str:
    """The phonetic key of one name token (nickname-folded)."""
    token = fold(name).replace(" ", "")
    if not token:
        return ""
    return jellyfish.metaphone(_nickname_map().get(token, token))[:20]


def given_key(given_name: str) -> str:
    first = fold(given_name).split(" ")[0] if given_name.strip() else ""
    return name_key(first)


def family_keys(family_name: str) -> tuple[str, str]:
    """(key, alternative key) — the alternative is the second part of a hyphenated surname."""
    parts = [p for p in re.split(r"[-\s]+", family_name.strip()) if p]
    if not parts:
        return "", ""
    if len(parts) == 1:
        return name_key(parts[0]), ""
    return name_key(parts[0]), name_key(parts[-1])


def query_keys(text: str) -> set[str]:
    """Keys of every token of a free-text name query (order-free, so swapped names still match)."""
    return {key for token in fold(text).split(" ") if (key := name_key(token))}


def normalise_postcode(value: str) -> str:
    """Upper case with one space before the inward code; returns the input upper-cased if not a postcode."""
    compact = re.sub(r"\s+", "", value.upper())
    match = _POSTCODE.match(compact)
    return f"{match.group(1)} {match.group(2)}" if match else value.strip().upper()
