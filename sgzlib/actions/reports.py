"""报告 as a library: what a user may report on, a report generated in the background, the reports written.

``choices`` lists, per kind (督导报告, 年终评估, 督导简报, 区县概览), the targets in the user's scope: their
township stations with a project, those stations' projects, a digest over their stations, and the districts
their scope covers whole. ``start`` checks the request against those choices and hands it to a worker process
(``report_worker``), so the report goes on while the page is used, and even once it is closed. The worker
runs the batch of ``sgz report`` (``reports.batch.run_jobs``: the same notebooks, the same files under the
user's report folder, its ``index.html`` updated), reports its progress to a small job file, and writes the
batch's audit row naming the user. Workers of one folder run one at a time (a lock file): a second request
waits, and says so.

``jobs_of`` gives the job files (newest first) for the page's progress; ``written`` the reports already in the
folder (the manifest of ``reports.index``), newest first, with the files a page may offer for download.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..reports import index, jobs
from ..reports.jobs import KIND_NAMES
from ..store import outputs, storage
from ..store.access import User

KIND_ORDER = ("station", "assessment", "digest", "district")
JOBS_FOLDER = ".sgz-jobs"
LOCK_NAME = "lock"
DOWNLOADS = ("html", "pdf", "xlsx", "record")  # what a page offers (the notebook stays in the folder)
STAGES = {"queued": "排队中：前一份报告完成后开始", "starting": "正在准备（读取站点与项目）",
          "running": "正在运行报告笔记本（通常 10–40 秒）", "pdf": "正在生成 PDF",
          "done": "已完成", "failed": "失败"}
SHARE = {"queued": 0.02, "starting": 0.08, "running": 0.3, "pdf": 0.8, "done": 1.0, "failed": 1.0}
KEEP_JOBS = 20


@dataclass
class JobState:
    """One request: what, for whom, and where it is (written by the page, then by the worker)."""

    id: str
    login: str
    role: str
    kind: str
    target: str
    label: str
    as_of: str | None
    state: str = "queued"
    requested: str = ""
    finished: str = ""
    files: dict[str, str] = field(default_factory=dict)  # format → path relative to the report folder
    error: str = ""

    @property
    def running(self) -> bool:
        return self.state not in ("done", "failed")

    @property
    def stage_text(self) -> str:
        return STAGES.get(self.state, self.state)

    @property
    def share(self) -> float:
        return SHARE.get(self.state, 0.0)


# -- what a user may report on ---------------------------------------------------------------------------

def choices(wb, user: User) -> dict[str, list[tuple[str, str]]]:
    """Per kind, (label, target) pairs in ``user``'s scope, from the workbench of that scope (``wb``)."""
    ds = wb.ds
    towns = wb.townships()
    with_project = towns[towns["code"].isin(set(ds.projects["station_code"]))]
    stations = [(f"{r['name']}（{r['code']}）", r["code"]) for _, r in with_project.iterrows()]
    names = ds.stations.set_index("code")["name"]
    projects = ds.projects[ds.projects["station_code"].isin(set(with_project["code"]))].sort_values(["station_code", "year"])
    assessments = [(f"{p['code']} {names.get(p['station_code'], p['station_code'])}（{p['year']} 年）", p["code"])
                   for _, p in projects.iterrows()]
    codes = [code for _, code in stations]
    digests = ([(f"本人范围内的全部社工站（{len(codes)} 个）", ",".join(codes))] if len(codes) > 1 else []) + stations
    districts = [(d, d) for d in wb.districts() if user.all_stations or d in user.districts]
    return {"station": stations, "assessment": assessments, "digest": digests, "district": districts}


