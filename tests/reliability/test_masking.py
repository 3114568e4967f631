"""Masking that holds on real names: adversarial names and free text, scanned in every output that leaves the station.

The demo district is loaded with the people of 东湖街道 (YL01) renamed to hostile forms (alignment spaces,
no-break and zero-width spaces, compatibility ideographs, full-width letters, one-, two-, four- and
six-character names) and with their names, phones and ID numbers typed into every free-text column in the
forms people type them (spaces, dashes, brackets, full-width digits, +86). Then every shared output is produced
the way a user does (the CLI and the report batch) and scanned for the real values after the same
normalisation masking uses (NFKC, no spaces or separators, ``\\uXXXX`` and HTML entities decoded):
goal 0 hits. ``scan_outputs`` is also what the issue's before/after count ran on.
"""

from __future__ import annotations

import contextlib
import html as htmllib
import io
import json
import re
import subprocess
import unicodedata
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sgzlib import cli
from sgzlib.demo import district as demo
from sgzlib.domain import personal
from sgzlib.domain.dataset import Dataset
from sgzlib.store import privacy, privacy_audit, storage

AS_OF = demo.AS_OF.isoformat()
STATION = "YL01"
PROJECT = "P2025-YL01"
# Hostile beneficiary names, as typed (folded form in the comment).
NAMES = [
    "武\u3000红",  # 武红: the two-character name with an alignment space
    "禤",  # one character
    "亓官\u3000淼淼",  # 亓官淼淼: four characters with an alignment space
    "欧阳\u00a0思颖",  # 欧阳思颖: four characters, no-break space
    "燚\u200b鑫",  # 燚鑫: two characters with a zero-width space
    "\uf90a\u3000燕",  # 金燕: a CJK compatibility ideograph (U+F90A is 金)
    "Ｌｉ　Ｍｉｎｇ",  # LiMing: full-width letters
    " 蒯 通 ",  # 蒯通: spaces around and inside
    "司马相如",  # four characters, plain
    "邵宇英",  # three characters, plain
]
STAFF_NAMES = ["司马\u3000迁", "禤\u3000燚", "东方朔"]
VOLUNTEER_NAMES = ["东方\u3000朔月", "阿依古丽·买买提"]


def phone_forms(digits: str) -> list[str]:
    """How a mobile number is typed in free text."""
    wide = digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return [f"{digits[:3]} {digits[3:7]} {digits[7:]}", f"{digits[:3]}-{digits[3:7]}-{digits[7:]}", wide,
            f"+86 {digits}", f"（{digits[:3]}）{digits[3:]}", digits]


def id_forms(number: str) -> list[str]:
    wide = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return [f"{number[:6]} {number[6:14]} {number[14:]}", wide, number, number[:6] + number[8:17]]  # last: 15-digit form


def landline_forms(i: int) -> tuple[str, list[str]]:
    local = f"62{i:05d}"
    digits = "0471" + local
    return digits, [f"0471-{local}", f"(0471){local}", f"０４７１－{local}", f"0471 {local}"]


