#!/usr/bin/env python3
"""Writes the small .xls, .ods and .xlsb fixtures of tests/fixtures/sheets/,
which rust_xlsxwriter cannot write. Needs `pip install xlwt odfpy` (the xlsb
writer below is plain Python: no maintained Python package writes xlsb); rerun
only to change them (the committed files are what the tests read).

    python3 scripts/make_legacy_fixtures.py tests/fixtures/sheets
    python3 scripts/make_legacy_fixtures.py tests/fixtures/sheets --bad   # password-protected and empty workbooks (needs msoffcrypto-tool, openpyxl)
"""
import os
import struct
import sys
import zipfile

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


def _record(typ, body=b""):
    """One BIFF12 record: 7-bit varint type (1-2 bytes) and size (1-4 bytes), MS-XLSB 2.1.4."""
    out = bytearray()
    out.append((typ & 0x7F) | (0x80 if typ > 0x7F else 0))
    if typ > 0x7F:
        out.append(typ >> 7)
    n = len(body)
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            break
    return bytes(out) + body


def _wide(text):
    data = text.encode("utf-16-le")
    return struct.pack("<I", len(data) // 2) + data


def xlsb(path):
    """The same sheet as binary xlsb, as Excel's 'Excel Binary Workbook' saves it (minimal parts)."""
    rows = [[TITLE, "", "", "", ""], ["", "", "", "", "单位:万元"], HEADER[0], HEADER[1]] + ROWS
    sheet = bytearray(_record(0x81))  # BrtBeginSheet
    sheet += _record(0x94, struct.pack("<IIII", 0, len(rows) - 1, 0, 4))  # BrtWsDim
    sheet += _record(0x91)  # BrtBeginSheetData
    for r, row in enumerate(rows):
        sheet += _record(0x00, struct.pack("<IIHBB", r, 0, 0, 0, 0) + struct.pack("<I", 0))  # BrtRowHdr
        for c, v in enumerate(row):
            head = struct.pack("<II", c, 0)
            if isinstance(v, float):
                sheet += _record(0x05, head + struct.pack("<d", v))  # BrtCellReal
            elif v:
                sheet += _record(0x06, head + _wide(v))  # BrtCellSt
    sheet += _record(0x92) + _record(0x82)  # BrtEndSheetData, BrtEndSheet
    book = _record(0x83)  # BrtBeginBook
    book += _record(0x8F)  # BrtBeginBundleShs
    book += _record(0x9C, struct.pack("<II", 0, 1) + _wide("rId1") + _wide("主要指标"))  # BrtBundleSh
    book += _record(0x90)  # BrtEndBundleShs
    book += _record(0x9D, b"\0" * 12) + _record(0x84)  # BrtCalcProp, BrtEndBook
    ns = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
        '<Override PartName="/xl/worksheets/sheet1.bin" ContentType="application/vnd.ms-excel.worksheet"/></Types>',
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>',
        "xl/_rels/workbook.bin.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.bin"/></Relationships>',
        "xl/workbook.bin": bytes(book),
        "xl/worksheets/sheet1.bin": bytes(sheet),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 9, 1, 0, 0, 0))
            z.writestr(info, data, zipfile.ZIP_DEFLATED)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/sheets"
    os.makedirs(out, exist_ok=True)
    xls(os.path.join(out, "示范园区_2024年1-8月.xls"))
    ods(os.path.join(out, "示范园区_2024年1-8月.ods"))
    xlsb(os.path.join(out, "示范园区_2024年1-8月.xlsb"))


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
