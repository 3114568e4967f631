"""Executed notebook → one self-contained HTML file: code hidden, plotly.js embedded, nothing fetched online."""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser

from ..runtime import resources

TEMPLATES = resources.path("reports", "templates")
# Tags whose URL attributes a browser fetches by itself (a plain link <a href> is not fetched).
FETCHING = {"script": "src", "img": "src", "iframe": "src", "link": "href", "source": "src", "video": "src",
            "audio": "src", "embed": "src", "object": "data", "input": "src", "track": "src"}
_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])\s*((?:https?:)?//[^"')\s]+)""", re.IGNORECASE)


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle shipped with the plotly package (embedded once per report)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


@lru_cache(maxsize=1)
def _exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="sgz", extra_template_basedirs=[str(TEMPLATES)], exclude_input=True,
                        exclude_input_prompt=True, exclude_output_prompt=True, mathjax_url="", require_js_url="")


def to_html(nb, title: str) -> str:
    """The HTML report of an executed notebook (``title`` goes into ``<title>``)."""
    nb.metadata["title"] = title
    html, _ = _exporter().from_notebook_node(nb, resources={"sgz_plotly_js": plotly_js(),
                                                            "metadata": {"name": title}})
    return html


class _Fetches(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        wanted = FETCHING.get(tag)
        for name in (wanted, "srcset", "poster", "background"):
            value = attrs.get(name) if name else None
            if value and _REMOTE.match(value):
                self.found.append(value)
        if attrs.get("style"):
            self.found += _CSS_URL.findall(attrs["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.found += _CSS_URL.findall(data)


def external_resources(html: str) -> list[str]:
    """Every http(s) or protocol-relative URL the page would make a browser fetch (scripts, styles, images, CSS)."""
    parser = _Fetches()
    parser.feed(html)
    return parser.found
