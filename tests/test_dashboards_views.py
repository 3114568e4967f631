"""The dashboards without a browser: serving options, filters that redraw only what changed, panel data."""

from __future__ import annotations

import base64
import datetime as dt
import re
import socket
from pathlib import Path

import pandas as pd
import pytest
from builders import D, case_row, dataset, records, sessions

from sgzlib import cli
from sgzlib.dashboards import cases, data, figures, outcomes, pages, progress, server, ui
from sgzlib.demo import district as demo
from sgzlib.domain.labels import WILL_MISS
from sgzlib.errors import ConfigError
from sgzlib.indicators import evaluate_stations
from sgzlib.store.access import User
from sgzlib.workbench import Workbench, default_as_of

# -- serving ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite:///data/sgz.db", f"sqlite:///{Path('data/sgz.db').resolve()}"),
    ("sqlite:////srv/sgz.db", "sqlite:////srv/sgz.db"),
    ("sqlite://", "sqlite://"),
    ("postgresql+psycopg://u:p@127.0.0.1:5432/sgz", "postgresql+psycopg://u:p@127.0.0.1:5432/sgz"),
])
def test_database_url_is_made_absolute_for_kernels(url, expected):
    # Kernels run in the dashboards folder: a relative SQLite path must not move with them.
    assert server.absolute_url(url) == expected


def test_voila_runs_on_loopback_on_the_exact_port_with_sources_hidden_and_kernels_preheated():
    argv = server.voila_argv(8899, pool_size=2)
    for flag in ("--Voila.ip=127.0.0.1", "--port=8899", "--Voila.port_retries=0", "--template=sgz",
                 "--VoilaConfiguration.strip_sources=True", "--VoilaConfiguration.show_tracebacks=False",
                 "--VoilaConfiguration.allow_template_override=NO", "--VoilaConfiguration.preheat_kernel=True",
                 "--VoilaConfiguration.default_pool_size=2", "--VoilaConfiguration.classic_tree=True"):
        assert flag in argv
    assert "--VoilaConfiguration.preheat_kernel=False" in server.voila_argv(8899, pool_size=0)
    # Closed pages' kernels culled after the seconds asked for (checked every half of it).
    culled = server.voila_argv(8899, cull_seconds=40)
    assert {"--MappingKernelManager.cull_idle_timeout=40", "--MappingKernelManager.cull_interval=20"} <= set(culled)


def test_voila_environment_carries_the_kernel_cap_queue_and_host_names():
    env = server.voila_env("sqlite:///x.db", None, base={}, max_kernels=5, queue_seconds=7.5,
                           host_names=("a.example", "b.example"))
    assert (env["SGZ_DASHBOARD_MAX_KERNELS"], env["SGZ_DASHBOARD_QUEUE_SECONDS"], env["SGZ_DASHBOARD_HOSTS"]) == \
        ("5", "7.5", "a.example,b.example")


