"""``sgz doctor``: check what this machine can do with sgz, and say what to do about what it cannot.

What this machine can do with sgz: database, PDF browser and fonts, Jupyter kernel, output folder.

Each check returns a ``Finding``: what works or what is wrong, and what to do
about it, in Chinese. ``fail`` is for what the main job needs (a database that
answers with a schema this version knows, a kernel to run the notebooks, an
output folder it can write); ``warn`` is for what only limits it (no browser:
no PDFs) or what sgz repairs by itself (a schema behind is upgraded on the next
command). Nothing here changes the database or creates the output folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ..cli import add_db_argument
from ..reports.engine import KernelSession
from ..runtime.browser import CHROMIUM_ENV_VAR, INSTALL_COMMAND, find_chromium
from ..runtime.kernel import KERNEL_NAME, _runs_this_python
from ..store import storage
from . import summary

OK, WARN, FAIL = "ok", "warn", "fail"
MIGRATIONS = Path(__file__).resolve().parents[1] / "store" / "migrations"
FONT_PACKAGE = "fonts-noto-cjk"


@dataclass(frozen=True)
class Finding:
    """One check: ``item`` (what was checked), ``status`` (ok / warn / fail), ``detail`` and what to do."""

    item: str
    status: str
    detail: str
    action: str = ""

    @property
    def failed(self) -> bool:
        return self.status == FAIL


# -- database ---------------------------------------------------------------

def check_database(url: str | None = None, script_location: str | os.PathLike = MIGRATIONS) -> Finding:
    """The database URL parses, the database answers, and its schema revision is this version's (or behind)."""
    item = "数据库"
    url = storage.database_url(url)
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        return Finding(item, FAIL, f"数据库地址无效：{url}（{exc}）",
                       "用 --db 或环境变量 SGZ_DATABASE_URL 给出正确的地址，如 sqlite:///data/sgz.db 或 "
                       "postgresql+psycopg://用户@主机:端口/库名")
    shown = parsed.render_as_string(hide_password=True)
    sqlite_file = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
    if sqlite_file and not Path(parsed.database).exists():
        return Finding(item, WARN, f"{shown}：数据库文件还不存在",
                       "运行 sgz demo 生成演示数据，或 sgz import 台账.xlsx 导入；第一次写入时自动建表")
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as exc:
        return Finding(item, FAIL, f"数据库地址无效：{shown}（{exc}）", "检查地址中的驱动名（如 postgresql+psycopg）")
    try:
        with engine.connect() as conn:
            current, tables = _revision(conn)
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return Finding(item, FAIL, f"{shown}：无法连接（{reason}）",
                       "确认数据库服务已启动、地址、用户名和权限正确")
    finally:
        engine.dispose()
    return _schema_finding(item, shown, current, tables, script_location)


def _revision(conn: sa.Connection) -> tuple[str | None, list[str]]:
    from alembic.runtime.migration import MigrationContext

    tables = sa.inspect(conn).get_table_names()
    return MigrationContext.configure(conn).get_current_revision(), tables


def _schema_finding(item: str, shown: str, current: str | None, tables: list[str], script_location) -> Finding:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(script_location))
    head = script.get_current_head()
    if current is None:
        if [t for t in tables if t != "alembic_version"]:
            return Finding(item, FAIL, f"{shown}：有数据表但没有结构版本记录（可能是中断的第一次建表，或不是 sgz 的数据库）",
                           "确认地址指向 sgz 的数据库；若是中断的建表，备份后删除该数据库，重新运行 sgz demo 或 sgz import")
        return Finding(item, WARN, f"{shown}：数据库是空的（还没有表）",
                       "运行 sgz demo 生成演示数据，或 sgz import 台账.xlsx 导入；第一次写入时自动建表")
    if current == head:
        return Finding(item, OK, f"{shown}：可以连接，结构版本 {current}（最新）")
    known = {rev.revision for rev in script.walk_revisions()}
    if current in known:
        return Finding(item, WARN, f"{shown}：结构版本 {current} 落后于本版本的 {head}",
                       "先备份数据库；之后任何读写数据库的 sgz 命令（如 sgz evaluate --all）都会自动升级")
    return Finding(item, FAIL, f"{shown}：结构版本 {current} 不是本版本 sgz 认识的版本（本版本最新为 {head}）",
                   "数据库可能由更新版本的 sgz 建立：请升级 sgz（git pull 后重新 make demo），不要用旧版本写入")


