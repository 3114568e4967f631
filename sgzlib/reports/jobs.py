"""What to run: one job per report (which notebook, which parameters, where its files go)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from ..domain.supervision_records import stations_of_supervisor, supervisor_stations
from ..errors import ConfigError, NotFoundError
from ..indicators.scoring import load_scheme
from ..store import storage
from ..store.outputs import contained
from ..workbench import open_index, open_workbench
from . import data

NOTEBOOKS = {"station": "station_supervision", "assessment": "year_end_assessment", "district": "district_overview",
             "digest": "supervisor_digest"}
KIND_NAMES = {"station": "督导报告", "assessment": "年终评估", "district": "区县概览", "digest": "督导简报"}


@dataclass(frozen=True)
class Job:
    """One report: notebook ``kind`` for ``target`` with ``parameters``, written as ``out_dir/kind/stem.*``."""

    kind: str
    target: str
    label: str
    stem: str
    parameters: dict = field(default_factory=dict, hash=False)

    @property
    def notebook(self) -> str:
        return NOTEBOOKS[self.kind]

    def path(self, out_dir: Path, suffix: str) -> Path:
        """``out_dir/kind/stem+suffix``, with the stem made a safe file name: it never leaves ``out_dir``."""
        return contained(out_dir, self.kind, f"{self.stem}{suffix}")


def kernel_db_url(db_url: str | None) -> str:
    """The database URL as the kernel must see it: an absolute SQLite path (the kernel may run elsewhere)."""
    url = sa.engine.make_url(storage.database_url(db_url))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        url = url.set(database=str(Path(url.database).resolve()))
    return url.render_as_string(hide_password=False)


def notebook_db_url(db_url: str | None) -> str | None:
    """The ``db_url`` parameter written into the notebooks: ``None`` when the URL holds a password.

    A password never goes into a report file; the kernels then read the URL from ``SGZ_DATABASE_URL``
    (see ``kernel_env``).
    """
    url = kernel_db_url(db_url)
    return None if sa.engine.make_url(url).password else url


def kernel_env(db_url: str | None) -> dict[str, str]:
    """Environment for report kernels: the database URL, so notebooks run with ``db_url=None`` find it."""
    return {storage.ENV_VAR: kernel_db_url(db_url)}


def _iso(value) -> str:
    return data.as_date(value).isoformat()


def _default_as_of(as_of, db_url=None) -> str:
    """``as_of``, or the read model's default date (the same as the CLI's and the dashboards')."""
    if as_of not in (None, ""):
        return _iso(as_of)
    return open_workbench(db_url, masked=False).as_of.isoformat()


def station_jobs(db_url, stations: list[str] | None, as_of=None, period: str = "month", unmasked: bool = False,
                 district: str | None = None, max_open_cases: int | None = None) -> list[Job]:
    """Supervision reports: the given stations, or (``None``) every township station with a project.

    ``max_open_cases``: the caseload limit (the notebook's default, ``caseload.MAX_OPEN_CASES``, when None).
    """
    index = open_index(db_url)
    when = _default_as_of(as_of, db_url)
    data.period_bounds(data.as_date(when), period)
    names = index.ds.stations.set_index("code")["name"]
    if stations is None:
        pool = index.district_stations(district) if district else list(index.townships()["code"])
        stations = [c for c in pool if c in set(index.ds.projects["station_code"])]
    unknown = [c for c in stations if c not in names.index]
    if unknown:
        raise NotFoundError(f"站点编码不存在：{'、'.join(unknown)}")
    url = notebook_db_url(db_url)
    return [Job("station", code, f"{code} {names[code]}", f"{code}_{when}",
                {"station": code, "as_of": when, "period": period, "db_url": url, "unmasked": unmasked}
                | ({} if max_open_cases is None else {"max_open_cases": max_open_cases}))
            for code in stations]


