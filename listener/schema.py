"""The schema as ordered, named migrations (llm style): each runs once, in order, recorded in _migrations.

Never edit a migration that has shipped; add a new one at the end of MIGRATIONS.
"""

from datetime import datetime, timezone

MIGRATIONS = []


def migration(fn):
    MIGRATIONS.append(fn)
    return fn


def migrate(db):
    """Apply every migration not yet recorded in _migrations, each in its own transaction."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in db.execute("SELECT name FROM _migrations").fetchall()}
    for fn in MIGRATIONS:
        if fn.__name__ in done:
            continue
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-check under the write lock: another process may have just applied it.
            if db.execute("SELECT 1 FROM _migrations WHERE name = ?", [fn.__name__]).fetchone():
                db.conn.execute("ROLLBACK")
                continue
            fn(db)
            db.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                [fn.__name__, datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")],
            )
            db.conn.execute("COMMIT")
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise


@migration
def m001_questions(db):
    db.execute(
        """
        CREATE TABLE questions (
            id TEXT PRIMARY KEY,            -- slug from the file name: posts/<id>.toml
            text TEXT NOT NULL,
            title TEXT,                     -- Reddit needs a title; defaults to the text
            goal TEXT,
            tags TEXT NOT NULL DEFAULT '[]',         -- JSON list
            channels TEXT NOT NULL DEFAULT '[]',     -- JSON list of channel names
            variants TEXT NOT NULL DEFAULT '{}',     -- JSON {channel: {text, title, subreddit}}
            schedule_at TEXT,               -- one-off: local time, ISO-8601 without offset
            rrule TEXT,                     -- recurring: iCalendar RRULE
            starts TEXT,                    -- recurring: first local time the rule counts from
            until TEXT,
            count INTEGER,
            time_zone TEXT NOT NULL DEFAULT 'UTC',
            status TEXT NOT NULL DEFAULT 'draft'
                CHECK (status IN ('draft', 'approved', 'paused', 'archived')),
            approved_by TEXT,
            approved_at TEXT,
            approved_hash TEXT,             -- content_hash at approval; a change takes it back to draft
            source_file TEXT,
            content_hash TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deleted_at TEXT
        )
        """
    )


@migration
def m002_publications(db):
    db.execute(
        """
        CREATE TABLE publications (
            id INTEGER PRIMARY KEY,
            question_id TEXT NOT NULL REFERENCES questions(id),
            occurrence_at TEXT NOT NULL,    -- UTC time the occurrence was due
            channel TEXT NOT NULL,
            account TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'planned' CHECK (state IN
                ('planned', 'publishing', 'published', 'unknown', 'failed', 'needs_review',
                 'cancelled', 'missed')),
            idempotency_key TEXT NOT NULL UNIQUE,
            text TEXT NOT NULL,             -- exactly what was (or will be) posted
            title TEXT,
            target TEXT,                    -- e.g. the subreddit
            remote_id TEXT,
            url TEXT,
            published_at TEXT,
            claimed_at TEXT,
            retry_at TEXT,                  -- planned again after a rate limit: not before this
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            reported_reply_count INTEGER,
            harvested_reply_count INTEGER NOT NULL DEFAULT 0,
            coverage_note TEXT,
            next_harvest_at TEXT,
            harvest_stage INTEGER NOT NULL DEFAULT 0,
            harvest_cursor TEXT,
            harvest_walk_started_at TEXT,   -- replies not seen since then, after a full walk, are gone
            harvest_done_at TEXT,
            reads INTEGER NOT NULL DEFAULT 0,   -- billable reads (X pay-per-use)
            posts INTEGER NOT NULL DEFAULT 0,   -- billable posts
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (question_id, occurrence_at, channel, account)
        )
        """
    )
    db.execute("CREATE INDEX publications_state ON publications(state)")
    db.execute("CREATE INDEX publications_next_harvest ON publications(next_harvest_at)")


@migration
def m003_replies(db):
    db.execute(
        """
        CREATE TABLE replies (
            id INTEGER PRIMARY KEY,
            publication_id INTEGER NOT NULL REFERENCES publications(id),
            channel TEXT NOT NULL,
            remote_id TEXT NOT NULL,
            parent_remote_id TEXT,
            depth INTEGER NOT NULL DEFAULT 1,
            author TEXT,
            text TEXT NOT NULL,
            url TEXT,
            created_at TEXT,
            edited_at TEXT,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            like_count INTEGER,
            deleted_at TEXT,
            neg REAL,
            neu REAL,
            pos REAL,
            compound REAL,
            label TEXT CHECK (label IN ('negative', 'neutral', 'positive')),
            scorer_version TEXT,
            label_override TEXT CHECK (label_override IN ('negative', 'neutral', 'positive')),
            label_override_by TEXT,
            label_override_at TEXT,
            UNIQUE (channel, remote_id)
        )
        """
    )
    db.execute("CREATE INDEX replies_publication ON replies(publication_id)")
    db.execute("CREATE INDEX replies_unscored ON replies(id) WHERE compound IS NULL")
    db["replies"].enable_fts(["text", "author"], create_triggers=True, tokenize="porter")


@migration
def m004_harvest_runs(db):
    db.execute(
        """
        CREATE TABLE harvest_runs (
            id INTEGER PRIMARY KEY,
            publication_id INTEGER NOT NULL REFERENCES publications(id),
            started_at TEXT NOT NULL,
            finished_at TEXT,
            requests INTEGER NOT NULL DEFAULT 0,
            fetched INTEGER NOT NULL DEFAULT 0,
            new INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'running',
            error TEXT
        )
        """
    )
    db.execute("CREATE INDEX harvest_runs_publication ON harvest_runs(publication_id)")


@migration
def m005_rate_limits(db):
    db.execute(
        """
        CREATE TABLE rate_limits (
            channel TEXT NOT NULL,
            account TEXT NOT NULL,
            route TEXT NOT NULL,
            "limit" INTEGER,
            remaining REAL,
            reset_at TEXT,
            blocked_until TEXT,   -- set on 429 or a usage cap: no requests on this route before it
            note TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (channel, account, route)
        )
        """
    )


@migration
def m006_digests(db):
    db.execute(
        """
        CREATE TABLE digests (
            id INTEGER PRIMARY KEY,
            period TEXT NOT NULL UNIQUE,    -- ISO week, e.g. 2026-W47
            recipients TEXT,
            subject TEXT,
            status TEXT NOT NULL DEFAULT 'claimed'
                CHECK (status IN ('claimed', 'sending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            claimed_at TEXT,
            sent_at TEXT,
            message_id TEXT,
            error TEXT
        )
        """
    )


@migration
def m007_checkpoints(db):
    db.execute("CREATE TABLE checkpoints (job TEXT PRIMARY KEY, position INTEGER)")


@migration
def m008_publication_claimed_pid(db):
    # The process that claimed a 'publishing' row: when it is dead, the claim is stale at once.
    db.execute("ALTER TABLE publications ADD COLUMN claimed_pid INTEGER")


@migration
def m009_explore(db):
    """What the Datasette UI needs to stay fast at a million replies (issue 7).

    Two virtual generated columns (no storage, indexable): replies.sentiment is the label people see
    (a person's correction wins) and replies.week the Monday of the reply's week. publications.name
    labels a publication wherever a reply links to it. reply_daily is a rollup of live replies per
    publication, day and sentiment, kept current by triggers (so every writer keeps it right) and
    backfilled here.
    """
    day = "substr(coalesce({r}.created_at, {r}.first_seen_at), 1, 10)"
    db.execute("ALTER TABLE replies ADD COLUMN sentiment TEXT "
               "GENERATED ALWAYS AS (coalesce(label_override, label)) VIRTUAL")
    db.execute("ALTER TABLE replies ADD COLUMN week TEXT "
               "GENERATED ALWAYS AS (date(substr(created_at, 1, 10), 'weekday 0', '-6 days')) VIRTUAL")
    db.execute("ALTER TABLE publications ADD COLUMN name TEXT GENERATED ALWAYS AS "
               "(question_id || ' on ' || channel || ' ' || substr(coalesce(published_at, occurrence_at), 1, 10)) "
               "VIRTUAL")
    for sql in [
        "CREATE INDEX replies_thread ON replies(parent_remote_id, created_at)",
        "CREATE INDEX replies_publication_created ON replies(publication_id, created_at)",
        "CREATE INDEX replies_sentiment ON replies(sentiment)",
        "CREATE INDEX replies_channel ON replies(channel)",  # narrower than UNIQUE(channel, remote_id): faster facet
        "CREATE INDEX replies_week_compound ON replies(week, compound) WHERE deleted_at IS NULL",
        "CREATE INDEX replies_needs_attention ON replies(compound, publication_id, channel, created_at) "
        "WHERE label_override IS NULL AND label = 'negative' AND deleted_at IS NULL",
        """CREATE TABLE reply_daily (
            publication_id INTEGER NOT NULL REFERENCES publications(id),
            day TEXT NOT NULL,              -- UTC date the reply was written (YYYY-MM-DD)
            sentiment TEXT NOT NULL,        -- coalesce(label_override, label, 'unscored')
            question_id TEXT,
            channel TEXT NOT NULL,
            week TEXT NOT NULL,             -- Monday of that week
            replies INTEGER NOT NULL,       -- live (not deleted) replies
            PRIMARY KEY (publication_id, day, sentiment)
        ) WITHOUT ROWID""",
        "CREATE INDEX reply_daily_question_week ON reply_daily(question_id, week)",
        "CREATE INDEX reply_daily_day ON reply_daily(day)",
    ]:
        db.execute(sql)
    row = ("{r}.publication_id, " + day + ", coalesce({r}.label_override, {r}.label, 'unscored'), "
           "(SELECT question_id FROM publications WHERE id = {r}.publication_id), {r}.channel, "
           "coalesce(date(" + day + ", 'weekday 0', '-6 days'), '?')")  # '?': not a date
    key = ("publication_id = {r}.publication_id AND day = " + day +
           " AND sentiment = coalesce({r}.label_override, {r}.label, 'unscored')")
    columns = "(publication_id, day, sentiment, question_id, channel, week, replies)"
    add = ("INSERT INTO reply_daily " + columns + " SELECT " + row + ", 1 WHERE {r}.deleted_at IS NULL "
           "ON CONFLICT(publication_id, day, sentiment) DO UPDATE SET replies = replies + 1;")
    remove = ("UPDATE reply_daily SET replies = replies - 1 WHERE " + key + " AND {r}.deleted_at IS NULL; "
              "DELETE FROM reply_daily WHERE " + key + " AND replies <= 0;")
    db.execute("CREATE TRIGGER reply_daily_insert AFTER INSERT ON replies BEGIN "
               + add.format(r="NEW") + " END")
    db.execute("CREATE TRIGGER reply_daily_delete AFTER DELETE ON replies BEGIN "
               + remove.format(r="OLD") + " END")
    db.execute(
        "CREATE TRIGGER reply_daily_update AFTER UPDATE OF label, label_override, deleted_at, created_at, "
        "first_seen_at, publication_id ON replies WHEN (OLD.deleted_at IS NULL) IS NOT (NEW.deleted_at IS NULL) "
        "OR coalesce(OLD.label_override, OLD.label) IS NOT coalesce(NEW.label_override, NEW.label) "
        "OR OLD.created_at IS NOT NEW.created_at OR OLD.first_seen_at IS NOT NEW.first_seen_at "
        "OR OLD.publication_id IS NOT NEW.publication_id BEGIN "
        + remove.format(r="OLD") + " " + add.format(r="NEW") + " END")
    db.execute("INSERT INTO reply_daily " + columns + " SELECT " + row.format(r="r") +
               ", count(*) FROM replies r WHERE r.deleted_at IS NULL GROUP BY 1, 2, 3")


@migration
def m010_understanding(db):
    """The understanding layer's columns (issue 12): the label people see comes with a confidence.

    replies.label is the customer-service labeller's label (negative, neutral, positive), or NULL
    with compound set when the labeller cannot read the reply's language ("unscored");
    label_confidence is its confidence (0-1) and language the detected ISO 639-1 code ('und' when
    unknown). VADER's neg/neu/pos/compound stay stock-identical.
    """
    db.execute("ALTER TABLE replies ADD COLUMN label_confidence REAL")
    db.execute("ALTER TABLE replies ADD COLUMN language TEXT")


@migration
def m011_harvest_claims(db):
    """Two `listener harvest` processes never walk one publication at once (X bills every read).

    A harvest claims its publication like a publish does: when, and by which process; a claim
    whose process is gone, or older than any run lasts, is stale.
    """
    db.execute("ALTER TABLE publications ADD COLUMN harvest_claimed_at TEXT")
    db.execute("ALTER TABLE publications ADD COLUMN harvest_claimed_pid INTEGER")


@migration
def m011_reply_placeholders(db):
    """A reply whose parent was deleted keeps its thread: the parent is stored as a placeholder
    (placeholder = 1, deleted_at set, text as the platform shows it, '[deleted]', or empty)."""
    db.execute("ALTER TABLE replies ADD COLUMN placeholder INTEGER NOT NULL DEFAULT 0")


@migration
def m012_publication_retried_at(db):
    """When `listener retry` put a failed publication back: its missed grace counts from then."""
    db.execute("ALTER TABLE publications ADD COLUMN retried_at TEXT")


@migration
def m012_question_file_status(db):
    """The status the question's file said at the last sync: a change in the file wins over the CLI."""
    db.execute("ALTER TABLE questions ADD COLUMN file_status TEXT")


@migration
def m012_digest_backoff(db):
    """When the worker may try a failed digest again: a down SMTP server is backed off, not hit every tick."""
    db.execute("ALTER TABLE digests ADD COLUMN next_attempt_at TEXT")


@migration
def m013_workspace_models(db):
    """Models learned from a workspace's corrections (issue 12), newest last.

    corrections / last_correction_at identify what a model learned from (the worker retrains when the
    corrections differ); agreement is its cross-validated share of corrections predicted right and
    base_agreement the shipped labeller's on the same corrections; model holds the weights (.npz, no
    pickle), NULL when too few corrections to learn from.
    """
    db.execute(
        """
        CREATE TABLE workspace_models (
            id INTEGER PRIMARY KEY,
            version TEXT NOT NULL,          -- the scorer_version its labels carry
            trained_at TEXT NOT NULL,
            corrections INTEGER NOT NULL,
            last_correction_at TEXT,
            agreement REAL,
            base_agreement REAL,
            seconds REAL,                   -- time to train and cross-validate
            model BLOB
        )
        """
    )
    db.execute("CREATE INDEX replies_scorer_version ON replies(scorer_version)")
    db.execute("CREATE INDEX replies_review ON replies(label_confidence) "
               "WHERE label_override IS NULL AND label IS NOT NULL AND deleted_at IS NULL")


@migration
def m014_themes(db):
    """Themes per question and period (issue 13), the link from replies to them, and people's fixes.

    period is an ISO week ('2026-W48') or a date range ('2026-11-01..2026-11-14'); key is a
    theme's identity across periods (an aspect like 'delay', a keyphrase, 'de:hotline', 'other'),
    label what people read. theme_fixes are people's renames, merges and moves, applied again by
    every recompute so that they survive it; undone_at set = no longer applied.
    """
    for sql in [
        """CREATE TABLE themes (
            id INTEGER PRIMARY KEY,
            question_id TEXT NOT NULL,
            period TEXT NOT NULL,
            key TEXT NOT NULL,
            label TEXT NOT NULL,
            language TEXT NOT NULL,
            replies INTEGER NOT NULL,
            share REAL NOT NULL,            -- of the question's replies in the period
            negative INTEGER NOT NULL,
            neutral INTEGER NOT NULL,
            positive INTEGER NOT NULL,
            unscored INTEGER NOT NULL,
            change TEXT NOT NULL CHECK (change IN ('new', 'growing', 'shrinking', 'steady')),
            previous_replies INTEGER,       -- same key, the period before
            quotes TEXT NOT NULL,           -- JSON [{id, text, url}], the most representative replies
            computed_at TEXT NOT NULL,
            method_version TEXT NOT NULL,
            UNIQUE (question_id, period, key)
        )""",
        "CREATE INDEX themes_period ON themes(period, question_id)",
        """CREATE TABLE reply_themes (
            reply_id INTEGER NOT NULL REFERENCES replies(id) ON DELETE CASCADE,
            theme_id INTEGER NOT NULL REFERENCES themes(id) ON DELETE CASCADE,
            PRIMARY KEY (reply_id, theme_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX reply_themes_theme ON reply_themes(theme_id)",
        """CREATE TABLE theme_fixes (
            id INTEGER PRIMARY KEY,
            action TEXT NOT NULL CHECK (action IN ('rename', 'merge', 'move')),
            question_id TEXT NOT NULL,
            from_key TEXT,                  -- rename, merge: the theme changed
            to_key TEXT,                    -- merge, move: the theme that receives the replies
            label TEXT,                     -- rename: the new label; merge, move: the target's label
            reply_id INTEGER,               -- move (no foreign key: the history outlives a purged reply)
            by TEXT NOT NULL,
            at TEXT NOT NULL,
            undone_at TEXT
        )""",
        "CREATE INDEX theme_fixes_question ON theme_fixes(question_id)",
        """CREATE TABLE theme_runs (
            question_id TEXT NOT NULL,
            period TEXT NOT NULL,
            start TEXT NOT NULL,            -- the period in UTC: [start, end)
            end TEXT NOT NULL,
            signature TEXT NOT NULL,        -- what the replies and fixes looked like: recompute when it changes
            computed_at TEXT NOT NULL,
            PRIMARY KEY (question_id, period)
        ) WITHOUT ROWID""",
    ]:
        db.execute(sql)


@migration
def m015_inbox(db):
    """People's actions in the inbox (issue 14): every action is an event; reply_triage is the current state.

    events: who did what to which reply, when; payload (JSON) holds what the action set and what it
    replaced, so it can be undone (undone_at/undone_by). reply_triage: one row per reply someone
    touched: status (NULL = open), assignee and note count, updated in the same transaction as
    the event. Three indexes let the inbox page its newest, most negative and per-language replies
    at a million.
    """
    for sql in [
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,               -- UTC time of the action
            who TEXT NOT NULL,              -- the login name (or the OS user on the command line)
            action TEXT NOT NULL,           -- label, status, assign, note, theme
            reply_id INTEGER REFERENCES replies(id),
            payload TEXT NOT NULL DEFAULT '{}',   -- JSON: what was set and what it replaced
            undone_at TEXT,
            undone_by TEXT
        )""",
        "CREATE INDEX events_reply ON events(reply_id, id)",
        "CREATE INDEX events_who ON events(who, id)",
        """CREATE TABLE reply_triage (
            reply_id INTEGER PRIMARY KEY REFERENCES replies(id),
            status TEXT CHECK (status IN ('handled', 'follow_up', 'ignored')),   -- NULL: open
            assignee TEXT,
            notes INTEGER NOT NULL DEFAULT 0,
            last_note TEXT,
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL
        )""",
        "CREATE INDEX reply_triage_status ON reply_triage(status)",
        "CREATE INDEX reply_triage_assignee ON reply_triage(assignee)",
        "CREATE INDEX replies_created ON replies(created_at)",
        "CREATE INDEX replies_compound ON replies(compound)",
        "CREATE INDEX replies_language_created ON replies(language, created_at)",  # a rare language, newest first
    ]:
        db.execute(sql)


@migration
def m016_alerts(db):
    """Alerts between digests (issue 16): incidents, their notices per delivery channel, opt-outs.

    One `alerts` row per incident: a question and channel whose signals crossed their thresholds
    (kind: the one that opened it; subject: its theme id for 'theme'); updated while it lasts,
    closed when it falls back, reopened within the cooldown.
    `alert_deliveries` holds one row per incident and delivery channel (mail, webhook), claimed
    before sending, so each channel delivers one notice per incident. questions.alerts is the
    question file's [alerts] table as JSON (enabled, quiet_hours).
    """
    db.execute(
        """
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            question_id TEXT NOT NULL REFERENCES questions(id),
            channel TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('negative_share', 'volume', 'theme')),
            subject TEXT NOT NULL DEFAULT '',   -- the theme id for kind 'theme', else ''
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
            opened_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_signal_at TEXT NOT NULL,
            closed_at TEXT,
            reopened INTEGER NOT NULL DEFAULT 0,    -- times it crossed again within the cooldown
            current REAL,                   -- the signal's count at the last tick it was on
            peak REAL NOT NULL,             -- highest count while open
            baseline REAL,                  -- the count expected from the question's own history
            trigger TEXT NOT NULL,          -- one line for people
            samples TEXT NOT NULL DEFAULT '[]',     -- JSON [{id, text, author, url}]
            notice_status TEXT NOT NULL DEFAULT 'pending',
            notice_sent_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX alerts_question ON alerts(question_id, channel, status)")
    db.execute(
        """
        CREATE TABLE alert_deliveries (
            id INTEGER PRIMARY KEY,
            alert_id INTEGER NOT NULL REFERENCES alerts(id),
            via TEXT NOT NULL CHECK (via IN ('mail', 'webhook')),
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'gave_up')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            claimed_at TEXT,
            sent_at TEXT,
            error TEXT,
            UNIQUE (alert_id, via)
        )
        """
    )
    db.execute("CREATE INDEX alert_deliveries_due ON alert_deliveries(status, next_attempt_at)")
    db.execute("ALTER TABLE questions ADD COLUMN alerts TEXT NOT NULL DEFAULT '{}'")


@migration
def m017_reply_html(db):
    """Channels as plugins (issue 15): the platform's own markup of a reply, where it sends HTML
    (Mastodon's `content`); `text` stays the plain words that are shown and scored."""
    db.execute("ALTER TABLE replies ADD COLUMN html TEXT")


@migration
def m018_theme_runs_stale(db):
    """Theme fixes made in the browser recompute only the period on screen (issue 13, m9).

    stale: NULL = as a full recompute leaves it; 'stale' = a fix came since, recompute before it is
    read; 'shown' = recomputed at once for the person fixing it, recomputed again in order later.
    keys_before: a 'shown' period's theme keys before it was shown (JSON), what the periods around it
    see while they are recomputed in order. grouping: the period's grouping before fixes (JSON) and
    a hash of what it was computed from, so that a recompute that changes only fixes does not regroup.
    """
    for column in ("stale", "keys_before", "grouping"):
        db.execute(f"ALTER TABLE theme_runs ADD COLUMN {column} TEXT")
