"""Shared test helpers: parse any file the synthetic writer or the golden folder holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lantern.ingest.formats import cin_census, generic, health, police, school_exclusions, ssda903
from lantern.ingest.formats.base import ParsedRow, Result, RowRejected

GOLDEN = Path(__file__).parent / "golden"


def parse_path(path: Path, fmt: str, *, validator: ssda903.ReturnValidator | None = None, mapping=None,
               collection_year: int | None = None) -> list[Result]:  # fmt: skip
    with path.open("rb") as fh:
        if fmt == "ssda903":
            v = validator or ssda903.ReturnValidator()
            return list(v.check(ssda903.parse(fh, filename=path.name, collection_year=collection_year)))
        if fmt == "cin_census":
            return list(cin_census.validate_file(cin_census.parse(fh, filename=path.name)))
        if fmt == "school_exclusions":
            return list(school_exclusions.validate_file(school_exclusions.parse(fh, filename=path.name)))
        if fmt == "police":
            return list(police.validate_file(police.parse(fh, filename=path.name)))
        if fmt == "health":
            return list(health.validate_file(health.parse(fh, filename=path.name)))
        if fmt == "generic":
            return list(
                generic.validate_file(generic.parse(fh, filename=path.name, mapping=mapping), mapping)
            )
    raise ValueError(fmt)


def render(results: list[Result]) -> Iterator[str]:
    """One line per error of a rejected row, and one per normalisation note of an accepted row."""
    for r in results:
        if isinstance(r, RowRejected):
            yield from r.messages
        elif isinstance(r, ParsedRow):
            for note in r.notes:
                yield f"{r.file}, row {r.row}: accepted with a note: {note}"
