"""Which indexed file a ledger cell names: by file name within the station's folder.

Names are compared folded: full-width characters to half-width (NFKC), case
ignored, white space removed; a name without an extension matches a file of
any image extension with that stem; a name with folders (``2025-03/a.jpg``)
must match the end of the file's path. A name matching several files is
reported as ambiguous with the candidates, never guessed.
"""

from __future__ import annotations

import posixpath
import unicodedata

import pandas as pd

from .scan import HEIC_SUFFIXES, IMAGE_SUFFIXES

MATCHED, MISSING, AMBIGUOUS = "matched", "missing", "ambiguous"
SUFFIXES = IMAGE_SUFFIXES + HEIC_SUFFIXES


def fold_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", str(name)).replace("\\", "/").lower()
    return "".join(text.split()).strip("/")


def _stem(name: str) -> str:
    root, ext = posixpath.splitext(name)
    return root if ext in SUFFIXES else name


class FolderIndex:
    """The files of one station's folder, looked up by folded name, stem or path tail."""

    def __init__(self, paths: pd.Series):
        self.by_name: dict[str, list[str]] = {}
        self.by_stem: dict[str, list[str]] = {}
        self.paths = list(paths)
        for path in self.paths:
            folded = fold_name(path)
            base = posixpath.basename(folded)
            self.by_name.setdefault(base, []).append(path)
            self.by_stem.setdefault(_stem(base), []).append(path)

    def find(self, name: str) -> tuple[str, list[str]]:
        """(status, candidate paths) for a ledger name."""
        folded = fold_name(name)
        base = posixpath.basename(folded)
        has_ext = posixpath.splitext(base)[1] in SUFFIXES
        found = self.by_name.get(base, []) if has_ext else self.by_stem.get(base, [])
        if not found and has_ext:  # "a.jpeg" typed for a.jpg, or an extension typed for a file without one
            found = self.by_stem.get(_stem(base), [])
        if "/" in folded:
            tail = [p for p in found if fold_name(p).endswith(folded) or _stem(fold_name(p)).endswith(_stem(folded))]
            found = tail or found
        if not found:
            return MISSING, []
        return (MATCHED, found) if len(found) == 1 else (AMBIGUOUS, sorted(found))