@pytest.mark.parametrize("kwargs, message", [
    ({"max_kernels": 4, "pool_size": 1}, "上限至少应为 5"),  # home + 3 boards × 1 pool kernel + 1 visit
    ({"host_names": ("evil/host",)}, "主机名无效"),
    ({"host_names": ("sgz.example.org",), "no_token": True}, "--no-token 只能用于只在本机 127.0.0.1 上打开的看板"),
])
def test_server_settings_refused_in_chinese(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        server.DashboardServer("sqlite://", port=server.free_port(), **kwargs)


def test_the_token_reaches_voila_through_its_environment_never_its_command_line():
    srv = server.DashboardServer("sqlite://", port=server.free_port(), token="s3cret-token")
    assert srv.env["JUPYTER_TOKEN"] == "s3cret-token" and not any("s3cret" in a for a in srv.argv)
    assert {"--Voila.auto_token=True",
            "--Voila.identity_provider_class=sgzlib.dashboards.voila_main.TokenIdentityProvider"} <= set(srv.argv)
    generated = server.DashboardServer("sqlite://", port=server.free_port())
    assert len(generated.token) == 32 and generated.url.endswith(f"/?token={generated.token}")  # 24 random bytes
    open_one = server.DashboardServer("sqlite://", port=server.free_port(), no_token=True)
    assert open_one.token is None and "JUPYTER_TOKEN" not in open_one.env
    assert not any("auto_token" in a for a in open_one.argv) and open_one.url.endswith("/")
    # a token in the caller's own environment never leaks into a server started without one
    assert "JUPYTER_TOKEN" not in server.voila_env("sqlite://", base={"JUPYTER_TOKEN": "x"})


def test_no_token_is_said_in_chinese_on_the_console(monkeypatch, tmp_path, capsys):
    class FakeServer:
        def __init__(self, *args, no_token, **kwargs):
            self.token = None if no_token else "abc"
            self.user = User("ann", "管理员", masked=False)
            self.served = pages.allowed("管理员")
            self.url, self.process = "http://127.0.0.1:8866/" + ("" if no_token else "?token=abc"), self

        def page_url(self, name):
            return self.url

        def start(self):
            pass

        def wait_ready(self):
            pass

        def wait(self):
            raise KeyboardInterrupt

        def stop(self):
            pass

    monkeypatch.setattr("sgzlib.commands.dashboard.DashboardServer", FakeServer)
    assert cli.main(["dashboard", "--db", f"sqlite:///{tmp_path / 'sgz.db'}", "--no-token"]) == 0
    out, err = capsys.readouterr()
    assert "看板没有令牌（--no-token）" in err and "在浏览器中打开：http://127.0.0.1:8866/（ann，管理员）\n" in out
    assert cli.main(["dashboard", "--db", f"sqlite:///{tmp_path / 'sgz.db'}"]) == 0
    out, err = capsys.readouterr()
    assert "令牌" not in err and "在浏览器中打开（地址中带令牌，请勿外传）：http://127.0.0.1:8866/?token=abc（ann，管理员）" in out


def test_voila_environment_names_the_database_the_date_and_the_template_folder():
    env = server.voila_env("sqlite:///x.db", "2025-10-31", base={"JUPYTER_PATH": "/a"})
    assert env["SGZ_DATABASE_URL"] == f"sqlite:///{Path('x.db').resolve()}"
    assert env["SGZ_DASHBOARD_AS_OF"] == "2025-10-31"
    assert env["JUPYTER_PATH"].split(":") == [str(server.SHARE_DIR), "/a"]
    assert "SGZ_DASHBOARD_AS_OF" not in server.voila_env("sqlite:///x.db", None, base={"SGZ_DASHBOARD_AS_OF": "x"})


def test_the_template_and_every_page_notebook_are_shipped():
    template = server.SHARE_DIR / "voila" / "templates" / server.TEMPLATE
    assert {p.name for p in template.iterdir()} >= {"conf.json", "index.html.j2", "page.html"}
    for page in pages.PAGES:
        assert (server.DASHBOARD_DIR / page.notebook).exists()
        text = (server.DASHBOARD_DIR / page.notebook).read_text(encoding="utf-8")
        assert page.title in text and '"outputs": []' in text  # saved without outputs
        assert f"shell.show('{page.name}')" in text


def test_a_busy_port_is_refused_in_chinese():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(ConfigError, match=f"端口 {port} 已被占用"):
            server.DashboardServer("sqlite://", port=port)


def test_cli_passes_database_port_date_and_pool_to_the_server(monkeypatch, tmp_path):
    seen = {}

    class FakeServer:
        def __init__(self, url, port, as_of, pool_size, cull_seconds, max_kernels, queue_seconds, host_names,
                     no_token, user, access_file, reports_dir):
            seen.update(url=url, port=port, as_of=as_of, pool_size=pool_size, cull_seconds=cull_seconds,
                        max_kernels=max_kernels, queue_seconds=queue_seconds, host_names=host_names, no_token=no_token,
                        user=user, access_file=access_file, reports_dir=reports_dir)
            self.token = "abc"
            self.user = User("ann", "管理员", masked=False)
            self.served = pages.allowed("管理员")
            self.url, self.process = f"http://127.0.0.1:{port}/?token=abc", self

        def page_url(self, name):
            return self.url + name

        def start(self):
            pass

        def wait_ready(self):
            pass

        def wait(self):
            raise KeyboardInterrupt

        def stop(self):
            seen["stopped"] = True

    monkeypatch.setattr("sgzlib.commands.dashboard.DashboardServer", FakeServer)
    db = tmp_path / "sgz.db"
    code = cli.main(["dashboard", "--db", f"sqlite:///{db}", "--port", "8877", "--as-of", "2025年10月31日",
                     "--pool-size", "2", "--max-kernels", "12", "--cull-seconds", "45", "--queue-seconds", "30",
                     "--host-name", "sgz.example.org", "--host-name", "10.0.0.5", "--user", "ann",
                     "--access", "a.yaml", "--out", "报告"])
    assert code == 0
    assert seen == {"url": f"sqlite:///{db}", "port": 8877, "as_of": "2025-10-31", "pool_size": 2, "cull_seconds": 45,
                    "max_kernels": 12, "queue_seconds": 30.0, "host_names": ("sgz.example.org", "10.0.0.5"),
                    "no_token": False, "user": "ann", "access_file": "a.yaml", "reports_dir": "报告", "stopped": True}


def test_cli_refuses_a_bad_date_in_chinese(capsys):
    assert cli.main(["dashboard", "--db", "sqlite://", "--as-of", "明天"]) == 2
    assert "截至日期「明天」不是有效日期" in capsys.readouterr().err


# -- data ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("today", "expected"), [
    (D("2026-11-23"), D("2025-12-31")),  # after every project: the last project end
    (D("2024-06-01"), D("2025-01-01")),  # before every project: the first project start
    (D("2025-05-05"), D("2025-05-05")),
])
def test_default_as_of_is_today_kept_within_the_projects(demo_ds, monkeypatch, today, expected):
    monkeypatch.delenv(server.AS_OF_ENV_VAR, raising=False)
    assert default_as_of(demo_ds, today) == expected


