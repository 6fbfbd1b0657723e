#!/usr/bin/python3
"""mksamples.py - regenerate the sample files check_mime sniffs.

The outputs are committed so the build needs no Python; rerun this (Debian:
python3-pil, python3-docx, python3-openpyxl) only to change them.  Each file
is a genuine instance of its format as the usual tools write it, so the test
asserts what libmagic reports for real uploads, not for hand-made prefixes.
"""
import io
import os
import struct
import sys
import zipfile

import docx
import openpyxl
from PIL import Image

OUT = os.path.dirname(os.path.abspath(__file__))


def out(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def image(fmt, **kw):
    img = Image.new("RGB", (16, 16), (200, 30, 30))
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def cfb(stream_name, payload):
    """A minimal OLE2 compound file (CFB v3) holding one user stream.

    Word keeps its text in a stream named "WordDocument", Excel in
    "Workbook"; libmagic's CDF reader classifies by those names.  The stream
    is padded past the 4096-byte mini-stream cutoff so only the regular FAT
    is needed.
    """
    ss = 512
    payload = payload.ljust(4096 + 100, b"\0")
    nsect = (len(payload) + ss - 1) // ss
    endc, free, fatsect, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    # sector 0: FAT, sector 1: directory, sectors 2..: the stream
    fat = [fatsect, endc] + [3 + i for i in range(nsect - 1)] + [endc]
    fat += [free] * (128 - len(fat))
    hdr = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
    hdr += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    hdr += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, endc, 0, endc, 0)
    hdr += struct.pack("<I", 0) + struct.pack("<I", free) * 108

    def dirent(name, typ, child, start, size):
        n = name.encode("utf-16-le") + b"\0\0"
        e = n.ljust(64, b"\0") + struct.pack("<HBB", len(n), typ, 1)
        e += struct.pack("<III", nostream, nostream, child) + b"\0" * 16
        e += struct.pack("<IQQII", 0, 0, 0, start, size) + b"\0" * 4
        assert len(e) == 128
        return e

    d = dirent("Root Entry", 5, 1, endc, 0) + dirent(stream_name, 2, nostream, 2, len(payload))
    d += (b"\0" * 64 + struct.pack("<HBBIII", 0, 0, 0, nostream, nostream, nostream)
          + b"\0" * 52) * 2
    body = struct.pack("<128I", *fat) + d + payload.ljust(nsect * ss, b"\0")
    return hdr + body


def main():
    out("sample.png", image("PNG"))
    out("sample.jpg", image("JPEG", quality=80))
    out("sample.gif", image("GIF"))
    out("sample.pdf", image("PDF"))

    d = docx.Document()
    d.add_paragraph("Coffer sample document")
    buf = io.BytesIO()
    d.save(buf)
    out("sample.docx", buf.getvalue())

    wb = openpyxl.Workbook()
    wb.active["A1"] = "Coffer"
    wb.active["B1"] = 42
    buf = io.BytesIO()
    wb.save(buf)
    out("sample.xlsx", buf.getvalue())

    out("sample.doc", cfb("WordDocument", b"\xec\xa5\xc1\x00Coffer sample"))
    out("sample.xls", cfb("Workbook", b"\x09\x08\x10\x00\x00\x06\x05\x00Coffer"))

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("readme.txt", "just a zip\n")
        z.writestr("data/values.csv", "a,b\n1,2\n")
    out("sample.zip", buf.getvalue())

    # A zip that merely has a word/ folder first: libmagic alone calls it DOCX.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/notes.txt", "not an office file\n")
        z.writestr("readme.txt", "hi\n")
    out("fake-ooxml.zip", buf.getvalue())

    # A genuine DOCX whose word/ part comes after the 4th entry (docProps and
    # customXml first, as some generators write): libmagic alone says zip.
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/word/document.xml" ContentType="application/'
          'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           '<w:body><w:p><w:r><w:t>late</w:t></w:r></w:p></w:body></w:document>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("_rels/.rels", rels)
        z.writestr("docProps/app.xml", "<Properties/>")
        z.writestr("docProps/core.xml", "<coreProperties/>")
        z.writestr("customXml/item1.xml", "<x/>")
        z.writestr("word/document.xml", doc)
    out("late-word.docx", buf.getvalue())

    out("sample.html", b"<!DOCTYPE html>\n<html><head><title>x</title></head>"
        b"<body><p>hello</p><script>alert(1)</script></body></html>\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
