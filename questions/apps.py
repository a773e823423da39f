from django.apps import AppConfig


class QuestionsConfig(AppConfig):
    name = "questions"
    verbose_name = "Questions and practice"

    def ready(self) -> None:
        from questions import (
            checks,  # noqa: F401 - registers the system checks
            content_cache,  # noqa: F401 - connects the cache's signals
        )