def test_default_as_of_can_be_fixed_by_the_server(demo_ds, monkeypatch):
    monkeypatch.delenv(server.AS_OF_ENV_VAR, raising=False)
    assert data.Source("sqlite://", dataset=demo_ds).as_of == default_as_of(demo_ds)  # 2025-12-31 by the test above
    monkeypatch.setenv(server.AS_OF_ENV_VAR, "2025-10-31")
    assert data.Source("sqlite://", dataset=demo_ds).as_of == D("2025-10-31")


def test_a_source_computes_each_derived_table_once_until_refreshed():
    src = data.Source("sqlite://", dataset=dataset())
    calls = []
    for _ in range(3):
        src.memo(("x", 1), lambda: calls.append(1) or len(calls))
    assert calls == [1]
    src.refresh()
    src._wb = data.Source("sqlite://", dataset=dataset()).wb
    src.memo(("x", 1), lambda: calls.append(1) or len(calls))
    assert calls == [1, 1]


@pytest.mark.parametrize(("name", "short"), [
    ("东湖街道社会工作服务站", "东湖街道"), ("西山镇社工站", "西山镇"), ("社会工作服务站", "社会工作服务站")])
def test_short_station_names(name, short):
    from sgzlib.domain.scope import short_station_names

    assert short_station_names([name]) == [short]
    assert short_station_names([name, name + "甲"])[0] == short  # names that stay apart keep their short form


# -- the widget layer: redraw only what changed --------------------------------------------------

def board_with_counters():
    board = ui.Board()
    board.control("a", ui.dropdown("甲", ["1", "2"]))
    board.control("b", ui.dropdown("乙", ["x", "y"]))
    board.control("c", ui.dropdown("丙", ["p"]))
    board.link({"a"}, lambda s: board.set_options("c", [f"{s['a']}-p", f"{s['a']}-q"]))
    pa = board.panel("pa", "", lambda s: ui.message(s["a"]), {"a"})
    pb = board.panel("pb", "", lambda s: ui.message(s["b"]), {"b"})
    pc = board.panel("pc", "", lambda s: ui.message(s["c"]), {"c"})
    board.update()
    return board, pa, pb, pc


def test_a_filter_change_redraws_only_the_panels_that_depend_on_it():
    board, pa, pb, pc = board_with_counters()
    assert (pa.draws, pb.draws, pc.draws) == (1, 1, 1)
    board.controls["b"].value = "y"
    assert (pa.draws, pb.draws, pc.draws) == (1, 2, 1)
    assert "y" in pb.widget.value


