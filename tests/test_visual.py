"""Visual checks of the printed reports (issue 13): each report of the demo district rendered to PDF, every page
turned into a PNG kept under ``test-output/visual/`` (a CI artefact), and what can be checked automatically:

- no chart without data (the figure JSON of every chart in the executed notebook);
- no heading as the last block of a page (the PDF's text layout, read with pdfplumber);
- no right-aligned table text unless it is a number (computed styles of the HTML in Chromium);
- every piece of chart and table text at least 9 pt at print size (the PDF's character sizes).
"""

from __future__ import annotations

import base64
import logging
import re
import shutil
import unicodedata
from pathlib import Path

import nbformat
import numpy as np
import pdfplumber
import pytest

from sgzlib.demo import district as demo
from sgzlib.reports import batch, jobs
from sgzlib.store import storage

TEST_OUTPUT = Path(__file__).resolve().parent.parent / "test-output"  # as in conftest.py (two conftest modules exist)

pytestmark = [pytest.mark.slow, pytest.mark.browser]
OUT = TEST_OUTPUT / "visual"
MIN_PT = 8.95  # 9 pt, less rounding in the PDF's text matrix
HEADING_PT = 11.9  # h1 (18 pt), h2 (14.25 pt), h3 (12 pt); body 10.5 pt, tables 9.4 pt, chart titles 11.25 pt
FOOTER_MM = 14  # the page-number footer lives in the bottom margin
NUMBER = re.compile(r"^[\s\d.,%+\-−/：:~↑—]*$")
logging.getLogger("pdfminer").setLevel(logging.ERROR)


@pytest.fixture(scope="module")
def reports(tmp_path_factory, demo_ds, chromium):
    """Station report (YL01, 60 indicators), assessment (P2025-YL03, with the example scheme), district overview."""
    base = tmp_path_factory.mktemp("visual")
    url = f"sqlite:///{base / 'demo.db'}"
    storage.write_dataset(storage.connect(url), demo_ds, prune=True, scope=None)
    example = str(Path(__file__).resolve().parent.parent / "sgzlib" / "data" / "scoring-example.yaml")
    todo = (jobs.station_jobs(url, ["YL01"], demo.AS_OF.isoformat())
            + jobs.assessment_jobs(url, ["P2025-YL03"], "2025-12-31", scoring=example)
            + jobs.assessment_jobs(url, ["P2025-YL01"], "2025-12-31")
            + jobs.district_jobs(url, ["云岭区"], demo.AS_OF.isoformat()))
    results = batch.run_jobs(todo, base / "out", workers=2, progress=False)
    for r in results:
        assert r.ok, r.error
    OUT.mkdir(parents=True, exist_ok=True)
    out = {}
    for r in results:
        name = f"{r.job.kind}_{r.job.target}"
        shutil.copy(r.files["pdf"], OUT / f"{name}.pdf")
        _pngs(r.files["pdf"], name)
        out[name] = r
    return out


