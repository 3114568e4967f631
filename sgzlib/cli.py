"""The ``sgz`` command line: assembles arguments and calls the library.

Each subcommand lives in its own module of ``sgzlib.commands`` with a
``register(subparsers)`` function that adds its parser and sets ``func``.
Library errors become Chinese messages here, at the boundary, and a non-zero
exit code.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from . import __version__, commands
from .errors import ProblemsError, SgzError


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand; given ``argv`` that names one, of that subcommand alone.

    Each command module imports what its command needs, and some need a lot
    (``sgz dashboard`` loads Voila and Jupyter Server, seconds of start-up):
    a command line that names its command imports that module only. Without
    one (``sgz``, ``sgz --help``, a misspelt command) every command is
    registered, so help and errors list them all.
    """
    parser = argparse.ArgumentParser(
        prog="sgz", description="社工站督导与个案分析工作台：台账导入、指标评估、督导报告、看板。")
    parser.add_argument("--version", action="version", version=f"sgz {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="命令", title="命令")
    modules = sorted(info.name for info in pkgutil.iter_modules(commands.__path__))
    named = _command_module(argv, modules)
    for name in [named] if named else modules:
        importlib.import_module(f"{commands.__name__}.{name}").register(sub)
    return parser


def _command_module(argv: list[str] | None, modules: list[str]) -> str | None:
    """The module of the command ``argv`` names first (``import`` → ``import_``, ``repair-db`` → ``repair_db``)."""
    first = next((a for a in argv or () if not a.startswith("-")), None)
    if first is None or first.startswith("_"):
        return None
    name = first.replace("-", "_")
    for candidate in (name, f"{name}_"):
        if candidate in modules:
            return candidate
    return None


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