def hostile(ds: Dataset) -> tuple[Dataset, dict]:
    """The demo with YL01's people renamed and their details typed into free text; returns (dataset, secrets)."""
    frames = {k: v.copy() for k, v in ds.frames.items()}
    scope = set(ds.descendants(STATION))
    b = frames["beneficiaries"]
    mine = b.index[b["station_code"].isin(scope)]
    secrets: dict[str, set[str]] = {"phone": set(), "id": set(), "name": set(), "professional": set()}
    one_char_people = []
    for k, idx in enumerate(mine):
        name = NAMES[k % len(NAMES)]
        b.at[idx, "name"] = name
        b.at[idx, "phone"] = f"1380471{k:04d}"
        b.at[idx, "id_number"] = f"1507021990{(k % 12) + 1:02d}{(k % 28) + 1:02d}{k:03d}{'X' if k % 5 == 0 else '7'}"
        if len(privacy.fold(name)) == 1:
            one_char_people.append(b.at[idx, "code"])
    people = b.loc[mine].reset_index(drop=True)
    staff = frames["staff"]
    for k, idx in enumerate(staff.index[staff["station_code"].isin(scope)]):
        staff.at[idx, "name"] = STAFF_NAMES[k % len(STAFF_NAMES)]
    vol = frames["volunteers"]
    for k, idx in enumerate(vol.index[vol["station_code"].isin(scope)]):
        vol.at[idx, "name"] = VOLUNTEER_NAMES[k % len(VOLUNTEER_NAMES)]
        vol.at[idx, "phone"] = "１３９" + f"{k:08d}"  # full-width prefix as typed; stored as typed
        secrets["phone"].add("139" + f"{k:08d}")

    def person(k: int) -> pd.Series:
        return people.iloc[k % len(people)]

    counter = iter(range(10**6))

    def line(k: int) -> str:
        """A free-text line naming person k with a phone, a landline and an ID number in a rotating form."""
        p = person(k)
        n = next(counter)
        mobile = f"1370471{n:04d}"
        land, lands = landline_forms(n)
        ident = f"15070219850{(n % 9) + 1}1{(n % 9) + 1}{n:04d}"[:17] + "6"
        secrets["phone"].update({mobile, land})
        secrets["id"].add(ident[:6] + ident[8:17] if n % 4 == 3 else ident)  # form 3 is the 15-digit one
        return (f"走访{p['name']}，电话{phone_forms(mobile)[n % 6]}，座机{lands[n % 4]}，"
                f"证件{id_forms(ident)[n % 4]}，2025-03-01 14:30 入户，经费1000000元")

    s = frames["services"]
    for k, idx in enumerate(s.index[s["station_code"].isin(scope)][:120]):
        s.at[idx, "summary"] = line(k)
        s.at[idx, "place"] = f"{person(k + 1)['name']}家（{phone_forms(f'1360471{k:04d}')[k % 6]}）"
        secrets["phone"].add(f"1360471{k:04d}")
    a = frames["assessments"]
    codes = set(people["code"])
    for k, idx in enumerate(a.index[a["beneficiary_code"].isin(codes)][:60]):
        a.at[idx, "needs"] = line(k)
        a.at[idx, "assessor"] = STAFF_NAMES[k % len(STAFF_NAMES)]
    c = frames["cases"]
    for k, idx in enumerate(c.index[c["station_code"].isin(scope)]):
        c.at[idx, "referral_to"] = f"转介{person(k)['name']}家属{STAFF_NAMES[k % 3]}"
    sup = frames["supervisions"]
    for k, idx in enumerate(sup.index[sup["station_code"].isin(scope)]):
        sup.at[idx, "topic"] = f"与{STAFF_NAMES[k % 3]}讨论{person(k)['name']}个案"
        sup.at[idx, "action"] = line(k + 7)
        sup.at[idx, "supervisor"] = "禤\u3000督导"
    for table, column in (("charity_aid", "content"), ("checklist", "evidence"), ("charity_funds", "source")):
        f = frames[table]
        for k, idx in enumerate(f.index[f["station_code"].isin(scope)]):
            f.at[idx, column] = line(k + 3)
    g = frames["groups"]
    for k, idx in enumerate(g.index[g["station_code"].isin(scope)][:3]):
        g.at[idx, "name"] = f"{person(k)['name']}互助小组"
    # Private persons' names, and professionals' (staff, assessors, supervisors: shown by name to supervisors,
    # ``domain.personal``).
    for frame in (b, vol):
        secrets["name"].update(f for f in (privacy.fold(n) for n in frame["name"].dropna()) if len(f) >= 2)
    for frame, col in ((staff, "name"), (a, "assessor"), (sup, "supervisor")):
        secrets["professional"].update(f for f in (privacy.fold(n) for n in frame[col].dropna()) if len(f) >= 2)
    secrets["phone"].update(privacy.digits_of(p) for p in b["phone"].dropna())
    secrets["phone"].update(privacy.digits_of(p) for p in vol["phone"].dropna())
    secrets["id"].update(privacy.fold(v).upper() for v in b["id_number"].dropna())
    secrets["one_char"] = set(one_char_people)
    # The hostile names, to look for with stars between all their characters (no other name of the data set
    # starts and ends with the same characters, so such a form cannot be another person's correct mask).
    secrets["spaced"] = {f for f in (privacy.fold(n) for n in NAMES + VOLUNTEER_NAMES) if len(f) >= 2}
    secrets["spaced_professional"] = {f for f in (privacy.fold(n) for n in STAFF_NAMES) if len(f) >= 2}
    return Dataset(frames), secrets


