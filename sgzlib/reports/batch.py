"""Running many reports at once: notebooks in parallel on long-lived kernels, PDFs from one browser.

``run_jobs`` starts one worker thread per core; each owns a kernel
(``KernelSession``) that it keeps for all its reports, executes the notebook
with papermill and writes the HTML. The calling thread prints every HTML to
PDF with one Chromium as soon as it is ready, and keeps the progress bar.
A report that fails is recorded with its cell and error; the others go on.
``events(stage, job)``, when given, is told as each report moves on: ``running`` (its notebook started),
``pdf`` (being printed), ``done`` or ``failed`` (the reports page shows it). ``record_batch`` writes the
batch's audit row, for ``sgz report`` and the reports page alike.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..runtime.browser import chromium_path, find_chromium
from ..store import audit, outputs, storage
from .engine import KernelSession, notebook_path
from .html import _exporter, external_resources, plotly_js, to_html, write_plotly
from .jobs import KIND_NAMES, Job
from .pdf import PdfRenderer

FORMATS = ("ipynb", "html", "pdf")
RECORD_SUFFIX = "_督导记录.xlsx"  # a station report's pre-filled 督导记录 workbook, next to it


def default_formats() -> tuple[str, ...]:
    """What a batch writes when no format is asked for: every format, less PDF when there is no browser.

    An explicit ``pdf`` is not softened: ``run_jobs`` refuses it without a browser, before any work.
    """
    return FORMATS if find_chromium() else tuple(f for f in FORMATS if f != "pdf")


@dataclass
class ReportResult:
    """How one report went: the files written, or where and why it failed."""

    job: Job
    files: dict[str, Path] = field(default_factory=dict)
    error: str | None = None
    cell: int | None = None  # the failing cell's number in the executed notebook (1-based), when a cell failed
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def describe(self) -> str:
        name = f"{KIND_NAMES[self.job.kind]} {self.job.label}"
        if self.ok:
            return f"{name}：完成（{self.seconds:.1f} 秒）" + "".join(f"\n    {p}" for p in self.files.values())
        return f"{name}：失败。{self.error}"


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def run_one(session: KernelSession, job: Job, out_dir: Path, formats=FORMATS) -> ReportResult:
    """Execute one report's notebook on ``session`` and write its ipynb and HTML (the PDF comes later)."""
    import papermill as pm

    started = time.perf_counter()
    result = ReportResult(job)
    ipynb = job.path(out_dir, ".ipynb")
    ipynb.parent.mkdir(parents=True, exist_ok=True)
    params = dict(job.parameters)
    if job.kind == "assessment":
        params["scoresheet_path"] = str(job.path(out_dir, ".xlsx").resolve())
    if job.kind == "station":  # written by the kernel from the report it has just built
        params["record_path"] = str(job.path(out_dir, RECORD_SUFFIX).resolve())
    try:
        with outputs.atomic(ipynb) as partial:  # a failed notebook is kept too (it shows the error)
            try:
                nb = session.run(notebook_path(job.notebook), partial, params)
            except pm.PapermillExecutionError:
                os.replace(partial, ipynb)
                raise
    except pm.PapermillExecutionError as exc:
        result.cell = exc.cell_index + 1
        first = next((line for line in (exc.source or "").splitlines() if line.strip()), "")
        result.error = (f"笔记本第 {result.cell} 格（{first.strip()[:60]}）出错：{exc.ename}: {exc.evalue}"
                        f"。出错的笔记本已保存：{ipynb}")
        result.files["ipynb"] = ipynb
        result.seconds = time.perf_counter() - started
        return result
    except Exception as exc:  # the kernel died or could not start: report it, go on with the others
        result.error = f"无法运行笔记本：{type(exc).__name__}: {exc}"
        result.seconds = time.perf_counter() - started
        return result
    result.files["ipynb"] = ipynb
    if job.kind == "assessment" and job.path(out_dir, ".xlsx").exists():
        result.files["xlsx"] = job.path(out_dir, ".xlsx")
    if job.kind == "station" and job.path(out_dir, RECORD_SUFFIX).exists():
        result.files["record"] = job.path(out_dir, RECORD_SUFFIX)
    if "html" in formats or "pdf" in formats:
        html = to_html(nb, _title(nb, job))
        remote = external_resources(html)
        if remote:
            result.error = f"HTML 引用了外部网络资源（离线无法打开）：{'、'.join(remote[:5])}"
        path = job.path(out_dir, ".html")
        write_plotly(path.parent)  # the report's plotly.js, once per folder, before the report that names it
        outputs.write_text(path, html)
        result.files["html"] = path
    if "ipynb" not in formats:
        ipynb.unlink(missing_ok=True)
        result.files.pop("ipynb")
    result.seconds = time.perf_counter() - started
    return result


