"""Values of cells hidden under a merged range below the header (WPS users merge repeated dates down a column).

A merged range shows the value of its top-left cell; the cells under it are empty in the file. For the
rows of a sheet that the importer reads, ``MergeFill.at`` gives the value each read column takes from a
merged range covering it. Only read columns and stored rows are filled, so a range merged down to
Excel's last row, or across all 16,384 columns, costs no more than a small one (the reader once built an
entry per covered cell, 17 billion for ``A2:XFD1048576``). Ranges that overlap are not something Excel
writes: more than ``MAX_COVERING`` ranges over one row refuse the file.
"""

from __future__ import annotations

from .xlsx import LimitError

MAX_COVERING = 1000


class MergeFill:
    """The merged ranges of one sheet below its header, swept row by row in increasing order."""

    def __init__(self, ranges: list[tuple[int, int, int, int]], top: dict[tuple[int, int], object],
                 columns: list[int], title: str = ""):
        """``ranges``: (min_col, min_row, max_col, max_row), 1-based; ``top``: value of each (row, column) top-left
        cell; ``columns``: the 0-based positions the sheet reads."""
        wanted = set(columns)
        self.pending = sorted((b for b in ranges if any(b[0] - 1 <= c <= b[2] - 1 for c in wanted)),
                              key=lambda b: b[1])
        self.active: list[tuple[int, int, int, int]] = []
        self.top, self.columns, self.title, self.next = top, sorted(wanted), title, 0

    def __bool__(self) -> bool:
        return bool(self.pending)

    def at(self, row: int) -> dict[int, object]:
        """0-based column → value, for the read columns of ``row`` hidden under a merged range."""
        while self.next < len(self.pending) and self.pending[self.next][1] <= row:
            self.active.append(self.pending[self.next])
            self.next += 1
        self.active = [b for b in self.active if b[3] >= row]
        if len(self.active) > MAX_COVERING:
            raise LimitError(f"工作表「{self.title}」第 {row} 行被 {len(self.active):,} 个合并区域覆盖（合并区域互相重叠，"
                             "Excel 不会这样保存），可能是被构造的文件，已拒绝")
        out = {}
        for min_col, min_row, max_col, _ in self.active:
            for c in self.columns:
                if min_col - 1 <= c <= max_col - 1 and (row, c + 1) != (min_row, min_col):
                    out[c] = self.top.get((min_row, min_col))
        return out
