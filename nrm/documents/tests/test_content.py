"""The content check: a file is what its bytes are, whatever its name says."""

from __future__ import annotations

import pytest

from nrm.documents.choices import FileType
from nrm.documents.content import detect
from nrm.documents.tests.helpers import DOCX, EXE, HTML, JPEG, ODT, PDF, PNG, TEXT, XLSX, zip_bytes


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF, FileType.PDF),
        (JPEG, FileType.JPEG),
        (PNG, FileType.PNG),
        (DOCX, FileType.DOCX),
        (ODT, FileType.ODT),
        (TEXT, FileType.TEXT),
        (b"\xef\xbb\xbfwith a byte-order mark\r\n", FileType.TEXT),
    ],
)
def test_each_accepted_type_is_recognised(data, expected):
    assert detect(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        EXE,  # a Windows program
        XLSX,  # an office file, but a spreadsheet
        zip_bytes([("word/document.xml", b"<w:document/>")]),  # no content types: not a Word file
        zip_bytes([("content.xml", b"<x/>"), ("mimetype", b"application/vnd.oasis.opendocument.text")]),  # not first
        zip_bytes([("mimetype", b"application/vnd.oasis.opendocument.spreadsheet")], first_stored=True),
        b"PK\x03\x04 not really an archive",
        b"latin-1 text \xe9t\xe9",  # not UTF-8
        b"text with a NUL\x00 inside",
        b"",
    ],
)
def test_other_content_is_none_of_the_accepted_types(data):
    assert detect(data) is None


def test_html_is_text_so_only_a_txt_name_accepts_it():
    """HTML is plain text to the check: served as text/plain, as an attachment, it is never rendered."""
    assert detect(HTML) == FileType.TEXT
