from .loop import AskedQuestion, InterviewLoop, Stage
from .practice import Card, Draft, Note, Rating, Review
from .profile import Profile
from .question import Choice, Hint, Question, RubricPoint, Tag
from .readiness import MockInterview, MockItem, ReadinessSnapshot
from .runs import CodeRun
from .taxonomy import Category, Round, Track

__all__ = [
    "AskedQuestion",
    "Card",
    "Category",
    "Choice",
    "CodeRun",
    "Draft",
    "Hint",
    "InterviewLoop",
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
    "Stage",
    "Tag",
    "Track",
]
