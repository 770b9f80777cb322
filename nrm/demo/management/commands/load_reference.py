"""``nrm load_reference [FILE]``: load or update reference data."""

from pathlib import Path

from django.core.management.base import BaseCommand

from nrm.demo.reference import load_reference


class Command(BaseCommand):
    help = "Load organisation types, organisations, forms of exploitation, services and indicator lists."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", type=Path)

    def handle(self, *args, file=None, **options):
        counts = load_reference(file)
        self.stdout.write("reference data loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