def test_a_linked_filter_is_reset_first_and_each_panel_redrawn_once():
    board, pa, pb, pc = board_with_counters()
    board.controls["a"].value = "2"
    # a changed, so its link offered new options for c: both panels redrawn once, pb untouched.
    assert (pa.draws, pb.draws, pc.draws) == (2, 1, 2)
    assert board.controls["c"].value == "2-p" and "2-p" in pc.widget.value


def test_a_panel_error_becomes_a_chinese_message_not_a_traceback():
    board = ui.Board()
    board.control("a", ui.dropdown("甲", ["1"]))

    def broken(state):
        raise ConfigError("数据库地址无效")

    panel = board.panel("p", "标题", broken, {"a"})
    board.update()
    assert panel.widget.value == '<div class="sgz-title">标题</div><div class="sgz-empty">数据库地址无效</div>'


def test_tables_escape_text_right_align_numbers_and_say_yes_or_no():
    frame = pd.DataFrame({"名称": ["<b>甲</b>"], "数": [1.5], "是否": [True], "日期": [pd.Timestamp("2025-03-05")]})
    html = ui.table(frame, scroll=False)
    # numbers written as the reports and the CSV write them (domain.figures): 1.5, no thousands separator
    assert "&lt;b&gt;甲&lt;/b&gt;" in html and '<td class="num">1.5</td>' in html
    assert "<td>是</td>" in html and "<td>2025-03-05</td>" in html
    assert ui.table(frame.iloc[0:0], "空") == '<div class="sgz-empty">空</div>'


# -- panel data ------------------------------------------------------------------------------------

def test_case_timeline_lists_milestones_sessions_and_records_up_to_the_date():
    ds = dataset(cases=[case_row(assessed="2025-01-15", closed="2025-04-01", close_reason="目标达成")],
                 case_sessions=sessions(dates=("2025-02-01", "2025-03-01"), no_record=(2,)),
                 case_records=records(kinds=("接案记录表",)))
    events = cases.case_timeline(ds, "C1", dt.date(2025, 3, 15))
    # By 15 March: 接案 and 预估 milestones, the intake record, two sessions; closure (1 April) not yet.
    assert events[["kind", "event"]].values.tolist() == [
        ["文书", "接案记录表"], ["节点", "接案"], ["节点", "预估"], ["服务", "第1节"], ["服务", "第2节"]]
    assert events.loc[events["event"] == "第2节", "detail"].item() == "缺过程记录表"
    assert "结案" in cases.case_timeline(ds, "C1", dt.date(2025, 12, 31))["event"].tolist()


def test_case_choices_mask_names_and_flag_stalled_cases():
    ds = dataset(cases=[case_row()], case_sessions=sessions(dates=("2025-02-01",)))
    overview = pd.DataFrame({"code": ["C1"], "beneficiary_code": ["B1"], "domain": ["社会救助"], "stage": ["介入"],
                             "stalled": [True]})
    assert cases.case_choices(ds, overview) == [("C1 · 张*三 · 社会救助 · 介入（停滞）", "C1")]


def test_the_demo_stations_current_projects_and_catalogues_most_used_first(demo_ds):
    p = progress.current_projects(demo_ds, demo.AS_OF, demo.DISTRICT)
    assert p["station_code"].tolist() == ["YL01", "YL02", "YL03", "YL04", "YL05", "YL06", "YL07"]
    # 全部 first (the default, all 7 stations); then two stations each on three catalogues (ties by id),
    # one on panzhihua-2021 (demo.TOWNSHIPS).
    options = progress.catalogue_options(p)
    assert [c for _, c in options] == [
        progress.ALL_CATALOGUES, "civil-affairs-2024", "jiuyuan-2024", "zhalainuoer-2026", "panzhihua-2021"]
    assert options[0][0] == "全部指标清单（7 个站）"
    assert len(progress.scope_codes(p, progress.ALL_CATALOGUES)) == 7
    assert progress.scope_codes(p, "jiuyuan-2024") == ("P2025-YL03", "P2025-YL04")


