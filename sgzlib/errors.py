"""All exceptions of sgzlib, under one base class.

Two families, as in pandera: ``DefinitionError`` when a definition shipped or
written by us is wrong (a catalogue, a scale file), and ``DataError`` when the
user's data is wrong. Both carry every problem found, not only the first, and
each problem says what, where and why in Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    ``where`` names the place for a person (a sheet, a file, a case code);
    ``row`` is the row as Excel shows it where the input came from a
    workbook; ``code`` is a stable reason code for programs and tests;
    ``message`` is the Chinese reason.
    """

    code: str
    message: str
    where: str = ""
    row: int | None = None
    column: str = ""
    value: object = None
    key: tuple = ()

    def __str__(self) -> str:
        parts = [self.where] if self.where else []
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(f"「{self.column}」列")
        place = " ".join(parts)
        shown = "" if _blank(self.value) else f"（值：{self.value}）"
        return f"{place}：{self.message}{shown}" if place else f"{self.message}{shown}"


class SgzError(Exception):
    """Base class of every error sgzlib raises on purpose."""


class ProblemsError(SgzError):
    """An error that carries a list of problems, all reported at once."""

    title = "输入有误"

    def __init__(self, problems: list[Problem], title: str | None = None):
        self.problems = list(problems)
        if title:
            self.title = title
        super().__init__(self.report())

    def report(self, limit: int | None = None) -> str:
        shown = self.problems if limit is None else self.problems[:limit]
        lines = [f"{self.title}（共 {len(self.problems)} 处）："]
        lines += [f"  {i}. {p}" for i, p in enumerate(shown, 1)]
        if limit is not None and len(self.problems) > limit:
            lines.append(f"  …… 另有 {len(self.problems) - limit} 处未列出")
        return "\n".join(lines)


class DataError(ProblemsError):
    """The user's data is wrong: refused whole, nothing written."""

    title = "数据有误，已全部拒绝，未写入任何内容"


class DefinitionError(ProblemsError):
    """A definition file (catalogue, scale registry) is wrong."""

    title = "定义文件有误"


class NotFoundError(SgzError):
    """Something the user named (a station, a project, an indicator) does not exist."""


class NotAllowedError(SgzError):
    """The acting user may not do this: their role does not, or the station is outside their scope."""


class ConfigError(SgzError):
    """The command line or the environment is wrong (bad URL, bad date)."""


def _blank(value) -> bool:
    """No value to show: None, an empty string, or a missing cell (NaN, NaT, pandas' NA, whose ``==`` is ambiguous)."""
    if value is None:
        return True
    try:
        return bool(value != value) or value == ""  # NaN and NaT differ from themselves
    except TypeError:  # pandas' NA: comparing it gives NA, whose truth is ambiguous
        return True