def jobs_for(url: str, kind: str, target: str, as_of) -> list:
    """The batch jobs of one request (``reports.jobs``, as ``sgz report`` builds them)."""
    if kind == "station":
        return jobs.station_jobs(url, [target], as_of)
    if kind == "assessment":
        return jobs.assessment_jobs(url, [target], as_of)
    if kind == "digest":
        return jobs.digest_jobs(url, stations=target.split(","), as_of=as_of)
    if kind == "district":
        return jobs.district_jobs(url, [target], as_of)
    raise ConfigError(f"报告类型「{kind}」无效，应为 {'、'.join(KIND_NAMES[k] for k in KIND_ORDER)} 之一")


# -- starting a report -----------------------------------------------------------------------------------

def jobs_dir(folder: str | os.PathLike) -> Path:
    path = Path(folder) / JOBS_FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def start(url: str, user: User, folder: str | os.PathLike, offered: dict[str, list[tuple[str, str]]], kind: str,
          target: str, as_of=None) -> JobState:
    """Queue the report ``kind`` for ``target`` (one of ``offered``, the user's ``choices``) and start its worker."""
    labels = {code: label for label, code in offered.get(kind, [])}
    if kind not in KIND_NAMES:
        raise ConfigError(f"报告类型「{kind}」无效，应为 {'、'.join(KIND_NAMES[k] for k in KIND_ORDER)} 之一")
    if target not in labels:
        raise ConfigError(f"「{target}」不在本账号可以生成{KIND_NAMES[kind]}的范围内：请从列表中选择。")
    job = JobState(uuid.uuid4().hex[:12], user.login, user.role, kind, target, labels[target],
                   None if as_of in (None, "") else str(as_of), requested=now_text())
    path = save(folder, job)
    log = open(path.with_suffix(".log"), "ab")  # noqa: SIM115 (the worker's own output; closed below)
    try:
        env = {**os.environ, storage.ENV_VAR: url}  # the URL by the environment: never on a command line
        proc = subprocess.Popen([sys.executable, "-m", "sgzlib.actions.report_worker", str(path)], env=env,
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=str(Path(folder).resolve()), start_new_session=True)
    finally:
        log.close()
    threading.Thread(target=proc.wait, daemon=True, name="sgz-report-reaper").start()  # no zombie left
    return job


def save(folder: str | os.PathLike, job: JobState) -> Path:
    path = jobs_dir(folder) / f"{job.id}.json"
    outputs.write_text(path, json.dumps(asdict(job), ensure_ascii=False, indent=1))
    return path


def load(path: str | os.PathLike) -> JobState | None:
    try:
        return JobState(**json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def jobs_of(folder: str | os.PathLike, login: str | None = None) -> list[JobState]:
    """The requests of this folder (of ``login`` only, when given), newest first; old finished ones pruned."""
    found = [j for p in jobs_dir(folder).glob("*.json") if (j := load(p)) is not None]
    found.sort(key=lambda j: j.requested, reverse=True)
    finished = [j for j in found if not j.running]
    for old in finished[KEEP_JOBS:]:
        for suffix in (".json", ".log"):
            (jobs_dir(folder) / f"{old.id}{suffix}").unlink(missing_ok=True)
    return [j for j in found if login is None or j.login == login][:KEEP_JOBS]


def now_text() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")


# -- the reports written -----------------------------------------------------------------------------------

@dataclass
class Written:
    """One report in the folder: what and for whom, as of when, when written, and its downloads."""

    kind: str
    label: str
    as_of: str
    written: dt.datetime
    files: dict[str, str]  # format → path relative to the folder

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)


def written(folder: str | os.PathLike) -> list[Written]:
    """The reports of the folder's manifest (those whose files still exist), newest first."""
    folder = Path(folder)
    out = []
    for e in index.read_manifest(folder):
        files = {fmt: rel for fmt, rel in e.files.items() if fmt in DOWNLOADS}
        if not files:
            continue
        when = max((folder / rel).stat().st_mtime for rel in e.files.values())
        out.append(Written(e.kind, e.label, e.as_of, dt.datetime.fromtimestamp(when).replace(microsecond=0), files))
    out.sort(key=lambda r: r.written, reverse=True)
    return out
