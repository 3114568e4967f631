"""The dashboards' chart module (``sgzlib/dashboards/chart.js``) in Chromium, on a page of its own.

The page is the head of the sgz Voila template (its two script tags) served from a made-up origin; the
module's ``render`` gets a stand-in for the widget model. Checked: a chart asked for after the page's
plotly.js has loaded draws at once; after it failed to load, the chart says so instead of waiting forever.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sgzlib.dashboards import chart

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ORIGIN = "http://sgz.test"
STATIC = Path(chart.__file__).parent / "share" / "voila" / "templates" / "sgz" / "static"
TEMPLATE = STATIC.parent / "index.html.j2"


def _page_html() -> str:
    """The template's plotly tags, with its include_url calls resolved to /static/…"""
    head = TEMPLATE.read_text(encoding="utf-8")
    tags = re.findall(r"<script [^>]*src=\"\{\{ resources\.include_url\('static/([^']+)'\) \}\}\"[^>]*>\s*</script>",
                      head)
    assert tags == ["plotly-locale-zh-cn.js", "plotly-cartesian-4.1.1.min.js"], tags
    scripts = re.sub(r"\{\{ resources\.include_url\('(static/[^']+)'\) \}\}", r"/\1",
                     "\n".join(re.findall(r"<script [^>]*src=\"\{\{ resources[^>]*>\s*</script>", head)))
    return f"<!doctype html><html><head>{scripts}</head><body><div id='el'></div></body></html>"


RENDER = """async () => {
  const { default: chart } = await import("/chart.js");
  const spec = { data: [{ type: "bar", x: ["甲", "乙"], y: [3, 5] }], layout: { title: { text: "测试" } } };
  const model = { get: () => spec, on: () => {}, off: () => {} };
  chart.render({ model, el: document.getElementById("el") });
}"""


@pytest.mark.parametrize("plotly_answer", [200, 404])
def test_a_chart_asked_for_after_the_pages_plotly_is_over_draws_or_says_why(chromium, plotly_answer):
    from playwright.sync_api import sync_playwright

    bundle = STATIC / "plotly-cartesian-4.1.1.min.js"

    def serve(route):
        path = route.request.url.removeprefix(ORIGIN)
        if path == "/":
            return route.fulfill(status=200, content_type="text/html", body=_page_html())
        if path == "/chart.js":
            return route.fulfill(status=200, content_type="text/javascript",
                                 body=Path(chart.__file__).with_name("chart.js").read_text(encoding="utf-8"))
        if path == f"/static/{bundle.name}" and plotly_answer != 200:
            return route.fulfill(status=plotly_answer, body="")
        if path.startswith("/static/"):
            return route.fulfill(status=200, content_type="text/javascript",
                                 body=(STATIC / path.removeprefix("/static/")).read_text(encoding="utf-8"))
        return route.fulfill(status=404, body="")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            page.route(f"{ORIGIN}/**", serve)
            page.goto(f"{ORIGIN}/")
            # The page's plotly tag is over (loaded or failed) before any chart asks for it.
            state = "loaded" if plotly_answer == 200 else "failed"
            page.wait_for_function(f"document.getElementById('sgz-plotly').dataset.state === '{state}'")
            page.evaluate(RENDER)
            if plotly_answer == 200:
                page.locator("#el .js-plotly-plot").wait_for()
                assert page.evaluate("document.querySelector('#el .js-plotly-plot').data[0].y") == [3, 5]
            else:
                message = page.locator("#el .sgz-empty")
                message.wait_for()
                assert message.inner_text() == f"图表程序没能加载（{ORIGIN}/static/{bundle.name}）"
        finally:
            browser.close()
