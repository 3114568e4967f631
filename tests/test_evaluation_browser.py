"""督导记录, 评估核验, 评分与签字 in a real browser, through JupyterHub, on PostgreSQL (``workbench_harness``).

Three users of the demo district: a 督导 of YL01, a 站点社工 of YL04 and an 评估方 of 云岭区 (always masked).
Each test starts at the user's home page and clicks the page's card; what the page wrote is read back as the
schema's owner, with its audit row. The dashboards' date is the demo's 2025-10-31.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
import workbench_harness as wh
from ledger_books import rows, write_book
from openpyxl import load_workbook

from sgzlib.dashboards import progress as progress_view
from sgzlib.demo import district as demo
from sgzlib.domain.dataset import Dataset
from sgzlib.indicators import evaluate
from sgzlib.store import audit, storage

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.postgres]
AS_OF = demo.AS_OF
USERS = {
    "supervisor": ("督导", {"stations": ["YL01"]}),
    "worker": ("站点社工", {"stations": ["YL04"]}),
    "evaluator": ("评估方", {"districts": [demo.DISTRICT]}),
}
SCHEME = ("title: 云岭区2025年社工站评分细则（测试）\ncatalogue: zhalainuoer-2026\nindicators:\n"
          "  - {id: ZL-JS-02, points: 5}\n  - {id: ZL-JS-05, points: 10}\n")


@pytest.fixture(scope="module")
def deployment(pg_url, demo_ds, tmp_path_factory, output_dir):
    wh.needs_hub()
    with wh.hub_deployment(pg_url, demo_ds, tmp_path_factory.mktemp("hub"), output_dir / "evaluation-hub.log",
                           users=USERS) as d:
        d.owner = d.engine()
        yield d
        d.owner.dispose()


@pytest.fixture(scope="module")
def pages(deployment):
    """Each user's page, logged in once for the module (their server keeps running between the tests)."""
    with wh.browser() as b:
        opened = {}

        def page_of(who: str):
            if who not in opened:
                opened[who] = wh.log_in(b, deployment, who)
            return opened[who][1]

        yield page_of
        for context, _ in opened.values():
            context.close()


def from_home(page, deployment, who: str, name: str) -> None:
    """The home page, then a click on the page's card: the first click of every action."""
    wh.open_page(page, deployment.page_url(who, "home"), "home")
    page.click(f"#sgz-link-{name}")
    page.wait_for_selector(f".sgz-page-{name} .sgz-bar", state="attached")


def shot(page, output_dir, name: str) -> None:
    wh.shot(page, output_dir, f"evaluation_{name}")


def choose(page, selector: str, pattern: str) -> None:
    """Select the option of the ``<select>`` at ``selector`` whose text matches ``pattern``."""
    texts = page.locator(f"{selector} option").all_inner_texts()
    page.select_option(selector, label=next(t for t in texts if re.search(pattern, t)))


def upload(page, button: str, files) -> None:
    """Choose ``files`` in the file dialog that the upload ``button`` opens."""
    with page.expect_file_chooser() as chooser:
        page.click(button)
    chooser.value.set_files(files)


def audit_rows(deployment, who: str, action: str) -> pd.DataFrame:
    rows_ = audit.read(deployment.owner)
    return rows_[(rows_["login"] == deployment.logins[who]) & (rows_["action"] == action)]


