"""Find catalogue entries named in free text typed by a nurse or a patient.

Matching is by whole words after normalisation, so "Vfend 200 mg x2/j" finds voriconazole,
"RIFAMPICINE" finds rifampicin and "St. John’s Wort" finds St John's wort, but a name never
matches inside a longer word ("esomeprazole" does not find omeprazole).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

_NOT_A_LETTER_OR_DIGIT = re.compile(r"[\W_]+")
# "Vfend200mg" and "Vfend 200 mg" should read the same: split where letters meet digits.
_LETTER_DIGIT_BOUNDARY = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


class Named(Protocol):
    # A catalogue dataclass (tuple of names) or a database row (JSON list of names).
    @property
    def names(self) -> Sequence[str]: ...


NamedT = TypeVar("NamedT", bound=Named)


def normalise(text: str) -> str:
    """Casefold, strip accents, turn punctuation into spaces and collapse whitespace.

    "St. John’s Wort" → "st john s wort"; "Néoral" → "neoral"; "Di-Hydan" → "di hydan".
    """
    # NFKD leaves the ligatures alone ("œstradiol"), so spell them out first.
    folded = text.casefold().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", folded)
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    spaced = _LETTER_DIGIT_BOUNDARY.sub(" ", without_accents)
    return " ".join(_NOT_A_LETTER_OR_DIGIT.sub(" ", spaced).split())


def matched_names(text: str, entry: Named) -> list[str]:
    """The normalised names of `entry` that appear in `text` as whole words, in entry order."""
    return _matched_names(f" {normalise(text)} ", entry)


def find_matches(text: str, entries: Iterable[NamedT]) -> list[NamedT]:
    """The entries named in `text`, each once, in catalogue order."""
    padded = f" {normalise(text)} "
    found: list[NamedT] = []
    for entry in entries:
        if entry not in found and _matched_names(padded, entry):
            found.append(entry)
    return found


def _matched_names(padded_text: str, entry: Named) -> list[str]:
    # Spaces on both sides of text and name make the test "whole words only".
    found: list[str] = []
    for name in entry.names:
        key = normalise(name)
        if key and f" {key} " in padded_text and key not in found:
            found.append(key)
    return found
