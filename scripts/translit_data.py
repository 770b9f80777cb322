"""Fill the Serbian Cyrillic ("sr") translations of the data files from their Serbian Latin ("sr-latn") ones.

Data carries its own translations (nrm/core/i18n.py): next to a text, ``<key>_i18n`` maps a
language code to the text in that language, e.g. ``"text_i18n": {"sr-latn": "...", "sr": "..."}``.
Only the Latin text is written by hand; this script writes every "sr" entry as the
transliteration of the "sr-latn" one, with the same function as the catalogues
(scripts/translit_po.py, :func:`to_cyrillic`). A translation with no Latin text is left as it is.

    python3 scripts/translit_data.py            # rewrite the bundled data files
    python3 scripts/translit_data.py --check    # only report a file that is not up to date (exit 1)
    python3 scripts/translit_data.py FILE.json  # a country's own indicator list or reference file

A file whose Cyrillic texts are already right is left as it is; one that changes is written back
as JSON indented by one space, UTF-8, with a final newline. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from translit_po import to_cyrillic  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA_FILES = (
    ROOT / "nrm" / "cases" / "data" / "ilo_ec_2009.json",
    ROOT / "nrm" / "demo" / "data" / "reference_rs.json",
    ROOT / "nrm" / "helpline" / "data" / "reference_rs.json",
    ROOT / "nrm" / "justice" / "data" / "reference_rs.json",
    ROOT / "nrm" / "earlywarning" / "data" / "reference_rs.json",
    ROOT / "nrm" / "prevention" / "data" / "reference_rs.json",
    ROOT / "nrm" / "actionplan" / "data" / "rs_strategy_2017_2022.institutions.json",
)
LATIN, CYRILLIC = "sr-latn", "sr"


def fill(value):
    """Return ``value`` with the Cyrillic text of every ``*_i18n`` mapping set from its Latin text."""
    if isinstance(value, list):
        return [fill(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key.endswith("_i18n") and isinstance(item, dict) and isinstance(item.get(LATIN), str):
            item = {**item, CYRILLIC: to_cyrillic(item[LATIN])}
        out[key] = fill(item)
    return out


def render(data) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="JSON files (default: the bundled data files)")
    parser.add_argument("--check", action="store_true", help="only report files that are not up to date")
    args = parser.parse_args(argv)
    stale = []
    for path in args.files or DATA_FILES:
        data = json.loads(path.read_text(encoding="utf-8"))
        filled = fill(data)
        if filled == data:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(render(filled), encoding="utf-8")
    for path in stale:
        print(f"{'not up to date' if args.check else 'written'}: {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