_SQUASH = re.compile(r"[\s\-‐‑‒–—―()（）.+]")


def normalise(text: str) -> str:
    """Output text as compared with the real values: entities and \\u escapes decoded, NFKC, no separators."""
    text = htmllib.unescape(re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text))
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch == "\n")
    return _SQUASH.sub("", text).upper()


def _drop_big_scripts(html: str) -> str:
    """The report HTML without the embedded plotly.js library (5 MB of code, no data)."""
    return re.sub(r"<script[^>]*>(?:(?!</script>).){200000,}</script>", "", html, flags=re.S)


def xlsx_text(path: Path) -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            out.append("\t".join("" if v is None else str(v) for v in row))
    wb.close()
    return "\n".join(out)


def hits(text: str, secrets: dict, professionals_shown: bool = False) -> list[str]:
    """The real values found in ``text`` (after ``normalise``); ``professionals_shown``: an output for supervisors,
    where staff and supervisors appear by name (``domain.personal``)."""
    blob = normalise(text)
    found = [v for kind in ("phone", "id") for v in secrets[kind] if v in blob]
    names, spaced = secrets["name"], secrets["spaced"]
    if not professionals_shown:
        names, spaced = names | secrets["professional"], spaced | secrets["spaced_professional"]
    found += [n.upper() for n in names if n.upper() in blob]
    # A name shown in full with stars between its characters (the old 武*红 for 武　红) is a leak as well.
    found += [f"{n}（星号间隔）" for n in spaced if re.search(r"\**".join(map(re.escape, n.upper())), blob)]
    return sorted(found)


SUPERVISION_OUTPUTS = ("station ", "dashboards")  # the supervision report and the dashboards


