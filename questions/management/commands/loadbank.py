"""Load the built-in question bank: validate every file, then upsert all of it at once.

Run after editing bank files (and by `make run`); users' progress is kept because questions
are matched by slug. A bank with any bad file loads nothing and exits non-zero.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questions.loader import DEFAULT_BANK, BankLoadError, load_bank


class Command(BaseCommand):
    help = "Validate and load the question bank (questions/bank/ or PATH); all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_BANK), help="bank folder")

    def handle(self, *args, path, **options):
        root = Path(path)
        if not root.is_dir():
            raise CommandError(f"{root} is not a folder")
        verbosity = options["verbosity"]

        def progress(done: int, total: int) -> None:
            if verbosity >= 1 and (done % 100 == 0 or done == total) and total >= 100:
                self.stdout.write(f"  {done}/{total} questions")

        try:
            report = load_bank(root, progress=progress)
        except BankLoadError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(exc.errors)} problem(s) found; nothing was loaded.") from None
        message = (
            f"Bank loaded: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged."
        )
        if report.not_in_bank:
            message += f" {report.not_in_bank} built-in question(s) no longer have a file (kept)."
        self.stdout.write(self.style.SUCCESS(message))