def test_a_supervisor_records_a_session_with_two_action_items_then_closes_one(deployment, pages, output_dir):
    page = pages("supervisor")
    from_home(page, deployment, "supervisor", "supervision")  # click 1
    page.wait_for_selector(".sgz-agenda-1 textarea")
    page.fill(".sgz-panel-session input[type=text] >> nth=0", "王督导")
    page.click(".sgz-field-form button:has-text('现场')")  # click 2
    page.fill(".sgz-agenda-1 textarea", "逐项过了落后的指标")
    page.fill(".sgz-agenda-1 input[type=text]", "本月补齐入户评估")
    for n, (what, owner, due) in enumerate((("补齐 3 户入户需求评估", "吴华", "2025-11-30"),
                                            ("整理小组签到表", "戴超军", "2025-11-20")), 1):
        page.fill(f".sgz-action-{n} input[type=text]", what)
        page.select_option(f".sgz-action-{n} select >> nth=0", label=f"{owner}（YL01-W{n}）")
        page.fill(f".sgz-action-{n} input[type=date]", due)
    page.select_option(".sgz-action-1 select >> nth=1", index=1)  # follows agenda item 1
    shot(page, output_dir, "supervision_form")
    page.click(".sgz-button-save-session")  # click 3
    page.wait_for_selector(".sgz-supervision :text('督导已经记录')")  # saved, and the page read the database again
    ds = storage.load_dataset(deployment.owner, "YL01")
    items = ds.supervision_items[ds.supervision_items["session_code"] == "YL01-S20251031"]
    new = items[items["action_code"].str.startswith("YL01-S20251031", na=False) & items["action"].notna()] \
        .sort_values("item_no")
    assert new[["action", "owner_code", "due"]].values.tolist() == [
        ["补齐 3 户入户需求评估", "YL01-W1", pd.Timestamp("2025-11-30")],
        ["整理小组签到表", "YL01-W2", pd.Timestamp("2025-11-20")]]
    assert new["action_code"].iloc[0] == "YL01-S20251031-01"  # on agenda item 1; the other on a row of its own
    assert set(items["form"]) == {"现场"} and set(items["supervisor"]) == {"王督导"}
    assert len(audit_rows(deployment, "supervisor", "supervision")) == 1
    # 行动项 tab: move the second item to 已完成, with a note
    code = new["action_code"].iloc[1]
    page.click(".lm-TabBar-tab:has-text('行动项'), .p-TabBar-tab:has-text('行动项')")
    choose(page, ".sgz-field-item select", rf"^{code}\s")
    page.select_option(".sgz-field-status select", label="已完成")
    page.fill(".sgz-panel-change textarea", "签到表已补齐并归档")
    page.click(".sgz-button-change-status")
    page.wait_for_selector(f".sgz-outcome-status :text('行动项 {code} 已改为「已完成」')")
    shot(page, output_dir, "supervision_items")
    hist = storage.load_dataset(deployment.owner, "YL01").action_history
    mine = hist[hist["action_code"] == code].sort_values(["date", "session_code"])
    assert mine[["status", "note"]].fillna("").values.tolist() == [["未开始", ""], ["已完成", "签到表已补齐并归档"]]
    assert mine["session_code"].iloc[-1].startswith("YL01-U")
    assert len(audit_rows(deployment, "supervisor", "action_status")) == 1
    assert page.errors == []


def board_counts(page) -> dict[str, str]:
    return {label: page.locator(f".sgz-panel-kpis .sgz-kpi[data-label='{label}'] .value").inner_text().strip()
            for label in ("达标", "待核验")}


def expected_counts(demo_ds, verdicts: pd.DataFrame | None) -> dict[str, str]:
    """The progress board's 达标 / 待核验 counts on the demo date, computed by the engine in pandas."""
    projects = progress_view.current_projects(demo_ds, AS_OF, demo.DISTRICT)
    ds = Dataset(dict(demo_ds.frames))
    if verdicts is not None:
        ds.frames["checklist_verifications"] = verdicts
    summary = evaluate(ds, AS_OF, projects=sorted(projects["code"])).summary
    counts = summary["status"].value_counts()
    return {s: str(int(counts.get(s, 0))) for s in ("达标", "待核验")}


def test_an_evaluator_verifies_an_item_and_the_progress_board_shows_it(deployment, pages, demo_ds, output_dir):
    page = pages("evaluator")
    wh.open_page(page, deployment.page_url("evaluator", "progress"), "progress")
    page.wait_for_selector(".sgz-panel-kpis .sgz-kpi")
    before = expected_counts(demo_ds, None)
    assert board_counts(page) == before
    from_home(page, deployment, "evaluator", "verify")  # click 1
    label = next(t for t in page.locator(".sgz-field-item select option").all_inner_texts()
                 if "西山镇" in t and "服务内容展示墙" in t)
    page.select_option(".sgz-field-item select", label=label)  # click 2 (已核验 is the default verdict)
    page.fill(".sgz-panel-verify-form textarea", "现场查看，展示墙已布置")
    page.click(".sgz-button-save-verdict")  # click 3
    page.wait_for_selector(".sgz-outcome-verify :text('现在为「达标」')")  # saved, and the list read again
    shot(page, output_dir, "verify")
    verdict = pd.DataFrame([{"id": 1, "project_code": "P2025-YL02", "indicator_id": "ZL-JS-05",
                             "item": "服务内容展示墙", "verdict": "verified", "date": pd.Timestamp(AS_OF), "note": "x"}])
    after = expected_counts(demo_ds, verdict)
    assert (int(after["达标"]), int(after["待核验"])) == (int(before["达标"]) + 1, int(before["待核验"]) - 1)
    wh.open_page(page, deployment.page_url("evaluator", "progress"), "progress")
    page.wait_for_function("([sel, v]) => { const e = document.querySelector(sel); return e && e.textContent.trim() === v; }",
                           arg=[".sgz-panel-kpis .sgz-kpi[data-label='待核验'] .value", after["待核验"]])
    assert board_counts(page) == after
    shot(page, output_dir, "progress_after_verify")
    [row] = audit_rows(deployment, "evaluator", "verify").to_dict("records")
    assert row["stations"] == "YL02" and "「服务内容展示墙」：已核验" in row["detail"]
    assert page.errors == []


