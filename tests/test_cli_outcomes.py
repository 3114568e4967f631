"""``sgz outcomes`` on the demo district stored in SQLite: views, formats, filters, masking, errors."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from sgzlib import cli
from sgzlib.demo import district as demo
from sgzlib.domain import outcomes
from sgzlib.store import storage
from sgzlib.store.privacy import mask_name

AS_OF = demo.AS_OF.isoformat()


@pytest.fixture(scope="module")
def db_url(tmp_path_factory, demo_ds):
    url = f"sqlite:///{tmp_path_factory.mktemp('outcomes') / 'sgz.db'}"
    storage.write_dataset(storage.connect(url), demo_ds, prune=True)
    return url


def run(capsys, *args):
    code = cli.main(["outcomes", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_table_lists_the_planted_worsened_with_masked_names(capsys, db_url, demo_ds):
    code, out, _ = run(capsys, "--db", db_url, "--as-of", AS_OF)
    assert code == 0
    assert "一、汇总" in out and "二、得分变差的服务对象" in out and "三、服务已结束但缺后测" in out
    worse_section = out.split("二、")[1].split("三、")[0]
    names = demo_ds.beneficiaries.set_index("code")["name"]
    for code_ in demo.PLANTED.worsened:
        assert code_ in worse_section
        assert mask_name(names[code_]) in worse_section
    assert "（3 条）" in worse_section.splitlines()[0]      # exactly the three planted, nobody else


def test_no_full_name_ever_printed(capsys, db_url, demo_ds):
    outputs = [run(capsys, "--db", db_url, "--as-of", AS_OF, "--view", view)[1]
               for view in ("all", "pairs", "unpaired", "missing-post")]
    outputs.append(run(capsys, "--db", db_url, "--as-of", AS_OF, "--format", "json")[1])
    text = "\n".join(outputs)
    leaked = [n for n in demo_ds.beneficiaries["name"] if n in text]
    assert leaked == []


def test_json_worsened(capsys, db_url, demo_ds):
    code, out, _ = run(capsys, "--db", db_url, "--as-of", AS_OF, "--format", "json", "--view", "worsened")
    assert code == 0
    payload = json.loads(out)
    assert payload["as_of"] == AS_OF
    rows = payload["worsened"]
    assert sorted(r["beneficiary_code"] for r in rows) == sorted(demo.PLANTED.worsened)
    names = demo_ds.beneficiaries.set_index("code")["name"]
    assert all(r["name"] == mask_name(names[r["beneficiary_code"]]) for r in rows)
    assert all(r["improvement"] < 0 and r["rci_class"] == "无法计算" for r in rows)  # SSRS: no cited reliability


def test_csv_summary_matches_the_library(capsys, db_url, demo_ds):
    code, out, _ = run(capsys, "--db", db_url, "--as-of", AS_OF, "--format", "csv")
    assert code == 0
    frame = pd.read_csv(io.StringIO(out))
    expected = outcomes.summary(demo_ds, as_of=demo.AS_OF)
    assert list(frame.columns[:5]) == ["站点", "领域", "量表", "服务方式", "配对数"]
    assert len(frame) == len(expected)
    assert frame["配对数"].sum() == expected["n"].sum() == len(outcomes.pairs(demo_ds, as_of=demo.AS_OF))


def test_scale_and_station_filters(capsys, db_url):
    code, out, _ = run(capsys, "--db", db_url, "--as-of", AS_OF, "--format", "json", "--view", "summary",
                       "--scale", "孤独量表", "--station", "YL03")
    assert code == 0
    rows = json.loads(out)["summary"]
    assert rows and {(r["scale"], r["station_code"]) for r in rows} == {("UCLA-3", "YL03")}


@pytest.mark.parametrize("args, message", [
    (["--scale", "焦虑量表"], "量表「焦虑量表」未在量表库中登记"),
    (["--format", "csv", "--view", "all"], "CSV 一次只能输出一个视图"),
    (["--as-of", "2025-13-45"], "截至日期「2025-13-45」不是有效日期"),
    (["--station", "XX99"], "站点编码不存在：XX99"),
])
def test_errors_are_chinese_and_exit_2(capsys, db_url, args, message):
    code, out, err = run(capsys, "--db", db_url, *args)
    assert code == 2
    assert message in err
    assert out == ""