def _pngs(pdf_path, name: str) -> None:
    """Every page as a PNG at 60 dpi (what a person looks at), kept as a CI artefact."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf_path))
    for i in range(len(doc)):
        doc[i].render(scale=60 / 72).to_pil().save(OUT / f"{name}-p{i + 1:02d}.png")
    doc.close()


def _array(value):
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return value


def _figures(result) -> list[dict]:
    nb = nbformat.read(result.files["ipynb"], as_version=4)
    return [o["data"]["application/vnd.plotly.v1+json"] for c in nb.cells for o in c.get("outputs", [])
            if "application/vnd.plotly.v1+json" in o.get("data", {})]


def _has_data(trace: dict) -> bool:
    for key in ("z", "x", "y"):
        values = _array(trace.get(key))
        if values is None:
            continue
        flat = np.asarray(values, dtype=object).ravel()
        if any(v is not None and not (isinstance(v, float) and np.isnan(v)) for v in flat):
            return True
    return False


def _lines(height, chars):
    """Text lines of a page (its height and characters): (top, size, text), top to bottom, without the footer."""
    limit = height - FOOTER_MM / 25.4 * 72
    rows: dict[int, list] = {}
    for ch in chars:
        if ch["top"] < limit and ch["text"].strip():
            rows.setdefault(round(ch["top"]), []).append(ch)
    return [(top, max(c["size"] for c in chars), "".join(c["text"] for c in sorted(chars, key=lambda c: c["x0"])))
            for top, chars in sorted(rows.items())]


@pytest.fixture(scope="module")
def pdf_pages(reports):
    """Each report's PDF pages as (height, chars), parsed once with pdfplumber: parsing every page is the slow
    part, and the heading and the 9 pt checks read the same characters of the same files."""
    out = {}
    for name, result in reports.items():
        with pdfplumber.open(result.files["pdf"]) as pdf:
            out[name] = [(page.height, page.chars) for page in pdf.pages]
    return out


def test_pages_are_kept_as_pngs(reports):
    for name in reports:
        assert sorted(OUT.glob(f"{name}-p*.png")), name


def test_no_chart_without_data(reports):
    for name, result in reports.items():
        figs = _figures(result)
        assert figs, name
        for fig in figs:
            title = fig["layout"].get("title", {}).get("text", "")
            assert any(_has_data(t) for t in fig["data"]), f"{name}: 图表「{title}」没有数据"


def test_no_heading_is_the_last_block_of_a_page(reports, pdf_pages):
    assert set(pdf_pages) == set(reports)
    for name, pages in pdf_pages.items():
        for number, (height, chars) in enumerate(pages[:-1], 1):
            lines = _lines(height, chars)
            if not lines:
                continue
            top, size, text = lines[-1]
            assert size < HEADING_PT, f"{name} 第 {number} 页以标题「{text}」结尾"


def _rotated(ch) -> bool:
    return abs(ch["matrix"][1]) > 1e-3  # pdfplumber's size of a rotated glyph is its box, not its font size


def test_text_is_at_least_9pt_at_print_size(reports, pdf_pages):
    assert set(pdf_pages) == set(reports)
    for name, pages in pdf_pages.items():
        assert pages, name
        for number, (height, chars) in enumerate(pages, 1):
            limit = height - FOOTER_MM / 25.4 * 72
            small = [(ch["text"], round(ch["size"], 1)) for ch in chars
                     if ch["top"] < limit and ch["text"].strip() and not _rotated(ch) and ch["size"] < MIN_PT]
            assert not small, f"{name} 第 {number} 页有小于 9 pt 的文字：{small[:8]}"


def _font_sizes(fig: dict):
    """Every font size a figure sets (layout, axes, legend, colour bars, annotations, trace text)."""
    layout = fig["layout"]
    yield "layout", layout.get("font", {}).get("size")
    for key, axis in layout.items():
        if key.startswith(("xaxis", "yaxis")):
            yield f"{key}.tickfont", axis.get("tickfont", {}).get("size")
            yield f"{key}.title", axis.get("title", {}).get("font", {}).get("size")
    yield "legend", layout.get("legend", {}).get("font", {}).get("size")
    for a in layout.get("annotations", []):
        yield "annotation", a.get("font", {}).get("size")
    for t in fig["data"]:
        yield f"{t.get('type')}.textfont", t.get("textfont", {}).get("size")


def test_chart_fonts_are_at_least_9pt_at_print_size(reports):
    from sgzlib.reports.pdf import PRINT_WIDTH_PX

    for name, result in reports.items():
        for fig in _figures(result):
            title = fig["layout"].get("title", {}).get("text", "")
            # charts are laid out at the printable width, so 1 CSS px prints at 0.75 pt: 12 px = 9 pt
            assert fig["layout"].get("width") in (None, PRINT_WIDTH_PX) or fig["layout"]["width"] <= PRINT_WIDTH_PX
            small = [(where, size) for where, size in _font_sizes(fig) if size is not None and size * 0.75 < 9]
            assert not small, f"{name}「{title}」：{small}"


def test_table_text_is_left_aligned_unless_numeric(reports, chromium):
    from playwright.sync_api import sync_playwright

    from sgzlib.runtime.browser import CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 718, "height": 1000})
            for name, result in reports.items():
                page.goto(result.files["html"].as_uri())
                cells = page.evaluate("""() => Array.from(document.querySelectorAll('table.sgz-table td'))
                    .map(td => [td.textContent.trim(), getComputedStyle(td).textAlign])""")
                # a header may sit right only over a column of numbers
                heads = page.evaluate("""() => Array.from(document.querySelectorAll('table.sgz-table th')).map(th => {
                    const i = th.cellIndex, rows = th.closest('table').querySelectorAll('tbody tr');
                    return [th.textContent.trim(), getComputedStyle(th).textAlign,
                            Array.from(rows).map(r => r.cells[i] ? r.cells[i].textContent.trim() : '')]; })""")
                assert cells, name
                wrong = [(t, a) for t, a in cells if a in ("right", "end") and not NUMBER.match(t)]
                wrong += [(t, a) for t, a, column in heads
                          if a in ("right", "end") and not all(NUMBER.match(v) for v in column)]
                assert not wrong, f"{name}: 右对齐的文字 {wrong[:5]}"
                page.screenshot(path=str(OUT / f"{name}-html.png"), full_page=False)
        finally:
            browser.close()


# -- issue 30: tables that fit the page and print whole, bars and boxes that show ---------------------------------

TABLES_FIT = """() => { const W = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll('table')).map(t => {
    const r = t.getBoundingClientRect();
    return [Math.round(r.left), Math.round(r.right), W,
            Array.from(t.querySelectorAll('th')).map(th => th.textContent.trim()).join('|').slice(0, 60)]; })
    .filter(x => x[1] > x[2] + 0.5 || x[0] < -0.5); }"""


def _cells(html: str) -> list[str]:
    """The text of every table cell of a report, whitespace removed (what a reader must find on paper)."""
    from html.parser import HTMLParser

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.cells, self.buf = [], None

        def handle_starttag(self, tag, attrs):
            if tag in ("td", "th"):
                self.buf = []

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.buf is not None:
                self.cells.append(re.sub(r"\s+", "", "".join(self.buf)))
                self.buf = None

        def handle_data(self, data):
            if self.buf is not None:
                self.buf.append(data)

    parser = Cells()
    parser.feed(html)
    return [c for c in parser.cells if c]


def test_no_table_is_wider_than_its_page(reports, chromium):
    """Measured in Chromium at the printable width with the print styles (section 四's 是否计入 and the
    outcomes table's 说明 ran off the page before)."""
    from playwright.sync_api import sync_playwright

    from sgzlib.reports.pdf import PRINT_WIDTH_PX
    from sgzlib.runtime.browser import CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
            page.emulate_media(media="print")
            for name, result in reports.items():
                page.goto(result.files["html"].as_uri())
                assert page.evaluate(TABLES_FIT) == [], name
        finally:
            browser.close()


def test_every_table_cell_prints(reports, pdftotext):
    """Every cell text of every table is in the PDF's text (a cut column loses its text)."""
    import subprocess

    for name, result in reports.items():
        text = re.sub(r"\s+", "", subprocess.run([pdftotext, "-raw", str(result.files["pdf"]), "-"], check=True,
                                                 capture_output=True, text=True).stdout)
        cells = _cells(result.files["html"].read_text(encoding="utf-8"))
        missing = [c for c in cells if c not in text]
        assert len(cells) > 100 and not missing, f"{name}: {missing[:5]}"


def test_a_zero_bar_shows_its_status_on_screen(reports, chromium):
    """In the station report's progress chart every bar, 0 % ones too, is at least 2 px wide in its status colour."""
    from playwright.sync_api import sync_playwright

    from sgzlib.reports.pdf import PRINT_WIDTH_PX
    from sgzlib.runtime.browser import CHROMIUM_ARGS

    result = reports["station_YL01"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
            page.goto(result.files["html"].as_uri())
            page.wait_for_function("() => document.querySelectorAll('.plotly-graph-div .bars path').length > 0")
            widths = page.evaluate("""() => Array.from(document.querySelectorAll('.plotly-graph-div'))
                .filter(d => (d.layout.title.text || '').startsWith('指标完成进度'))
                .flatMap(d => Array.from(d.querySelectorAll('.bars .point path'))
                .map(p => [p.getBBox().width, getComputedStyle(p).fill]))""")
        finally:
            browser.close()
    assert len(widths) >= 40 and min(w for w, _ in widths) >= 2, sorted(widths)[:3]
    assert all(fill != "none" for _, fill in widths)


def test_a_rule_box_is_never_split_between_pages(reports, pdf_pages):
    """The district overview's visit rule prints on one page (it was split in two)."""
    from sgzlib.reports.district import VISIT_RULE

    # NFKC: the CJK font's ToUnicode maps some glyphs to Kangxi radicals (⼀ for 一, ⽐ for 比), which pdfplumber
    # passes on; they decompose to the ideographs the reader sees
    rule = unicodedata.normalize("NFKC", re.sub(r"\s+", "", VISIT_RULE))
    pages = [unicodedata.normalize("NFKC", "".join(c["text"] for c in chars if c["text"].strip()))
             for _, chars in pdf_pages["district_云岭区"]]
    assert sum(rule in page for page in pages) == 1
