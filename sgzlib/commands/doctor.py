"""``sgz doctor``: check what this machine can do with sgz, and say what to do about what it cannot."""

from __future__ import annotations

from ..cli import add_db_argument
from ..runtime import doctor

MARKS = {doctor.OK: "✔ 正常", doctor.WARN: "！注意", doctor.FAIL: "✘ 失败"}


def register(sub) -> None:
    p = sub.add_parser("doctor", help="检查运行环境：数据库、PDF 浏览器与中文字体、Jupyter 内核、输出目录",
                       description="逐项检查数据库地址与结构版本、生成 PDF 用的 Chromium 和中文字体、运行报告笔记本的 "
                                   "Jupyter 内核、输出目录的写入权限，并说明每项能做什么、不能做时怎么办。"
                                   "必需项（数据库、内核、输出目录）有一项失败时退出码为 1。")
    add_db_argument(p)
    p.add_argument("--out", metavar="目录", default="out", help="报告输出目录（默认 out/）")
    p.add_argument("--no-kernel-start", action="store_true", help="只检查内核是否已登记，不试启动（更快）")
    p.set_defaults(func=run)


def run(args) -> int:
    findings = doctor.run_checks(args.db, args.out, start_kernel=not args.no_kernel_start)
    print("sgz 运行环境检查")
    for f in findings:
        print(f"  {MARKS[f.status]}  {f.item}：{f.detail}")
        if f.action and f.status != doctor.OK:
            print(f"           处理：{f.action}")
    failed = [f for f in findings if f.failed]
    warned = [f for f in findings if f.status == doctor.WARN]
    if failed:
        print(f"结论：{len(failed)} 项必需的检查未通过（{'、'.join(f.item for f in failed)}），请按上面的说明处理。")
        return 1
    print("结论：必需的检查全部通过" + (f"；{len(warned)} 项需要注意（见上）。" if warned else "。"))
    return 0
