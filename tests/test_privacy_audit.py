"""The personal-data rule (``domain.personal``) and the linkage audit (``store.privacy_audit``, ``sgz privacy check``).

The audit must be able to fail: each attack is first shown to find a leak planted for it (the masking of
before issue 27 included: region + last four of an ID number and the birth date in clear rebuild all 544 ID
numbers of the demo), then to find nothing in what the product writes, on the demo, on a small synthetic
province with people, and (``test_masking_sql.py``) in the masked PostgreSQL role's views.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import sys
from pathlib import Path

import pandas as pd
import pytest

from sgzlib import cli
from sgzlib.domain import personal
from sgzlib.store import privacy, privacy_audit, storage
from sgzlib.store.privacy_audit import Output

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.synthetic import province  # noqa: E402
from benchmarks.synthetic_people import with_people  # noqa: E402

FIELDS = {(f.table, f.column): f for f in personal.PERSONAL}


# --- the rule ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("table, column, station, supervision, external", [
    ("beneficiaries", "name", False, True, True),
    ("beneficiaries", "phone", False, True, True),
    ("beneficiaries", "id_number", False, True, True),
    ("beneficiaries", "birth_date", False, True, True),
    ("volunteers", "name", False, True, True),
    ("volunteers", "phone", False, True, True),
    ("staff", "name", False, False, True),  # professionals: by name to their supervisors, masked outside
    ("assessments", "assessor", False, False, True),
    ("supervisions", "supervisor", False, False, True),
    ("supervision_items", "supervisor", False, False, True),
])
def test_whose_data_is_masked_where(table, column, station, supervision, external):
    f = FIELDS[(table, column)]
    assert [personal.masked(f, a) for a in (personal.STATION, personal.SUPERVISION, personal.EXTERNAL)] == \
        [station, supervision, external]


def test_outputs_and_audiences():
    assert personal.audience_of("masked_role") == personal.EXTERNAL  # the evaluator's PostgreSQL role
    assert personal.audience_of("export") == personal.EXTERNAL
    assert {personal.audience_of(o) for o in ("station_report", "digest", "dashboard")} == {personal.SUPERVISION}
    assert personal.persons_masked(personal.EXTERNAL) == set(personal.PERSON_LABELS)
    assert personal.persons_masked(personal.SUPERVISION) == {personal.BENEFICIARY, personal.VOLUNTEER}
    # free text is masked for every audience but the station's own
    assert personal.columns("services", personal.STATION) == {}
    assert personal.columns("services", personal.SUPERVISION) == {"place": "text", "summary": "text"}
    assert personal.columns("staff", personal.SUPERVISION) == {}  # name shown, role a label
    assert personal.columns("staff", personal.EXTERNAL) == {"name": "name"}


def test_a_supervision_output_keeps_staff_names_whole_and_masks_the_others(demo_ds):
    frames = dict(demo_ds.frames)
    staff = demo_ds.staff.iloc[0]
    person = demo_ds.beneficiaries.iloc[0]
    services = demo_ds.services.copy()
    services.loc[services.index[0], "summary"] = f"{staff['name']}走访{person['name']}"
    frames["services"] = services
    ds = type(demo_ds).__new__(type(demo_ds))
    ds.frames = frames
    sup = privacy.mask_dataset(ds, personal.SUPERVISION)
    ext = privacy.mask_dataset(ds, personal.EXTERNAL)
    assert sup.services["summary"].iloc[0] == f"{staff['name']}走访{privacy.mask_name(person['name'])}"
    assert ext.services["summary"].iloc[0] == f"{privacy.mask_name(staff['name'])}走访{privacy.mask_name(person['name'])}"
    assert sup.staff["name"].tolist() == demo_ds.staff["name"].tolist()
    assert ext.staff["name"].tolist() == demo_ds.staff["name"].map(privacy.mask_name).tolist()


# --- the attacks ------------------------------------------------------------------------------------------------

def test_the_check_digit_of_the_standard_example():
    assert privacy_audit.check_digit("11010519491231002") == "X"  # GB 11643-1999's own example: 11010519491231002X


def test_id_candidates_narrow_to_one_only_when_region_birth_date_and_suffix_are_all_shown():
    real = "11010519491231002X"
    assert privacy_audit.id_candidates("110105", [dt.date(1949, 12, 31)], "002X") == [real]
    # our mask shows the region only: a birth date found elsewhere leaves 1,000 numbers (one per sequence)
    assert privacy_audit.id_candidates("110105", [dt.date(1949, 12, 31)], "") is None
    # the birth year with the last four: about 366 / 11 = 33 candidates, more than a reader can try (10)
    year = pd.date_range("1949-01-01", "1949-12-31").date
    assert privacy_audit.id_candidates("110105", year, "002X") is None


def old_masked_people(demo_ds) -> pd.DataFrame:
    """The 服务对象 sheet as ``sgz export --mask`` wrote it before issue 27: region and last four, birth date as is."""
    b = demo_ds.beneficiaries
    return b.assign(name=b["name"].map(privacy.mask_name),
                    id_number=b["id_number"].str.slice(0, 6) + "********" + b["id_number"].str.slice(14))


def test_the_old_masking_rebuilds_every_id_number_of_the_demo_and_the_new_none(demo_ds):
    secrets = privacy_audit.Secrets.of(demo_ds)
    old = Output("旧脱敏导出", personal.EXTERNAL, tables={"beneficiaries": old_masked_people(demo_ds)})
    found = privacy_audit.rebuilt_ids(old, secrets)
    # the issue's 544 of 544; the quality demo's duplicate person (two rows, one ID number) is found in both rows
    assert len(found) == len(demo_ds.beneficiaries) == 544
    assert {f.who for f in found} == set(demo_ds.beneficiaries["code"])
    new = privacy.mask_dataset(demo_ds)
    assert privacy_audit.rebuilt_ids(Output("脱敏导出", personal.EXTERNAL, tables=new.frames), secrets) == []
    assert new.beneficiaries["birth_date"].dt.strftime("%m-%d").eq("01-01").all()  # the year only


def _person(demo_ds, station: str, k: int = 0) -> pd.Series:
    b = demo_ds.beneficiaries
    return b[(b["station_code"] == station) & (b["name"].str.len() == 3)].iloc[k]


@pytest.mark.parametrize("plant, kinds", [
    (lambda p: f"走访{p['name'][0]}\u3000{p['name'][1:]}", {"name"}),  # U+3000 inside
    (lambda p: f"走访{p['name'][0]}\u200b{p['name'][1]}\u200b{p['name'][2]}", {"name"}),  # zero-width spaces
    (lambda p: f"走访{p['name'][0]} {p['name'][1]}·{p['name'][2]}", {"name"}),  # a space and a dot
    (lambda p: f"走访{p['name'][0]}*{p['name'][1]}*{p['name'][2]}", {"name"}),  # stars between all characters
    (lambda p: f"电话{p['phone'][:3]}*{p['phone'][3:7]}*{p['phone'][7:]}", {"phone"}),  # stars inside a phone
    (lambda p: f"电话 {p['phone'][:3]} {p['phone'][3:7]} {p['phone'][7:]}", {"phone"}),
    (lambda p: f"证件 {p['id_number'][:6]} {p['id_number'][6:14]} {p['id_number'][14:]}",
     {"id_number", "birth_date"}),  # an ID number shows its birth date
    (lambda p: f"证件 {p['id_number'][:6]}********{p['id_number'][14:]}，{p['birth_date']:%Y年%-m月%-d日}生",
     {"id_number", "birth_date"}),  # the date completes the ID number, and is a birth date shown
    (lambda p: f"生日 {p['birth_date']:%Y年%-m月%-d日}", {"birth_date"}),
])
def test_each_planted_leak_is_found_whoever_the_output_is_for(demo_ds, plant, kinds):
    secrets = privacy_audit.Secrets.of(demo_ds)
    person = _person(demo_ds, "YL02")  # named in what YL01 writes: a mention across stations
    for audience in (personal.SUPERVISION, personal.EXTERNAL):
        found = privacy_audit.audit([Output("YL01 的输出", audience, f"YL01 服务记录¦{plant(person)}¦")], secrets)
        assert {(f.kind, f.who) for f in found} == {(k, person["code"]) for k in kinds}, audience


def test_staff_names_are_a_leak_only_in_external_outputs(demo_ds):
    secrets = privacy_audit.Secrets.of(demo_ds)
    worker = demo_ds.staff.iloc[0]
    text = f"督导议程：{worker['name']}的个案"
    assert privacy_audit.audit([Output("督导报告", personal.SUPERVISION, text)], secrets) == []
    found = privacy_audit.audit([Output("评估报告", personal.EXTERNAL, text)], secrets)
    assert [(f.kind, f.who) for f in found] == [("name", worker["code"])]


def test_the_parts_shown_by_two_outputs_are_put_together(demo_ds):
    secrets = privacy_audit.Secrets.of(demo_ds)
    p = demo_ds.beneficiaries.iloc[0]
    one = pd.DataFrame({"code": [p["code"]], "phone": [p["phone"][:3] + "****" + p["phone"][7:]], "name": ["*"]})
    two = pd.DataFrame({"code": [p["code"]], "phone": ["***" + p["phone"][3:7] + "****"], "name": ["*"]})
    a = Output("甲", personal.EXTERNAL, tables={"beneficiaries": one})
    b = Output("乙", personal.EXTERNAL, tables={"beneficiaries": two})
    assert privacy_audit.combined([a], secrets) == []
    assert [(f.kind, f.who) for f in privacy_audit.combined([a, b], secrets)] == [("phone", p["code"])]


# --- the product's outputs ----------------------------------------------------------------------------------------

def sgz(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(list(args))
    return code, out.getvalue()


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory, demo_ds):
    url = f"sqlite:///{tmp_path_factory.mktemp('privacy') / 'demo.db'}"
    storage.write_dataset(storage.connect(url), demo_ds)
    return url


@pytest.mark.slow
def test_privacy_check_of_the_demo_finds_nothing_and_an_unmasked_file_is_caught(demo_url, tmp_path):
    code, out = sgz("privacy", "check", "--db", demo_url, "--no-reports", "--as-of", "2025-10-31",
                    "--station", "YL01", "--station", "YL04", "--out", str(tmp_path / "out"))
    assert code == 0, out
    assert "读取 7 份输出" in out and "尝试还原身份证号 544 个" in out and "没有发现可还原" in out
    # exports: all and two stations; dashboards: their data, the outcome lists, two stations' case tables
    names = sorted(p.name for p in (tmp_path / "out").glob("*.xlsx"))
    assert names == ["脱敏导出_YL01.xlsx", "脱敏导出_YL04.xlsx", "脱敏导出_全部.xlsx"]
    # the same command on an unmasked export: caught, and the real values are not printed
    assert sgz("export", str(tmp_path / "clear.xlsx"), "--db", demo_url, "--station", "YL01")[0] == 0
    code, out = sgz("privacy", "check", "--db", demo_url, "--files", str(tmp_path / "clear.xlsx"))
    assert code == 1
    found = out.count("\n  clear.xlsx：")
    # YL01's 82 people (demo): each ID number, phone and name shown; every volunteer's and staff member's too
    b = storage.load_dataset(storage.connect(demo_url), "YL01")
    assert f"发现 {found} 处" in out and found >= 3 * len(b.beneficiaries)
    assert b.beneficiaries["id_number"].iloc[0] not in out and b.beneficiaries["phone"].iloc[0] not in out


@pytest.mark.slow
def test_privacy_check_of_a_small_synthetic_province_with_people_finds_nothing(tmp_path):
    ds = with_people(province(6))
    assert ds.services["summary"].notna().sum() > 300  # free text naming people, their phones, IDs and birthdays
    url = f"sqlite:///{tmp_path / 'province.db'}"
    storage.write_dataset(storage.connect(url), ds)
    from sgzlib.dashboards import privacy_outputs
    from sgzlib.reports import privacy_check

    result = privacy_check.check(url, tmp_path / "out", "2025-10-31", with_reports=False, stations=["T0000", "T0003"],
                                 boards=privacy_outputs.downloads)
    assert len(result.outputs) == 7 and result.tried.ids == len(ds.beneficiaries)
    assert result.findings == []
    # the audit is not blind on this data: the clear export of a station shows its people
    clear = tmp_path / "clear.xlsx"
    assert sgz("export", str(clear), "--db", url, "--station", "T0003")[0] == 0
    leaks = privacy_audit.audit([privacy_audit.read_file(clear, personal.EXTERNAL)], privacy_audit.Secrets.of(ds))
    mine = set(ds.beneficiaries.loc[ds.beneficiaries["station_code"].str.startswith("T0003"), "code"])
    assert mine <= {f.who for f in leaks if f.kind == "id_number"}


def test_a_one_station_export_masks_a_person_of_another_station_named_in_its_text(tmp_path, demo_ds):
    # The issue's case: a YL02 beneficiary's full name in a YL01 内容摘要 stayed in YL01's own masked export.
    other = _person(demo_ds, "YL02")
    frames = dict(demo_ds.frames)
    services = demo_ds.services.copy()
    mine = services.index[services["station_code"] == "YL01"][0]
    services.loc[mine, "summary"] = f"陪同{other['name'][0]}\u3000{other['name'][1:]}办理低保，电话{other['phone']}"
    frames["services"] = services
    url = f"sqlite:///{tmp_path / 'sgz.db'}"
    storage.write_dataset(storage.connect(url), type(demo_ds)(frames))
    assert sgz("export", "--mask", "--station", "YL01", str(tmp_path / "yl01.xlsx"), "--db", url)[0] == 0
    book = privacy_audit.read_file(tmp_path / "yl01.xlsx", personal.EXTERNAL)
    assert other["code"] not in set(book.tables["beneficiaries"]["code"])  # YL02's people are not in the file
    shown = book.tables["services"].set_index("code").at[services.at[mine, "code"], "summary"]
    assert shown == f"陪同{privacy.mask_name(other['name'])}办理低保，电话{privacy.mask_phone(other['phone'])}"


def _imports(path: Path) -> set[str]:
    """The modules ``path`` imports (relative imports resolved against its package), anywhere in the file."""
    import ast

    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = list(package[:len(package) - node.level + 1]) if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            out.update(f"{module}.{a.name}" for a in node.names)
            out.add(module)
    return out


def test_the_rule_is_pure_and_storage_access_privacy_import_no_cycle():
    store = ROOT / "sgzlib" / "store"
    rule = _imports(ROOT / "sgzlib" / "domain" / "personal.py")
    assert {m for m in rule if m.startswith("sgzlib")} <= {"sgzlib.domain", "sgzlib.domain.schema"}
    assert not {m.split(".")[0] for m in rule} & {"sqlalchemy", "pandas", "os", "pathlib", "io", "yaml"}
    assert not {m for m in _imports(store / "privacy.py") if "storage" in m or "access" in m}
    assert not {m for m in _imports(store / "storage.py") if "access" in m}
    assert not {m for m in _imports(store / "session.py") if "storage" in m or "access" in m}