def test_period_series_and_the_action_list_come_straight_from_the_results():
    results = pd.DataFrame({
        "station_code": ["S1"] * 4, "station_name": ["测试站"] * 4, "indicator_id": ["A"] * 3 + ["B"],
        "indicator_name": ["每月走访"] * 3 + ["建档"], "period": ["全期", "2025-02", "2025-01", "全期"],
        "period_kind": ["whole", "month", "month", "whole"], "domain": ["养老服务"] * 4,
        "actual": [3.0, 1.0, 2.0, 10.0], "target": [2.0, 2.0, 2.0, 40.0], "expected": [2.0, 2.0, 2.0, 20.0],
        "status": ["未达标", "未达标", "达标", "落后"], "note": ["a", "b", "c", "d"], "unit": "次"})
    counts, target, name = progress.period_series(results, "A")
    assert counts.to_dict() == {"2025-01": 2.0, "2025-02": 1.0} and target == 2.0 and name == "每月走访"
    assert progress.period_options(results) == [("每月走访（每月）", "A")]
    actions = progress.action_list(results[results["period"] == "全期"])
    assert actions[["指标", "状态"]].values.tolist() == [["每月走访", "未达标"], ["建档", "落后"]]
    # with the forecast: an indicator on track today that will not be met at this pace is listed too, flagged
    whole = results[results["period"] == "全期"].assign(project_code="P1")
    whole = pd.concat([whole, whole.iloc[[1]].assign(indicator_id="C", indicator_name="培育组织", status="进度正常")])
    forecast = pd.DataFrame({"project_code": "P1", "indicator_id": ["A", "B", "C"], "will_miss": [True, False, True],
                             "needed_text": ["每月还需 2 次", "每月还需 5 次", "每月还需 1 个"]})
    actions = progress.action_list(whole, forecast)
    assert actions[["指标", "状态", "预测", "还需"]].values.tolist() == [
        ["每月走访", "未达标", WILL_MISS, "每月还需 2 次"], ["建档", "落后", "", "每月还需 5 次"],
        ["培育组织", "进度正常", WILL_MISS, "每月还需 1 个"]]


def test_outcome_labels_mask_names_and_changes_follow_the_scale_direction(demo_ds):
    a = outcomes.outcomes.analyse(demo_ds, demo.AS_OF)
    person = "YL01-B0002"  # planted: worse after the service
    rows = outcomes.labelled(demo_ds, outcomes.select(a.pairs, a.pairs.loc[
        a.pairs["beneficiary_code"] == person, "scale"].iloc[0], station="YL01"))
    name = demo_ds.beneficiaries.set_index("code").at[person, "name"]
    label = rows.loc[rows["beneficiary_code"] == person, "label"].iloc[0]
    assert label.startswith(name[0] + "*") and name not in label and person in label
    assert person in outcomes.worse_list(rows)["服务对象"].iloc[0]
    assert figures.change_class(pd.Series([2.0, 0.0, -1.0])).tolist() == ["变好", "无变化", "变差"]


def test_outcome_cards_say_when_the_rci_cannot_be_computed_and_small_n_gives_no_statistic():
    from sgzlib.dashboards import outcomes as board

    rows = pd.DataFrame({"improvement": [2.0, -1.0], "rci_class": ["无法计算", "无法计算"],
                         "rci_note": ["SDQ 在量表库中没有可引用的信度，RCI 无法计算"] * 2})
    cards = {label: value for label, value, _ in board.kpis(rows, dt.date(2025, 6, 30))}
    # no RCI for anyone: not a count of 0 but 无法计算 with the reason; 2 pairs < MIN_PAIRS: no mean either
    assert cards["可靠改善（RCI）"] == "无法计算" and cards["可靠恶化（RCI）"] == "无法计算"
    assert "没有可引用的信度" in board.rci_note(rows) and board.rci_note(rows).startswith("所选全部配对")
    assert cards["平均改善"].startswith("配对不足") and cards["截至日期"] == "2025-06-30"


