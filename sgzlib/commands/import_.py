"""``sgz import FILE.xlsx``: import a ledger workbook, all or nothing."""

from __future__ import annotations

import sys

from tqdm import tqdm

from .. import ledger
from ..cli import add_db_argument
from ..errors import DataError
from ..store import storage
from ..store.signoffs import SignoffConflict
from . import summary

SHOWN_KEYS = 20


def register(sub) -> None:
    p = sub.add_parser("import", help=summary("import"),
                       description="导入一个站点或整个县区的台账工作簿。按编码匹配：重复导入不会重复计数，"
                                   "改动的行会更新并列出。工作簿中有任何错误时不写入任何内容，并一次列出全部错误。")
    p.add_argument("file", metavar="FILE.xlsx", help="台账工作簿")
    add_db_argument(p)
    p.add_argument("--dry-run", action="store_true", help="只检查并显示将会做的修改，不写入")
    p.add_argument("--prune", action="store_true",
                   help="删除数据库中属于本工作簿站点、但工作簿里已没有的行（同一事务内）；默认只报告不删除")
    p.add_argument("--errors-out", metavar="ERRORS.xlsx", help="有错误时把错误清单写成工作簿，便于逐条改正")
    p.add_argument("--accept-signoff-changes", action="store_true",
                   help="工作簿会改变评估方已签字确认的数字时仍然导入：签字确认随即失效，评估方会看到改变了哪些数字"
                        "（不加时这样的导入被拒绝，并列出会改变的数字）")
    p.set_defaults(func=run)


def _bar(desc: str, total: int | None):
    return tqdm(total=total, desc=desc, unit="行", file=sys.stderr, leave=False)


def run(args) -> int:
    engine = storage.connect(args.db)
    try:
        result = ledger.import_workbook(engine, args.file, prune=args.prune, dry_run=args.dry_run, progress=_bar,
                                        accept_signoff_changes=args.accept_signoff_changes)
    except SignoffConflict:
        print("已与评估方核对、确需导入时，加 --accept-signoff-changes 重新导入。", file=sys.stderr)
        raise
    except DataError as exc:
        if args.errors_out:
            path = ledger.write_errors(exc.problems, args.errors_out, getattr(exc, "letters", {}))
            print(f"错误清单已写入 {path}（共 {len(exc.problems)} 处）", file=sys.stderr)
        raise
    print_result(result, args.file)
    return 0


def print_result(result: ledger.ImportResult, path) -> None:
    mode = "（试运行，未写入）" if result.dry_run else ""
    print(f"导入 {path}{mode}：涉及站点 {'、'.join(result.stations) or '无'}")
    print(result.counts().to_string(index=False))
    for s in result.sheets:
        _keys(f"「{s.sheet}」修改的行", s.changed)
        _keys(f"「{s.sheet}」{'已删除' if result.pruned else '数据库中有、本工作簿中没有'}的行", s.removed)
    if any(s.removed for s in result.sheets) and not result.pruned:
        print("以上行未删除；如确已不需要，请加 --prune 重新导入。")
    for note in result.notes:
        print(f"提示：{note}")
    for change in result.signoff_changes:
        verb = "将失效" if result.dry_run else "已失效"
        print(f"签字确认{verb}：{change.headline}：")
        for r in change.changes.itertuples(index=False):
            print(f"  {r.indicator_id} {r.indicator_name}「{r.figure}」{r.before} → {r.after}")
    if not result.changed_anything:
        print("数据库已是最新，未做任何修改。")
    elif result.dry_run:
        print("试运行：以上修改尚未写入；去掉 --dry-run 即可写入。")


def _keys(label: str, keys: list[tuple]) -> None:
    if not keys:
        return
    shown = "；".join(ledger.key_text(k) for k in keys[:SHOWN_KEYS])
    more = f" …… 等共 {len(keys)} 行" if len(keys) > SHOWN_KEYS else ""
    print(f"{label}：{shown}{more}")
