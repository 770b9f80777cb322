"""The interface in Serbian, Latin and Cyrillic: language choice, and complete, well-formed catalogues.

The catalogues are checked as shipped: every msgid of each .po file has a translation that is not
fuzzy, keeps the msgid's placeholders, and is what the committed .mo file serves; the Cyrillic
catalogue is the transliteration of the Latin one (scripts/translit_po.py).
"""

from __future__ import annotations

import ast
import gettext
import importlib.util
import re
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGUES = {"sr-latn": LOCALE / "sr_Latn" / "LC_MESSAGES", "sr": LOCALE / "sr" / "LC_MESSAGES"}
SCRIPT = Path(settings.BASE_DIR).parent / "scripts" / "translit_po.py"

# What a page shows in each language: the login page and the home page (title "My tasks").
SIGN_IN = {"en": "Sign in", "sr-latn": "Prijavi se", "sr": "Пријави се"}
MY_TASKS = {"en": "My tasks", "sr-latn": "Moji zadaci", "sr": "Моји задаци"}

NAMED = re.compile(r"%\(([^)]+)\)")
POSITIONAL = re.compile(r"%(?!\()[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACED = re.compile(r"\{\{?\s*[A-Za-z_][\w.]*\s*\}?\}")


def parse_po(path: Path) -> list[dict]:
    """Return the entries of a .po file (header included), with their flags; obsolete ones left out."""
    entries, cur, field = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip() or (line.startswith("#") and field):
            if cur and field:
                entries.append(cur)
            cur, field = None, None
            if not line.strip():
                continue
        if cur is None:
            cur = {"flags": set(), "msgid": "", "msgid_plural": None, "msgctxt": None, "msgstr": {}}
        if line.startswith("#,"):
            cur["flags"] |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith("msgstr["):
            field = ("msgstr", int(line[7 : line.index("]")]))
            cur["msgstr"][field[1]] = ast.literal_eval(line[line.index("]") + 1 :].strip())
        else:
            keyword, _, value = line.partition(" ")
            if keyword in ("msgctxt", "msgid", "msgid_plural"):
                field = (keyword, None)
                cur[keyword] = ast.literal_eval(value)
            elif keyword == "msgstr":
                field = ("msgstr", 0)
                cur["msgstr"][0] = ast.literal_eval(value)
            elif line.startswith('"'):
                name, index = field
                if name == "msgstr":
                    cur["msgstr"][index] += ast.literal_eval(line)
                else:
                    cur[name] += ast.literal_eval(line)
    return entries


def messages(lang: str) -> list[dict]:
    return [e for e in parse_po(CATALOGUES[lang] / "django.po") if e["msgid"]]


def header(lang: str) -> str:
    return next(e for e in parse_po(CATALOGUES[lang] / "django.po") if not e["msgid"])["msgstr"][0]


def placeholders(text: str, python_format: bool) -> tuple:
    positional = sorted(POSITIONAL.findall(text)) if python_format else []
    return set(NAMED.findall(text)), positional, {re.sub(r"\s", "", b) for b in BRACED.findall(text)}


def use_language(client, lang: str) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang


# --- Pages in each language -------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "sr-latn", "sr"])
def test_login_page_follows_the_language_cookie(client, lang):
    use_language(client, lang)
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert SIGN_IN[lang] in html


@pytest.mark.parametrize(("header_value", "lang"), [("sr-Latn,en;q=0.5", "sr-latn"), ("sr,en;q=0.5", "sr")])
def test_login_page_follows_accept_language(client, header_value, lang):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=header_value).content.decode()
    assert f'<html lang="{lang}">' in html
    assert SIGN_IN[lang] in html
    assert SIGN_IN["en"] not in html


@pytest.mark.parametrize("lang", ["sr-latn", "sr"])
def test_home_page_in_serbian(client, world, lang):
    client.force_login(world["police"])
    use_language(client, lang)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{MY_TASKS[lang]}</h1>" in html
    assert MY_TASKS["en"] not in html


def test_home_page_counts_agree_with_their_number(client, world):
    """The tiles' labels take the Serbian plural form of their count (0 takes the third form)."""
    client.force_login(world["police"])
    use_language(client, "sr")
    html = client.get("/").content.decode()
    assert "отворених предмета" in html
    assert "упућивања чека ваш одговор" in html
    assert "open cases" not in html


