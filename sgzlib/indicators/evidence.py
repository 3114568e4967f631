"""Evidence rules (seed 000, docs/counting-rules.md rule 7): which records have valid watermark photos.

A record counts only if it has a watermark photo ("如无水印照片，将不认定服务次数"),
and the same photo used by several records counts once ("不得使用重复照片"): the
first record to use a photo (earliest date, then code) keeps it; a later record
counts only if it has at least one photo no earlier record used.
"""

from __future__ import annotations

import pandas as pd

from ..domain.dataset import split_list

NO_PHOTO = "no_photo"
REUSED_PHOTO = "reused_photo"
REASONS = {
    NO_PHOTO: "无水印照片，不认定服务次数",
    REUSED_PHOTO: "照片与{first}重复使用，重复照片只认定一次",
}


def photo_check(frame: pd.DataFrame, id_columns: list[str], date_column: str = "date",
                photo_column: str = "photos") -> pd.DataFrame:
    """One row per row of ``frame`` (same index): ``valid``, ``reason_code``, ``reason``, ``reused_from``.

    ``reused_from`` names the record (its id columns joined by ``/``) that used
    the photo first, for records refused because all their photos were reused.
    """
    ids = frame[id_columns].astype("string").agg("/".join, axis=1) if len(id_columns) > 1 \
        else frame[id_columns[0]].astype("string")
    photos = split_list(frame[photo_column]).rename("photo").to_frame()
    photos["date"] = frame.loc[photos.index, date_column]
    photos["rid"] = ids.loc[photos.index]
    photos = photos.drop_duplicates(["rid", "photo"])
    photos = photos.sort_values(["date", "rid"], kind="stable")
    first_user = photos.groupby("photo", sort=False)["rid"].transform("first")
    own = photos["rid"] == first_user
    has_own = own.groupby(level=0).any()
    reused_from = first_user[~own].groupby(level=0).first()

    out = pd.DataFrame(index=frame.index)
    out["valid"] = has_own.reindex(frame.index).fillna(False).astype(bool)
    has_photo = frame.index.isin(photos.index)
    out["reason_code"] = pd.Series(None, index=frame.index, dtype="object")
    out.loc[~has_photo, "reason_code"] = NO_PHOTO
    out.loc[has_photo & ~out["valid"], "reason_code"] = REUSED_PHOTO
    out["reused_from"] = reused_from.reindex(frame.index).where(out["reason_code"] == REUSED_PHOTO)
    out["reason"] = None
    out.loc[out["reason_code"] == NO_PHOTO, "reason"] = REASONS[NO_PHOTO]
    reused = out["reason_code"] == REUSED_PHOTO
    out.loc[reused, "reason"] = [REASONS[REUSED_PHOTO].format(first=f"记录 {r}") for r in out.loc[reused, "reused_from"]]
    return out


def service_evidence(ds) -> pd.DataFrame:
    """``photo_check`` of every service record, with its code and station."""
    checked = photo_check(ds.services, ["code"])
    return pd.concat([ds.services[["code", "station_code", "date", "domain", "category"]], checked], axis=1)


def reused_photos(ds) -> pd.DataFrame:
    """Every photo file used by more than one service record: photo, records (in order), station."""
    photos = split_list(ds.services["photos"]).rename("photo").to_frame()
    photos["code"] = ds.services.loc[photos.index, "code"]
    photos["station_code"] = ds.services.loc[photos.index, "station_code"]
    photos["date"] = ds.services.loc[photos.index, "date"]
    photos = photos.drop_duplicates(["code", "photo"]).sort_values(["date", "code"])
    shared = photos[photos.duplicated("photo", keep=False)]
    return (shared.groupby("photo", sort=False)
            .agg(records=("code", lambda s: "、".join(s)), station_code=("station_code", "first"),
                 uses=("code", "size"))
            .reset_index())