# -- PDF: browser and fonts -------------------------------------------------

def check_browser() -> Finding:
    """A Chromium sgz may use (``SGZ_CHROMIUM`` alone when set), and that it starts."""
    item = "PDF 浏览器（Chromium）"
    path = find_chromium()
    chosen = os.environ.get(CHROMIUM_ENV_VAR)
    if path is None:
        why = f"环境变量 {CHROMIUM_ENV_VAR} 指定的「{chosen}」不存在或不可执行" if chosen else "PATH 和 /usr/bin 中都没有 chromium"
        return Finding(item, WARN, f"找不到 Chromium（{why}）：报告只生成 ipynb 和 HTML，不生成 PDF",
                       f"安装后即可生成 PDF：{INSTALL_COMMAND}" + (f"；或改正 {CHROMIUM_ENV_VAR}" if chosen else
                                                          f"；或用环境变量 {CHROMIUM_ENV_VAR} 指定浏览器路径"))
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Finding(item, WARN, f"{path} 无法运行（{exc}）：不能生成 PDF", f"重新安装：{INSTALL_COMMAND}")
    if done.returncode != 0:
        return Finding(item, WARN, f"{path} 无法运行（退出码 {done.returncode}）：不能生成 PDF",
                       f"重新安装：{INSTALL_COMMAND}")
    return Finding(item, OK, f"{path}（{done.stdout.strip() or '版本未知'}）：可以生成 PDF")


def check_fonts() -> Finding:
    """CJK fonts for the PDFs (fontconfig's ``fc-list :lang=zh``)."""
    item = "中文字体（PDF 用）"
    action = f"安装：sudo apt-get install -y {FONT_PACKAGE}"
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return Finding(item, WARN, "没有 fc-list，无法检查中文字体；缺字体时 PDF 中的中文会显示为方框", action)
    try:
        done = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Finding(item, WARN, f"无法检查中文字体（{exc}）", action)
    families = sorted({line.split(",")[0].strip() for line in done.stdout.splitlines() if line.strip()})
    if not families:
        return Finding(item, WARN, "没有中文字体：PDF 中的中文会显示为方框（HTML 在查看者电脑上显示，不受影响）", action)
    noto = [f for f in families if "Noto" in f and "CJK" in f]
    shown = "、".join((noto or families)[:2])
    return Finding(item, OK, f"有 {len(families)} 种中文字体（如 {shown}）")


# -- Jupyter kernel ---------------------------------------------------------

def check_kernel(start: bool = True) -> Finding:
    """The kernel the report notebooks run on: registered (or registrable) and, with ``start``, answering."""
    item = "Jupyter 内核"
    try:
        import ipykernel  # noqa: F401
    except ImportError as exc:
        return Finding(item, FAIL, f"没有安装 ipykernel（{exc}），无法运行报告笔记本",
                       "重新安装依赖：.venv/bin/pip install -e .（或 make demo）")
    runtime = _jupyter_runtime_dir()
    if not _writable(_nearest_existing(runtime)):
        return Finding(item, FAIL, f"Jupyter 运行目录 {runtime} 不能写入，内核无法启动",
                       "修改该目录的权限，或用环境变量 JUPYTER_RUNTIME_DIR 指定一个可写的目录")
    registered = _runs_this_python(KERNEL_NAME)
    note = f"内核 {KERNEL_NAME} 已登记" if registered else f"内核 {KERNEL_NAME} 尚未登记（第一次生成报告时自动登记）"
    if not start:
        return Finding(item, OK, note + "（未试启动）")
    try:
        with KernelSession() as session:
            session.start()
    except Exception as exc:  # any failure to start is the finding
        return Finding(item, FAIL, f"{note}，但无法启动：{type(exc).__name__}: {exc}",
                       "重新安装依赖（.venv/bin/pip install -e .），或查看上面的错误")
    return Finding(item, OK, f"内核 {KERNEL_NAME} 已登记，可以启动")


