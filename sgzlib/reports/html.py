"""Executed notebook → an offline HTML file: code hidden, nothing fetched online.

plotly.js (about 4.6 MB) is not embedded in every report: each report names
``plotly-<version>.min.js`` by a relative ``<script src>``, and ``write_plotly``
puts that file once into the report's folder. A copied folder still opens
offline; ``standalone`` inlines the script again where one file travels alone
(a download from the workbench).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from ..runtime import resources
from ..store import outputs

TEMPLATES = resources.path("reports", "templates")
# Tags whose URL attributes a browser fetches by itself (a plain link <a href> is not fetched).
FETCHING = {"script": "src", "img": "src", "iframe": "src", "link": "href", "source": "src", "video": "src",
            "audio": "src", "embed": "src", "object": "data", "input": "src", "track": "src"}
_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])\s*((?:https?:)?//[^"')\s]+)""", re.IGNORECASE)


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle shipped with the plotly package (written once per report folder)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


@lru_cache(maxsize=1)
def plotly_file() -> str:
    """The shared script's file name, with plotly.js's version (a folder may keep reports of two versions)."""
    from plotly.offline import get_plotlyjs_version

    return f"plotly-{get_plotlyjs_version()}.min.js"


def plotly_tag() -> str:
    """The ``<script>`` a report's head carries: the shared file next to it, by a relative path."""
    return f'<script type="text/javascript" src="{plotly_file()}" charset="utf-8"></script>'


def write_plotly(folder: str | os.PathLike) -> Path:
    """Write the shared plotly.js into ``folder`` unless it is there already, whole; returns its path."""
    path = Path(folder) / plotly_file()
    data = plotly_js().encode("utf-8")
    if not (path.is_file() and path.stat().st_size == len(data)):
        with outputs.atomic(path) as partial:
            Path(partial).write_bytes(data)
    return path


def standalone(page: str, folder: str | os.PathLike) -> str:
    """``page`` (a report of ``folder``) with the shared plotly.js inlined: one file that opens offline alone."""
    tag = plotly_tag()
    if tag not in page or not (Path(folder) / plotly_file()).is_file():
        return page
    inline = f'<script type="text/javascript">{plotly_js()}</script>'
    return page.replace(tag, inline, 1)


@lru_cache(maxsize=1)
def _exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="sgz", extra_template_basedirs=[str(TEMPLATES)], exclude_input=True,
                        exclude_input_prompt=True, exclude_output_prompt=True, mathjax_url="", require_js_url="")


def to_html(nb, title: str) -> str:
    """The HTML report of an executed notebook (``title`` goes into ``<title>``); plotly.js by ``write_plotly``."""
    nb.metadata["title"] = title
    html, _ = _exporter().from_notebook_node(nb, resources={"sgz_plotly_tag": plotly_tag(),
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
