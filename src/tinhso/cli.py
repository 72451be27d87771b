"""The ``tinhso`` command: Django's management commands for operators.

Hyphens in the command name are accepted (``import-dossiers`` = ``import_dossiers``).
``tinhso serve`` runs the production WSGI server (waitress); everything else is a management
command (``tinhso migrate``, ``tinhso demo``, ``tinhso import-dossiers FILE.jsonl`` …).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    from django.conf import settings

    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["tinhso", *argv])
    # Operators type `tinhso import-dossiers`; Django command modules use underscores.
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
