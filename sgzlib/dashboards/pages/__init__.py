"""The pages of the workbench in the browser: which exist, who may use them, and how a page notebook shows one.

``PAGES`` is the one registry: each page's name (its notebook is ``<name>.ipynb``), Chinese title, the roles
of the access file (``store.access.ROLES``) that may use it, what the home page says about it, the function
that builds it (``build(session) -> ipywidgets.Widget``), and whether its kernel is preheated. The server
serves only the notebooks of the pages its user's role may use (``prepare_root``) and refuses the others'
addresses (``voila_main``); ``shell.show`` checks again in the kernel. A page notebook is one cell::

    from sgzlib.dashboards import shell
    shell.show("upload")

Adding a page: its module in this package (or a board module) with ``build(session)``, its notebook next to
the other dashboard notebooks, and a ``Page`` here.
"""

from __future__ import annotations

import importlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from ...actions.roles import MAY
from ...store.access import ROLES

EVERYONE = frozenset(ROLES)
ADMIN = "管理员"


@dataclass(frozen=True)
class Page:
    """One page: ``name`` (URL and notebook), ``title``, the roles that may use it, and where it is built."""

    name: str
    title: str
    roles: frozenset[str]
    blurb: str
    builder: str  # "module:function", the function taking the session and returning the page's widget
    pooled: bool = False  # a kernel preheated (the boards and the home page); action pages start on visit
    action: bool = False  # one of the things a role does (listed first on the home page)

    @property
    def notebook(self) -> str:
        return f"{self.name}.ipynb"

    def allows(self, role: str) -> bool:
        return role == ADMIN or role in self.roles

    def build(self, session):
        module, function = self.builder.split(":")
        return getattr(importlib.import_module(module), function)(session)


def _roles(*names: str) -> frozenset[str]:
    unknown = [n for n in names if n not in ROLES]
    if unknown:
        raise ValueError(f"unknown roles {unknown}")
    return frozenset(names) | {ADMIN}


PAGES: tuple[Page, ...] = (
    Page("home", "社工站工作台", EVERYONE, "本人可以做的事和可以看的看板。", "sgzlib.dashboards.pages.home:build", pooled=True),
    Page("upload", "上传台账", _roles("站点社工", "项目负责人"),
         "上传本站的台账工作簿：先检查，列出全部错误或各工作表将新增、修改、删除的行，确认后导入数据库。",
         "sgzlib.dashboards.pages.upload:build", action=True),
    Page("supervision", "督导记录", _roles(*MAY["record"][0]),
         "选择社工站，按督导报告的建议议程记录本次督导：讨论情况、决定、行动项（责任人和期限）；更新行动项的完成情况。",
         "sgzlib.dashboards.pages.supervision:build", action=True),
    Page("verify", "评估核验", _roles(*MAY["verify"][0]),
         "逐项核验待核验的检查项（附清单原文）：标记已核验或不符合，写明日期和说明，可附佐证文件；下次评估即按核验结论计算。",
         "sgzlib.dashboards.pages.verify:build", action=True),
    Page("scoring", "评分与签字", _roles(*MAY["score"][0]),
         "上传评分细则，逐项打分，下载评分表；签字确认评估结果。之后的导入若会改变已签字的数字，这里会告诉您改变了什么。",
         "sgzlib.dashboards.pages.scoring:build", action=True),
    Page("reports", "报告", EVERYONE,
         "生成督导报告、年终评估、督导简报或区县概览（在后台运行，可继续使用页面），下载已生成的 HTML、PDF 和 Excel。",
         "sgzlib.dashboards.pages.reports:build", action=True),
    Page("progress", "项目进度看板", EVERYONE,
         "按区县、指标清单、截至日期和领域查看各社工站的指标完成情况：站点 × 指标状态，实际值、应达值与目标值，需跟进的指标。",
         "sgzlib.dashboards.pages.boards:progress", pooled=True),
    Page("outcomes", "服务成效看板", EVERYONE,
         "按量表、领域、社工站和服务方式查看前后测变化、统计检验和可靠变化指数（姓名已遮蔽）。",
         "sgzlib.dashboards.pages.boards:outcomes", pooled=True),
    Page("cases", "个案与小组督导看板", EVERYONE,
         "一个社工站的个案和小组在各阶段的分布、需关注清单（停滞、文书缺失），以及单个个案的服务经过。",
         "sgzlib.dashboards.pages.boards:cases", pooled=True),
)
BY_NAME = {p.name: p for p in PAGES}
HOME = "home"


def page(name: str) -> Page:
    return BY_NAME[name]


def allowed(role: str) -> list[Page]:
    """The pages ``role`` may use, in the registry's order."""
    return [p for p in PAGES if p.allows(role)]


def refused(role: str) -> list[Page]:
    """The pages ``role`` may not use (their addresses are refused by the server)."""
    return [p for p in PAGES if not p.allows(role)]


def prepare_root(role: str, source: Path, dest: Path) -> list[Page]:
    """Fill ``dest`` with the notebooks of the pages ``role`` may use (copied from ``source``), nothing else.

    The server's root: a page the role may not use has no notebook there, so it is neither preheated nor
    served. Anything else in ``dest`` is removed first (a server restarted for a user whose role changed).
    """
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.iterdir():
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink()
    mine = allowed(role)
    for p in mine:
        shutil.copyfile(source / p.notebook, dest / p.notebook)
    return mine

