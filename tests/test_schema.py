"""Migrations on an empty file and on an existing one."""

from listener.db import open_db
from listener.schema import MIGRATIONS


def test_migrations_on_empty_file(tmp_path):
    db = open_db(tmp_path / "new.db")
    applied = [r[0] for r in db.execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert applied == [fn.__name__ for fn in MIGRATIONS]
    assert {"questions", "publications", "replies", "harvest_runs", "rate_limits", "digests"} <= set(db.table_names())
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    columns = {c.name: c.type for c in db["replies"].columns}
    assert columns["remote_id"] == "TEXT" and columns["parent_remote_id"] == "TEXT"
    assert db["replies_fts"].exists()


def test_migrations_on_existing_file_keep_data(tmp_path, monkeypatch):
    import listener.schema as schema

    path = tmp_path / "old.db"
    # a file made by an older listener, that knew only the first three migrations
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS[:3])
    db = open_db(path)
    db.execute("INSERT INTO questions (id, text, created_at, updated_at) VALUES ('q', 'Hi?', 'now', 'now')")
    assert not db["digests"].exists()
    db.conn.close()
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS)
    db = open_db(path)
    assert db.execute("SELECT text FROM questions").fetchone()[0] == "Hi?"
    assert db["digests"].exists()
    assert db.execute("SELECT count(*) FROM _migrations").fetchone()[0] == len(MIGRATIONS)
    open_db(path)  # and another open changes nothing
    assert db.execute("SELECT count(*) FROM _migrations").fetchone()[0] == len(MIGRATIONS)


def test_replies_fts_finds_text(tmp_path):
    db = open_db(tmp_path / "f.db")
    db.execute("INSERT INTO questions (id, text, created_at, updated_at) VALUES ('q', 'Hi?', 'n', 'n')")
    db.execute("INSERT INTO publications (question_id, occurrence_at, channel, account, idempotency_key, text, "
               "created_at, updated_at) VALUES ('q', 't', 'x', 'a', 'k', 'Hi?', 'n', 'n')")
    db.execute("INSERT INTO replies (publication_id, channel, remote_id, text, first_seen_at, last_seen_at) "
               "VALUES (1, 'x', '1', 'the invoices portal is broken', '2026-11-24T09:00:00Z', '2026-11-24T09:00:00Z')")
    hits = db.execute("SELECT rowid FROM replies_fts WHERE replies_fts MATCH 'invoice'").fetchall()
    assert hits == [(1,)]
