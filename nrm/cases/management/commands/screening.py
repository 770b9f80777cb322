"""``nrm screening template OUT.xlsx`` and ``nrm screening import-list FILE.xlsx``: a country's own indicator list.

``template`` writes the active list into the spreadsheet template (sheets List, Dimensions,
Indicators, Rules), so a country starts from it. ``import-list`` validates a filled template
and, only if every check passes, stores it as a new version of its list and makes it the
active one; otherwise it prints each problem with its sheet, row and column and changes
nothing. Screenings keep the version they were made with.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from nrm.cases.indicator_lists import (
    InvalidList,
    definition_from_workbook,
    import_definition,
    workbook_from_definition,
)
from nrm.cases.services import active_indicator_list
from nrm.core.spreadsheet import workbook_bytes


class Command(BaseCommand):
    help = "Export the active indicator list as a spreadsheet template, or import a country's list from one."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="operation", required=True)
        template = sub.add_parser("template", help="write the active list into the template (.xlsx)")
        template.add_argument("outfile", type=Path)
        template.add_argument("--list", dest="code", help="the code of the list to export (default: the active one)")
        imp = sub.add_parser("import-list", help="import a filled template as a new, active version")
        imp.add_argument("file", type=Path)
        imp.add_argument("--check", action="store_true", help="validate only, store nothing")

    def handle(self, *args, operation: str, **options):
        if operation == "template":
            self.template(options["outfile"], options.get("code"))
        else:
            self.import_list(options["file"], check_only=options["check"])

    def template(self, outfile: Path, code: str | None) -> None:
        try:
            current = active_indicator_list(code)
        except ValidationError as exc:
            raise CommandError("no active indicator list to export") from exc
        if outfile.suffix.casefold() != ".xlsx":
            raise CommandError(f"{outfile}: the template is an .xlsx file")
        outfile.write_bytes(workbook_bytes(workbook_from_definition(current.definition)))
        self.stdout.write(
            f"wrote {current.code} v{current.version} ({len(current.definition['indicators'])} indicators) to {outfile}"
        )

    def import_list(self, path: Path, *, check_only: bool) -> None:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            definition = definition_from_workbook(path)
        except InvalidList as exc:
            for problem in exc.problems:
                self.stderr.write(f"{path.name}: {problem}")
            raise CommandError(f"{len(exc.problems)} problem(s); nothing was imported") from exc
        if check_only:
            self.stdout.write(f"{path.name}: valid ({len(definition['indicators'])} indicators); nothing stored")
            return
        stored = import_definition(definition, origin=path.name)
        self.stdout.write(
            f"imported {stored.code} v{stored.version} ({len(definition['indicators'])} indicators); "
            "it is now the active list (earlier versions stay for the screenings made with them)"
        )
