#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dab_project.settings")
    from django.core.management import execute_from_command_line

    from dab_project.memory import process_exit, process_exit_claim

    process_exit_claim()  # a command may keep its large results for the exit instead of freeing them first
    try:
        execute_from_command_line(sys.argv)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            process_exit(exc.code or 0)
        raise
    process_exit(0)


if __name__ == "__main__":
    main()
