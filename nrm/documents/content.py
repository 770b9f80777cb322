"""What a file is, from its bytes: the check that a document is the type its name claims.

A file's extension is its claim (``choices.EXTENSIONS``); its first bytes (magic numbers) and,
for the two office formats, which are ZIP archives, the archive's own declaration must agree.
A mismatch is refused: a renamed executable, an HTML page called ``.pdf``, a spreadsheet
called ``.docx``. Nothing here renders or runs the file.
"""

from __future__ import annotations

import io
import re
import zipfile

from nrm.documents.choices import FileType

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# Plain text is UTF-8 (a byte-order mark allowed) without control characters other than
# tab, line feed, form feed and carriage return.
_TEXT_CONTROLS = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _is_zip_with(data: bytes, check) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return check(archive)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return False


def _docx(archive: zipfile.ZipFile) -> bool:
    names = set(archive.namelist())
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        return False
    # The main part of a Word document (macro-enabled .docm declares another type).
    types = archive.read("[Content_Types].xml")
    return b"wordprocessingml.document.main+xml" in types


def _odt(archive: zipfile.ZipFile) -> bool:
    # ODF: the first entry is "mimetype", stored uncompressed, holding the document's type.
    first = archive.infolist()[0] if archive.infolist() else None
    return first is not None and first.filename == "mimetype" and archive.read(first).strip() == ODT_MIMETYPE


def _text(data: bytes) -> bool:
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if _TEXT_CONTROLS.search(body):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def detect(data: bytes) -> str | None:
    """Return the accepted type (a ``FileType`` value) the bytes are, or None if none of them."""
    if data.startswith(b"%PDF-"):
        return FileType.PDF
    if data.startswith(b"\xff\xd8\xff"):
        return FileType.JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileType.PNG
    if _is_zip_with(data, _docx):
        return FileType.DOCX
    if _is_zip_with(data, _odt):
        return FileType.ODT
    if data and _text(data):
        return FileType.TEXT
    return None