def test_outcome_statistics_below_the_minimum_n_show_no_statistic(demo_ds):
    from sgzlib.dashboards import outcomes as board
    from sgzlib.domain import outcomes

    a = outcomes.analyse(demo_ds, demo.AS_OF)
    one = board.labelled(demo_ds, a.pairs[a.pairs["scale"] == "UCLA-3"].head(1))
    table = board.statistics(demo_ds, a, one)
    # a single pair: effect size and tests are not shown (r = 1.00 for n = 1 means nothing); the pairs are
    assert (table["效应量 r"] == "—").all() and (table["配对 t 检验 p"] == "—").all()
    assert table["说明"].str.contains("不计算统计量").all()
    assert len(board.pairs_table(one)) == 1


def test_caseload_per_social_worker(demo_ds):
    from sgzlib.analysis import supervision
    from sgzlib.dashboards import cases as board
    from sgzlib.domain import lifecycle

    rules = supervision.AttentionRules()
    when = dt.date(2025, 10, 31)
    cases = lifecycle.case_overview(demo_ds, when, rules.cases)
    cases = cases[cases["station_code"] == "YL01"]
    groups = lifecycle.group_overview(demo_ds, when, rules.groups)
    groups = groups[groups["station_code"] == "YL01"]
    load = board.caseload_table(demo_ds, "YL01", when)
    # independent count: open cases (not closed by the date) per worker, summed over workers
    open_cases = cases[cases["closed"].isna() | (cases["closed"] > pd.Timestamp(when))]
    assert load["在案个案"].sum() == open_cases["worker_code"].notna().sum()
    assert load["停滞个案"].sum() == int(open_cases["stalled"].astype(bool).sum())
    assert load["在开展小组"].sum() == int((groups["stage"] == "开展中").sum())
    month = demo_ds.case_sessions[(demo_ds.case_sessions["date"] >= "2025-10-01")
                                  & (demo_ds.case_sessions["date"] <= "2025-10-31")
                                  & demo_ds.case_sessions["case_code"].isin(cases["code"])]
    gmonth = demo_ds.group_sessions[(demo_ds.group_sessions["date"] >= "2025-10-01")
                                    & (demo_ds.group_sessions["date"] <= "2025-10-31")
                                    & demo_ds.group_sessions["group_code"].isin(groups["code"])]
    assert load["本月服务节次"].sum() == len(month) + len(gmonth)
    # the workers by name, as the dataset names them (``domain.personal``: the dashboards' audience sees staff
    # by name; ``storage.shared_dataset`` masks everyone else before the board gets the data)
    assert set(load["社工"]) <= set(demo_ds.staff["name"]) and load["社工"].notna().all()
    assert set(load["个案过多"]) <= {"是", "否"}


def test_timeline_labels_of_close_events_take_turns():
    from sgzlib.dashboards import figures

    dates = pd.Series(pd.to_datetime(["2025-03-01", "2025-03-05", "2025-03-09", "2025-03-12", "2025-06-01"]))
    # 接案 03-01, 预估 03-05, 协议 03-09, 计划 03-12 each within 21 days of the previous: four different spots;
    # 06-01 is far from 03-12: back to the top
    assert figures.label_positions(dates) == ["top center", "bottom center", "top right", "bottom right", "top center"]


def test_dashboard_tables_can_be_downloaded():
    from sgzlib.dashboards import ui

    html_text = ui.table(pd.DataFrame({"指标": ["个案"], "实际": [3]}), name="需要跟进的指标")
    link = re.search(r'download="需要跟进的指标.csv" href="data:text/csv;base64,([^"]+)"', html_text)
    assert link and base64.b64decode(link.group(1)).decode("utf-8-sig").splitlines() == ["指标,实际", "个案,3"]
    assert 'download="需要跟进的指标.xlsx"' in html_text
    from sgzlib.dashboards.chart import PLOTLY_CONFIG

    assert PLOTLY_CONFIG["toImageButtonOptions"]["format"] == "png"


