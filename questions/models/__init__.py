from .practice import Card, Draft, Note, Rating, Review
from .profile import Profile
from .question import Choice, Hint, Question, RubricPoint, Tag
from .taxonomy import Category, Round, Track

__all__ = [
    "Card",
    "Category",
    "Choice",
    "Draft",
    "Hint",
    "Note",
    "Profile",
    "Question",
    "Rating",
    "Review",
    "Round",
    "RubricPoint",
    "Tag",
    "Track",
]
