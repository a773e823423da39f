"""Import question files for a user: a folder, a .zip or .md in the bank format, or a CSV of
front,back pairs. Everything is checked first (the same checks as the web import, including
running coding questions' reference solutions); any problem imports nothing.

Without --user the folder is the built-in bank and is loaded exactly as `loadbank` does.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from questions import importing
from questions.models import Category, Question, Round

# An administrator's own files: much larger batches than a web upload.
ADMIN_LIMITS = importing.Limits(
    upload_bytes=500 * 1024 * 1024,
    files=100_000,
    uncompressed_bytes=2 * 1024 * 1024 * 1024,
    coding=100_000,
)


class Command(BaseCommand):
    help = (
        "Import PATH (a folder, .zip, .md or .csv) as --user's questions, all or nothing. "
        "Without --user, load PATH as the built-in bank (like loadbank)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--user", help="the user who will own the questions")
        parser.add_argument("--visibility", choices=Question.Visibility.values, default="private")
        parser.add_argument("--category", help="CSV only: category slug of the cards")
        parser.add_argument("--rounds", help="CSV only: comma-separated round slugs")
        parser.add_argument("--dry-run", action="store_true", help="check and report only")
        parser.add_argument(
            "--no-run",
            action="store_true",
            help="trust the files: do not run coding questions' reference solutions",
        )

    def handle(self, *args, path, user, **options):
        source = Path(path)
        if not source.exists():
            raise CommandError(f"{source} does not exist")
        if not user:
            call_command("loadbank", str(source), stdout=self.stdout, stderr=self.stderr)
            return
        owner = get_user_model().objects.filter(username=user).first()
        if owner is None:
            raise CommandError(f"No user called {user!r}.")
        run = not options["no_run"]
        if source.is_dir():
            entries = [
                (str(f.relative_to(source)), f.read_bytes())
                for f in sorted(source.rglob("*.md"))
                if not any(p.startswith(".") for p in f.relative_to(source).parts)
            ]
            self.stdout.write(f"Checking {len(entries)} file(s)...")
            plan = importing.read_files(entries, user=owner, limits=ADMIN_LIMITS, run_solutions=run)
        else:
            category, rounds = self._csv_options(options)
            plan = importing.read_upload(
                source.name,
                source.read_bytes(),
                user=owner,
                category=category,
                rounds=rounds,
                limits=ADMIN_LIMITS,
                run_solutions=run,
            )
        for error in plan.errors:
            self.stderr.write(str(error))
        if plan.errors:
            raise CommandError(f"{len(plan.errors)} problem(s) found; nothing was imported.")
        summary = ", ".join(
            f"{plan.count(action)} {word}"
            for action, word in (("create", "to create"), ("update", "to update"),
                                 ("unchanged", "unchanged"))
        )  # fmt: skip
        if options["dry_run"]:
            self.stdout.write(f"Dry run: {summary}. Nothing was written.")
            return
        importing.apply_plan(plan, user=owner, visibility=options["visibility"])
        self.stdout.write(self.style.SUCCESS(f"Imported for {user}: {summary}."))

    def _csv_options(self, options):
        category = rounds = None
        if options["category"]:
            category = Category.objects.filter(slug=options["category"]).first()
            if category is None:
                raise CommandError(f"No category {options['category']!r}.")
        if options["rounds"]:
            slugs = [s.strip() for s in options["rounds"].split(",") if s.strip()]
            rounds = list(Round.objects.filter(slug__in=slugs))
            if len(rounds) != len(set(slugs)):
                raise CommandError(f"Unknown round among {options['rounds']!r}.")
        return category, rounds
