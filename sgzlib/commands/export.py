"""``sgz export [--station CODE] OUT.xlsx``: write the database back as a ledger workbook."""

from __future__ import annotations

from pathlib import Path

from .. import ledger
from ..cli import add_db_argument
from ..domain import schema
from ..domain.personal import audience_of
from ..store import access, audit, privacy, storage
from . import summary


def register(sub) -> None:
    p = sub.add_parser("export", help=summary("export"),
                       description="把数据库（或一个站点及其下属站点）导出为台账工作簿，格式与模板和导入相同："
                                   "导出后原样导入不会改变任何数据。")
    p.add_argument("out", metavar="OUT.xlsx", help="输出文件")
    p.add_argument("--station", metavar="CODE", help="只导出这个站点及其下属站点（默认导出全部）")
    p.add_argument("--mask", action="store_true",
                   help="个人信息脱敏：姓名、电话、身份证号部分隐藏，出生日期只留年份，自由文本中的姓名、号码一并遮蔽"
                        "（用于报送；脱敏的工作簿不能再导入）")
    add_db_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    engine = storage.connect(args.db)
    ds = storage.load_dataset(engine, args.station)
    with storage.write_transaction(engine) as conn:  # the audit row commits only with the written workbook
        me = access.session(conn)
        mask = args.mask or bool(me and me.masked)  # a masked user's data is masked already: say so in the file
        stations = sorted(ds.stations["code"].dropna())
        source = f"站点 {args.station} 及其下属站点" if args.station else \
            ("全部站点" if me is None else f"账号 {me.login} 可见的站点")
        audit.record(conn, "export", file_name=Path(args.out).name, stations=stations, masked=mask,
                     detail=source)
        if mask:  # free text scanned for the people of the whole database, not only of the stations exported
            ds = storage.mask_shared(engine, ds, audience_of("export"), whole=args.station is None)
        path = ledger.export_workbook(ds, args.out, mask=mask, source=source, people=privacy.People())
    sizes = {t: n for t, n in ds.sizes().items() if n}
    print(f"已导出{source}到 {path}（{'、'.join(f'{schema.TABLE_BY_NAME[t].sheet} {n} 行' for t, n in sizes.items())}）"
          if sizes else f"数据库中没有数据，已写入只有表头的工作簿 {path}")
    if mask:
        print("已脱敏：此工作簿不能再导入。")
    return 0
