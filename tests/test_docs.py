"""The documentation keeps up with the code: every option and setting is documented, every citation resolves.

As datasette does: a command-line option or an ``SGZ_*`` environment variable that the docs do not name
fails here. The README stays short (a newcomer reads it in five minutes) and points into ``docs/``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from sgzlib import cli, commands

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README_LIMIT = 12 * 1024


def docs_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md")))


def options(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
    """(command path, option string) for every long option of ``parser`` and of its subcommands."""
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += options(sub, (*path, name))
        for opt in action.option_strings:
            if opt.startswith("--") and opt not in ("--help", "--version"):
                out.append((path, opt))
    return out


@pytest.mark.parametrize("command", sorted(commands.MODULES))
def test_every_option_of_every_command_is_documented(command):
    text = docs_text()
    parser = cli.build_parser([command])
    missing = [f"sgz {' '.join(path)} {opt}" for path, opt in options(parser, ()) if opt not in text]
    assert missing == []
    assert f"sgz {command}" in text


def test_every_setting_is_documented():
    used = set()
    for path in (ROOT / "sgzlib").rglob("*.py"):
        used |= set(re.findall(r"\bSGZ_[A-Z0-9_]+\b", path.read_text(encoding="utf-8")))
    text = docs_text()
    assert sorted(v for v in used if v not in text) == []


def test_the_readme_is_short_and_points_into_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) <= README_LIMIT
    links = re.findall(r"\]\((docs/[^)]+|CHANGELOG\.md)\)", readme)
    assert len(links) >= 10
    assert [link for link in links if not (ROOT / link).exists()] == []
    assert "make demo" in readme and "make test" in readme


def test_every_citation_of_the_docs_in_the_code_resolves():
    rules = (DOCS / "counting-rules.md").read_text(encoding="utf-8")
    numbered = {int(n) for n in re.findall(r"^(\d+)\. \*\*", rules, flags=re.M)}
    assert numbered == set(range(1, 13))
    bad = []
    for path in [*(ROOT / "sgzlib").rglob("*.py"), *(ROOT / "sgzlib").rglob("*.yaml"), *(ROOT / "tests").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for doc in set(re.findall(r"docs/[a-z-]+\.md", text)):
            if not (ROOT / doc).exists():
                bad.append(f"{path.relative_to(ROOT)}: {doc}")
        for n in re.findall(r"counting-rules\.md``?,? rule (\d+)", text):
            if int(n) not in numbered:
                bad.append(f"{path.relative_to(ROOT)}: rule {n}")
        if re.search(r"\b(DOMAIN|LEDGERS)\.md\b", text) and path.name != "test_docs.py":
            bad.append(f"{path.relative_to(ROOT)}: cites a file outside the repository")
    assert bad == []


def test_the_ledger_contract_names_every_sheet_and_column():
    from sgzlib.domain import schema

    text = (DOCS / "ledger.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (\S+) \| (.+) \|$", text, flags=re.M))
    for t in schema.TABLES:
        assert t.sheet in rows, t.sheet
        documented = rows[t.sheet].split("、")
        assert documented == [c.header + ("*" if c.required else "") for c in t.columns], t.sheet
