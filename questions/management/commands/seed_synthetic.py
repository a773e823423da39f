"""Fill a database with synthetic data at scale, for the benchmark (`make bench`).

Bulk inserts only, so a million reviews take minutes, not hours. The questions are clearly
synthetic ("Synthetic question 123"); never run this against a real deployment: it refuses
unless the database has no users yet or --force is given.
"""

import random
import time
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from questions.content_cache import one_bank_change
from questions.loader import DEFAULT_BANK, _upsert_loop, read_loop
from questions.models import Card, Question, Review, RubricPoint

BATCH = 5000
# Words for varied synthetic text, so full-text search has realistic selectivity: a few
# common ML words appear in many questions, most pseudo-words in few.
COMMON_WORDS = [
    "model",
    "gradient",
    "loss",
    "training",
    "data",
    "feature",
    "embedding",
    "regularization",
    "attention",
    "ranking",
    "retrieval",
    "network",
    "layer",
    "batch",
    "learning",
    "rate",
    "optimizer",
    "evaluation",
    "metric",
    "sampling",
    "inference",
    "latency",
    "vector",
    "matrix",
    "probability",
    "distribution",
    "variance",
    "bias",
]
BENCH_PASSWORD = "bench-password-not-secret"  # noqa: S105 - synthetic users of a benchmark DB


class Command(BaseCommand):
    help = "Create synthetic questions, users, cards and reviews for benchmarking."

    def add_arguments(self, parser):
        parser.add_argument("--questions", type=int, default=10_000)
        parser.add_argument("--users", type=int, default=1_000)
        parser.add_argument("--reviews", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--first", type=int, default=0, help="number of the first question (to add more)"
        )
        parser.add_argument("--force", action="store_true", help="seed even if users exist")

    def handle(self, *args, questions, users, reviews, seed, first, force, **options):
        User = get_user_model()
        if User.objects.exists() and not force and not first:
            raise CommandError(
                "This database already has users; use --force on a throwaway database."
            )
        rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
        started = time.perf_counter()
        categories, rounds = _upsert_loop(read_loop(DEFAULT_BANK))
        with one_bank_change():  # bulk inserts send no signals; cached pool counts must go
            question_ids = self._questions(questions, categories, rounds, rng, first)
        self.stdout.write(
            f"  {len(question_ids)} questions ({time.perf_counter() - started:.0f} s)"
        )
        if not users:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            return
        user_ids = self._users(users)
        self.stdout.write(f"  {len(user_ids)} users ({time.perf_counter() - started:.0f} s)")
        count = self._reviews(user_ids, question_ids, reviews, rng)
        with connection.cursor() as cursor:
            # Fresh planner statistics, as after any bulk load: without them PostgreSQL
            # plans the first minutes of the benchmark for empty tables.
            cursor.execute("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(f"Seeded {count} reviews in {time.perf_counter() - started:.0f} s.")
        )

    def _questions(self, n, categories, rounds, rng, first: int = 0) -> list[int]:
        category_list = list(categories.values())
        filler = [_pseudo_word(rng) for _ in range(20_000)]

        def sentence(words: int) -> str:
            # Filler words follow Zipf's law over a large vocabulary (a few frequent, most
            # rare); each ML word turns up in a share of questions that falls with its rank:
            # "model" in about 1 in 5, "regularization" in about 1 in 40, "bias" in 1 in 140.
            picks = [
                filler[min(int(rng.paretovariate(1.0)), len(filler)) - 1] for _ in range(words)
            ]
            for rank, word in enumerate(COMMON_WORDS, start=1):
                if rng.random() < 0.2 / rank:
                    picks[rng.randrange(words)] = word
            return " ".join(picks).capitalize() + "."

        kinds = ["flashcard", "flashcard", "choice", "design"]
        numbers = range(first, first + n)
        with transaction.atomic():
            rows = []
            for i in numbers:
                prompt, answer = sentence(40), sentence(120)
                rows.append(
                    Question(
                        slug=f"syn-q-{i}",
                        title=f"Synthetic question {i}: {sentence(5)[:-1].lower()}",
                        category=category_list[i % len(category_list)],
                        kind=kinds[i % len(kinds)],
                        difficulty=("easy", "medium", "hard")[i % 3],
                        prompt=prompt,
                        # Plain words need no Markdown: the HTML is the paragraph itself.
                        prompt_html=f"<p>{prompt}</p>",
                        answer=answer,
                        answer_html=f"<p>{answer}</p>",
                    )
                )
            Question.objects.bulk_create(rows, batch_size=BATCH)
            ids = list(
                Question.objects.filter(slug__in=[f"syn-q-{i}" for i in numbers]).values_list(
                    "pk", flat=True
                )
            )
            round_list = list(rounds.values())
            Through = Question.rounds.through
            Through.objects.bulk_create(
                (
                    Through(question_id=qid, round_id=round_list[qid % len(round_list)].pk)
                    for qid in ids
                ),
                batch_size=BATCH,
            )
            RubricPoint.objects.bulk_create(
                (
                    RubricPoint(
                        question_id=qid, position=p, text=f"Point {p}", html=f"<p>Point {p}</p>"
                    )
                    for qid in ids
                    for p in range(3)
                ),
                batch_size=BATCH,
            )
        return ids

    def _users(self, n) -> list[int]:
        User = get_user_model()
        password = make_password(BENCH_PASSWORD)
        User.objects.bulk_create(
            (User(username=f"user-{i}", password=password) for i in range(n)), batch_size=BATCH
        )
        return list(User.objects.filter(username__startswith="user-").values_list("pk", flat=True))

    def _reviews(self, user_ids, question_ids, total, rng) -> int:
        """Each user reviews a random set of questions a few times each, spread over a year."""
        per_user = max(1, total // len(user_ids))
        now = datetime.now(UTC)
        written = 0
        cards, logs = [], []
        for user_id in user_ids:
            reps_each = 5
            picked = rng.sample(question_ids, min(len(question_ids), max(1, per_user // reps_each)))
            for question_id in picked:
                moment = now - timedelta(days=rng.randint(30, 365))
                stability = 1.0
                for seq in range(reps_each):
                    rating = rng.choice((2, 3, 3, 3, 4))
                    stability = stability * (2.5 if rating >= 3 else 1.2)
                    logs.append(
                        Review(
                            user_id=user_id,
                            question_id=question_id,
                            sequence=seq,
                            rating=rating,
                            reviewed_at=moment,
                            scheduled_due=moment + timedelta(days=stability),
                            stability=stability,
                            difficulty=5.0,
                            desired_retention=0.9,
                        )
                    )
                    moment += timedelta(days=max(1.0, stability))
                cards.append(
                    Card(
                        user_id=user_id,
                        question_id=question_id,
                        state=Card.State.REVIEW,
                        step=None,
                        stability=stability,
                        difficulty=5.0,
                        last_review=min(moment, now),
                        due=min(moment, now) + timedelta(days=rng.randint(-5, 20)),
                        reps=reps_each,
                    )
                )
            if len(logs) >= BATCH * 4:
                written += self._flush(cards, logs)
                self.stdout.write(f"  {written} reviews")
                cards, logs = [], []
        return written + self._flush(cards, logs)

    def _flush(self, cards, logs) -> int:
        with transaction.atomic():
            Card.objects.bulk_create(cards, batch_size=BATCH)
            Review.objects.bulk_create(logs, batch_size=BATCH)
        return len(logs)


def _pseudo_word(rng) -> str:
    return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))