def test_set_language_switches_and_remembers(client, world):
    client.force_login(world["police"])
    assert MY_TASKS["en"] in client.get("/").content.decode()

    response = client.post("/i18n/setlang/", {"language": "sr", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sr"
    assert MY_TASKS["sr"] in client.get("/").content.decode()

    client.post("/i18n/setlang/", {"language": "sr-latn", "next": "/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sr-latn"
    assert MY_TASKS["sr-latn"] in client.get("/").content.decode()

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert MY_TASKS["en"] in client.get("/").content.decode()


def test_set_language_refuses_an_unknown_language(client):
    client.post("/i18n/setlang/", {"language": "xx", "next": "/accounts/login/"})
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies
    assert SIGN_IN["en"] in client.get("/accounts/login/").content.decode()


# --- The catalogues ---------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "language"), [("sr-latn", "sr_Latn"), ("sr", "sr")])
def test_catalogue_header(lang, language):
    text = header(lang)
    assert f"Language: {language}\n" in text
    assert "charset=UTF-8" in text
    assert (
        "Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : "
        "n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
    ) in text


@pytest.mark.parametrize("lang", ["sr-latn", "sr"])
def test_every_message_is_translated(lang):
    entries = messages(lang)
    assert len(entries) > 100
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    wrong_forms = [e["msgid"] for e in entries if e["msgid_plural"] is not None and sorted(e["msgstr"]) != [0, 1, 2]]
    assert untranslated == []
    assert fuzzy == []
    assert wrong_forms == []


@pytest.mark.parametrize("lang", ["sr-latn", "sr"])
def test_translations_keep_the_placeholders(lang):
    wrong = []
    for e in messages(lang):
        python_format = "python-format" in e["flags"]
        expected = placeholders(e["msgid_plural"] or e["msgid"], python_format)
        for index, text in e["msgstr"].items():
            if placeholders(text, python_format) != expected:
                wrong.append((e["msgid"], index, text))
    assert wrong == []


@pytest.mark.parametrize("lang", ["sr-latn", "sr"])
def test_compiled_catalogue_matches_the_po_file(lang):
    """The committed .mo serves exactly the .po's translations (compilemessages was run)."""
    with (CATALOGUES[lang] / "django.mo").open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    stale = []
    for e in messages(lang):
        ctx = e["msgctxt"]
        if e["msgid_plural"] is None:
            got = {0: mo.pgettext(ctx, e["msgid"]) if ctx else mo.gettext(e["msgid"])}
        else:
            # 1, 2 and 5 pick forms 0, 1 and 2 of the Serbian plural rule.
            got = {
                i: mo.npgettext(ctx, e["msgid"], e["msgid_plural"], n)
                if ctx
                else mo.ngettext(e["msgid"], e["msgid_plural"], n)
                for i, n in enumerate((1, 2, 5))
            }
        if got != e["msgstr"]:
            stale.append(e["msgid"])
    assert stale == []


def test_cyrillic_catalogue_is_the_transliteration_of_the_latin_one(monkeypatch):
    spec = importlib.util.spec_from_file_location("translit_po", SCRIPT)
    translit = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "translit_po", translit)  # dataclasses look their module up
    spec.loader.exec_module(translit)
    assert translit.main(["--check"]) == 0

    cyrillic = translit.to_cyrillic
    assert cyrillic("Ljubljana, NJEGOŠ, Džep, đak") == "Љубљана, ЊЕГОШ, Џеп, ђак"
    assert cyrillic("ćirilica, odjaviti") == "ћирилица, одјавити"
    assert cyrillic("Predmet %(ref)s je otvoren.") == "Предмет %(ref)s је отворен."
    assert cyrillic('<a href="/cases/">Predmeti</a> {{ n }} {name}') == '<a href="/cases/">Предмети</a> {{ n }} {name}'
    assert cyrillic("ISO 3166, NRM, XLSX i PDF") == "ISO 3166, NRM, XLSX и PDF"
    assert cyrillic("Pišite na info@nrm.example ili https://nrm.example/pomoc") == (
        "Пишите на info@nrm.example или https://nrm.example/pomoc"
    )
    assert cyrillic("injekcija, nadživeti") == "инјекција, надживети"


def test_the_404_and_500_pages_are_the_projects_own_and_translated(client, world):
    from django.test import RequestFactory
    from django.views.defaults import server_error

    client.force_login(world["police"])
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and "Back to your home page" in missing.content.decode()
    client.post("/i18n/setlang/", {"language": "sr", "next": "/"})
    serbian = client.get("/no-such-page/").content.decode()
    assert "Back to your home page" not in serbian and 'lang="sr"' in serbian
    from django.utils import translation

    with translation.override("en"):
        failed = server_error(RequestFactory().get("/"))
    assert failed.status_code == 500 and "Something went wrong" in failed.content.decode()


def test_the_language_switch_warns_before_losing_a_form_and_the_menu_folds(client, world):
    client.force_login(world["police"])
    html = client.get("/screenings/new/").content.decode()
    assert "data-dirty-warning=" in html and 'data-menu-label="Menu"' in html
