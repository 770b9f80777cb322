"""A case worker's day in real Chromium, in Serbian Cyrillic: issue J's pages end to end.

The Centre for Social Work's case worker finds a case by name and date of birth, uploads a
document and downloads it again byte for byte, adds a task and finds it on the home page and on
``/tasks/`` below an overdue one, marks it done, gives the overdue one to a colleague and prints
the case summary (a real PDF naming the case). Then the same pages on a 390 px phone screen: none
scrolls sideways, and the new parts show translated text.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from nrm.accounts.choices import Role
from nrm.cases.tests.helpers import IDENTITY, member, open_case
from nrm.documents.models import Document
from nrm.tasks import services as task_services
from nrm.tasks.choices import TaskKind, TaskStatus
from nrm.tasks.models import Task
from tests.browser.conftest import CHROMIUM_VIEWPORTS, LANGUAGE, assert_in_serbian, login, new_page, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = CHROMIUM_VIEWPORTS["phone"]["width"]


def png(width: int = 4, height: int = 3) -> bytes:
    """Return a real PNG (a grey image), written by hand: its signature, IHDR, IDAT and IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))  # filter byte, then grey pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def pdf_text(data: bytes) -> str:
    """Return the text of a PDF (pypdf, if installed) and its title, which WeasyPrint takes from <title>.

    The title is in the document information, which PDF 1.5+ may keep in a compressed object
    stream: every Flate stream is inflated to find it (a literal string, or UTF-16 in hex).
    """
    text = ""
    try:
        from pypdf import PdfReader

        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    except ImportError:
        pass
    parts = [data]
    for stream in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            parts.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            continue  # not Flate (or an image): no title in it
    for part in parts:
        for found in re.finditer(rb"/Title\s*(?:<([0-9A-Fa-f\s]+)>|\(((?:\\.|[^\\)])*)\))", part):
            if found.group(1) is not None:
                raw = bytes.fromhex(re.sub(rb"\s", b"", found.group(1)).decode())
                text += raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")
            else:
                text += found.group(2).decode("latin-1")
    return text


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} is {width}px wide on a {PHONE_WIDTH}px screen"


