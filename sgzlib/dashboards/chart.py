"""A dashboard chart: one plotly figure, redrawn in place when a filter changes.

The figure travels as plotly's JSON (the same as its MIME bundle, typed arrays included) in the
widget's ``spec``; the browser side (``chart.js``, an anywidget module) draws it with
``Plotly.react``, which changes the plot that is there instead of building a new one. The page
loads a plotly.js of the traces the boards use (the cartesian bundle, a third of the full one) with
its Chinese locale, from the sgz Voila template, so a dashboard never loads the 4.8 MB full bundle of
the jupyterlab-plotly extension (``server.LAB_EXTENSIONS_LEFT_OUT``).
"""

from __future__ import annotations

import json
from pathlib import Path

import anywidget
import plotly.graph_objects as go
import plotly.io as pio
import traitlets

# Every chart can be saved as PNG (the camera button of the mode bar, shown when the pointer is on the chart,
# so it never covers the title of a printed or captured page); the mode bar speaks Chinese.
PLOTLY_CONFIG = {"displaylogo": False, "locale": "zh-CN", "responsive": True,
                 "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
                 "toImageButtonOptions": {"format": "png", "filename": "sgz-图表", "scale": 2}}


def spec_json(fig: go.Figure) -> str:
    """The figure with our chart config as plotly JSON: what a chart shows, and how to tell two apart."""
    spec = fig.to_dict()
    spec["config"] = PLOTLY_CONFIG
    return pio.to_json(spec, validate=False, remove_uids=False)


class Chart(anywidget.AnyWidget):
    """A plotly figure in the browser, redrawn in place (``Plotly.react``) when ``spec`` changes."""

    _esm = Path(__file__).with_name("chart.js")
    spec = traitlets.Dict().tag(sync=True)

    def show(self, spec_text: str) -> None:
        self.spec = json.loads(spec_text)
