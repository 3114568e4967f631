"""The gallery notebooks run top to bottom with papermill, on the demo district and on a hand-built station.

Each notebook prints its key figures in Chinese sentences (cells tagged ``key``); the tests read them back
and compare them with the library (on the demo district) or with figures worked out by hand (the station of
``lab_builders``: 社会救助 cases closed after 45, 60 and 90 days, one still open → median 60 days).
"""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from lab_builders import analysis_station

import sgzlib as sgz
from sgzlib.dashboards import lab
from sgzlib.demo import district as demo
from sgzlib.runtime.kernel import ensure_kernel
from sgzlib.store import storage

pytestmark = pytest.mark.slow
AS_OF = demo.AS_OF.isoformat()


def _execute(name: str, url: str, out, **parameters) -> nbformat.NotebookNode:
    import papermill as pm

    old = os.environ.get(storage.ENV_VAR)
    os.environ[storage.ENV_VAR] = url  # the kernel reads the database from its environment, as under sgz lab
    try:
        pm.execute_notebook(str(lab.GALLERY_DIR / f"{name}.ipynb"), str(out), parameters=parameters,
                            kernel_name=ensure_kernel(), progress_bar=False, cwd=str(out.parent))
    finally:
        if old is None:
            os.environ.pop(storage.ENV_VAR, None)
        else:
            os.environ[storage.ENV_VAR] = old
    return nbformat.read(out, as_version=4)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory, demo_ds):
    url = f"sqlite:///{tmp_path_factory.mktemp('gallery') / 'demo.db'}"
    storage.write_dataset(storage.connect(url), demo_ds, prune=True, scope=None)
    return url


@pytest.fixture(scope="module")
def runs(demo_url, output_dir):
    out = output_dir / "gallery"
    out.mkdir(exist_ok=True)
    return {name: _execute(name, demo_url, out / f"{name}.ipynb", as_of=AS_OF)
            for name in ("个案分析", "小组分析", "成效分析", "指标追踪")}


@pytest.fixture(scope="module")
def wb(demo_ds):
    return sgz.Workbench(demo_ds, as_of=AS_OF)


def _key_text(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells if "key" in c.metadata.get("tags", [])
                   for o in c.get("outputs", []) if o.output_type == "stream")


def _check_clean(nb, min_charts: int):
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    charts = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(charts) >= min_charts


def test_case_analysis_on_demo_matches_library(runs, wb):
    nb = runs["个案分析"]
    _check_clean(nb, 3)
    text = _key_text(nb)
    closed = wb.stage_durations(by="domain")
    closed = closed[closed["stage"] == "结案"].set_index("domain")["median_days"]
    km = wb.median_open_days(by="domain")
    for domain in ("社会救助", "养老服务", "儿童关爱保护", "扶残助残"):
        assert f"{domain} 接案到结案中位数：{closed[domain]:g} 天（已结案个案）；Kaplan–Meier 中位数：{km[domain]:g} 天" in text
    assert f"重新开案的个案：{len(wb.reopened_cases())} 个" in text


def test_case_analysis_on_hand_station(tmp_path):
    url = f"sqlite:///{tmp_path / 'hand.db'}"
    storage.write_dataset(storage.connect(url), analysis_station())
    nb = _execute("个案分析", url, tmp_path / "hand.ipynb", station="S1", as_of="2025-06-30")
    _check_clean(nb, 3)
    text = _key_text(nb)
    # 社会救助 closed after 45, 60, 90 days → median 60; Kaplan–Meier with C4 open at 121: S(60) = 1/2 → 60.
    assert "社会救助 接案到结案中位数：60 天（已结案个案）；Kaplan–Meier 中位数：60 天" in text
    # 养老服务: C5 closed after 20 days, C6 open → both medians 20.
    assert "养老服务 接案到结案中位数：20 天（已结案个案）；Kaplan–Meier 中位数：20 天" in text
    assert "重新开案的个案：1 个" in text  # C6 after C5


def test_group_analysis_matches_library(runs, wb):
    nb = runs["小组分析"]
    _check_clean(nb, 2)
    drop = wb.group_dropoff()
    text = _key_text(nb)
    assert f"共 {len(drop)} 个小组，其中 {int((drop['dropoff'] > 0).sum())} 个末节人数少于首节" in text
    top = drop.iloc[0]
    assert (f"{top['group_code']} {top['group_name']}：首节 {top['first_attendance']:g} 人 → 末节 "
            f"{top['last_attendance']:g} 人，流失 {top['dropoff_share']:.0%}") in text


def test_outcome_analysis_matches_library(runs, wb):
    nb = runs["成效分析"]
    _check_clean(nb, 2)
    text = _key_text(nb)
    change = wb.outcome_change()
    assert len(change) == 4
    for r in change.itertuples():
        assert (f"{r.scale_name}（{r.domain}）：n={r.n}，平均改善 {r.mean_improvement:.2f}（95% CI {r.ci_low:.2f}～"
                f"{r.ci_high:.2f}），可靠改善 {r.improved} 人，可靠恶化 {r.deteriorated} 人") in text
    # Names are masked in the tables shown (masked names carry a *).
    html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    names = set(wb.worsened()["beneficiary_name"])
    assert names and all("*" in n and n in html for n in names)


def test_indicator_tracking_matches_engine(runs, wb):
    nb = runs["指标追踪"]
    _check_clean(nb, 1)
    text = _key_text(nb)
    from sgzlib.indicators import evaluate

    # Independent of the notebook: the engine on the demo's as-of date, 全期 row of ZL-SA-06.
    ev = evaluate(wb.ds, demo.AS_OF)
    rows = ev.summary[ev.summary["indicator_id"] == "ZL-SA-06"]
    assert sorted(rows["station_code"]) == ["YL01", "YL02"]
    for r in rows.itertuples():
        assert f"{r.station_name} 2025-10：实际 {r.actual:g}{r.unit}，目标 {r.target:g}{r.unit}，状态 {r.status}" in text
    records = wb.indicator_records("ZL-SA-06", "YL01", "2025-06")
    m = re.search(r"YL01 2025-06：计入 (\d+) 条，未计入 (\d+) 条", text)
    assert m and (int(m[1]), int(m[2])) == (int(records["counted"].sum()), int((~records["counted"]).sum()))
    # The June cell is the engine evaluated on 06-30.
    june = evaluate(wb.ds, "2025-06-30", projects=["P2025-YL01"]).summary
    assert int(records["counted"].sum()) == june.loc[june["indicator_id"] == "ZL-SA-06", "actual"].iloc[0]
