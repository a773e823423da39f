"""Write questions out as bank-format files: the built-in bank (with its loop.yaml, so the
folder loads back with `loadbank` or `importbank`), or one user's questions.

For backups, for moving questions between servers, and for editing the bank as files.
"""

from pathlib import Path

import yaml
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from questions import authoring, exporting
from questions.loader import LOOP_FILE
from questions.models import Category, Question, Round, Track


class Command(BaseCommand):
    help = (
        "Write the built-in bank (or --user's questions) to FOLDER as one Markdown file per "
        "question, <category>/<name>.md. FOLDER must be new or empty."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="where to write; created if missing")
        parser.add_argument("--user", help="export this user's own questions instead")

    def handle(self, *args, folder, user, **options):
        out = Path(folder)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise CommandError(f"{out} exists and is not an empty folder; nothing was written.")
        if user:
            owner = get_user_model().objects.filter(username=user).first()
            if owner is None:
                raise CommandError(f"No user called {user!r}.")
            questions = exporting.own_questions(owner)
        else:
            questions = authoring.with_parts(Question.objects.filter(owner__isnull=True))
        files = exporting.export_files(questions.order_by("slug"))
        out.mkdir(parents=True, exist_ok=True)
        if not user:
            (out / LOOP_FILE).write_text(loop_yaml(), encoding="utf-8")
        for done, (path, text) in enumerate(files, start=1):
            target = out / path
            target.parent.mkdir(exist_ok=True)
            target.write_text(text, encoding="utf-8")
            if options["verbosity"] >= 1 and done % 100 == 0:
                self.stdout.write(f"  {done}/{len(files)} questions")
        whose = f"{user}'s questions" if user else "the built-in bank"
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(files)} question(s), {whose}, to {out}."))


def loop_yaml() -> str:
    """The interview loop as stored now, in loop.yaml's shape."""
    data = {
        "categories": [
            {"slug": c.slug, "name": c.name, "description": c.description}
            for c in Category.objects.all()
        ],
        "rounds": [
            {
                "slug": r.slug,
                "name": r.name,
                "description": r.description,
                "categories": [c.slug for c in r.categories.all()],
            }
            for r in Round.objects.prefetch_related("categories")
        ],
        "tracks": [
            {
                "slug": t.slug,
                "name": t.name,
                "description": t.description,
                "rounds": [r.slug for r in t.rounds.all()],
            }
            for t in Track.objects.prefetch_related("rounds")
        ],
    }
    header = "# The interview loop, written by `manage.py exportbank` from the database.\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
