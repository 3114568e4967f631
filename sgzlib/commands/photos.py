"""``sgz photos``: index a station's photo folder (``scan``) and list the photo findings (``check``)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from ..cli import add_db_argument
from ..errors import ConfigError, NotFoundError
from ..photos import scan as photo_scan
from ..photos.checks import photo_findings
from ..store import photo_index as store
from ..store import storage
from ..store.db import SQL_TABLES
from . import summary


def register(sub) -> None:
    p = sub.add_parser("photos", help=summary("photos"),
                       description="照片佐证：scan 读取站点照片文件夹建立索引（SHA-256、感知哈希、拍摄时间、位置）；"
                                   "check 列出缺失、重复使用、拍摄时间或地点不符、未被使用的照片。")
    cmds = p.add_subparsers(dest="photos_command", metavar="子命令", required=True)
    scan = cmds.add_parser("scan", help="读取照片文件夹（任意层级），增量更新照片索引",
                           description="读取 FOLDER 下任意层级的照片（JPEG、PNG；HEIC 需安装 pillow-heif），写入数据库。"
                                       "大小和修改时间未变的文件不重新读取。不给 --station 时，FOLDER 的每个一级子文件夹"
                                       "以站点编码命名（如 照片/YL01/2025-03/…）。")
    add_db_argument(scan)
    scan.add_argument("folder", metavar="FOLDER", help="照片文件夹")
    scan.add_argument("--station", metavar="CODE", help="该文件夹属于哪个站点")
    scan.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="并行读取的进程数（默认 2）")
    scan.add_argument("--quiet", action="store_true", help="不显示进度条")
    scan.set_defaults(func=run_scan)
    check = cmds.add_parser("check", help="列出照片核查结果（按站点）",
                            description="按指标清单的照片设置核查服务记录、个案服务、小组活动和经费支出的照片。")
    add_db_argument(check)
    check.add_argument("--station", metavar="CODE", help="只看该站点（含下属站点）")
    check.set_defaults(func=run_check)


def run_scan(args) -> int:
    root = Path(args.folder)
    if not root.is_dir():
        raise NotFoundError(f"照片文件夹不存在：{root}")
    engine = storage.connect(args.db)
    stations = _stations(engine)
    if args.station:
        if args.station not in stations:
            raise NotFoundError(f"站点编码不存在：{args.station}（请先导入台账）")
        folders = [(args.station, root)]
    else:
        folders = [(d.name, d) for d in sorted(root.iterdir()) if d.is_dir() and d.name in stations]
        if not folders:
            raise ConfigError(f"{root} 下没有以站点编码命名的子文件夹；请用 --station 指明该文件夹属于哪个站点")
    for station, folder in folders:
        start = time.perf_counter()
        found = photo_scan.scan_folder(folder, store.known_files(engine, station), jobs=args.jobs,
                                       progress=not args.quiet and sys.stderr.isatty())
        store.write_scan(engine, station, found)
        seconds = time.perf_counter() - start
        print(f"站点 {station}（{folder}）：读取 {len(found.rows)} 张，未变 {found.unchanged} 张，"
              f"已不存在 {len(found.removed)} 张，用时 {seconds:.1f} 秒")
        for path, why in found.unreadable:
            print(f"  无法读取：{path}（{why}）")
    return 0


def run_check(args) -> int:
    ds = storage.load_dataset(storage.connect(args.db), args.station)
    findings = photo_findings(ds)
    uses, problems, unused = findings.uses, findings.findings, findings.unused
    print(f"照片核查：{len(uses)} 处照片引用，{len(problems)} 处有问题，{len(unused)} 张照片未被任何记录使用")
    for r in problems.itertuples():
        print(f"  {r.station_code} {r.record_table} {r.record_id}（{r.date:%Y-%m-%d}）：{r.reason}")
    if len(unused):
        print("未被使用的照片：")
        for r in unused.itertuples():
            print(f"  {r.station_code} {r.path}")
    return 0


def _stations(engine) -> set[str]:
    import sqlalchemy as sa

    with engine.connect() as conn:
        return {c for (c,) in conn.execute(sa.select(SQL_TABLES["stations"].c.code))}
