"""CI: after `make demo` without a browser, out/index.html links an HTML report for every demo station.

    python3 .ci/check_demo_index.py CLONE DEMO_LOG

Standard library only (runs with the system Python). Checks, from the clone's database and files:
every township station of the demo district has a section in out/index.html whose links include an
existing HTML supervision report; no PDF was written; the closing summary printed the command that
enables PDFs exactly once.
"""

from __future__ import annotations

import re
import sqlite3
import sys
import urllib.parse
from pathlib import Path


def main(clone: Path, log: Path) -> int:
    out = clone / "out"
    page = (out / "index.html").read_text(encoding="utf-8")
    with sqlite3.connect(clone / "data" / "sgz.db") as db:
        stations = [c for (c,) in db.execute("SELECT code FROM stations WHERE level = '乡镇街道站' ORDER BY code")]
    problems = []
    if not stations:
        problems.append("演示数据库中没有乡镇街道站")
    for code in stations:
        section = re.search(rf'<h2 id="station-{re.escape(code)}">(.*?)(?=<h2|</body>)', page, re.S)
        if section is None:
            problems.append(f"index.html 中没有站点 {code} 的一节")
            continue
        rows = [r for r in re.findall(r"<tr>(.*?)</tr>", section.group(1), re.S) if "督导报告" in r]
        links = [urllib.parse.unquote(h) for r in rows for h in re.findall(r'href="([^"]+\.html)"', r)]
        if not any((out / link).is_file() for link in links):
            problems.append(f"站点 {code} 没有链接到存在的 HTML 督导报告（链接：{links}）")
    pdfs = sorted(str(p.relative_to(out)) for p in out.rglob("*.pdf"))
    if pdfs:
        problems.append(f"浏览器已隐藏，却生成了 PDF：{pdfs[:3]}")
    said = log.read_text(encoding="utf-8").count("要生成 PDF，请运行")
    if said != 1:
        problems.append(f"启用 PDF 的命令应在结尾出现 1 次，实际 {said} 次")
    for p in problems:
        print(f"错误：{p}")
    if not problems:
        print(f"通过：out/index.html 链接了全部 {len(stations)} 个站点的 HTML 督导报告；没有 PDF；启用 PDF 的命令出现 1 次。")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
