#!/usr/bin/env python3
"""Convert parkstat's observations of a bench corpus to the long schema that
../shared/bench/check.py compares with its answer key: one record per data
row and measure (month, cum, prior_cum, yoy_pct), values in the units the
file states, nulls kept for placeholder cells. Sheets and CSV alike.

usage: to_bench_records.py OBSERVATIONS OUT.parquet   (OBSERVATIONS: the year-partitioned directory, or one file)
"""
import re
import sys

import pandas as pd


def clean_label(s):
    s = re.sub(r"^其中[:：]", "", re.sub(r"\s+", "", s))
    return re.sub(r"[(（]([^()（）]+)[)）]$", "", s)


def number(raw):
    raw = (raw or "").replace(",", "").strip()
    return float(raw) if raw else None


def main(src, dst):
    # The partitioned directory's files hold `year`: no second one from the paths.
    o = pd.read_parquet(src, partitioning=None)
    o = o[o["source_kind"].isin(["sheet", "csv"])].copy()
    sheet = o["source_kind"] == "sheet"
    # A sheet cell is `Sheet!D7`; a CSV field is `L7:F8` (line 7, field 8) and has no sheet.
    o["sheet"] = o["locator"].str.rsplit("!", n=1).str[0].where(sheet, None)
    o["row"] = o["locator"].str.extract(r"(?:!\D+|^L)(\d+)(?::F\d+)?$")[0].astype(int)
    rows = {}
    for r in o.itertuples(index=False):
        k = (r.source_path, r.sheet, r.row, int(r.month_to))
        d = rows.setdefault(k, {"park": r.entity_name, "indicator": clean_label(r.indicator_raw), "unit": "",
                                "year": 0, "month": int(r.month_to), "vals": {}})
        if r.unit_raw:
            d["unit"] = r.unit_raw
        d["year"] = max(d["year"], int(r.year))
        if r.period_kind == "month":
            d["vals"]["month"] = number(r.value_raw)
        elif r.value_raw == "":
            d["vals"]["yoy_pct"] = r.yoy_pct
        else:
            d.setdefault("ytd", []).append((int(r.year), number(r.value_raw), r.yoy_pct))
    out = []
    for (path, sheet, row, _), d in rows.items():
        for year, v, yoy in d.get("ytd", []):
            if year == d["year"]:
                d["vals"]["cum"] = v
                if yoy is not None and not pd.isna(yoy):
                    d["vals"]["yoy_pct"] = yoy
            else:
                d["vals"]["prior_cum"] = v
        for m in ("month", "cum", "prior_cum", "yoy_pct"):
            out.append(dict(source_file=path, sheet=sheet, park=d["park"], indicator=d["indicator"], unit=d["unit"],
                            year=d["year"], month=d["month"], measure=m, value=d["vals"].get(m)))
    df = pd.DataFrame(out)
    df["value"] = df["value"].astype("float64")
    df.to_parquet(dst, index=False)
    print(f"{len(df)} records from {len(rows)} rows")


if __name__ == "__main__":
    main(*sys.argv[1:3])
