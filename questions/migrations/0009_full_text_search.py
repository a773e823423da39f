"""Ranked full-text search (questions/search.py) on each database's own index.

- SQLite: an FTS5 table over the title, prompt and answer, with the question table as its
  content, kept in sync by triggers. Django rebuilds an SQLite table for some later schema
  changes (dropping its triggers with it): a migration that does so must call
  `install_sqlite_search` again; tests/test_search.py fails if the triggers are missing.
- PostgreSQL: a stored generated `tsvector` column (title weighted A, prompt B, answer C) with
  a GIN index; the database keeps it current. It replaces the trigram index of 0005.
"""

from django.db import migrations

FTS = "questions_question_fts"
SQLITE_SEARCH = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(
        title, prompt, answer, content='questions_question', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_insert AFTER INSERT ON questions_question BEGIN
        INSERT INTO {FTS}(rowid, title, prompt, answer)
        VALUES (new.id, new.title, new.prompt, new.answer);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_delete AFTER DELETE ON questions_question BEGIN
        INSERT INTO {FTS}({FTS}, rowid, title, prompt, answer)
        VALUES ('delete', old.id, old.title, old.prompt, old.answer);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_update
    AFTER UPDATE OF title, prompt, answer ON questions_question BEGIN
        INSERT INTO {FTS}({FTS}, rowid, title, prompt, answer)
        VALUES ('delete', old.id, old.title, old.prompt, old.answer);
        INSERT INTO {FTS}(rowid, title, prompt, answer)
        VALUES (new.id, new.title, new.prompt, new.answer);
    END""",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]
POSTGRESQL_SEARCH = [
    """ALTER TABLE questions_question ADD COLUMN IF NOT EXISTS search_vector tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(prompt, '')), 'B')
        || setweight(to_tsvector('english', coalesce(answer, '')), 'C')
    ) STORED""",
    "CREATE INDEX IF NOT EXISTS questions_question_search_vector "
    "ON questions_question USING gin (search_vector)",
    "DROP INDEX IF EXISTS questions_question_search_trgm",
]


def install_sqlite_search(schema_editor):
    for statement in SQLITE_SEARCH:
        schema_editor.execute(statement)


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        install_sqlite_search(schema_editor)
    elif vendor == "postgresql":
        for statement in POSTGRESQL_SEARCH:
            schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {FTS}_{name}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS}")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS questions_question_search_vector")
        schema_editor.execute("ALTER TABLE questions_question DROP COLUMN IF EXISTS search_vector")


class Migration(migrations.Migration):
    dependencies = [("questions", "0008_review_kind")]

    operations = [
        # Search no longer reads this copy. Removed first: on SQLite this rebuilds the table,
        # which must happen before the triggers are created on it.
        migrations.RemoveField(model_name="question", name="search_text"),
        migrations.RunPython(install, uninstall),
    ]