def run_cli(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(list(argv))
    assert code == 0, (argv, out.getvalue()[-500:])
    return out.getvalue()


def produce(url: str, base: Path, pdf: bool = True) -> dict[str, str]:
    """Every shared output, as text: name → content."""
    from sgzlib.analysis import supervision
    from sgzlib.dashboards import cases as dash_cases
    from sgzlib.dashboards import data as dash_data
    from sgzlib.dashboards import outcomes as dash_outcomes
    from sgzlib.domain import lifecycle
    from sgzlib.indicators import evaluate
    from sgzlib.reports import batch, jobs

    outputs: dict[str, str] = {}
    db = ["--db", url]
    masked = base / "masked.xlsx"
    run_cli("export", "--mask", str(masked), *db)
    outputs["export --mask 全部"] = xlsx_text(masked)
    run_cli("export", "--mask", "--station", STATION, str(base / "masked-yl01.xlsx"), *db)
    outputs["export --mask --station"] = xlsx_text(base / "masked-yl01.xlsx")
    for view in ("summary", "worsened", "missing-post", "pairs", "unpaired", "follow-ups"):
        outputs[f"outcomes csv {view}"] = run_cli("outcomes", "--format", "csv", "--view", view, "--as-of", AS_OF, *db)
        outputs[f"outcomes json {view}"] = run_cli("outcomes", "--format", "json", "--view", view, "--as-of", AS_OF, *db)
    outputs["outcomes table"] = run_cli("outcomes", "--as-of", AS_OF, "--station", STATION, *db)
    outputs["outcomes json"] = run_cli("outcomes", "--format", "json", "--as-of", AS_OF, *db)
    for fmt in ("table", "csv", "json"):
        outputs[f"evaluate {fmt}"] = run_cli("evaluate", "--all", "--periods", "--format", fmt, "--as-of", AS_OF, *db)
    run_cli("evaluate", "--format", "xlsx", "--out", str(base / "eval.xlsx"), "--as-of", AS_OF, *db)
    outputs["evaluate xlsx"] = xlsx_text(base / "eval.xlsx")
    ev = evaluate(storage.load_dataset(storage.connect(url), STATION), demo.AS_OF, projects=[PROJECT])
    busiest = ev.explanations.groupby("indicator_id").size().sort_values(ascending=False).index[:3]
    for ind in busiest:
        for fmt in ("table", "csv", "json"):
            outputs[f"explain {ind} {fmt}"] = run_cli("explain", "--project", PROJECT, "--indicator", ind,
                                                      "--format", fmt, "--as-of", AS_OF, *db)
    todo = (jobs.station_jobs(url, [STATION], AS_OF) + jobs.assessment_jobs(url, [PROJECT], AS_OF)
            + jobs.district_jobs(url, ["云岭区"], AS_OF))
    formats = ("ipynb", "html", "pdf") if pdf else ("ipynb", "html")
    for result in batch.run_jobs(todo, base / "out", formats=formats, workers=2, progress=False):
        assert result.ok, result.error
        name = f"{result.job.kind} {result.job.target}"
        outputs[f"{name} ipynb"] = json.dumps(nbformat.read(result.files["ipynb"], as_version=4), ensure_ascii=False)
        outputs[f"{name} html"] = _drop_big_scripts(result.files["html"].read_text(encoding="utf-8"))
        if "pdf" in result.files:
            outputs[f"{name} pdf"] = subprocess.run(["pdftotext", str(result.files["pdf"]), "-"], capture_output=True,
                                                    text=True, check=True).stdout
        if "xlsx" in result.files:
            outputs[f"{name} 评分表"] = xlsx_text(result.files["xlsx"])
    src = dash_data.Source(url)
    outputs["dashboards data"] = "\n".join(f.to_csv(index=False) for f in src.ds.frames.values())
    mine = src.ds.cases[src.ds.cases["station_code"].isin(src.ds.descendants(STATION))]
    outputs["dashboards case timelines"] = "\n".join(
        dash_cases.case_timeline(src.ds, code, demo.AS_OF).to_csv(index=False) for code in mine["code"])
    overview = dash_cases.of_station(lifecycle.case_overview(src.ds, demo.AS_OF, dash_cases.RULES.cases), STATION)
    outputs["dashboards case choices"] = repr(dash_cases.case_choices(src.ds, overview))
    rules = dash_cases.RULES
    outputs["dashboards attention"] = dash_cases.attention_tables(
        src.ds, supervision.cases_needing_attention(src.ds, STATION, demo.AS_OF, rules=rules),
        supervision.groups_at_risk(src.ds, STATION, demo.AS_OF, rules=rules), supervision.action_items(src.ds, STATION, demo.AS_OF))
    pairs = dash_outcomes.analysis(src, demo.AS_OF).pairs
    outputs["dashboards outcome labels"] = dash_outcomes.labelled(src.ds, pairs).to_csv(index=False)
    return outputs


def scan_outputs(outputs: dict[str, str], secrets: dict) -> dict[str, list[str]]:
    return {name: hits(text, secrets, name.startswith(SUPERVISION_OUTPUTS)) for name, text in outputs.items()}


@pytest.fixture(scope="module")
def shared(tmp_path_factory, demo_ds):
    base = tmp_path_factory.mktemp("masking")
    ds, secrets = hostile(demo_ds)
    url = f"sqlite:///{base / 'hostile.db'}"
    storage.write_dataset(storage.connect(url), ds, prune=True, scope=None)
    return produce(url, base), secrets, base


# --- the rules, one by one ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, masked", [
    ("禤", "*"),  # one character: nothing shown
    ("武\u3000红", "武*"),  # two characters once the alignment space is gone
    ("燚\u200b鑫", "燚*"),  # zero-width space
    ("张小三", "张*三"),  # three: first and last
    ("亓官\u3000淼淼", "亓**淼"),  # four: first and last, one * per hidden character
    ("\uf90a\u3000燕", "金*"),  # compatibility ideograph folded (U+F90A → 金)
    ("Ｌｉ　Ｍｉｎｇ", "L****g"),  # full-width letters: L i M i n g, four hidden
    ("", ""),
])
def test_mask_name_counts_characters_after_normalising(name, masked):
    assert privacy.mask_name(name) == masked


