"""A trigram index for the bank search on PostgreSQL.

The search matches every word anywhere in a question's text (`search_text LIKE '%word%'`),
which no B-tree index can serve; pg_trgm's GIN index can. SQLite has no such index and keeps
scanning, which at bank sizes is a few milliseconds. pg_trgm is a trusted extension since
PostgreSQL 13, so a database owner may create it without being a superuser.
"""

from django.db import migrations

INDEX = "questions_question_search_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON questions_question "
        "USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("questions", "0004_readiness_and_mocks")]

    operations = [migrations.RunPython(create_index, drop_index)]
