"""``sgz index``: rebuild the report folder's front page and say what it holds."""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from ..reports import index
from ..runtime.browser import enable_pdf_command, find_chromium
from . import summary


def register(sub) -> None:
    p = sub.add_parser("index", help=summary("index"),
                       description="按站点列出输出目录中由 sgz report 生成的全部督导报告、年终评估、评分表和区县概览"
                                   "（每份注明截至日期），写成可离线打开的 index.html。每次 sgz report 之后会自动重建。")
    p.add_argument("--out", metavar="目录", default="out", help="报告输出目录（默认 out/）")
    p.set_defaults(func=run)


def run(args) -> int:
    out = Path(args.out)
    if not out.is_dir():
        raise ConfigError(f"输出目录 {out} 不存在：先运行 sgz report … --out {out}")
    index.write_index(out)
    for line in index.summary(out):
        print(line)
    if find_chromium() is None:
        print(f"本次没有生成 PDF（找不到 Chromium 浏览器）。要生成 PDF，请运行：{enable_pdf_command()}")
    return 0