def _jupyter_runtime_dir() -> Path:
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(jupyter_runtime_dir())


# -- output folder ----------------------------------------------------------

def check_out_dir(out: str | os.PathLike = "out") -> Finding:
    """The report folder exists and is writable, or can be created (nothing is created here)."""
    out = Path(out)
    item = f"输出目录 {out}"
    if out.exists() and not out.is_dir():
        return Finding(item, FAIL, f"{out} 是一个文件，不是目录，报告无法写入", "删除或改名该文件，或用 --out 换一个目录")
    existing = _nearest_existing(out)
    if not existing.is_dir():
        return Finding(item, FAIL, f"无法建立 {out}：上级路径 {existing} 是一个文件", "用 --out 换一个目录")
    if not _writable(existing):
        return Finding(item, FAIL, f"{existing} 不能写入，报告无法保存", "修改该目录的权限，或用 --out 换一个可写的目录")
    if existing == out.absolute():
        return Finding(item, OK, f"{out.resolve()} 可以写入")
    return Finding(item, OK, f"{out.resolve()} 还不存在，生成报告时会建立（{existing.resolve()} 可以写入）")


def _nearest_existing(path: Path) -> Path:
    """``path`` itself when it exists, else its closest existing ancestor."""
    existing = path.absolute()
    while not existing.exists():
        existing = existing.parent
    return existing


def _writable(folder: Path) -> bool:
    """Whether a file can really be created in ``folder`` (tried, not guessed from permission bits)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".sgz-doctor-", dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.unlink(probe)
    return True


def run_checks(db_url: str | None = None, out: str | os.PathLike = "out", start_kernel: bool = True) -> list[Finding]:
    """Every check, in the order a newcomer meets them."""
    return [check_database(db_url), check_browser(), check_fonts(), check_kernel(start_kernel), check_out_dir(out)]


MARKS = {OK: "✔ 正常", WARN: "！注意", FAIL: "✘ 失败"}


def register(sub) -> None:
    p = sub.add_parser("doctor", help=summary("doctor"),
                       description="逐项检查数据库地址与结构版本、生成 PDF 用的 Chromium 和中文字体、运行报告笔记本的 "
                                   "Jupyter 内核、输出目录的写入权限，并说明每项能做什么、不能做时怎么办。"
                                   "必需项（数据库、内核、输出目录）有一项失败时退出码为 1。")
    add_db_argument(p)
    p.add_argument("--out", metavar="目录", default="out", help="报告输出目录（默认 out/）")
    p.add_argument("--no-kernel-start", action="store_true", help="只检查内核是否已登记，不试启动（更快）")
    p.set_defaults(func=run)


def run(args) -> int:
    findings = run_checks(args.db, args.out, start_kernel=not args.no_kernel_start)
    print("sgz 运行环境检查")
    for f in findings:
        print(f"  {MARKS[f.status]}  {f.item}：{f.detail}")
        if f.action and f.status != OK:
            print(f"           处理：{f.action}")
    failed = [f for f in findings if f.failed]
    warned = [f for f in findings if f.status == WARN]
    if failed:
        print(f"结论：{len(failed)} 项必需的检查未通过（{'、'.join(f.item for f in failed)}），请按上面的说明处理。")
        return 1
    print("结论：必需的检查全部通过" + (f"；{len(warned)} 项需要注意（见上）。" if warned else "。"))
    return 0
