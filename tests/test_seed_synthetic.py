"""`seed_synthetic`, the benchmark's data: the sizes asked for, and never over real users."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from questions import content_cache, readiness
from questions.models import Card, Question, Review, Round

pytestmark = pytest.mark.django_db


def test_seeds_the_sizes_asked_for_and_recounts_cached_pools():
    before = content_cache.bank_version()
    call_command("seed_synthetic", questions=30, users=4, reviews=200, stdout=io.StringIO())
    assert Question.objects.filter(slug__startswith="syn-q-").count() == 30
    assert get_user_model().objects.count() == 4
    assert Review.objects.count() == 200
    assert Card.objects.count() == 200 // 5  # five reviews per card
    assert content_cache.bank_version() != before  # cached pool counts are not reused
    user = get_user_model().objects.first()
    pools = readiness.compute(user, list(Round.objects.all()), timezone.now(), None)
    assert sum(item.pool for item in pools) >= 30


def test_refuses_a_database_with_users(alice):
    with pytest.raises(CommandError, match="already has users"):
        call_command("seed_synthetic", questions=1, users=1, reviews=1)