def test_mask_name_is_idempotent():
    # Masking twice must not reveal more or change the form (reports mask an already masked dataset's names).
    for name in NAMES + STAFF_NAMES:
        once = privacy.mask_name(name)
        assert privacy.mask_name(once) == once


@pytest.mark.parametrize("text, expected", [
    ("电话 138 1234 5678", "电话 138****5678"),
    ("电话138-1234-5678。", "电话138****5678。"),
    ("电话１３８１２３４５６７８", "电话138****5678"),
    ("座机(0471)6251234", "座机(*******1234"),  # 11 digits from 0: landline keeps its last four
    ("座机０４７１－６２５１２３４", "座机*******1234"),
    ("本地 6251234 转", "本地 ***1234 转"),  # a 7-digit local number
    ("+86 13812345678", "+*********5678"),  # 13 digits: only the last four stay
    ("证件 150702 19900307 8123", "证件 150702************"),  # the region only: no birth date, no suffix
    ("证件15070219900307812x号", "证件150702************号"),
    ("旧证 150702900307812", "旧证 150702*********"),  # 15-digit ID
])
def test_mask_text_finds_phones_and_ids_in_any_typed_form(text, expected):
    assert privacy.mask_text(text) == expected


@pytest.mark.parametrize("text", [
    "2025-03-01 14:30 入户", "20250301 完成", "2025年3月5日", "经费1000000元", "参与 12 人，共 30 分钟", "第 3 节",
])
def test_mask_text_leaves_dates_and_quantities(text):
    assert privacy.mask_text(text) == text


def test_known_names_found_in_free_text_with_spaces_inside():
    names = privacy.People({privacy.fold(n) for n in ["武\u3000红", "亓官淼淼", "禤"]})
    # "武 红" (ASCII space) and "亓官　淼淼" (U+3000) are the same people; the one-character 禤 is not searched.
    assert privacy.mask_text("走访武 红和亓官　淼淼，禤某", names) == "走访武*和亓**淼，禤某"


def test_every_text_column_is_classified():
    # A new text column in the schema is scanned as free text unless it is declared a name or a label.
    from sgzlib.domain import schema

    names = {(f.table, f.column) for f in personal.name_fields()}
    for t in schema.TABLES:
        for c in t.columns:
            if c.kind != "text":
                continue
            kinds = [(t.name, c.name) in names, c.name in personal.LABELS.get(t.name, ()),
                     c.name in personal.FREE_TEXT.get(t.name, ())]
            assert sum(kinds) == 1, (t.name, c.name)


def test_masking_keeps_every_indicator_result(demo_ds):
    # Reports and evaluate compute on the masked dataset: codes are untouched, so the results must be identical.
    from sgzlib.indicators import evaluate

    ds, _ = hostile(demo_ds)
    plain = evaluate(ds, demo.AS_OF).results
    masked = evaluate(privacy.mask_dataset(ds), demo.AS_OF).results
    pd.testing.assert_frame_equal(plain, masked)


# --- every shared output, scanned -----------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.browser
def test_no_real_value_in_any_shared_output(shared):
    outputs, secrets, _ = shared
    # Every output the tests name must exist and carry data (a scan of an empty file proves nothing).
    expected = {"export --mask 全部", "outcomes json pairs", "evaluate xlsx", "station YL01 html", "station YL01 ipynb",
                "station YL01 pdf", "assessment P2025-YL01 评分表", "district 云岭区 html", "dashboards data"}
    assert expected <= set(outputs)
    assert all(len(outputs[k]) > 1000 for k in expected)
    # The star-spaced search is unambiguous only if no longer name's correct mask (first*…*last) spells a
    # two-character hostile name.
    every, spaced = secrets["name"] | secrets["professional"], secrets["spaced"] | secrets["spaced_professional"]
    assert not [m for m in every if len(m) >= 3 and m[0] + m[-1] in spaced]
    found = {name: h for name, h in scan_outputs(outputs, secrets).items() if h}
    assert found == {}


