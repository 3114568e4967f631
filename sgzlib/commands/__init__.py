"""Subcommands of ``sgz``, one module each, listed here by what the user is doing.

``GROUPS`` is the one list of commands: ``sgz --help`` prints it without importing any command module (a
command module imports what its command needs, e.g. Voila for ``sgz dashboard``: seconds of start-up), and
each module's parser takes its one-line help from it (``summary``).
"""

from __future__ import annotations

# (group title, ((command, module, one-line help), …)), in the order a newcomer meets them
GROUPS = (
    ("台账：从站点收集数据", (
        ("template", "template", "生成空白台账模板（.xlsx）"),
        ("import", "import_", "导入台账工作簿（.xlsx），有任何错误则整体不写入"),
        ("export", "export", "把数据库导出为台账工作簿（与导入格式相同）"),
        ("photos", "photos", "照片佐证：建立照片索引、核查照片"),
    )),
    ("评估与分析：看站点进展", (
        ("evaluate", "evaluate", "按指标清单评估项目：实际值、目标、应达值、状态、得分"),
        ("explain", "explain", "解释一个指标：哪些记录计入、哪些未计入及原因"),
        ("outcomes", "outcomes", "服务对象前后测成效：配对、检验、可靠变化、变差和缺后测名单"),
        ("spending", "spending", "经费核查复核：评估方撤销或维持一条经费提示"),
    )),
    ("报告与看板：给督导、项目负责人和评估方", (
        ("report", "report", "生成督导报告、年终评估、区县概览、督导简报（ipynb、离线 HTML、PDF）"),
        ("index", "index", "重建报告目录页（out/index.html）并列出已生成的报告"),
        ("dashboard", "dashboard", "打开看板（项目进度、服务成效、个案与小组督导），在浏览器中查看"),
        ("lab", "lab", "在 JupyterLab 中分析：打开工作台文件夹，内含分析范例笔记本"),
    )),
    ("管理与维护", (
        ("demo", "demo", "生成示范区（云岭区）演示数据并写入数据库"),
        ("access", "access", "访问控制：按用户与角色文件设置 PostgreSQL 账号、站点范围与脱敏"),
        ("audit", "audit", "查看操作记录：谁在何时导入、导出、生成报告或修改权限"),
        ("privacy", "privacy", "个人信息保护：检查脱敏输出能否被还原（隐私关联检查）"),
        ("hub", "hub", "多用户看板（JupyterHub）的设置：看板登录密码（只存哈希）"),
        ("doctor", "doctor", "检查运行环境：数据库、PDF 浏览器与中文字体、Jupyter 内核、输出目录"),
        ("repair-db", "repair_db", "补全建库被中断的数据库（补建缺少的表、记下版本，已有数据保留）"),
    )),
)
MODULES = {name: module for _, commands in GROUPS for name, module, _ in commands}
SUMMARIES = {name: text for _, commands in GROUPS for name, _, text in commands}


def summary(name: str) -> str:
    """The one-line help of command ``name`` (as ``sgz --help`` lists it)."""
    return SUMMARIES[name]
