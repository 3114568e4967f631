"""``python -m sgzlib.actions.report_worker JOB.json``: one report requested from the reports page.

Started by ``actions.reports.start`` in a session of its own, so it outlives the page that asked. It waits for
the folder's lock (one report at a time per report folder: the request shows 排队中 meanwhile), builds the
batch's jobs as ``sgz report`` does, on the database of ``SGZ_DATABASE_URL``, runs them (``reports.batch.run_jobs``) into the folder, updates its
``index.html`` and writes the audit row naming the user; the job file says where it is at every step.
"""

from __future__ import annotations

import fcntl
import os
import sys
import traceback
from pathlib import Path

from ..errors import SgzError
from ..reports import index
from ..reports.batch import default_formats, record_batch, run_jobs
from ..reports.jobs import kernel_env
from ..store import storage
from . import reports


def run(job_path: Path, url: str) -> int:
    job = reports.load(job_path)
    if job is None:
        return 2
    folder = job_path.parent.parent
    with open(job_path.parent / reports.LOCK_NAME, "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # one report at a time in this folder; the others queue
        try:
            return _run(job, job_path, folder, url)
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _run(job: reports.JobState, job_path: Path, folder: Path, url: str) -> int:
    def tell(state: str, *_):
        job.state = state
        reports.save(folder, job)

    try:
        tell("starting")
        todo = reports.jobs_for(url, job.kind, job.target, job.as_of)
        if not todo:
            raise SgzError("没有可生成报告的对象（所选站点或区县在这一日期还没有项目）。")
        results = run_jobs(todo, folder, formats=default_formats(), workers=1, progress=False, env=kernel_env(url),
                           events=lambda stage, _job: tell(stage) if stage in ("running", "pdf") else None)
        index.record(folder, index.entries_for(results, folder, url))
        record_batch(url, todo, results, folder, masked=True, login=job.login)
        failed = [r for r in results if not r.ok]
        job.files = {fmt: str(p.relative_to(folder)) for r in results if r.ok for fmt, p in r.files.items()
                     if fmt in reports.DOWNLOADS}
        job.error = "；".join(r.error for r in failed if r.error)
        job.finished = reports.now_text()
        tell("failed" if failed else "done")
        return 1 if failed else 0
    except SgzError as exc:
        job.error, job.finished = str(exc), reports.now_text()
        tell("failed")
        return 1
    except Exception as exc:  # the page must learn it failed, whatever went wrong
        traceback.print_exc()
        job.error, job.finished = f"报告没有生成（{type(exc).__name__}：{exc}）。请联系管理员。", reports.now_text()
        tell("failed")
        return 1


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(run(Path(sys.argv[1]), storage.database_url()))


if __name__ == "__main__":
    main()
