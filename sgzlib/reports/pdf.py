"""HTML report → PDF with Chromium (through Playwright), one browser for any number of reports.

The page is opened from the file with every network request refused; a
request to anything other than ``file:``/``data:``/``blob:`` is recorded and
reported, so an HTML report that is not fully offline is caught here too.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import ConfigError

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
# A4 less 10 mm margins each side, in CSS pixels (96 per inch): what charts are laid out to.
PRINT_WIDTH_PX = 718
FOOTER = ('<div style="font-size:8px;width:100%;text-align:center;color:#607d8b;">'
          '第 <span class="pageNumber"></span> 页 / 共 <span class="totalPages"></span> 页</div>')
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


def chromium_path() -> str:
    """``$SGZ_CHROMIUM``, else Debian's ``/usr/bin/chromium``, else ``chromium`` on the PATH."""
    for candidate in (os.environ.get("SGZ_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    raise ConfigError("找不到 Chromium 浏览器，无法生成 PDF：请安装 chromium（Debian：apt-get install chromium "
                      "fonts-noto-cjk），或用环境变量 SGZ_CHROMIUM 指定其路径，或只生成 HTML（--format ipynb,html）")


class PdfRenderer:
    """A Chromium kept open to print many HTML files; use as a context manager, from one thread."""

    def __init__(self, executable: str | None = None, timeout_ms: int = 60_000):
        self.executable = executable
        self.timeout_ms = timeout_ms
        self._pw = self._browser = None

    def start(self) -> PdfRenderer:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(executable_path=self.executable or chromium_path(),
                                                 args=CHROMIUM_ARGS)
        return self

    def render(self, html_path: str | os.PathLike, pdf_path: str | os.PathLike) -> list[str]:
        """Print ``html_path`` to ``pdf_path`` (A4, page numbers); returns the URLs it tried to fetch (refused)."""
        if self._browser is None:
            self.start()
        blocked: list[str] = []
        page = self._browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
        try:
            page.set_default_timeout(self.timeout_ms)

            def guard(route):
                url = route.request.url
                if url.startswith(LOCAL_SCHEMES):
                    route.continue_()
                else:
                    blocked.append(url)
                    route.abort()

            page.route("**/*", guard)
            page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
            page.wait_for_function("() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
                                   ".every(d => d._fullLayout && d.querySelector('.main-svg'))")
            page.emulate_media(media="print")
            page.pdf(path=str(pdf_path), format="A4", print_background=True, display_header_footer=True,
                     header_template="<div></div>", footer_template=FOOTER,
                     margin={"top": "12mm", "bottom": "14mm", "left": "10mm", "right": "10mm"})
        finally:
            page.close()
        return blocked

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._pw is not None:
            self._pw.stop()
            self._pw = None

    def __enter__(self) -> PdfRenderer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
