from django.conf import settings
from django.db import models
from django.db.models import Q

from questions.rendering import render_code, render_markdown

from .taxonomy import Category, Round


class Tag(models.Model):
    slug = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


def visible_q(user, via: str = "") -> Q:
    """Built-in questions, the user's own, and shared ones; `via` reaches the question from
    another model (e.g. "question__" from a card), so no subquery over the bank is needed."""
    return (
        Q(**{f"{via}owner__isnull": True})
        | Q(**{f"{via}owner": user})
        | Q(**{f"{via}visibility": Question.Visibility.SHARED})
    )


class QuestionQuerySet(models.QuerySet):
    def visible_to(self, user) -> "QuestionQuerySet":
        """Built-in questions, the user's own, and questions other users chose to share."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(visible_q(user))

    def search(self, text: str) -> "QuestionQuerySet":
        """The questions matching `text`, best first (questions/search.py)."""
        from questions import search  # the search module reads the database vendor

        return search.search(self, text)


class Question(models.Model):
    class Kind(models.TextChoices):
        FLASHCARD = "flashcard"
        CHOICE = "choice"
        CODING = "coding"
        DESIGN = "design"
        REVIEW = "review", "AI code review"

    class Difficulty(models.TextChoices):
        EASY = "easy"
        MEDIUM = "medium"
        HARD = "hard"

    class Visibility(models.TextChoices):
        PRIVATE = "private"
        SHARED = "shared", "shared with every signed-in user"

    class Language(models.TextChoices):
        NONE = "", "none"
        PYTHON = "python", "Python"
        SQL = "sql", "SQL"

    # The slug is the bank file name and never changes: progress is keyed by it.
    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=200)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="questions")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    difficulty = models.CharField(max_length=8, choices=Difficulty.choices)
    rounds = models.ManyToManyField(Round, related_name="questions")
    tags = models.ManyToManyField(Tag, related_name="questions", blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="questions",
        help_text="Empty for the built-in bank.",
    )
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )

    prompt = models.TextField()
    prompt_html = models.TextField(editable=False)
    answer = models.TextField()
    answer_html = models.TextField(editable=False)

    language = models.CharField(max_length=8, choices=Language.choices, blank=True)
    # Where the user's code starts: a coding question's starter, or a review question's flawed,
    # AI-written code (its '## Given'), which the user catches with a test and then fixes.
    starter_code = models.TextField(blank=True)
    starter_html = models.TextField(blank=True, editable=False)
    solution_code = models.TextField(blank=True)
    solution_html = models.TextField(blank=True, editable=False)
    test_code = models.TextField(blank=True)
    # Plausible wrong solutions the tests must reject (the bank's own test and authoring check
    # that they do), and the time complexity the tests enforce ("" when none is required).
    wrong_answers = models.JSONField(default=list, blank=True)
    complexity = models.CharField(max_length=60, blank=True)

    # Hash of the source file: an unchanged file is skipped by `loadbank`.
    source_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["category__position", "title"]
        indexes = [
            models.Index(fields=["category", "difficulty"]),
            models.Index(fields=["kind"]),
            models.Index(fields=["owner", "visibility"]),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.render()
        super().save(*args, **kwargs)

    def is_visible_to(self, user) -> bool:
        """QuestionQuerySet.visible_to, for one question already in hand."""
        return user.is_authenticated and (
            self.owner_id is None
            or self.owner_id == user.pk
            or self.visibility == Question.Visibility.SHARED
        )

    def render(self) -> None:
        self.prompt_html = render_markdown(self.prompt)
        self.answer_html = render_markdown(self.answer)
        self.starter_html = render_code(self.starter_code, self.language)
        self.solution_html = render_code(self.solution_code, self.language)

    @property
    def is_builtin(self) -> bool:
        return self.owner_id is None

    @property
    def is_runnable(self) -> bool:
        """Coding and review questions: their answers run against the question's tests."""
        return self.kind in RUNNABLE_KINDS


RUNNABLE_KINDS = frozenset({Question.Kind.CODING, Question.Kind.REVIEW})


class QuestionPart(models.Model):
    """An ordered Markdown item of a question (hint, rubric point, choice), rendered on save."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()
    text = models.TextField()
    html = models.TextField(editable=False)

    class Meta:
        abstract = True
        ordering = ["position"]

    def __str__(self) -> str:
        return self.text[:60]

    def save(self, *args, **kwargs) -> None:
        self.html = render_markdown(self.text)
        super().save(*args, **kwargs)


class Hint(QuestionPart):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="hints")

    class Meta(QuestionPart.Meta):
        constraints = [
            models.UniqueConstraint(fields=["question", "position"], name="unique_hint_position")
        ]


class RubricPoint(QuestionPart):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="rubric_points")

    class Meta(QuestionPart.Meta):
        constraints = [
            models.UniqueConstraint(fields=["question", "position"], name="unique_rubric_position")
        ]


class Choice(QuestionPart):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    is_correct = models.BooleanField(default=False)

    class Meta(QuestionPart.Meta):
        constraints = [
            models.UniqueConstraint(fields=["question", "position"], name="unique_choice_position")
        ]

    @property
    def letter(self) -> str:
        return chr(ord("A") + self.position)