def _title(nb, job: Job) -> str:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata") or {}
            title = meta.get("sgz_title") if isinstance(meta, dict) else None
            if title:
                return title
    return f"{KIND_NAMES[job.kind]} {job.label}"


def run_jobs(jobs: list[Job], out_dir: str | os.PathLike, formats=FORMATS, workers: int | None = None,
             progress: bool = True, env: dict[str, str] | None = None,
             events: Callable[[str, Job], None] | None = None) -> list[ReportResult]:
    """Run every job; returns one ``ReportResult`` per job, in the order given."""
    tell = events or (lambda stage, job: None)
    out_dir = Path(out_dir)
    workers = max(1, min(workers or default_workers(), len(jobs) or 1))
    todo: queue.Queue = queue.Queue()
    done: queue.Queue = queue.Queue()
    for i, job in enumerate(jobs):
        todo.put((i, job))

    def work():
        with KernelSession(env=env) as session:
            while True:
                try:
                    i, job = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    tell("running", job)
                    done.put((i, run_one(session, job, out_dir, formats)))
                except Exception:  # never lose a job: an unexpected failure is its result
                    done.put((i, ReportResult(job, error=traceback.format_exc(limit=3))))

    if "pdf" in formats:
        chromium_path()  # no browser: say so before any work starts
    threads = [threading.Thread(target=work, name=f"sgz-report-{k}", daemon=True) for k in range(workers)]
    for t in threads:
        t.start()
    results: list[ReportResult | None] = [None] * len(jobs)
    bar = _progress(len(jobs), progress)
    renderer = None
    try:
        if "html" in formats or "pdf" in formats:
            plotly_js(), _exporter()  # load the template and plotly.js once, while the kernels start
        if "pdf" in formats and jobs:
            renderer = _start_renderer()
        for _ in range(len(jobs)):
            i, result = done.get()
            if result.ok and "pdf" in formats:
                tell("pdf", result.job)
                renderer = renderer or _start_renderer()
                _print_pdf(renderer, result, out_dir)
            if "html" not in formats and "html" in result.files:
                result.files.pop("html").unlink(missing_ok=True)
            results[i] = result
            tell("done" if result.ok else "failed", result.job)
            bar.update(1)
            if not result.ok:
                bar.write(result.describe())
    finally:
        bar.close()
        if renderer is not None:
            renderer.close()
        for t in threads:
            t.join()
    return results


def _start_renderer():
    return PdfRenderer().start()


def _print_pdf(renderer, result: ReportResult, out_dir: Path) -> None:
    started = time.perf_counter()
    pdf = result.job.path(out_dir, ".pdf")
    try:
        with outputs.atomic(pdf) as partial:
            blocked = renderer.render(result.files["html"], partial)
    except Exception as exc:
        result.error = f"PDF 生成失败：{type(exc).__name__}: {exc}"
        return
    if blocked:
        result.error = f"报告试图访问外部网络资源（已拦截）：{'、'.join(blocked[:5])}"
    result.files["pdf"] = pdf
    result.seconds += time.perf_counter() - started


class _NoBar:
    def update(self, n):
        pass

    def write(self, text):
        pass

    def close(self):
        pass


def _progress(total: int, enabled: bool):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="生成报告", unit="份", dynamic_ncols=True)


def record_batch(db_url: str | None, jobs: list[Job], results: list[ReportResult], out_dir, *,
                 masked: bool = True, login: str | None = None) -> None:
    """One audit row for a batch: its kind, targets, masked or not, how many succeeded, where they went."""
    if not jobs:
        return
    kind = jobs[0].kind
    failed = sum(1 for r in results if not r.ok)
    engine = storage.connect(db_url)
    try:
        with storage.write_transaction(engine) as conn:
            audit.record(conn, "report", login=login, stations=[j.target for j in jobs] if kind == "station" else (),
                         masked=masked, detail=f"{KIND_NAMES[kind]}：{'、'.join(j.target for j in jobs)}；"
                                               f"成功 {len(results) - failed} 份，失败 {failed} 份；输出目录 {out_dir}")
    finally:
        engine.dispose()
