"""HTML report → PDF with Chromium (through Playwright), one browser for any number of reports.

The page is opened from the file with every network request refused; a
request to anything other than ``file:``/``data:``/``blob:`` is recorded and
reported, so an HTML report that is not fully offline is caught here too.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..runtime.browser import CHROMIUM_ARGS, chromium_path
from .html import plotly_js, plotly_tag

# A4 less 10 mm margins each side, in CSS pixels (96 per inch): what charts are laid out to.
PRINT_WIDTH_PX = 718
FOOTER = ('<div style="font-size:8px;width:100%;text-align:center;color:#607d8b;">'
          '第 <span class="pageNumber"></span> 页 / 共 <span class="totalPages"></span> 页</div>')
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
PLOTS_READY = ("() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
               ".every(d => d._fullLayout && d.querySelector('.main-svg'))")
# Swap a report into the page that already holds plotly.js: the report's head styles (plotly's own global
# style stays), the whole body, and re-run the body's inline scripts (the figures). Evaluating plotly.js costs seconds; this pays it once per browser.
SWAP = """async (html) => {
  const doc = new DOMParser().parseFromString(html, "text/html");
  document.querySelectorAll(".plotly-graph-div").forEach(d => window.Plotly && Plotly.purge(d));
  document.head.querySelectorAll("[data-sgz-report]").forEach(n => n.remove());
  doc.head.querySelectorAll("style, title").forEach(n => {
    const copy = document.importNode(n, true);
    copy.setAttribute("data-sgz-report", "");
    document.head.appendChild(copy);
  });
  document.body.replaceWith(document.importNode(doc.body, true));
  for (const old of Array.from(document.body.querySelectorAll("script"))) {
    const s = document.createElement("script");
    for (const a of old.attributes) s.setAttribute(a.name, a.value);
    s.text = old.text;
    old.replaceWith(s);
  }
  await document.fonts.ready;
}"""
# Start from a fresh page now and then, so a long batch does not accumulate memory in one page.
PAGE_REUSE = 25


class PdfRenderer:
    """A Chromium kept open to print many HTML files; use as a context manager, from one thread."""

    def __init__(self, executable: str | None = None, timeout_ms: int = 60_000, plotly_js: str | None = None):
        self.executable = executable
        self.timeout_ms = timeout_ms
        self._pw = self._browser = None
        self._page = None
        self._uses = 0
        self._blocked: list[str] = []
        self._plotly_js = plotly_js
        self._tmp = tempfile.TemporaryDirectory(prefix="sgz-pdf-")

    def start(self) -> PdfRenderer:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(executable_path=self.executable or chromium_path(),
                                                 args=CHROMIUM_ARGS)
        self._shell()  # evaluate plotly.js now, while the notebooks run
        self._uses = 0
        return self

    def render(self, html_path: str | os.PathLike, pdf_path: str | os.PathLike) -> list[str]:
        """Print ``html_path`` to ``pdf_path`` (A4, page numbers); returns the URLs it tried to fetch (refused).

        A report that names the shared plotly.js (``html.plotly_tag``) or embeds the same plotly.js as the
        renderer's page is swapped into that page; any other HTML file is opened on its own.
        """
        if self._browser is None:
            self.start()
        html = Path(html_path).read_text(encoding="utf-8")
        script = next((s for s in (plotly_tag(), f'<script type="text/javascript">{self.plotly_js}</script>')
                       if s in html), None)
        if script is not None:
            page = self._shell()
            self._blocked.clear()
            page.evaluate(SWAP, html.replace(script, "", 1))
            self._print(page, pdf_path)
            return list(self._blocked)
        page, blocked = self._new_page()
        try:
            page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
            self._print(page, pdf_path)
        finally:
            page.close()
        return blocked

    @property
    def plotly_js(self) -> str:
        if self._plotly_js is None:
            self._plotly_js = plotly_js()
        return self._plotly_js

    def _new_page(self):
        blocked: list[str] = []
        page = self._browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
        page.set_default_timeout(self.timeout_ms)

        def guard(route):
            url = route.request.url
            if url.startswith(LOCAL_SCHEMES):
                route.continue_()
            else:
                blocked.append(url)
                route.abort()

        page.route("**/*", guard)
        return page, blocked

    def _shell(self):
        if self._page is not None and self._uses >= PAGE_REUSE:
            self._page.close()
            self._page = None
        if self._page is None:
            shell = Path(self._tmp.name) / "shell.html"
            shell.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"><script type="text/javascript">'
                             f'{self.plotly_js}</script></head><body></body></html>', encoding="utf-8")
            self._page, self._blocked = self._new_page()
            self._page.goto(shell.as_uri(), wait_until="load")
            self._uses = 0
        self._uses += 1
        return self._page

    def _print(self, page, pdf_path) -> None:
        page.wait_for_function(PLOTS_READY)
        page.emulate_media(media="print")
        page.pdf(path=str(pdf_path), format="A4", print_background=True, display_header_footer=True,
                 header_template="<div></div>", footer_template=FOOTER,
                 margin={"top": "12mm", "bottom": "14mm", "left": "10mm", "right": "10mm"})

    def close(self) -> None:
        self._page = None
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._pw is not None:
            self._pw.stop()
            self._pw = None
        self._tmp.cleanup()

    def __enter__(self) -> PdfRenderer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


