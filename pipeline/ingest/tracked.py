"""Text that remembers where each character came from.

The cleaner never edits strings blindly: every pass hands a list of edits to
:meth:`TrackedText.apply`, which returns a new text whose characters still map
to offsets in the raw decoded document, and logs each removal with the rule
that made it.  That log is the cleaning report a researcher audits.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np


class Edit(NamedTuple):
    start: int  # offsets into the *current* text
    end: int
    replacement: str
    rule: str


@dataclass
class Removal:
    rule: str
    raw_start: int  # offsets into the raw decoded text
    raw_end: int
    text: str  # what was removed, as it stood when the rule fired


@dataclass
class TrackedText:
    text: str
    offsets: array  # offsets[i] = raw offset of text[i]
    raw_length: int
    removals: list[Removal] = field(default_factory=list)
    # rules whose edits are counted, not listed one by one (whitespace, width)
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_raw(cls, raw: str) -> TrackedText:
        offsets = array("l")
        offsets.frombytes(np.arange(len(raw), dtype="l").tobytes())  # 0, 1, 2 … built in C, not one by one
        return cls(raw, offsets, len(raw))

    def raw_offset(self, i: int) -> int:
        """Raw offset of current position ``i`` (``len(text)`` maps to the raw end)."""
        return self.offsets[i] if i < len(self.offsets) else self.raw_length

    def apply(self, edits: Iterable[Edit], *, summarise: bool = False) -> TrackedText:
        """Apply non-overlapping edits; returns a new TrackedText.

        An edit replaces ``text[start:end]`` by ``replacement``; the new
        characters map to the raw offset of ``start``.  Overlapping edits are
        dropped after the first (sorted by start), so rules can be generous.
        With ``summarise`` the removed characters are only counted per rule.
        """
        edits = sorted((e for e in edits if e.end > e.start or e.replacement), key=lambda e: (e.start, e.end))
        pieces: list[str] = []
        offs = array("l")
        removals = list(self.removals)
        counts = dict(self.counts)
        pos = 0
        for e in edits:
            if e.start < pos:
                continue
            pieces.append(self.text[pos : e.start])
            offs.extend(self.offsets[pos : e.start])
            removed = self.text[e.start : e.end]
            if removed != e.replacement:
                if summarise:
                    counts[e.rule] = counts.get(e.rule, 0) + max(len(removed), 1)
                else:
                    raw_end = self.offsets[e.end - 1] + 1 if e.end > e.start else self.raw_offset(e.start)
                    removals.append(Removal(e.rule, self.raw_offset(e.start), raw_end, removed))
            if e.replacement:
                pieces.append(e.replacement)
                anchor = self.raw_offset(e.start)
                offs.extend([anchor] * len(e.replacement))
            pos = e.end
        pieces.append(self.text[pos:])
        offs.extend(self.offsets[pos:])
        return TrackedText("".join(pieces), offs, self.raw_length, removals, counts)

    def map_chars(self, table: dict[int, str], rule: str) -> TrackedText:
        """Length-preserving character mapping (width normalisation); counted, not listed."""
        new = self.text.translate(table)
        if len(new) != len(self.text):  # a table entry mapped to more than one char
            raise ValueError(f"map_chars({rule}) must preserve length")
        changed = sum(1 for a, b in zip(self.text, new, strict=False) if a != b) if new != self.text else 0
        counts = dict(self.counts)
        if changed:
            counts[rule] = counts.get(rule, 0) + changed
        return TrackedText(new, self.offsets, self.raw_length, list(self.removals), counts)
