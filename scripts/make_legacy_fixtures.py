#!/usr/bin/env python3
"""Writes the small .xls and .ods fixtures of tests/fixtures/sheets/, which
rust_xlsxwriter cannot write. Needs `pip install xlwt odfpy`; rerun only to
change them (the committed files are what the tests read).

    python3 scripts/make_legacy_fixtures.py tests/fixtures/sheets
    python3 scripts/make_legacy_fixtures.py tests/fixtures/sheets --bad   # password-protected and empty workbooks (needs msoffcrypto-tool, openpyxl)
"""
import os
import sys

import xlwt
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

TITLE = "示范园区2024年1-8月主要经济指标完成情况"
HEADER = [["指标名称", "本月", "累计", "", ""], ["", "", "1-8月", "上年同期", "增速(%)"]]
ROWS = [["规上工业总产值", 1200.5, 9850.3, 9000.0, 9.45], ["营业收入", "—", 12000.0, 11000.0, "#DIV/0!"]]


def xls(path):
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("主要指标")
    ws.write_merge(0, 0, 0, 4, TITLE)
    ws.write(1, 4, "单位:万元")
    ws.write_merge(2, 3, 0, 0, "指标名称")
    ws.write_merge(2, 3, 1, 1, "本月")
    ws.write_merge(2, 2, 2, 4, "累计")
    for c, t in enumerate(HEADER[1]):
        if t:
            ws.write(3, c, t)
    for r, row in enumerate(ROWS):
        for c, v in enumerate(row):
            ws.write(4 + r, c, v)
    wb.save(path)


def ods(path):
    doc = OpenDocumentSpreadsheet()
    t = Table(name="主要指标")

    def row(values):
        tr = TableRow()
        for v in values:
            if isinstance(v, float):
                cell = TableCell(valuetype="float", value=v)
                cell.addElement(P(text=str(v)))
            else:
                cell = TableCell(valuetype="string")
                if v:
                    cell.addElement(P(text=v))
            tr.addElement(cell)
        t.addElement(tr)

    row([TITLE, "", "", "", ""])
    row(["", "", "", "", "单位:万元"])
    # No merged regions in ods as calamine reads it: a blank header cell continues the one to its left.
    row(HEADER[0])
    row(HEADER[1])
    for r in ROWS:
        row(r)
    doc.spreadsheet.addElement(t)
    doc.save(path)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/sheets"
    os.makedirs(out, exist_ok=True)
    xls(os.path.join(out, "示范园区_2024年1-8月.xls"))
    ods(os.path.join(out, "示范园区_2024年1-8月.ods"))


def encrypted(path, src):
    """A password-protected workbook: what parks send when they forget to remove the password."""
    import msoffcrypto
    import msoffcrypto.format.ooxml
    from openpyxl import Workbook

    plain = src + ".plain.xlsx"
    wb = Workbook()
    ws = wb.active
    ws["A1"] = TITLE
    ws["A3"], ws["B3"] = "指标名称", "1-8月累计"
    ws["A4"], ws["B4"] = "营业收入", 12000.0
    wb.save(plain)
    with open(plain, "rb") as f, open(path, "wb") as out:
        office = msoffcrypto.format.ooxml.OOXMLFile(f)
        office.encrypt("parkstat", out)
    os.remove(plain)


def empty(path):
    from openpyxl import Workbook

    Workbook().save(path)


if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[2] == "--bad":
    out = sys.argv[1]
    encrypted(os.path.join(out, "password.xlsx"), os.path.join(out, "password"))
    empty(os.path.join(out, "empty_workbook.xlsx"))