@pytest.mark.slow
@pytest.mark.browser
def test_the_linkage_audit_rebuilds_nothing_from_the_shared_outputs(shared, demo_ds):
    # The product's audit (``sgz privacy check``) on the same outputs: besides the values themselves, ID numbers
    # rebuilt from region + birth date + suffix, and the parts of a name or phone that outputs show put together.
    outputs, _, base = shared
    ds, _ = hostile(demo_ds)
    def read(name: str, text: str) -> privacy_audit.Output:
        audience = personal.SUPERVISION if name.startswith(SUPERVISION_OUTPUTS) else personal.EXTERNAL
        return privacy_audit.Output(name, audience, privacy_audit.html_text(text) if name.endswith("html") else text)

    read_all = [read(name, text) for name, text in outputs.items()]
    read_all += [privacy_audit.read_file(base / f, personal.EXTERNAL) for f in ("masked.xlsx", "masked-yl01.xlsx")]
    assert len(read_all) > 30 and read_all[-1].tables["beneficiaries"]["code"].str.startswith("YL01").all()
    assert privacy_audit.audit(read_all, privacy_audit.Secrets.of(ds)) == []


@pytest.mark.slow
@pytest.mark.browser
def test_scan_finds_values_when_they_are_there(shared, demo_ds):
    # The scan itself must be able to fail: an unmasked export of the same data shows every kind of value.
    outputs, secrets, base = shared
    ds, _ = hostile(demo_ds)
    from sgzlib import ledger

    ledger.export_workbook(ds, base / "plain.xlsx")
    found = hits(xlsx_text(base / "plain.xlsx"), secrets)
    assert {"武红", "亓官淼淼", "欧阳思颖", "燚鑫", "金燕", "LIMING", "蒯通", "司马迁", "东方朔", "禤督导"} <= set(found)
    assert secrets["phone"] <= set(found) and secrets["id"] <= set(found)


@pytest.mark.slow
@pytest.mark.browser
def test_one_character_names_show_no_character(shared):
    outputs, secrets, base = shared
    wb = openpyxl.load_workbook(base / "masked.xlsx", read_only=True)
    rows = list(wb["服务对象"].iter_rows(values_only=True))
    header = rows[0]
    code, name = header.index("对象编码"), header.index("姓名")
    shown = {r[code]: r[name] for r in rows[1:] if r[code] in secrets["one_char"]}
    wb.close()
    assert shown and set(shown.values()) == {"*"}
    pairs = json.loads(outputs["outcomes json pairs"])["pairs"]
    one = [p["name"] for p in pairs if p["beneficiary_code"] in secrets["one_char"]]
    assert one and set(one) == {"*"}


def _fold_char_by_char(text: str, drop_spaces: bool):
    """The fold of ``_folded_with_map`` written out character by character, without its shortcut."""
    chars, where = [], []
    for i, ch in enumerate(text):
        for out in unicodedata.normalize("NFKC", ch):
            cat = unicodedata.category(out)
            if out.isspace() or cat in ("Zs", "Zl", "Zp"):
                if not drop_spaces:
                    chars.append(" ")
                    where.append(i)
            elif cat not in ("Cf", "Cc"):
                chars.append(out)
                where.append(i)
    return "".join(chars), where


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from("张三 1386\u3000\u200b\uff11\uff0d-xX年月日，。ＡＢa\u00a0\u0301e\t\n\u2028①㎏"),
               max_size=30),
       st.booleans())
def test_folding_shortcut_gives_what_the_character_by_character_fold_gives(text, drop_spaces):
    folded, where = privacy.folded_with_map(text, drop_spaces)
    assert (folded, list(where)) == _fold_char_by_char(text, drop_spaces)


def test_staff_roles_are_labels_the_rules_match_on(demo_ds):
    """A person named like a 岗位 must not turn the role into a masked word: a staff rule counts 站长 by role."""
    frames = dict(demo_ds.frames)
    people = frames["beneficiaries"].copy()
    people.loc[people.index[0], "name"] = "站长"
    frames["beneficiaries"] = people
    ds = Dataset.__new__(Dataset)
    ds.frames = frames
    masked = privacy.mask_dataset(ds)
    assert masked["beneficiaries"]["name"].iloc[0] == "站*"
    roles = demo_ds["staff"]["role"]
    assert (roles == "站长").sum() > 0
    assert masked["staff"]["role"].tolist() == roles.tolist()
