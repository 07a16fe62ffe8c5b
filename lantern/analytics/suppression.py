"""Small-number suppression for published tables (statistical disclosure control).

A published count of 1–4 children in a small area, combined with what a reader already knows, can
identify a child. The ONS and NHS England disclosure-control guidance (and the DfE's practice for
children in need and looked-after statistics) suppress small counts, and then suppress a second cell
wherever the first could be recovered by subtraction from a published total.

The rules this module encodes, for one row or column of a table (a mapping of cell name to count):

- **Primary suppression.** A count that is greater than 0 and less than `threshold` is withheld
  (``None``, shown as "<5" for a threshold of 5).
- **Complementary (secondary) suppression.** When the total of the mapping is published and exactly
  one cell has been withheld, that cell is the total minus the others: anyone could recover it. So
  the next-smallest non-zero cell is withheld as well. With two or more withheld cells only their sum
  can be recovered, which is at least two small counts' worth and says nothing about either one.
- **Zero is published as 0.** A zero reveals nothing about any individual child (there is no child
  in the cell to identify), and hiding zeros would also hide the finding that a group is absent,
  which a board needs to see (e.g. no referrals at all from a school). This follows the DfE's
  practice of showing true zeros. A zero is never chosen for complementary suppression either:
  withholding it would protect nothing, since it is the small non-zero cell that needs protecting.

The rules apply to one dimension at a time. A two-way table needs them applied to every row and
column until nothing changes; the reporting layer publishes one-way breakdowns, so that is not
implemented here.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["COMPLEMENTARY", "PRIMARY", "format_count", "suppress", "suppression_reasons"]

PRIMARY = "primary"  # the count itself is small
COMPLEMENTARY = "complementary"  # withheld so that a small count cannot be recovered by subtraction


def suppression_reasons(
    counts: Mapping[str, int], threshold: int, *, total_published: bool = True
) -> dict[str, str | None]:
    """Why each cell of `counts` is withheld: :data:`PRIMARY`, :data:`COMPLEMENTARY` or ``None``
    (published). The rules are :func:`suppress`'s."""
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    for name, count in counts.items():
        if count < 0 or count != int(count):
            raise ValueError(f"count for {name!r} must be a whole number, not negative: {count!r}")
    reasons: dict[str, str | None] = {
        name: PRIMARY if 0 < count < threshold else None for name, count in counts.items()
    }
    if total_published and sum(r is not None for r in reasons.values()) == 1:
        candidates = [
            (count, i, name)
            for i, (name, count) in enumerate(counts.items())
            if count > 0 and reasons[name] is None
        ]
        if candidates:
            _, _, name = min(candidates)
            reasons[name] = COMPLEMENTARY
    return reasons


def suppress(
    counts: Mapping[str, int], threshold: int, *, total_published: bool = True
) -> dict[str, int | None]:
    """The cells of `counts`, in the same order, with small non-zero counts withheld (``None``).

    Primary: 0 < count < `threshold`. Complementary, when `total_published` (the default, since a
    breakdown is normally shown with its total) and exactly one cell was withheld: the smallest
    other non-zero cell is withheld too (ties broken by the mapping's order), so the first cannot be
    recovered as the total minus the rest. If no other non-zero cell exists the total itself gives
    the cell away, and the caller must not publish it. Zero stays 0 (see the module docstring)."""
    reasons = suppression_reasons(counts, threshold, total_published=total_published)
    return {name: None if reasons[name] else int(count) for name, count in counts.items()}


def format_count(value: int | None, threshold: int, *, complementary: bool = False) -> str:
    """A published cell: the count with thousands separators, or "<5" (for a threshold of 5) when
    withheld. A cell withheld only to protect another (`complementary`, see
    :func:`suppression_reasons`) may be large, so "<5" would be false: it is shown as "[c]", the
    Government Statistical Service's symbol for a confidential value."""
    if value is None:
        return "[c]" if complementary else f"<{threshold}"
    return f"{value:,}"