def test_case_list_sorts_by_days_idle(demo_ds):
    from sgzlib.analysis import supervision
    from sgzlib.dashboards import cases as board

    when = dt.date(2025, 10, 31)
    # reversed, so the rules' order and the idle order differ (the rules already put the longest idle first)
    attention = supervision.cases_needing_attention(demo_ds, "YL01", when, rules=supervision.AttentionRules()).iloc[::-1]
    groups = supervision.groups_at_risk(demo_ds, "YL01", when)
    actions = supervision.action_items(demo_ds, "YL01", when)
    html_text = board.attention_tables(demo_ds, attention, groups, actions, order="按未活动天数")
    shown = [c for c in re.findall(r"<td>(YL01-C\d+)</td>", html_text)]
    idle = attention.set_index("code")["days_idle"]
    # the longest idle first; cases without a figure last
    expected = list(idle.sort_values(ascending=False, na_position="last", kind="stable").index)
    assert shown == expected and len(shown) >= 2
    # the default keeps the attention rules' order
    default = re.findall(r"<td>(YL01-C\d+)</td>", board.attention_tables(demo_ds, attention, groups, actions))
    assert default == list(attention["code"])


def test_cases_board_district_tables_hold_each_stations_own_rows(demo_ds):
    from sgzlib.analysis import supervision
    from sgzlib.dashboards import cases as board
    from sgzlib.domain import caseload

    # The board computes every township's tables once and selects a station's rows; they must be exactly what
    # the per-station calls give (each project is judged on its own, each row depends on its station only).
    when = dt.date(2025, 10, 31)
    towns = [code for _, code in data.station_options(demo_ds)]
    tables = board.district_tables(demo_ds, towns, when, Workbench._wrap(demo_ds, masked=False, as_of=when, url=None,
                                                                           scope=None).evaluation_of(towns, when))
    rules = board.RULES
    for station in ("YL01", "YL04"):
        evaluation = evaluate_stations(demo_ds, station, when)
        pd.testing.assert_frame_equal(board.of_station(tables["cases_attention"], station),
                                      supervision.cases_needing_attention(demo_ds, station, when, evaluation, rules))
        pd.testing.assert_frame_equal(board.of_station(tables["groups_attention"], station),
                                      supervision.groups_at_risk(demo_ds, station, when, evaluation, rules))
        pd.testing.assert_frame_equal(board.of_station(tables["actions"], station),
                                      supervision.action_items(demo_ds, station, when))
        pd.testing.assert_frame_equal(board.of_station(tables["caseload"], station),
                                      caseload.caseload(demo_ds, station, when, rules.cases, rules.groups))
        verdicts = supervision.work_verdicts(demo_ds, station, when, supervision.CASE, evaluation)
        own = supervision.with_verdicts(board.of_station(lifecycle_overview(demo_ds, when), station), verdicts)
        pd.testing.assert_frame_equal(board.of_station(tables["cases"], station), own.reset_index(drop=True))
    # every case of the district sits in exactly one station's rows: the station counts add up to the whole
    assert len(tables["cases"]) == sum(len(board.of_station(tables["cases"], s)) for s in towns) > 0


def lifecycle_overview(ds, when):
    from sgzlib.domain import lifecycle

    return lifecycle.case_overview(ds, when, cases.RULES.cases)


def test_a_long_table_shows_its_first_rows_says_how_many_and_downloads_all():
    frame = pd.DataFrame({"指标": [f"第{k}项" for k in range(1, 8)], "实际": range(1, 8)})
    html_text = ui.table(frame, name="需要跟进的指标", limit=3)
    # 7 rows, limit 3: rows 第1项..第3项 shown, the note says 7 and 3, the CSV holds all 7 (+ the header line)
    assert re.findall(r"<td>(第\d项)</td>", html_text) == ["第1项", "第2项", "第3项"]
    assert "共 7 行，这里列出前 3 行；下载本表可得全部。" in html_text
    csv = re.search(r'href="data:text/csv;base64,([^"]+)"', html_text).group(1)
    assert len(base64.b64decode(csv).decode("utf-8-sig").splitlines()) == 8
    # at or under the limit: every row and no note
    assert "这里列出前" not in ui.table(frame, limit=7) and len(re.findall(r"<tr>", ui.table(frame, limit=7))) == 8