def assessment_jobs(db_url, targets: list[str] | None, as_of=None, district: str | None = None,
                    scoring: str | None = None) -> list[Job]:
    """Year-end assessments: projects by code (or a station code: its project of ``as_of``'s year), or all.

    ``scoring``: the evaluator's scoring file, checked here (every problem at once) before any report runs.
    """
    if scoring:
        load_scheme(scoring)
        scoring = str(Path(scoring).resolve())
    index = open_index(db_url)
    projects = index.ds.projects.set_index("code")
    names = index.ds.stations.set_index("code")["name"]
    if targets is None:
        pool = projects
        if district:
            pool = pool[pool["station_code"].isin(index.district_stations(district))]
        chosen = list(pool.index)
    else:
        chosen = [_project_of(index, t, as_of) for t in targets]
    url = notebook_db_url(db_url)
    jobs = []
    for code in chosen:
        end = pd.Timestamp(projects.at[code, "end"]).date()
        when = _iso(as_of) if as_of not in (None, "") else end.isoformat()
        station = projects.at[code, "station_code"]
        jobs.append(Job("assessment", code, f"{code} {names.get(station, station)}", f"{code}_{when}",
                        {"project": code, "as_of": when, "db_url": url, "scoring_path": scoring}))
    return jobs


def _project_of(index, target: str, as_of) -> str:
    if target in set(index.ds.projects["code"]):
        return target
    if target in set(index.ds.stations["code"]):
        when = data.as_date(as_of) if as_of not in (None, "") else dt.date.today()
        row = index.project_for(target, when)
        if row is None:
            raise NotFoundError(f"站点 {target} 在 {when:%Y-%m-%d} 之前没有任何项目")
        return row["code"]
    raise NotFoundError(f"项目编码或站点编码不存在：{target}")


def district_jobs(db_url, districts: list[str] | None, as_of=None) -> list[Job]:
    """District overviews: the given districts (所属区县 name or county station code), or every district."""
    index = open_index(db_url)
    when = _default_as_of(as_of, db_url)
    if districts is None:
        districts = index.districts()
    url = notebook_db_url(db_url)
    jobs = []
    for d in districts:
        index.district_stations(d)
        jobs.append(Job("district", d, d, f"{d}_{when}", {"district": d, "as_of": when, "db_url": url}))
    return jobs


def digest_jobs(db_url, stations: list[str] | None = None, as_of=None, supervisors: list[str] | None = None,
                district: str | None = None) -> list[Job]:
    """Supervisors' digests: one over the given stations, one per given supervisor, or (neither) one per
    supervisor who led a session up to ``as_of`` (their stations in ``district`` only, when given).

    A supervisor's stations are those the 社工站 sheet names them for, else whose sessions they led
    (``supervision_records.supervisor_stations``);
    an unknown supervisor or station is a Chinese ``NotFoundError`` (naming the known supervisors).
    """
    wb = open_workbench(db_url, masked=False, as_of=as_of)
    ds = wb.ds
    when = wb.as_of.isoformat()
    url = notebook_db_url(db_url)
    names = ds.stations.set_index("code")["name"]
    if stations:
        unknown = [c for c in stations if c not in names.index]
        if unknown:
            raise NotFoundError(f"站点编码不存在：{'、'.join(unknown)}")
        label = "、".join(stations)
        return [Job("digest", label, label, f"{'_'.join(stations)}_{when}",
                    {"supervisor": None, "stations": list(stations), "as_of": when, "db_url": url})]
    if supervisors is None:
        supervisors = list(dict.fromkeys(supervisor_stations(ds, when)["supervisor"]))
    allowed = set(wb.district_stations(district)) if district else None
    out = []
    for name in supervisors:
        mine = stations_of_supervisor(ds, name, when)
        if allowed is not None:
            mine = [c for c in mine if c in allowed]
        if mine:
            name = name.strip()
            out.append(Job("digest", name, name, f"{name}_{when}",
                           {"supervisor": name, "stations": mine, "as_of": when, "db_url": url}))
    return out


def check_kind(kind: str) -> str:
    if kind not in NOTEBOOKS:
        raise ConfigError(f"报告类型「{kind}」无效，应为 {'、'.join(NOTEBOOKS)}")
    return kind
