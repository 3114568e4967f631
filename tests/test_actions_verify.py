"""评估核验: the checklist rule reads the evaluator's verdicts; verifying from a page writes one row with its file.

Demo district, project P2025-YL01 (扎赉诺尔区清单, 2025-01-01 … 2025-12-31). On 2025-12-31 its checklist
indicators ZL-JS-05 (one item, 服务内容展示墙, not on the station's 站点建设 sheet) is 待核验, ZL-JS-02
(办公场所, ticked 2025-02-08) and ZL-JS-04 (个案咨询室 and 小组活动室, both ticked) are 达标.
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from PIL import Image

from sgzlib.actions import verify as vf
from sgzlib.domain.dataset import Dataset
from sgzlib.errors import DataError, NotAllowedError
from sgzlib.indicators import evaluate
from sgzlib.store import audit, evaluation_records, storage
from sgzlib.store.access import User
from sgzlib.store.evaluation_records import EvidenceFile
from sgzlib.workbench import Workbench

END = dt.date(2025, 12, 31)
PING = User("ping", "评估方", masked=True, districts=("云岭区",), name="平评估")


def with_verdicts(ds: Dataset, rows: list[tuple]) -> Dataset:
    out = Dataset(dict(ds.frames))
    out.frames["checklist_verifications"] = pd.DataFrame(
        [dict(id=i, project_code="P2025-YL01", indicator_id=ind, item=item, verdict=v, date=pd.Timestamp(d), note=n)
         for i, (ind, item, v, d, n) in enumerate(rows, 1)])
    return out


def status(ds, indicator, as_of=END):
    s = evaluate(ds, as_of, projects=["P2025-YL01"]).summary.set_index("indicator_id")
    return s.loc[indicator, "status"], s.loc[indicator, "actual"]


def test_verdicts_count_from_their_date_and_a_rejection_is_not_met_with_its_note(demo_ds):
    assert status(demo_ds, "ZL-JS-05") == ("待核验", 0)
    ds = with_verdicts(demo_ds, [
        ("ZL-JS-05", "服务内容展示墙", "verified", "2025-12-20", "现场查看，展示墙已布置"),
        ("ZL-JS-04", "小组活动室", "rejected", "2025-06-01", "小组活动室被挪作仓库"),
    ])
    assert status(ds, "ZL-JS-05") == ("达标", 1)  # verified: counts though the station never ticked it
    assert status(ds, "ZL-JS-05", "2025-12-10") == ("待核验", 0)  # before the verdict's date it did not hold yet
    # ticked by the station, rejected by the evaluator: 1 of 2 items; the period has ended: 未达标 (not 待核验)
    assert status(ds, "ZL-JS-04") == ("未达标", 1)
    assert status(ds, "ZL-JS-04", "2025-06-30") == ("落后", 1)  # mid-year: a state rule below target is behind
    assert status(ds, "ZL-JS-04", "2025-05-31") == ("达标", 2)  # before the rejection both ticks counted
    ex = evaluate(ds, END, projects=["P2025-YL01"]).explain("P2025-YL01", "ZL-JS-04").set_index("record_id")
    assert ex.loc["小组活动室", "reason_code"] == "rejected"
    assert ex.loc["小组活动室", "reason"] == "评估核验不符合（2025-06-01）：小组活动室被挪作仓库"
    assert bool(ex.loc["个案咨询室", "counted"])
    # the latest verdict holds: verified again later, it counts again
    again = with_verdicts(demo_ds, [("ZL-JS-04", "小组活动室", "rejected", "2025-06-01", "被挪作仓库"),
                                    ("ZL-JS-04", "小组活动室", "verified", "2025-09-01", "已恢复")])
    assert status(again, "ZL-JS-04") == ("达标", 2)


@pytest.fixture
def engine(demo_db_copy):
    return storage.connect(f"sqlite:///{demo_db_copy}")


def png(color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_list_shows_every_item_with_its_source_text(demo_ds):
    items = vf.items(Workbench(demo_ds, masked=True, as_of=END))
    yl01 = items[items["project_code"] == "P2025-YL01"]
    # 6 items 待核验 and 12 ticked by the station (the explanation rows of YL01's checklist indicators)
    assert yl01["state"].value_counts().to_dict() == {"待核验": 6, "站点已勾选": 12}
    row = yl01[yl01["indicator_id"] == "ZL-JS-05"].iloc[0]
    assert row["state"] == "待核验" and row["item"] == "服务内容展示墙"
    assert row["source_text"].startswith("社工站") and row["evidence_wanted"]
    assert items["state"].iloc[0] == "待核验"  # what needs doing first


def test_verifying_writes_the_verdict_its_file_and_the_audit_row(engine):
    picture = EvidenceFile("展示墙.png", png())
    vf.verify(engine, PING, "P2025-YL01", "ZL-JS-05", "服务内容展示墙", "已核验", END, "现场查看", picture)
    ds = storage.load_dataset(engine, "YL01")
    assert status(ds, "ZL-JS-05") == ("达标", 1)
    # the same file for another item is stored once (by its SHA-256)
    vf.verify(engine, PING, "P2025-YL01", "ZL-JS-02", "办公场所", "不符合", END, "办公场所被占用", picture)
    assert status(storage.load_dataset(engine, "YL01"), "ZL-JS-02") == ("未达标", 0)
    files = evaluation_records.evidence_names(engine)
    assert files[["station_code", "name", "kind", "size"]].values.tolist() == [["YL01", "展示墙.png", "png",
                                                                               len(picture.content)]]
    name, kind, content = evaluation_records.evidence(engine, "YL01", picture.sha256)
    assert (name, kind, content) == ("展示墙.png", "png", picture.content)
    rows = audit.read(engine)
    assert rows["action"].tolist()[-2:] == ["verify", "verify"]
    assert rows["login"].iloc[-1] == "ping" and rows["sha256"].iloc[-1] == picture.sha256
    assert "P2025-YL01 ZL-JS-02「办公场所」：不符合" in rows["detail"].iloc[-1]
    listed = vf.items(Workbench(storage.load_dataset(engine), masked=True, as_of=END),
                      evidence_names=evaluation_records.evidence_names(engine)).set_index(["project_code", "item"])
    assert listed.loc[("P2025-YL01", "服务内容展示墙"), "state"] == "已核验"
    assert listed.loc[("P2025-YL01", "办公场所"), "verdict_note"] == "办公场所被占用"
    assert listed.loc[("P2025-YL01", "办公场所"), "evidence_name"] == "展示墙.png"


@pytest.mark.parametrize("file, code", [
    (EvidenceFile("制度.exe", b"MZ\x90\x00"), "bad_type"),
    (EvidenceFile("照片.png", b"%PDF-1.7 not a picture"), "content_mismatch"),
    (EvidenceFile("空.pdf", b""), "empty_file"),
    (EvidenceFile("大.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024)), "too_large"),
    (EvidenceFile("表.xlsx", b"PK\x03\x04 broken"), "content_mismatch"),
])
def test_files_of_the_wrong_kind_or_size_are_refused(engine, file, code):
    with pytest.raises(DataError) as exc:
        vf.verify(engine, PING, "P2025-YL01", "ZL-JS-05", "服务内容展示墙", "已核验", END, "现场查看", file)
    assert [p.code for p in exc.value.problems] == [code]
    assert storage.load_dataset(engine, "YL01").frames["checklist_verifications"].empty


def test_bad_verdicts_are_refused(engine):
    def refused(**kw):
        args = dict(project="P2025-YL01", indicator_id="ZL-JS-05", item="服务内容展示墙", verdict="已核验", date=END,
                    note="现场查看")
        args.update(kw)
        with pytest.raises(DataError) as exc:
            vf.verify(engine, PING, **args)
        return str(exc.value)

    assert "检查项只有：服务内容展示墙" in refused(item="办公场所")
    assert "没有检查项指标「ZL-SA-01」" in refused(indicator_id="ZL-SA-01")
    assert "核验结论只能是" in refused(verdict="通过")
    assert "请写明核验说明" in refused(note="")
    assert "不在项目周期内" in refused(date=dt.date(2026, 1, 10))
    with pytest.raises(NotAllowedError, match="不能核验检查项"):
        vf.verify(engine, User("w", "站点社工", masked=False, stations=("YL01",)), "P2025-YL01", "ZL-JS-05",
                  "服务内容展示墙", "已核验", END, "现场查看")
    with pytest.raises(NotAllowedError, match="权限范围不包括站点 YL01"):
        vf.verify(engine, User("p2", "评估方", masked=True, stations=("YL03",)), "P2025-YL01", "ZL-JS-05",
                  "服务内容展示墙", "已核验", END, "现场查看")
    assert audit.read(engine).empty
