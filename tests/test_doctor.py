"""``sgz doctor``'s findings and ``make demo``'s system-package step."""

from __future__ import annotations

import shutil
import stat

import pytest
import sqlalchemy as sa

from sgzlib import cli
from sgzlib.commands import doctor
from sgzlib.commands.doctor import FAIL, OK, WARN
from sgzlib.runtime import system_packages
from sgzlib.store import storage


def _migrations_with_a_newer_revision(tmp_path):
    """The shipped migrations plus one later revision: a database at today's head is then one behind."""
    copy = tmp_path / "migrations"
    shutil.copytree(doctor.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(doctor.MIGRATIONS)).get_current_head()
    (copy / "versions" / "9999_later.py").write_text(
        f'revision = "9999"\ndown_revision = "{head}"\nbranch_labels = None\ndepends_on = None\n\n\n'
        "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n", encoding="utf-8")
    return copy, head


def test_database_current_behind_unknown_missing_and_unreachable(tmp_path):
    url = f"sqlite:///{tmp_path / 'sgz.db'}"
    assert doctor.check_database(url).status == WARN  # no file yet: created by the first write
    assert not (tmp_path / "sgz.db").exists()  # the check did not create it
    storage.connect(url).dispose()
    current = doctor.check_database(url)
    assert current.status == OK and "（最新）" in current.detail

    later, head = _migrations_with_a_newer_revision(tmp_path)
    behind = doctor.check_database(url, script_location=later)
    assert behind.status == WARN and f"结构版本 {head} 落后于本版本的 9999" in behind.detail
    assert "自动升级" in behind.action

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'abcd'"))
    engine.dispose()
    unknown = doctor.check_database(url)
    assert unknown.status == FAIL and "abcd" in unknown.detail and "升级 sgz" in unknown.action

    (tmp_path / "empty.db").touch()
    assert "空的" in doctor.check_database(f"sqlite:///{tmp_path / 'empty.db'}").detail
    assert doctor.check_database("nonsense://").status == FAIL
    bad_pg = doctor.check_database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert bad_pg.status == FAIL and "无法连接" in bad_pg.detail


def test_missing_browser_is_a_warning_with_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("SGZ_CHROMIUM", str(tmp_path / "nonexistent"))
    found = doctor.check_browser()
    assert found.status == WARN and "SGZ_CHROMIUM" in found.detail and "不生成 PDF" in found.detail
    assert "apt-get install -y chromium fonts-noto-cjk" in found.action
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'Chromium 123.0'\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("SGZ_CHROMIUM", str(fake))
    works = doctor.check_browser()
    assert works.status == OK and "Chromium 123.0" in works.detail


def test_fonts_missing_when_fc_list_finds_none(tmp_path, monkeypatch):
    fake = tmp_path / "fc-list"
    fake.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(tmp_path))
    found = doctor.check_fonts()
    assert found.status == WARN and "fonts-noto-cjk" in found.action


@pytest.mark.parametrize("make_out, status, words", [
    (lambda t: t / "new" / "out", OK, "会建立"),
    (lambda t: t, OK, "可以写入"),
    (lambda t: (t / "file").write_text("x") and t / "file", FAIL, "是一个文件"),
    (lambda t: (t / "file").write_text("x") and t / "file" / "out", FAIL, "上级路径"),
])
def test_out_folder(tmp_path, make_out, status, words):
    found = doctor.check_out_dir(make_out(tmp_path))
    assert found.status == status and words in found.detail


def test_unwritable_folder_is_a_failure(tmp_path, monkeypatch):
    # Root writes through permission bits, so the refusal comes from the probe itself failing.
    real = doctor.tempfile.mkstemp

    def refuse(*args, dir=None, **kwargs):
        if str(dir).startswith(str(tmp_path)):
            raise PermissionError(13, "Permission denied")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(doctor.tempfile, "mkstemp", refuse)
    found = doctor.check_out_dir(tmp_path / "out")
    assert found.status == FAIL and "不能写入" in found.detail


def test_cli_exit_code_follows_required_failures(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SGZ_CHROMIUM", str(tmp_path / "nonexistent"))
    url = f"sqlite:///{tmp_path / 'sgz.db'}"
    storage.connect(url).dispose()
    assert cli.main(["doctor", "--db", url, "--out", str(tmp_path / "out"), "--no-kernel-start"]) == 0
    text = capsys.readouterr().out
    assert "！注意  PDF 浏览器（Chromium）" in text and "必需的检查全部通过" in text
    (tmp_path / "blocker").write_text("x")
    assert cli.main(["doctor", "--db", url, "--out", str(tmp_path / "blocker"), "--no-kernel-start"]) == 1
    assert "1 项必需的检查未通过（输出目录" in capsys.readouterr().out


@pytest.mark.slow
def test_kernel_starts():
    found = doctor.check_kernel(start=True)
    assert found.status == OK and "可以启动" in found.detail


# -- make demo's system step --------------------------------------------------

@pytest.mark.parametrize("env, euid, apt, sudo_ok, chromium, fonts, packages, prefix, reason", [
    ({"SGZ_SYSTEM_PACKAGES": "no"}, 0, True, False, False, False, (), None, "SGZ_SYSTEM_PACKAGES=no"),
    ({}, 0, True, False, True, True, (), None, "都已就绪"),
    ({}, 0, True, False, False, False, ("chromium", "fonts-noto-cjk"), (), ""),
    ({}, 1000, True, True, True, False, ("fonts-noto-cjk",), ("sudo", "-n"), ""),
    ({}, 1000, True, False, False, True, ("chromium",), None, "sudo 也需要密码"),
    ({}, 0, False, False, False, True, ("chromium",), None, "没有 apt-get"),
    # SGZ_CHROMIUM names the browser to use: another one would not be used, so only the fonts.
    ({"SGZ_CHROMIUM": "/opt/c"}, 0, True, False, False, False, ("fonts-noto-cjk",), (), ""),
])
def test_system_step_plan(env, euid, apt, sudo_ok, chromium, fonts, packages, prefix, reason):
    step = system_packages.plan(env, euid, apt, sudo_ok, chromium, fonts)
    assert step.packages == packages and reason in step.reason
    if prefix is None:
        assert step.commands == ()
    else:
        assert step.commands == ((*prefix, "apt-get", "update", "-qq"),
                                 (*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages))


def test_system_step_off_says_nothing_installs_nothing(monkeypatch, capsys):
    monkeypatch.setenv("SGZ_SYSTEM_PACKAGES", "no")
    ran = []
    monkeypatch.setattr(system_packages.subprocess, "run", lambda *a, **k: ran.append(a))
    assert system_packages.main() == 0
    assert ran == [] and capsys.readouterr().out == ""
