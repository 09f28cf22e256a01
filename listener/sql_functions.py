"""SQL functions for the Datasette pages: a datasette plugin, found by its entry point in pyproject.toml.

without_date(text): a question's text as people read it (listener.display.without_date), so the
saved queries and dashboards show the same words as the digest, not the {date} its posts carry.
"""

from datasette import hookimpl

from .display import without_date


@hookimpl
def prepare_connection(conn):
    conn.create_function("without_date", 1, without_date, deterministic=True)
