from .profile import Profile
from .question import Choice, Hint, Question, RubricPoint, Tag
from .taxonomy import Category, Round, Track

__all__ = [
    "Category",
    "Choice",
    "Hint",
    "Profile",
    "Question",
    "Round",
    "RubricPoint",
    "Tag",
    "Track",
]
