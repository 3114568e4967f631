"""Every input of the bad-input corpus is refused in Chinese, with no traceback and the database unchanged;
every input of the hostile set (``hostile``) is refused at its place or imported faithfully.

For each input and each database (SQLite, PostgreSQL): a database holding the
base ledger; ``import_workbook`` must raise ``DataError`` (any other exception
is a traceback for the user) with the expected reason and Chinese text; the
command line must exit 2 and print the same text; and the fingerprint of every
row of every table must be what it was before. A hostile input that is
imported must leave the fingerprint that importing its plain twin gives.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import sqlalchemy as sa
from corpus import CORPUS
from hostile import CASES
from ledger_books import base_sheets, write_book
from rel_helpers import ROOT, dump_hash

from sgzlib import cli
from sgzlib.errors import DataError
from sgzlib.ledger import import_workbook
from sgzlib.store import storage

CJK = "\u4e00-\u9fff"


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("corpus")


_built: dict[str, object] = {}


def built(entry, folder, build=None, suffix=""):
    key = entry.id + suffix
    if key not in _built:
        place = folder / key
        place.mkdir()
        _built[key] = (build or entry.build)(place)
    return _built[key]


def _import_base(url: str, folder) -> None:
    engine = storage.connect(url)
    try:
        import_workbook(engine, write_book(folder / "base.xlsx", base_sheets()))
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def base_db(request, tmp_path_factory):
    """One database holding the base ledger per backend and module, with its pristine fingerprint.

    Importing the base for every case took most of this module's time. Each case proves the database
    unchanged after its refusals, so the next case can start from the same one; ``base_url`` still
    checks the fingerprint before every case and rebuilds the base when a case did change it.
    Returns ``(url, pristine hash, rebuild)``.
    """
    folder = tmp_path_factory.mktemp(f"base-{request.param}")
    if request.param == "sqlite":
        template = folder / "template.db"
        _import_base(f"sqlite:///{template}", folder)
        live = folder / "sgz.db"
        url = f"sqlite:///{live}"

        def rebuild():
            shutil.copyfile(template, live)  # a fresh copy of the base, byte for byte
    else:
        url = request.getfixturevalue("module_pg_url")()

        def rebuild():
            engine = sa.create_engine(url)
            try:
                storage.drop_all(engine)
            finally:
                engine.dispose()
            _import_base(url, folder)
    rebuild()
    return url, dump_hash(url), rebuild


@pytest.fixture(scope="module")
def reference_db(request, base_db, tmp_path_factory):
    """Imports a workbook (with or without pruning) into a fresh copy of the base, on the backend of
    ``base_db``; returns the fingerprint after it. A faithful import of a hostile file must give the same."""
    url, _, _ = base_db
    folder = tmp_path_factory.mktemp("reference")
    if url.startswith("sqlite"):
        template = folder / "template.db"
        _import_base(f"sqlite:///{template}", folder)
        target = f"sqlite:///{folder / 'reference.db'}"

        def fresh():
            shutil.copyfile(template, folder / "reference.db")
    else:
        target = request.getfixturevalue("module_pg_url")()

        def fresh():
            engine = sa.create_engine(target)
            try:
                storage.drop_all(engine)
            finally:
                engine.dispose()
            _import_base(target, folder)

    def fingerprint(book, prune: bool) -> str:
        fresh()
        engine = storage.connect(target)
        try:
            import_workbook(engine, book, prune=prune)
        finally:
            engine.dispose()
        return dump_hash(target)

    return fingerprint


@pytest.fixture
def base_url(base_db):
    """The URL of a database holding exactly the base ledger (the shared one, rebuilt if it changed)."""
    url, pristine, rebuild = base_db
    if dump_hash(url) != pristine:
        rebuild()
        assert dump_hash(url) == pristine
    return url


@pytest.mark.parametrize("entry", CORPUS, ids=[e.id for e in CORPUS])
def test_bad_input_refused_cleanly_and_database_unchanged(entry, corpus_dir, base_url, capsys):
    path = built(entry, corpus_dir)
    before = dump_hash(base_url)
    engine = storage.connect(base_url)
    try:
        with pytest.raises(DataError) as info:
            import_workbook(engine, path)
    finally:
        engine.dispose()
    problems = info.value.problems
    hits = [p for p in problems if p.code == entry.code]
    assert hits, [(p.code, str(p)) for p in problems]
    assert any(entry.says in str(p) for p in hits), [str(p) for p in hits]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in p.message) for p in problems)
    assert dump_hash(base_url) == before

    capsys.readouterr()
    assert cli.main(["import", str(path), "--db", base_url]) == 2
    err = capsys.readouterr().err
    assert entry.says in err and "Traceback" not in err
    assert dump_hash(base_url) == before


@pytest.mark.parametrize("case", CASES, ids=[f"{c.kind}-{c.id}" for c in CASES])
def test_hostile_set_refused_where_it_is_wrong_or_imported_faithfully(case, corpus_dir, base_url, reference_db,
                                                                       capsys):
    path = built(case, corpus_dir)
    before = dump_hash(base_url)
    engine = storage.connect(base_url)
    try:
        if case.refused:
            with pytest.raises(DataError) as info:
                import_workbook(engine, path, prune=case.prune)
        else:
            result = import_workbook(engine, path, prune=case.prune)
    finally:
        engine.dispose()
    if not case.refused:
        assert not case.says or any(case.says in note for note in result.notes), result.notes
        expected = reference_db(built(case, corpus_dir, case.expect, "-expect"), case.prune)
        assert dump_hash(base_url) == expected
        return
    problems = info.value.problems
    hits = [p for p in problems if p.code == case.code and case.says in str(p)]
    assert hits, [(p.code, str(p)) for p in problems]
    if case.at is not None:
        assert any((p.where, p.row, p.column)[:len(case.at)] == case.at for p in hits), [str(p) for p in hits]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in p.message) for p in problems)
    assert dump_hash(base_url) == before
    if base_url.startswith("sqlite"):  # the command line says the same, with no traceback (one backend is enough)
        capsys.readouterr()
        args = ["import", str(path), "--db", base_url] + (["--prune"] if case.prune else [])
        assert cli.main(args) == 2
        err = capsys.readouterr().err
        assert case.says in err and "Traceback" not in err
        assert dump_hash(base_url) == before


BIG = ["shared-strings-bomb", "million-rows", "million-rows-no-size", "five-230mb-parts", "four-250mb-parts-under-the-total"]


@pytest.mark.slow
@pytest.mark.parametrize("name", BIG)
def test_hostile_files_are_refused_in_bounded_memory(name, corpus_dir, tmp_path):
    """The refusal of a zip bomb or a million-row sheet stays under 700 MB of memory (it took 2 GB and more)."""
    entry = next(e for e in [*CORPUS, *CASES] if e.id == name)
    path = built(entry, corpus_dir)
    # VmHWM: the peak resident memory of this process image (ru_maxrss would include the parent's before exec)
    code = ("import sys\n"
            "from sgzlib import cli\n"
            f"rc = cli.main(['import', {str(path)!r}, '--db', 'sqlite:///{tmp_path / 'x.db'}'])\n"
            "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))\n"
            "sys.exit(rc)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=300)
    assert run.returncode == 2, run.stderr[-2000:]
    assert entry.says in run.stderr
    peak_mb = int(run.stdout.split()[-1]) / 1024
    print(f"{name}: peak {peak_mb:.0f} MB")
    assert peak_mb < 700, peak_mb
