"""The ``nrm`` console script: Django's management commands plus the project's own.

``nrm demo``, ``nrm serve``, ``nrm audit verify`` and the rest are management commands, so
``nrm help`` lists them all. Failures print one line and exit non-zero.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrm.settings")
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "nrm"
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        print(f"nrm: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
