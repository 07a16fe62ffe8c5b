"""Code lists as versioned data in one place (`data/codelists.json`).

Every list records where its codes come from. Decisions that depend on a code list store
`CODELISTS_VERSION` beside them, so a later change to a list never rewrites history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

_PATH = Path(__file__).parent / "data" / "codelists.json"


@dataclass(frozen=True)
class CodeList:
    name: str
    source: str
    codes: dict[str, dict[str, Any]]

    @property
    def choices(self) -> list[tuple[str, str]]:
        return [(code, meta["label"]) for code, meta in self.codes.items()]

    def label(self, code: str | None) -> str:
        if code is None or code == "":
            return ""
        return self.codes.get(str(code), {}).get("label", str(code))

    def __contains__(self, code: object) -> bool:
        return str(code) in self.codes

    def where(self, attribute: str, value: Any) -> list[str]:
        return [code for code, meta in self.codes.items() if meta.get(attribute) == value]


@cache
def _load() -> tuple[str, dict[str, CodeList]]:
    raw = json.loads(_PATH.read_text(encoding="utf-8"))
    lists = {
        name: CodeList(name=name, source=body["source"], codes=body["codes"])
        for name, body in raw["lists"].items()
    }
    return raw["version"], lists


def codelist(name: str) -> CodeList:
    return _load()[1][name]


CODELISTS_VERSION: str = _load()[0]
