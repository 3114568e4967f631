"""The ``sgz`` command line: assembles arguments and calls the library.

Each subcommand lives in its own module of ``sgzlib.commands`` with a
``register(subparsers)`` function that adds its parser and sets ``func``;
``commands.GROUPS`` lists them by what the user is doing. Library errors become
Chinese messages here, at the boundary, and a non-zero exit code. argparse's own
words (usage, help, errors) are Chinese too (``ZH``).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__, commands
from .errors import ProblemsError, SgzError

# argparse's messages (Python 3.11) in Chinese: argparse looks its module-level ``_`` and ``ngettext`` up at
# each call, so pointing them here (once, when the command line is loaded) makes every parser speak Chinese.
ZH = {
    "usage: ": "用法：",
    "options": "选项",
    "positional arguments": "位置参数",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选择：%(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "值无效：%(value)r",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多只能有一个值",
    "expected at least one argument": "至少需要一个值",
    "expected %s argument": "需要 %s 个值",
    "expected %s arguments": "需要 %s 个值",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "必须给出以下参数之一：%s",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义，可能是：%(matches)s",
    "ignored explicit argument %r": "多余的值 %r",
    "unexpected option string: %s": "意外的选项：%s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "未知的命令 %(parser_name)r（可选：%(choices)s）",
    "can't open '%(filename)s': %(error)s": "无法打开「%(filename)s」：%(error)s",
}


def _zh(message: str) -> str:
    return ZH.get(message, message)


def _zh_n(singular: str, plural: str, n: int) -> str:
    return _zh(singular if n == 1 else plural)


argparse._ = _zh
argparse.ngettext = _zh_n


class ChineseParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage, help and errors are in Chinese (``ZH``, set for the whole process)."""


class _TopLevel(ChineseParser):
    """``sgz`` itself: its help lists the commands by group (``commands.GROUPS``), not alphabetically."""

    def format_help(self) -> str:
        width = max(len(name) for _, group in commands.GROUPS for name, _, _ in group) + 2
        lines = [self.format_usage().rstrip(), "", self.description or "", ""]
        for title, group in commands.GROUPS:
            lines.append(title)
            lines += [f"  {name.ljust(width)}{text}" for name, _, text in group]
            lines.append("")
        lines += ["选项：", "  -h, --help    显示本帮助并退出", "  --version     显示版本号并退出", "",
                  "每个命令的用法：sgz 命令 --help（例如 sgz report --help）。"]
        return "\n".join(lines) + "\n"


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand; given ``argv`` that names one, of that subcommand alone.

    Each command module imports what its command needs, and some need a lot
    (``sgz dashboard`` loads Voila and Jupyter Server, seconds of start-up):
    a command line that names its command imports that module only. Without
    one (``sgz``, ``sgz --help``, a misspelt command) no command module is
    imported: the commands are listed from ``commands.GROUPS``.
    """
    parser = _TopLevel(prog="sgz", description="社工站督导与个案分析工作台：台账导入、指标评估、督导报告、看板。")
    parser.add_argument("--version", action="version", version=f"sgz {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="命令", title="命令", parser_class=ChineseParser)
    named = _command_name(argv)
    if named:
        importlib.import_module(f"{commands.__name__}.{commands.MODULES[named]}").register(sub)
    else:
        for name in commands.MODULES:
            sub.add_parser(name, help=commands.summary(name))
    return parser


def _command_name(argv: list[str] | None) -> str | None:
    """The command ``argv`` names first, or None."""
    first = next((a for a in argv or () if not a.startswith("-")), None)
    return first if first in commands.MODULES else None


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--db URL`` option every command that reads or writes the database takes."""
    parser.add_argument("--db", metavar="URL", help="数据库地址（默认取环境变量 SGZ_DATABASE_URL，否则 data/sgz.db）")


def json_records(frame) -> list[dict]:
    """A frame as JSON-ready rows for ``--format json``: ISO dates, plain values, null for blanks."""
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    out = out.astype(object).where(out.notna(), None)
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
            for row in out.to_dict(orient="records")]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args) or 0
    except ProblemsError as exc:
        print(exc.report(limit=200), file=sys.stderr)
        return 2
    except SgzError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
