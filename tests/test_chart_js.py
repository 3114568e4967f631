"""The dashboards' chart module (``sgzlib/dashboards/chart.js``) in Chromium, on a page of its own.

The page is the head of the sgz Voila template (its script tags) served from a made-up origin; the
module's ``render`` gets a stand-in for the widget model. Checked: the page asks for plotly.js only once
it has loaded (Voila starts on the load event, which waits for every script); a chart asked for after
the page's plotly.js has loaded draws at once; after it failed to load, the chart says so instead of
waiting forever; a chart redraws for a new width of its panel, once, and not for a new height.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import pytest

from sgzlib.dashboards import chart

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ORIGIN = "http://sgz.test"
STATIC = Path(chart.__file__).parent / "share" / "voila" / "templates" / "sgz" / "static"
TEMPLATE = STATIC.parent / "index.html.j2"


def _page_html() -> str:
    """The script tags of the template's head (the zh-CN locale, and the inline loader that adds the
    plotly.js tag on the window's load event), with their include_url calls resolved to /static/…"""
    head = TEMPLATE.read_text(encoding="utf-8")
    head = re.sub(r"\{#-?.*?-?#\}", "", head, flags=re.S)  # Jinja comments
    head = head[head.index("{%- block notebook_css -%}"):head.index("{%- endblock notebook_css -%}")]
    scripts = [s for s in re.findall(r"<script[ >].*?</script>", head, flags=re.S) if "include_js" not in s]
    urls = re.findall(r"resources\.include_url\('static/([^']+)'\)", "\n".join(scripts))
    assert urls == ["plotly-locale-zh-cn.js", "plotly-cartesian-4.1.1.min.js"], urls
    resolved = re.sub(r"\{\{ resources\.include_url\('(static/[^']+)'\) \}\}", r"/\1", "\n".join(scripts))
    return f"<!doctype html><html><head>{resolved}</head><body><div id='el'></div></body></html>"


def _server(plotly_answer: int = 200):
    """The made-up origin: the page, chart.js and the template's static files; plotly.js answers ``plotly_answer``."""
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
    return serve


@contextmanager
def chart_page(chromium: str, width: int, height: int = 800):
    """A Chromium page at the made-up origin (``_server``), its plotly.js loaded."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(30_000)
            page.route(f"{ORIGIN}/**", _server())
            page.goto(f"{ORIGIN}/")
            page.wait_for_function("document.getElementById('sgz-plotly').dataset.state === 'loaded'")
            yield page
        finally:
            browser.close()


TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 200))))"


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
    serve = _server(plotly_answer)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            page.route(f"{ORIGIN}/**", serve)
            # Whether plotly.js had been asked for when the page's own load event came.
            page.add_init_script("window.addEventListener('load', () => {"
                                 " window.plotlyAskedBeforeLoad = !!document.getElementById('sgz-plotly'); });")
            page.goto(f"{ORIGIN}/")
            assert page.evaluate("window.plotlyAskedBeforeLoad") is False
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


def test_a_chart_redraws_for_a_new_width_once_and_not_for_a_new_height(chromium):
    with chart_page(chromium, 1000) as page:
        page.evaluate("document.getElementById('el').style.width = '600px'")
        # Count the redraws (Plotly.Plots.resize is what chart.js calls for a new size).
        page.evaluate("""() => { window.resizes = 0; const original = Plotly.Plots.resize;
                                 Plotly.Plots.resize = (gd) => { window.resizes += 1; return original(gd); }; }""")
        page.evaluate(RENDER)
        page.locator("#el .js-plotly-plot").wait_for()
        page.evaluate(TWO_FRAMES)
        assert page.evaluate("document.querySelector('#el .main-svg').getAttribute('width')") == "600"
        # The panel grew taller as the plot was drawn in it: no redraw for that.
        assert page.evaluate("window.resizes") == 0
        page.evaluate("document.getElementById('el').style.height = '900px'")  # taller, same width
        page.evaluate(TWO_FRAMES)
        assert page.evaluate("window.resizes") == 0
        # Narrower three times within one frame: one redraw, at the last width.
        page.evaluate("""() => { const el = document.getElementById('el');
                                 el.style.width = '500px'; el.getBoundingClientRect();
                                 el.style.width = '450px'; el.getBoundingClientRect();
                                 el.style.width = '400px'; }""")
        page.evaluate(TWO_FRAMES)
        page.wait_for_function("document.querySelector('#el .main-svg').getAttribute('width') === '400'")
        assert page.evaluate("window.resizes") == 1


# Render into an element the page does not hold yet (the widget manager calls render before it puts the
# view in the page), count Plotly.react and Plotly.Plots.resize, then put the element in ``parent``.
RENDER_DETACHED = """async (parent) => {
  const { default: chart } = await import("/chart.js");
  window.reacts = 0; window.resizes = 0;
  const react = Plotly.react, resize = Plotly.Plots.resize;
  Plotly.react = (...args) => { window.reacts += 1; return react(...args); };
  Plotly.Plots.resize = (gd) => { window.resizes += 1; return resize(gd); };
  const spec = { data: [{ type: "bar", x: ["甲", "乙"], y: [3, 5] }], layout: { title: { text: "测试" } } };
  const el = document.createElement("div");
  el.id = "chart";
  chart.render({ model: { get: () => spec, on: () => {}, off: () => {} }, el });
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  window.drawnWhileDetached = window.reacts;
  document.getElementById(parent).appendChild(el);
}"""


@pytest.mark.parametrize("row", [False, True])
def test_a_chart_rendered_before_it_is_in_the_page_is_drawn_once_at_its_panels_width(chromium, row):
    """A panel 900 px wide: the plot is 900 px wide (plotly's default for an element outside the page
    is 700 px). A panel in a flex row, as wide as its content: the plot takes plotly's 700 px and is not
    drawn again for the width it gave its own panel."""
    with chart_page(chromium, 1200) as page:
        style = "display: flex; width: 1100px" if row else "width: 900px"
        page.evaluate(f"document.getElementById('el').style.cssText = '{style}'")
        page.evaluate(RENDER_DETACHED, "el")
        page.locator("#chart .js-plotly-plot").wait_for()
        page.evaluate(TWO_FRAMES)
        assert page.evaluate("window.drawnWhileDetached") == 0
        width = page.evaluate("document.querySelector('#chart .main-svg').getAttribute('width')")
        assert width == ("700" if row else "900")
        assert page.evaluate("[window.reacts, window.resizes]") == [1, 0]
