"""Characters a person cannot see in a cell: removed with a note, or refused (docs/ledger.md「看不见的字符」).

Text copied from web pages, WeChat or other systems brings characters that
show nothing. In a code or a name they make a second record that looks
exactly like an existing one, or a reference that looks right and matches
nothing. The rule, for every column except prose (``schema.Column.prose``,
free text such as 内容摘要):

- **Removed, with a note naming the cells**: zero-width and other invisible
  format characters (U+200B–U+200D, U+2060–U+2064, U+FEFF the BOM, U+00AD
  the soft hyphen, U+180E) and control characters (U+0001–U+001F but tab,
  line feed and carriage return, U+007F, U+0080–U+009F). Removing them leaves exactly what the person sees, so the
  cell means what it shows: ``\\u200bB1`` is ``B1``.
- **Refused**: the bidirectional controls (U+061C, U+200E, U+200F,
  U+202A–U+202E, U+2066–U+2069). They change the order in which the
  characters are *shown* (``\\u202e1B`` shows as ``B1``), so removing them
  would store something other than what the person saw; the message names
  the character and where it is, so the cell can be typed again.

In prose only the control characters are removed; format characters stay as typed there, where they serve
writing (an emoji's zero-width joiner, right-to-left script). NUL is left
for ``schema.value_problems``, which refuses it everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cells import CellError

FORMAT_NAMES = {
    "\u200b": "零宽空格", "\u200c": "零宽不连字", "\u200d": "零宽连字", "\u2060": "零宽不换行空格",
    "\u2061": "不可见函数符", "\u2062": "不可见乘号", "\u2063": "不可见分隔符", "\u2064": "不可见加号",
    "\ufeff": "字节顺序标记 BOM", "\u00ad": "软连字符", "\u180e": "蒙古文元音分隔符",
}
BIDI_NAMES = {
    "\u061c": "阿拉伯文字母标记", "\u200e": "从左到右标记", "\u200f": "从右到左标记",
    "\u202a": "从左到右嵌入", "\u202b": "从右到左嵌入", "\u202c": "嵌入结束", "\u202d": "从左到右强制",
    "\u202e": "从右到左强制", "\u2066": "从左到右隔离", "\u2067": "从右到左隔离", "\u2068": "首字隔离",
    "\u2069": "隔离结束",
}
_CONTROLS = frozenset(chr(c) for c in (*range(1, 32), *range(0x7F, 0xA0))) - frozenset("\t\n\r")
_SUSPECT = frozenset(FORMAT_NAMES) | frozenset(BIDI_NAMES) | _CONTROLS


def describe(ch: str) -> str:
    """``U+200B（零宽空格）``: the code point and a Chinese name a person can search for."""
    name = FORMAT_NAMES.get(ch) or BIDI_NAMES.get(ch) or "控制字符"
    return f"U+{ord(ch):04X}（{name}）"


@dataclass(frozen=True)
class Scrubbed:
    """A cell's text with the invisible characters taken out, and which ones were."""

    text: str
    removed: tuple[str, ...] = ()  # distinct characters, in order of appearance


def scrub(text: str, prose: bool = False, what: str = "内容") -> Scrubbed:
    """``text`` without the characters the rule removes; ``CellError`` for a bidirectional control.

    ``what`` names the value in the message (``编码``, ``姓名``): 「编码前有不可见字符 U+202E（从右到左强制）」.
    """
    if _SUSPECT.isdisjoint(text):
        return Scrubbed(text)
    if not prose:
        at = next((i for i, ch in enumerate(text) if ch in BIDI_NAMES), None)
        if at is not None:
            raise CellError(f"{what}{_position(text, at)}有不可见字符 {describe(text[at])}：它改变文字的显示顺序，"
                            "看到的和实际填写的不一样；请清空该单元格，重新输入（不要复制粘贴）", "bidi_control")
    drop = {ch for ch in text if ch in _CONTROLS or (ch in FORMAT_NAMES and not prose)}
    if not drop:
        return Scrubbed(text)
    removed = tuple(dict.fromkeys(ch for ch in text if ch in drop))
    return Scrubbed("".join(ch for ch in text if ch not in drop), removed)


def without_any(text: str) -> str:
    """``text`` without any of the characters above, bidirectional controls too: for sheet titles and headers,
    which are matched against the template's names and never stored."""
    return text if _SUSPECT.isdisjoint(text) else "".join(ch for ch in text if ch not in _SUSPECT)


def has_visible(text: str) -> bool:
    """Whether anything but white space and removable invisible characters is in ``text``."""
    return any(not ch.isspace() and ch not in _CONTROLS and ch not in FORMAT_NAMES for ch in text)


def _position(text: str, at: int) -> str:
    visible = [i for i, ch in enumerate(text) if ch not in _SUSPECT and not ch.isspace()]
    if not visible or at < visible[0]:
        return "前"
    if at > visible[-1]:
        return "后"
    before = sum(1 for i in visible if i < at)
    return f"中（第 {before} 个字符之后）"
