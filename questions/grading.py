"""What the rating buttons say, and the rating a machine-graded outcome suggests: shared by
practice and the mock debrief.

The outcome is the dict practice stores with a review: a choice question's `correct`, a coding
question's `passed` / `all_passed` from its last Submit, a review question's `caught` / `fixed`.
The user always confirms: a suggestion is never recorded by itself.
"""

from __future__ import annotations

from questions.models import Rating

RATING_HELP = {
    Rating.AGAIN: "I did not know it",
    Rating.HARD: "I got there, with effort or gaps",
    Rating.GOOD: "I knew it",
    Rating.EASY: "Too easy: show it much later",
}


def suggested_rating(outcome: dict) -> int | None:
    if "caught" in outcome or "fixed" in outcome:
        checks = outcome.get("caught", False) + outcome.get("fixed", False)
        return (Rating.AGAIN, Rating.HARD, Rating.GOOD)[checks]
    if "correct" in outcome:
        return Rating.GOOD if outcome["correct"] else Rating.AGAIN
    if "all_passed" in outcome:
        if outcome["all_passed"]:
            return Rating.GOOD
        return Rating.HARD if outcome["passed"] else Rating.AGAIN
    return None