def test_a_case_workers_day_search_document_task_summary(browser, live_server, world):
    base = live_server.url
    worker = world["socialwork"]
    colleague = member("colleague-csr", "csr-bg", Role.CASEWORKER)
    case = open_case(worker, "csr-bg")
    today = dt.date.today()
    # Made yesterday by the colleague for the worker: overdue, and a notification in the inbox.
    late = task_services.task_create(
        actor=colleague,
        case=case,
        kind=TaskKind.FOLLOW_UP,
        due_on=today - dt.timedelta(days=1),
        title="Call the shelter",
        assigned_to=worker,
    )

    desktop = browser.new_context(viewport=CHROMIUM_VIEWPORTS["desktop"], locale=LANGUAGE)
    from django.conf import settings

    desktop.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": LANGUAGE, "url": base}])
    page = desktop.new_page()
    page.set_default_timeout(15000)
    login(page, live_server, "socialwork", PASSWORD)

    # Search by name and date of birth: the name is never stored in clear, the search still finds it.
    page.goto(f"{base}/cases/")
    page.locator("#id_name").fill(f"{IDENTITY['given_name']} {IDENTITY['family_name']}")
    page.locator("#id_birth_date").fill(IDENTITY["date_of_birth"])
    page.get_by_role("button", name=tr("Filter")).click()
    results = page.locator("table.list tbody tr")
    expect(results).to_have_count(1)
    results.get_by_role("link", name=case.reference).click()
    page.wait_for_url(f"{base}/cases/{case.pk}/")

    # Upload a document: a real PNG made here; it is listed, and downloads byte for byte.
    image = png()
    page.get_by_role("link", name=tr("Add a document")).click()
    page.wait_for_url(re.compile(r"/documents/new/$"))
    assert_in_serbian(page)
    page.locator("#id_file").set_input_files({"name": "passport.png", "mimeType": "image/png", "buffer": image})
    page.locator("#id_title").fill("Passport photo")
    page.locator("#id_kind").select_option(index=1)
    page.get_by_role("button", name=tr("Upload the document")).click()
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/(#h-documents)?$"))
    expect(page.get_by_role("status")).to_contain_text(tr("Document uploaded."))
    documents = page.locator("[data-documents]")
    expect(documents).to_contain_text("Passport photo")
    with page.expect_download() as download:
        documents.get_by_role("link", name="Passport photo").click()
    assert Path(download.value.path()).read_bytes() == image
    assert Document.objects.get().title == "Passport photo"

    # A task with a due date, from the case's task list.
    page.get_by_role("link", name=tr("Tasks"), exact=True).click()
    page.wait_for_url(f"{base}/tasks/?case={case.pk}")
    page.locator("#id_kind").select_option(TaskKind.FOLLOW_UP.value)
    page.locator("#id_due_on").fill((today + dt.timedelta(days=3)).isoformat())
    page.locator("#id_title").fill("Bring the school certificate")
    page.get_by_role("button", name=tr("Add the task")).click()
    expect(page.get_by_role("status")).to_contain_text(tr("Task added."))
    new = Task.objects.exclude(pk=late.pk).get()

    # On the home page and on /tasks/: the overdue one first.
    page.goto(f"{base}/")
    home = page.locator("section.home-block", has=page.locator("#tasks"))
    expect(home).to_contain_text(tr("My open tasks"))
    listed = home.locator("li")
    expect(listed).to_have_count(2)
    expect(listed.nth(0)).to_contain_text(late.due_on.isoformat())
    expect(listed.nth(0).locator(".overdue")).to_be_visible()
    expect(listed.nth(1)).to_contain_text(new.due_on.isoformat())
    expect(listed.nth(1).locator(".overdue")).to_have_count(0)
    page.goto(f"{base}/tasks/")
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(tr("overdue"))
    expect(rows.nth(0)).to_contain_text(late.due_on.isoformat())
    expect(rows.nth(1)).to_contain_text(new.due_on.isoformat())
    expect(rows.nth(1)).not_to_contain_text(tr("overdue"))
    assert_in_serbian(page)

    # Mark the new one done: it leaves the list.
    rows.nth(1).get_by_role("link", name=new.due_on.isoformat()).click()
    page.wait_for_url(f"{base}/tasks/{new.pk}/")
    page.get_by_role("button", name=tr("Mark done")).click()
    expect(page.get_by_role("status")).to_contain_text(tr("Task closed."))
    assert Task.objects.get(pk=new.pk).status == TaskStatus.DONE
    page.goto(f"{base}/tasks/")
    expect(page.locator("table.list tbody tr")).to_have_count(1)

    # Give the overdue one to the colleague.
    page.goto(f"{base}/tasks/{late.pk}/")
    page.get_by_role("link", name=tr("Reassign")).click()
    page.wait_for_url(f"{base}/tasks/{late.pk}/assign/")
    assert_in_serbian(page)
    page.locator("#id_assigned_to").select_option(label=colleague.username)
    page.get_by_role("button", name=tr("Reassign")).click()
    page.wait_for_url(f"{base}/tasks/{late.pk}/")
    expect(page.get_by_role("status")).to_contain_text(tr("Task reassigned."))
    assert Task.objects.get(pk=late.pk).assigned_to_id == colleague.pk

    # The case summary: a real PDF that names the case (the browser's own session asks for it).
    summary = page.request.get(f"{base}/cases/{case.pk}/summary.pdf")
    assert summary.status == 200 and summary.headers["content-type"] == "application/pdf"
    body = summary.body()
    assert body.startswith(b"%PDF")
    assert case.reference in pdf_text(body)
    desktop.close()

    # The same pages on a phone, in Serbian Cyrillic: nothing scrolls sideways.
    phone = new_page(browser, live_server)
    try:
        login(phone, live_server, "socialwork", PASSWORD)
        for path in (
            f"/cases/{case.pk}/",
            "/tasks/",
            f"/tasks/?case={case.pk}",
            f"/cases/{case.pk}/documents/new/",
            "/notifications/",
            f"/tasks/{late.pk}/",
        ):
            phone.goto(f"{base}{path}")
            expect(phone.get_by_role("heading", level=1)).to_be_visible()
            no_sideways_scroll(phone)
            assert_in_serbian(phone)
        # The notification of the task assigned yesterday, in Cyrillic.
        phone.goto(f"{base}/notifications/")
        expect(phone.locator("main")).to_contain_text(tr("Task assigned to you"))
        expect(phone.locator("main")).to_contain_text(case.reference)
        phone.goto(f"{base}/cases/{case.pk}/")
        expect(phone.locator("[data-documents]")).to_contain_text(tr("Documents"))
        expect(phone.locator("[data-documents]")).to_contain_text("Passport photo")
    finally:
        phone.context.close()
