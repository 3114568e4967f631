"""The evidence page of the station report and the assessment: suspicious photos shown, not described.

Each re-used picture side by side with both records; each time mismatch with
the capture time beside the record's date; photos taken far from the station;
names with no file; files no record uses. Thumbnails come from the photo
index (160 px JPEGs stored by ``sgz photos scan``, 5–8 KB each) and are
embedded as ``data:`` URLs, so the HTML stays offline and 50 thumbnails add
well under 1 MB. At most ``limit`` thumbnails are shown; the rest are listed.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..domain.dataset import Dataset
from ..indicators import load_catalogue
from ..photos import checks
from ..store import storage
from ..store.photo_index import content_index, load_index, thumbnails
from .display import table_html

LIMIT = 50
STYLE = """<style>
.sgz-ph h4 { margin: 14px 0 4px 0; }
.sgz-ph .case { display: flex; gap: 10px; align-items: flex-start; margin: 6px 0; page-break-inside: avoid;
  border-bottom: 1px solid #eceff1; padding-bottom: 6px; }
.sgz-ph figure { margin: 0; flex: 0 0 170px; width: 170px; font-size: 11.5px; color: #37474f; word-break: break-all; }
.sgz-ph figure img { width: 160px; border: 1px solid #b0bec5; display: block; }
.sgz-ph .why { font-size: 12.5px; max-width: 520px; }
.sgz-ph .bad { color: #c62828; font-weight: 700; }
.sgz-ph .none { width: 160px; height: 90px; border: 1px dashed #b0bec5; color: #90a4ae; display: flex;
  align-items: center; justify-content: center; }
</style>"""


@dataclass
class PhotoEvidence:
    """The findings of some stations up to a date, with the thumbnails the page shows."""

    findings: pd.DataFrame
    unused: pd.DataFrame
    indexed: bool
    thumbs: dict = field(default_factory=dict)
    limit: int = LIMIT

    def counts(self) -> dict[str, int]:
        """Finding code → number of photo uses with it, and ``unused`` → files no record uses."""
        out = self.findings["finding"].value_counts().to_dict()
        out["unused"] = len(self.unused)
        return out

    def _kind(self, code: str) -> pd.DataFrame:
        return self.findings[self.findings["finding"] == code]

    def html(self) -> str:
        """The page body: one section per kind of problem (empty sections say so)."""
        if not self.indexed:
            return ('<div class="sgz-ph"><p class="sgz-empty">本站的照片文件夹还没有读入（建立照片索引），'
                    "只能按文件名核对照片；内容重复、拍摄时间和地点无法核查。</p></div>")
        budget = [self.limit]
        parts = [STYLE, '<div class="sgz-ph">']
        parts += self._section("同一张照片用于多条记录", checks.REUSED_CONTENT, budget, self._pair)
        parts += self._section("拍摄时间与记录日期不符", checks.TIME_MISMATCH, budget, self._timed)
        parts += self._section("拍摄地点离站点太远", checks.PLACE_MISMATCH, budget, self._placed)
        parts += self._list("台账写了、照片文件夹中没有的照片", self._kind(checks.MISSING_FILE), ["record_table", "record_id",
                                                                                         "date", "name"])
        parts += self._list("照片名对应多个文件", self._kind(checks.AMBIGUOUS_FILE), ["record_table", "record_id", "reason"])
        parts += self._list("没有拍摄时间的照片（水印相机常去掉 EXIF，仅提示）", self._kind(checks.NO_CAPTURE_TIME),
                            ["record_table", "record_id", "date", "name"])
        unused = self.unused.assign(record_table="", record_id="", name=self.unused["path"])
        parts += self._list(f"未被任何记录使用的照片（{len(self.unused)} 张）", unused, ["station_code", "path"])
        parts.append("</div>")
        return "\n".join(parts)

    def _section(self, title, code, budget, render) -> list[str]:
        rows = self._kind(code)
        out = [f"<h4>{html.escape(title)}（{len(rows)} 处）</h4>"]
        if rows.empty:
            return out + ['<p class="sgz-empty">未发现</p>']
        shown = 0
        for r in rows.itertuples():
            need = 2 if code == checks.REUSED_CONTENT else 1
            if budget[0] < need:
                break
            budget[0] -= need
            shown += 1
            out.append(render(r))
        if shown < len(rows):
            rest = rows.iloc[shown:]
            out.append(f"<p>另有 {len(rest)} 处未显示缩略图：" + html.escape(
                "、".join(f"{t} {i}" for t, i in zip(rest["record_table"], rest["record_id"]))) + "</p>")
        return out

    def _img(self, folder, path, caption: str) -> str:
        data = self.thumbs.get((folder, path))
        img = (f'<img src="data:image/jpeg;base64,{base64.b64encode(data).decode()}" alt="{html.escape(str(path))}">'
               if data else '<div class="none">无缩略图</div>')
        return f"<figure>{img}<figcaption>{caption}</figcaption></figure>"

    def _pair(self, r) -> str:
        first = self._img(r.first_folder, r.first_path, f"{html.escape(str(r.first_record))}<br>{_day(r.first_date)}"
                                                        f"<br>{html.escape(str(r.first_path))}")
        second = self._img(r.folder, r.path, f"{html.escape(r.record_table)} {html.escape(str(r.record_id))}<br>"
                                             f"{_day(r.date)}<br>{html.escape(str(r.path))}")
        return f'<div class="case">{first}{second}<div class="why">{html.escape(r.reason)}</div></div>'

    def _timed(self, r) -> str:
        caption = (f"{html.escape(r.record_table)} {html.escape(str(r.record_id))}<br>"
                   f'记录日期 {_day(r.date)}<br><span class="bad">拍摄 {r.taken_at:%Y-%m-%d %H:%M}</span>')
        return f'<div class="case">{self._img(r.folder, r.path, caption)}<div class="why">{html.escape(r.reason)}</div></div>'

    def _placed(self, r) -> str:
        caption = (f"{html.escape(r.record_table)} {html.escape(str(r.record_id))}<br>记录日期 {_day(r.date)}<br>"
                   f'<span class="bad">距站点 {r.km_off:.1f} 公里</span>')
        return f'<div class="case">{self._img(r.folder, r.path, caption)}<div class="why">{html.escape(r.reason)}</div></div>'

    def _list(self, title, rows, columns) -> list[str]:
        out = [f"<h4>{html.escape(title)}</h4>"]
        headers = {"record_table": "记录所在表", "record_id": "记录", "date": "日期", "name": "照片", "reason": "说明",
                   "station_code": "站点", "path": "文件"}
        return out + [table_html(rows[columns].rename(columns=headers).head(60), empty="未发现")]


def _day(value) -> str:
    return "" if pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def build(db_url: str | None, stations: str | list[str], as_of, catalogue: str | None = None,
          limit: int = LIMIT) -> PhotoEvidence:
    """The page for ``stations`` (and below) up to ``as_of``, with the limits of ``catalogue``.

    Re-use is looked for in the whole database (a picture may first have been used by another station,
    project or year), but only what can matter is read (``related``): the stations' own data, and the data
    of the stations whose photo folders hold a picture of the same content, found in the compact index of
    every file's hashes. It is masked as everything that leaves a station (codes and file names are kept).
    """
    cat = load_catalogue(catalogue) if catalogue else None
    limits = {"max_days": cat.photo_max_days, "max_km": cat.photo_max_km} if cat else {}
    engine = storage.connect(db_url)
    try:
        ds, folders = related(engine, stations)
        page = from_dataset(ds, stations, as_of, limit=limit, folders=folders, **limits)
        keys = set(zip(page.findings["folder"], page.findings["path"])) | set(
            zip(page.findings["first_folder"], page.findings["first_path"]))
        keys = [k for k in keys if isinstance(k[1], str)]
        if keys:
            page.thumbs = thumbnails(engine, keys)
    finally:
        engine.dispose()
    return page


def related(engine, stations: str | list[str]) -> tuple[Dataset, dict[str, str]]:
    """The masked data the page of ``stations`` needs, and every station's photo folder (``checks.folder_of``).

    A use of a picture is a re-use when an earlier record anywhere used the same content (same SHA-256, or
    fingerprints linked within the threshold). The content groups are formed over the whole compact index;
    the folders holding any picture of the stations' groups are *involved*, and the data read is that of the
    stations (and below) plus every station whose photos live in an involved folder, with those folders'
    whole index. Every group of the stations' pictures is then complete, with all its uses.
    """
    every = Dataset(storage.load_tables(engine, ["stations"]))
    mine = every.descendants(stations)
    compact = content_index(engine)
    folders = checks.folder_of(every.stations, set(compact["station_code"]))
    own = {folders[c] for c in mine if c in folders}
    groups, _ = checks.content_groups(compact)
    touched = np.isin(groups, groups[compact["station_code"].isin(own).to_numpy()])
    involved = own | set(compact["station_code"][touched])
    read = list(dict.fromkeys(mine + [c for c, f in folders.items() if f in involved]))
    ds = storage.shared_dataset(engine, read, "photo_evidence")
    ds.frames["stations"] = every.stations  # the whole tree: folders and positions are looked up above the stations
    ds.frames["photo_files"] = load_index(engine, sorted(involved))
    return ds, {c: f for c, f in folders.items() if f in involved}


def from_dataset(ds, stations: str | list[str], as_of, limit: int = LIMIT, folders: dict | None = None,
                 **limits) -> PhotoEvidence:
    """The page's findings from a dataset (no thumbnails: ``build`` adds them from the database).

    ``folders``: every station's photo folder when ``ds`` holds part of the database (``related``).
    Findings come in ledger-table order, then by record code (numbers in a code compared as numbers), files by
    folder and path: the same page however the database returned the rows.
    """
    index = checks.photo_index(ds)
    found = checks.photo_findings(ds, folders=folders, **limits)
    keep = set(ds.descendants(stations))
    f = found.findings
    f = f[f["station_code"].isin(keep) & (pd.to_datetime(f["date"]) <= pd.Timestamp(as_of))]
    tables = {t[0]: k for k, t in enumerate(checks.PHOTO_TABLES)}
    f = f.assign(_t=f["table"].map(tables), _r=f["record_id"].astype(str).map(_natural)).sort_values(
        ["_t", "_r"], kind="stable").drop(columns=["_t", "_r"]).reset_index(drop=True)
    unused = found.unused[found.unused["station_code"].isin(keep)]
    unused = unused.sort_values(["station_code", "path"], kind="stable").reset_index(drop=True)
    return PhotoEvidence(f, unused, bool(len(index[index["station_code"].isin(keep)])), limit=limit)


def _natural(code: str) -> str:
    """A sort key that puts YL01-C01/2 before YL01-C01/10."""
    return re.sub(r"\d+", lambda m: m.group().zfill(12), code)