def test_a_figure_panel_that_would_show_the_same_again_sends_nothing():
    import plotly.graph_objects as go

    board = ui.Board()
    values = {"a": 1}
    panel = board.panel("p", "", lambda s: go.Figure(go.Bar(x=["甲"], y=[values["a"]])), {"x"}, kind="figure")
    board.control("x", ui.dropdown("x", ["一", "二", "三"]))
    board.update()
    first = panel._shown
    board.controls["x"].value = "二"  # the figure does not depend on x's value: same JSON, nothing sent
    assert panel.draws == 2 and panel._shown == first
    values["a"] = 2
    board.controls["x"].value = "三"  # a different figure: shown
    assert panel.draws == 3 and panel._shown != first and '"y":[2]' in panel._shown


def test_a_figure_panel_redraws_one_chart_in_place_and_shows_a_message_instead_when_told():
    import plotly.graph_objects as go

    from sgzlib.dashboards.chart import PLOTLY_CONFIG, Chart

    board = ui.Board()
    board.control("x", ui.dropdown("x", ["一", "二", "空"]))
    heights = {"一": 1, "二": 2}

    def render(state):
        if state["x"] == "空":
            return ui.message("没有可画的数据")
        return go.Figure(go.Bar(x=["甲"], y=[heights[state["x"]]]))

    panel = board.panel("p", "图", render, {"x"}, kind="figure")
    board.update()
    chart = panel.widget.children[0]
    assert isinstance(chart, Chart) and chart.spec["data"][0]["y"] == [1] and chart.spec["config"] == PLOTLY_CONFIG
    board.controls["x"].value = "二"  # the same chart, a new figure: the browser redraws it with Plotly.react
    assert panel.widget.children == (chart,) and chart.spec["data"][0]["y"] == [2]
    board.controls["x"].value = "空"  # nothing to draw: the title and the message take the chart's place
    (note,) = panel.widget.children
    assert note.value == '<div class="sgz-title">图</div><div class="sgz-empty">没有可画的数据</div>'
    board.controls["x"].value = "一"  # and the same chart comes back with the first figure
    assert panel.widget.children == (chart,) and chart.spec["data"][0]["y"] == [1]


def test_dashboard_pages_bring_their_own_plotly_of_the_same_major_version_and_leave_the_full_bundle_out():
    import re

    import plotly

    from sgzlib.dashboards.chart import Chart

    static = server.SHARE_DIR / "voila" / "templates" / server.TEMPLATE / "static"
    script = re.search(r'"(plotly-cartesian-[\d.]+\.min\.js)"', str(Chart._esm)).group(1)
    head = (static / script).read_text(encoding="utf-8")[:200]
    bundled = plotly.offline.get_plotlyjs_version()  # the plotly.js that plotly's Python package writes figures for
    assert re.search(r"plotly\.js \(cartesian - minified\) v(\d+)\.", head).group(1) == bundled.split(".")[0]
    template = (static.parent / "index.html.j2").read_text(encoding="utf-8")
    assert f"static/{script}" in template and "static/plotly-locale-zh-cn.js" in template
    assert "自动缩放" in (static / "plotly-locale-zh-cn.js").read_text(encoding="utf-8")
    argv = server.voila_argv(8866)
    assert "--VoilaConfiguration.extension_denylist=jupyterlab-plotly" in argv
    assert "--VoilaConfiguration.extension_denylist=jupyterlab_pygments" in argv


def test_pages_that_are_not_preheated_are_left_out_of_the_pools_voila_fills_at_start(tmp_path):
    """Voila's own filter, as it runs at start-up (on each notebook's whole path): only pooled pages are filled."""
    from types import SimpleNamespace

    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
    from voila.voila_kernel_manager import voila_kernel_manager_factory

    mine, unpooled = server.served_pages("管理员")
    assert set(unpooled) == {"upload.ipynb", "supervision.ipynb", "verify.ipynb", "scoring.ipynb", "reports.ipynb"}
    argv = server.voila_argv(8866, unpooled=unpooled)
    prefix = "--VoilaKernelManager.preheat_denylist="
    manager = SimpleNamespace(preheat_denylist=[a[len(prefix):] for a in argv if a.startswith(prefix)])
    keep = voila_kernel_manager_factory(AsyncMappingKernelManager, True, 1)._notebook_filter
    for page in mine:
        for path in (tmp_path / page.notebook, Path(page.notebook)):
            assert keep(manager, path) == page.pooled, (path, page.pooled)
