"""Fill the Serbian Cyrillic catalogue (sr) from the Serbian Latin one (sr_Latn).

Workflow, in five steps (1 and 4 run in nrm/, 3 in the repository root):
1. NRM_DATA_DIR=$(mktemp -d) ../.venv/bin/nrm makemessages -l sr_Latn -l sr -e html,py,txt -i "*/tests/*" -i "*/data/*"
2. Translate the empty and fuzzy entries of nrm/locale/sr_Latn/LC_MESSAGES/django.po; unfuzzy only what is right.
3. python3 scripts/translit_po.py  (writes nrm/locale/sr/LC_MESSAGES/django.po; --check only reports a difference)
4. NRM_DATA_DIR=$(mktemp -d) ../.venv/bin/nrm compilemessages
5. Commit the .po and .mo files: the .mo files let a machine without gettext show Serbian.

Only the Latin catalogue is edited by hand; the Cyrillic one is generated. For every entry of the
Cyrillic catalogue the script looks up the same msgid (and msgctxt, msgid_plural) in the Latin
catalogue and writes its msgstr transliterated from Gaj's Latin alphabet to Serbian Cyrillic
(lj -> љ, nj -> њ, dž -> џ, đ -> ђ, ć -> ћ, č -> ч, ...; case-aware, so "Lj" and "LJ" give "Љ").
The fuzzy flag follows the Latin entry. An entry the Latin catalogue does not translate is left
as it is. The header is the Latin header with the Language field set to "sr".

Left in Latin script, untouched:
  * placeholders: %(name)s, %s, %d, %%, {name}, {{ var }}, {% tag %};
  * HTML tags with their attributes, and character entities;
  * URLs and e-mail-like tokens;
  * code in straight single quotes ('unknown') and tokens with "=" or "_" (by=year,sex);
  * the abbreviations in ABBREVIATIONS (ISO, NRM, PDF, ...) and the words in KEEP_WORDS
    (language codes, command names);
  * any word with a letter Serbian does not have (q, w, x, y), such as XLSX.

"dj" is written д + ј, not ђ: the Latin catalogue spells ђ as "đ", and "dj" occurs in words
such as "odjaviti" (одјавити). DIGRAPH_EXCEPTIONS lists the few words in which "nj", "lj" or
"dž" are two letters rather than one (injekcija -> инјекција).

Only the standard library is used, so the script runs without the project's virtualenv.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LATIN_PO = ROOT / "nrm" / "locale" / "sr_Latn" / "LC_MESSAGES" / "django.po"
CYRILLIC_PO = ROOT / "nrm" / "locale" / "sr" / "LC_MESSAGES" / "django.po"

ABBREVIATIONS = frozenset(
    {
        "API",
        "CSV",
        "CTDC",
        "DAC",
        "EU",
        "EUR",
        "GLOTIP",
        "HTCDS",
        "HTML",
        "IATI",
        "ID",
        "ILO",
        "IOM",
        "IPA",
        "ISO",
        "JPEG",
        "JSON",
        "NGO",
        "NRM",
        "ODT",
        "PDF",
        "PNG",
        "RS",
        "RSD",
        "SMS",
        "TAIEX",
        "UNODC",
        "URL",
        "XLSX",
    }
)
# Words that are code, not Serbian: language codes shown as examples, command names.
KEEP_WORDS = frozenset({"sr", "en", "ar", "hu", "nrm", "actionplan", "load", "alpha"})
# (word fragment, index of the digraph in it) where the two letters stay two letters.
DIGRAPH_EXCEPTIONS = (
    ("injek", 1),
    ("konjug", 2),
    ("konjunk", 2),
    ("tanjug", 2),
    ("vanjez", 2),
    ("nadž", 2),
    ("podž", 2),
    ("odžal", 1),
)

_SINGLE = dict(
    zip(
        "abcčćdđefghijklmnoprsštuvzž",
        "абцчћдђефгхијклмнопрсштувзж",
        strict=True,
    )
)
_DIGRAPHS = {"lj": "љ", "nj": "њ", "dž": "џ"}
_FOREIGN = re.compile(r"[qwxyQWXY]")

_PROTECTED = re.compile(
    r"""
      %\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]   # %(name)s
    | %[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]           # %s %d %%
    | \{\{.*?\}\} | \{%.*?%\}                             # template variables and tags
    | \{[^{}\s]*\}                                        # str.format fields
    | <[^>]*>                                             # HTML tags with their attributes
    | &(?:[A-Za-z]+|\#\d+|\#x[0-9A-Fa-f]+);               # character entities
    | \b(?:https?|ftp)://[^\s<>"]+ | \bwww\.[^\s<>"]+     # URLs
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)+                        # e-mail-like tokens
    | '[^'\s][^'\n]*'                                     # code in straight quotes
    | [\w.,-]*\w[=_][\w=_.,-]*                            # code-like tokens
    """,
    re.VERBOSE,
)
_WORD = re.compile(r"[^\W\d_]+")


def _keep_word(word: str) -> bool:
    return word in ABBREVIATIONS or word in KEEP_WORDS or bool(_FOREIGN.search(word))


def _joins(lower: str, i: int) -> bool:
    """Return whether the digraph starting at ``lower[i]`` is one letter in this word."""
    for fragment, at in DIGRAPH_EXCEPTIONS:
        start = i - at
        if start >= 0 and lower[start : start + len(fragment)] == fragment:
            return False
    return True


def _word_to_cyrillic(word: str) -> str:
    if _keep_word(word):
        return word
    lower = word.lower()
    out = []
    i = 0
    while i < len(word):
        pair = lower[i : i + 2]
        if pair in _DIGRAPHS and _joins(lower, i):
            letter = _DIGRAPHS[pair]
            out.append(letter.upper() if word[i].isupper() else letter)
            i += 2
            continue
        ch = word[i]
        letter = _SINGLE.get(ch.lower())
        if letter is None:
            out.append(ch)
        else:
            out.append(letter.upper() if ch.isupper() else letter)
        i += 1
    return "".join(out)


def _plain_to_cyrillic(text: str) -> str:
    return _WORD.sub(lambda m: _word_to_cyrillic(m.group(0)), text)


def to_cyrillic(text: str) -> str:
    """Return ``text`` in Serbian Cyrillic, leaving placeholders, markup, URLs and codes alone."""
    out = []
    last = 0
    for m in _PROTECTED.finditer(text):
        out.append(_plain_to_cyrillic(text[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_plain_to_cyrillic(text[last:]))
    return "".join(out)


# --- A small .po reader and writer -----------------------------------------------------------


@dataclass
class Entry:
    comments: list[str] = field(default_factory=list)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    verbatim: bool = False  # a block of comments only, such as obsolete "#~" entries

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def flags(self) -> list[str]:
        return [f.strip() for c in self.comments if c.startswith("#,") for f in c[2:].split(",") if f.strip()]

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    def set_fuzzy(self, fuzzy: bool) -> None:
        flags = [f for f in self.flags if f != "fuzzy"]
        if fuzzy:
            flags.insert(0, "fuzzy")
        else:
            # The previous msgid only matters while the entry is fuzzy.
            self.comments = [c for c in self.comments if not c.startswith("#|")]
        rest = [c for c in self.comments if not c.startswith("#,")]
        # Flags go after the translator, extracted and reference comments, before "#|".
        at = next((i for i, c in enumerate(rest) if c.startswith("#|")), len(rest))
        self.comments = rest[:at] + (["#, " + ", ".join(flags)] if flags else []) + rest[at:]


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unquote(s: str) -> str:
    s = s.strip()
    if len(s) < 2 or s[0] != '"' or s[-1] != '"':
        raise ValueError(f"not a quoted string: {s!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), s[1:-1])


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\n", "\\n") + '"'


def parse_po(text: str) -> list[Entry]:
    """Return the entries of a .po file, the header first."""
    entries: list[Entry] = []
    cur = Entry()
    target: tuple[str, int] | None = None

    def flush() -> None:
        nonlocal cur, target
        if cur.comments or target is not None:
            cur.verbatim = target is None
            entries.append(cur)
        cur, target = Entry(), None

    for n, line in enumerate(text.splitlines(), 1):
        try:
            if not line.strip():
                flush()
            elif line.startswith("#"):
                if target is not None:  # a comment after the strings starts a new entry
                    flush()
                cur.comments.append(line)
            elif line.startswith("msgctxt "):
                cur.msgctxt, target = _unquote(line[8:]), ("msgctxt", 0)
            elif line.startswith("msgid_plural "):
                cur.msgid_plural, target = _unquote(line[13:]), ("msgid_plural", 0)
            elif line.startswith("msgid "):
                if target is not None and target[0] != "msgctxt":
                    flush()
                cur.msgid, target = _unquote(line[6:]), ("msgid", 0)
            elif line.startswith("msgstr["):
                index = int(line[7 : line.index("]")])
                cur.msgstr[index], target = _unquote(line[line.index("]") + 1 :]), ("msgstr", index)
            elif line.startswith("msgstr "):
                cur.msgstr[0], target = _unquote(line[7:]), ("msgstr", 0)
            elif line.lstrip().startswith('"') and target is not None:
                part = _unquote(line)
                name, index = target
                if name == "msgstr":
                    cur.msgstr[index] += part
                else:
                    setattr(cur, name, (getattr(cur, name) or "") + part)
            else:
                raise ValueError(f"unexpected line: {line!r}")
        except ValueError as exc:
            raise ValueError(f"line {n}: {exc}") from None
    flush()
    return entries


def _wrap(keyword: str, value: str, width: int = 79) -> list[str]:
    """Lay a string out as GNU gettext does: one line if it fits, else broken after spaces and newlines."""
    one = f"{keyword} {_quote(value)}"
    if len(one) <= width and "\n" not in value[:-1]:
        return [one]
    lines = [f'{keyword} ""']
    for piece in re.findall(r"[^\n]*\n|[^\n]+", value):
        current = ""
        for token in re.findall(r"\S*\s*", piece):
            if not token:
                continue
            if current and len(_quote(current + token)) > width:
                lines.append(_quote(current))
                current = ""
            current += token
        if current:
            lines.append(_quote(current))
    return lines


def format_po(entries: list[Entry]) -> str:
    blocks = []
    for e in entries:
        lines = list(e.comments)
        if not e.verbatim:
            if e.msgctxt is not None:
                lines += _wrap("msgctxt", e.msgctxt)
            lines += _wrap("msgid", e.msgid)
            if e.msgid_plural is not None:
                lines += _wrap("msgid_plural", e.msgid_plural)
                for index in sorted(e.msgstr):
                    lines += _wrap(f"msgstr[{index}]", e.msgstr[index])
            else:
                lines += _wrap("msgstr", e.msgstr.get(0, ""))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _header_for(latin_header: Entry, language: str) -> Entry:
    """Return the Cyrillic header: the Latin one, in another language."""
    value = re.sub(r"^Language: .*$", f"Language: {language}", latin_header.msgstr.get(0, ""), flags=re.M)
    comments = [
        "# Serbian (Cyrillic script) catalogue of NRM.",
        "# Generated from sr_Latn by scripts/translit_po.py: edit the Latin catalogue, not this one.",
        "#",
    ]
    return Entry(comments=comments, msgstr={0: value})


def transliterate_catalogue(latin: list[Entry], cyrillic: list[Entry]) -> list[Entry]:
    """Return the Cyrillic entries with their msgstr (and fuzzy flag) taken from the Latin ones."""
    source = {e.key: e for e in latin if not e.verbatim and e.msgid}
    header = next((e for e in latin if not e.verbatim and not e.msgid), None)
    out = []
    for e in cyrillic:
        if e.verbatim:
            out.append(e)
            continue
        if not e.msgid:
            out.append(_header_for(header, "sr") if header else e)
            continue
        src = source.get(e.key)
        if src is None or not any(src.msgstr.values()):
            out.append(e)
            continue
        e.msgstr = {i: to_cyrillic(s) for i, s in src.msgstr.items()}
        e.set_fuzzy(src.fuzzy)
        out.append(e)
    return out


def _translations(text: str) -> dict:
    """Return what a catalogue translates, and how: its msgstr and fuzzy flag by key, header aside."""
    return {e.key: (e.msgstr, e.fuzzy) for e in parse_po(text) if not e.verbatim and e.msgid}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--latin", type=Path, default=LATIN_PO, help="the sr_Latn catalogue (read)")
    parser.add_argument("--cyrillic", type=Path, default=CYRILLIC_PO, help="the sr catalogue (rewritten)")
    parser.add_argument("--check", action="store_true", help="only check that sr translates as sr_Latn")
    args = parser.parse_args(argv)

    latin = parse_po(args.latin.read_text(encoding="utf-8"))
    # Without a Cyrillic catalogue yet, the Latin one gives the entries and their references.
    template = args.cyrillic if args.cyrillic.exists() else args.latin
    cyrillic = parse_po(template.read_text(encoding="utf-8"))
    new = format_po(transliterate_catalogue(latin, cyrillic))
    old = args.cyrillic.read_text(encoding="utf-8") if args.cyrillic.exists() else ""
    if args.check:
        if _translations(new) != _translations(old):
            print(f"{args.cyrillic} is not up to date with {args.latin}", file=sys.stderr)
            return 1
        return 0
    args.cyrillic.parent.mkdir(parents=True, exist_ok=True)
    args.cyrillic.write_text(new, encoding="utf-8")
    done = sum(1 for e in parse_po(new) if not e.verbatim and e.msgid and all(e.msgstr.values()))
    print(f"{args.cyrillic}: {done} entries translated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
