"""What the dashboards show and offer for download, as outputs for the linkage audit (``sgz privacy check``).

The boards read one masked dataset (``data.Source``, the dashboards' audience of ``domain.personal``); a
reader of the boards sees no more than that dataset, and downloads each station's tables (CSV and Excel
embedded in the page). Both are handed to ``store.privacy_audit`` as they would reach a reader.
"""

from __future__ import annotations

from ..analysis import supervision
from ..domain import personal
from ..domain.dates import require_date
from ..store import privacy_audit
from ..store.privacy_audit import Output
from . import cases, outcomes
from .data import Source


def downloads(db_url: str, as_of, stations: list[str]) -> list[Output]:
    """The boards' data, the outcome lists, and each station's attention tables (with their downloads) and caseload."""
    audience = personal.audience_of("dashboard")
    src = Source(db_url)
    when = require_date(as_of, "截至日期")
    found = [Output("看板数据", audience, "\n".join(f.to_csv(index=False) for f in src.ds.frames.values()))]
    labelled = outcomes.labelled(src.ds, outcomes.analysis(src, when).pairs)
    found.append(Output("服务成效看板：配对与变差名单", audience,
                        labelled.to_csv(index=False) + outcomes.worse_list(labelled).to_csv(index=False)))
    for code in stations:
        page = cases.attention_tables(src.ds, supervision.cases_needing_attention(src.ds, code, when, rules=cases.RULES),
                                      supervision.groups_at_risk(src.ds, code, when, rules=cases.RULES),
                                      supervision.action_items(src.ds, code, when))
        load = cases.caseload_table(src.ds, code, when)
        found.append(Output(f"个案与小组督导看板 {code}", audience,
                            privacy_audit.html_text(page) + "\n" + load.to_csv(index=False)))
    return found
