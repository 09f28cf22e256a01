"""Open the SQLite file the way every part of listener expects it."""

import sqlite3
from pathlib import Path

import sqlite_utils

from .errors import ConfigError
from .schema import migrate


def require_folder(path, option, what="folder"):
    """One line, before anything is written, when the folder a file is to go in does not exist."""
    folder = Path(path).parent
    if not folder.is_dir():
        raise ConfigError(f"{what} {folder} does not exist: create it, or pass {option} in an existing folder")


def open_db(path, *, migrate_schema=True) -> sqlite_utils.Database:
    """Open (creating if needed) the database at `path`: WAL, busy timeout, foreign keys, migrated."""
    path = Path(path)
    require_folder(path, "--db", "database folder")
    try:
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"{path} is not a listener database ({exc}): pass --db with another file") from None
    db = sqlite_utils.Database(conn)
    if migrate_schema:
        try:
            migrate(db)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"cannot update the schema of {path} ({exc}): restore a backup or pass --db with another file"
            ) from None
    return db


def open_existing_db(path) -> sqlite_utils.Database:
    """open_db for read-only commands: a missing file is an error, never created."""
    if not Path(path).is_file():
        raise ConfigError(f"no database at {path}: run `listener init` (or `listener sync`), or pass --db")
    return open_db(path)


class transaction:
    """`with transaction(db):` runs BEGIN IMMEDIATE ... COMMIT (or ROLLBACK on error).

    IMMEDIATE takes the write lock up front so two workers never interleave a read-then-write.
    Inside an open transaction it joins it: the outer one commits or rolls back the whole.
    """

    def __init__(self, db):
        self.conn = db.conn
        self.outer = False

    def __enter__(self):
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
            self.outer = True
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        if not self.outer:
            return False
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")
        return False


class rolled_back:
    """`with rolled_back(db):` what is written inside is undone at the end (for previews).

    The writes inside, `transaction`s included, join this one and are visible to the reads inside.
    """

    def __init__(self, db):
        self.conn = db.conn

    def __enter__(self):
        self.conn.execute("BEGIN")
        return self.conn

    def __exit__(self, *exc):
        self.conn.execute("ROLLBACK")
        return False


def copy_database(source, target):
    """A consistent copy through SQLite's backup API (a plain file copy can miss what is in the WAL)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
