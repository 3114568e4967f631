"""Writes the committed test workbooks of this folder (see README.md). Run from the repository root:

    .venv/bin/python tests/data/make_workbooks.py

``wps_merged_titles.xlsx`` is written directly; ``libreoffice_station.xlsx``
is written to a temporary file and then re-saved by LibreOffice
(``libreoffice --headless --convert-to xlsx``), which is what gets committed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent


def libreoffice_source(path: Path) -> Path:
    """A station ledger with the contract's quirks, as a station worker would type it."""
    wb = Workbook()
    ws = wb.active
    ws.title = "社工站"
    ws.append(["站点编码", "站点名称", "层级", "上级站点编码", "所属区县", "承接机构"])
    ws.append(["LO01", "丙街道社会工作服务站", "街道站", None, "测试区", "丙社工事务所"])
    ws = wb.create_sheet("项目")
    ws.append(["项目编码", "站点编码", "年度", "开始日期", "结束日期", "合同金额（万元）", "指标清单"])
    ws.append(["P-LO01", "LO01", 2025, "2025/1/1", "2025年12月31日", 20, "panzhihua-2021"])
    ws = wb.create_sheet("服务对象名册")
    ws.append(["对象编码", "姓名", "性别", "出生日期", "联系电话", "站点编码", "对象类别", "纳入日期", "跟踪回访"])
    ws.append([1, "周一", "女", "1948.5.6", 13900001111, "LO01", "老人", "2025-01-02", "√"])
    ws.append([2, "吴二", "男", "２０１５年６月１日", None, "LO01", "儿童", 45659, "N"])  # serial 45659 = 2025-01-02
    for row in (2, 3):
        ws.cell(row, 1).number_format = "0000"
    ws = wb.create_sheet("2025年服务记录台账")
    ws.append(["2025年丙街道社工站服务记录台账"])
    ws.merge_cells("A1:L1")
    ws.append(["序号", "记录编号", "站点编码", "服务\n日期", "领域", "服务类别", "服务对象编码", "参与人次（人次）",
               "地点", "内容摘要", "水印照片", "是否已上传中国社会工作网"])
    ws.append([1, "LO-S001", "LO01", "2025.3.5", "养老", "关爱帮扶", "0001", "=1+1", "　社区　", "入户探访",
               "a.jpg，b.jpg", "是"])
    ws.append([None] * 12)
    ws.append([2, "LO-S002", "LO01", "2025年4月8日", "儿童", "政策宣传", "0001、0002", "３", "学校", "防溺水宣传",
               None, "TRUE"])
    ws.append(["合计", None, None, None, None, None, None, "=SUM(H3:H5)"])
    wb.save(path)
    return path


def wps_merged_titles(path: Path) -> Path:
    """A 小组 and 小组活动 ledger laid out as WPS users do: merged title rows, merged repeated values, footer."""
    wb = Workbook()
    ws = wb.active
    ws.title = "小组"
    ws.append(["小组编号", "站点编码", "领域", "小组名称"])
    ws.append(["WG1", "WP01", "养老服务", "夕阳红互助小组"])
    ws = wb.create_sheet("小组活动")
    ws.append(["2025年丁镇社会工作服务站小组活动台账"])
    ws.append(["填报单位：丁镇社会工作服务站（盖章）", None, None, None, None, "填报时间：2025年6月"])
    ws.append(["序号", "小组\n编号", "节 次", "活动日期", "签到人数\n（人）", "单元计划书", "过程记录表", "签到表"])
    ws.append([1, "WG1", 1, "2025-05-06", 8, "有", "有", "有"])
    ws.append([2, None, 2, "2025-05-13", 7, "有", "有", "无"])
    ws.append([3, None, 3, "2025-05-20", 9, "有", "无", "有"])
    ws.append(["合计", None, None, None, 24])
    ws.append(["填表人：赵六", None, None, "审核人：钱七"])
    ws.merge_cells("A1:H1")
    ws.merge_cells("A2:E2")
    ws.merge_cells("F2:H2")
    ws.merge_cells("B4:B6")  # the group code typed once for its three sessions
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center")
    wb.save(path)
    return path


def main() -> None:
    wps_merged_titles(HERE / "wps_merged_titles.xlsx")
    office = shutil.which("libreoffice") or shutil.which("soffice")
    with tempfile.TemporaryDirectory() as tmp:
        source = libreoffice_source(Path(tmp) / "libreoffice_station.xlsx")
        subprocess.run([office, "--headless", "--convert-to", "xlsx", "--outdir", str(Path(tmp) / "out"),
                        str(source)], check=True, capture_output=True, timeout=300)
        shutil.copyfile(Path(tmp) / "out" / source.name, HERE / source.name)


if __name__ == "__main__":
    main()
