from .practice import Card, Draft, Note, Rating, Review
from .profile import Profile
from .question import Choice, Hint, Question, RubricPoint, Tag
from .readiness import MockInterview, MockItem, ReadinessSnapshot
from .runs import CodeRun
from .taxonomy import Category, Round, Track

__all__ = [
    "Card",
    "Category",
    "Choice",
    "CodeRun",
    "Draft",
    "Hint",
    "MockInterview",
    "MockItem",
    "Note",
    "Profile",
    "Question",
    "Rating",
    "ReadinessSnapshot",
    "Review",
    "Round",
    "RubricPoint",
    "Tag",
    "Track",
]