def test_an_evaluator_scores_and_finds_the_score_in_the_downloaded_sheet(deployment, pages, tmp_path, output_dir):
    page = pages("evaluator")
    from_home(page, deployment, "evaluator", "scoring")  # click 1
    choose(page, ".sgz-filter-project select", "P2025-YL01")
    upload(page, ".sgz-panel-scheme .widget-upload",
           [{"name": "细则.yaml", "mimeType": "text/yaml", "buffer": SCHEME.encode("utf-8")}])
    page.click(".sgz-button-upload-scheme")
    page.wait_for_selector(".sgz-outcome-scheme :text('已保存评分细则')")
    page.wait_for_selector(".sgz-score-ZL-JS-02 input")
    page.fill(".sgz-score-ZL-JS-02 input[type=number]", "4.5")
    page.fill(".sgz-score-ZL-JS-02 input[type=text]", "场地偏小")
    page.click(".sgz-button-save-scores")
    page.wait_for_selector(".sgz-outcome-scores :text('已保存 2 项得分')")
    page.click(".sgz-button-scoresheet")
    page.wait_for_selector(".sgz-scoresheet-link a")
    with page.expect_download() as got:
        page.click(".sgz-scoresheet-link a")
    path = tmp_path / "评分表.xlsx"
    got.value.save_as(path)
    shot(page, output_dir, "scoring")
    ws = load_workbook(path)["评分表"]
    head = [c.value for c in ws[4]]
    body = {r[head.index("指标")]: r for r in ws.iter_rows(min_row=5, values_only=True) if r[head.index("指标")]}
    assert body["社工站办公场所"][head.index("评估员得分")] == 4.5
    assert body["社工站办公场所"][head.index("评估员意见")] == "场地偏小"
    assert len(audit_rows(deployment, "evaluator", "scoring_scheme")) == 1
    assert len(audit_rows(deployment, "evaluator", "scores")) == 1
    assert page.errors == []


def pending_item(demo_ds, project: str) -> str:
    """A checklist item of ``project`` that neither counts nor was verified (the engine's explanations)."""
    ev = evaluate(demo_ds, dt.date(2025, 12, 31), projects=[project])
    checklist = set(ev.summary.loc[ev.summary["rule"] == "checklist", "indicator_id"])
    ex = ev.explanations
    return ex[ex["indicator_id"].isin(checklist) & ~ex["counted"].astype(bool)]["record_id"].iloc[0]


def test_an_import_that_changes_signed_figures_needs_a_tick_and_the_evaluator_is_told(deployment, pages, demo_ds,
                                                                                        tmp_path, output_dir):
    evaluator = pages("evaluator")
    from_home(evaluator, deployment, "evaluator", "scoring")
    choose(evaluator, ".sgz-filter-project select", "P2025-YL04")
    evaluator.wait_for_selector(".sgz-button-sign")
    evaluator.click(".sgz-button-sign")
    evaluator.wait_for_selector(".sgz-outcome-signoff :text('已签字确认')")
    assert len(audit_rows(deployment, "evaluator", "signoff")) == 1
    # the worker of YL04 uploads a ticked checklist item: the project's figures would change
    item = pending_item(demo_ds, "P2025-YL04")
    book = write_book(tmp_path / "北岭街道站点建设.xlsx", {"站点建设": rows("checklist", [
        {"station_code": "YL04", "item": item, "done": True, "done_date": dt.date(2025, 6, 1), "evidence": "照片"}])})
    worker = pages("worker")
    from_home(worker, deployment, "worker", "upload")
    wh.choose_file(worker, book)
    worker.wait_for_selector(".sgz-panel-lapse")
    assert "P2025-YL04" in worker.locator(".sgz-panel-lapse").inner_text()
    assert worker.locator(".sgz-confirm").is_disabled()
    shot(worker, output_dir, "upload_lapse")
    worker.check(".sgz-accept-lapse input")
    worker.click(".sgz-confirm")
    worker.wait_for_selector(".sgz-panel-imported")
    [row] = audit_rows(deployment, "worker", "import").query("dry_run == False").to_dict("records")
    assert "已使签字确认失效：P2025-YL04" in row["detail"]
    # the evaluator is told, with what changed
    wh.open_page(evaluator, deployment.page_url("evaluator", "scoring"), "scoring")
    evaluator.wait_for_selector(".sgz-lapsed")
    told = evaluator.locator(".sgz-lapsed").first.inner_text()
    assert "P2025-YL04" in told and "已失效" in told and deployment.logins["worker"] in told and "实际" in told
    shot(evaluator, output_dir, "scoring_lapsed")
    assert evaluator.errors == [] and worker.errors == []
