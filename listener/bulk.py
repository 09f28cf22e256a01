"""The demo's bulk path for very large files (`listener demo --replies 1000000`).

Walking a million replies through the fake platform's HTTP APIs, page by page, takes far longer
than anyone wants to wait for a demo file. Above BULK_THRESHOLD replies the demo still publishes
through the real clients, but writes the replies straight into the database: the same generator as
the fake platform (listener.fake.replies), the same row shape the harvester stores (snowflake-like
digit ids on every channel, parent ids, depths, URLs, scores), and the publications
marked harvested with full coverage, so no later harvest walks them (the fake does not know them).
"""

import random
from datetime import timedelta

from .db import transaction
from .fake.replies import generate_replies
from .scoring import score_columns
from .times import iso

SNOWFLAKE_EPOCH_MS = 1288834974657  # the epoch of snowflake ids (2010-11-04)
BULK_THRESHOLD = 20000
BATCH = 5000

INSERT = (
    "INSERT INTO replies (publication_id, channel, remote_id, parent_remote_id, depth, author, text, url, "
    "created_at, first_seen_at, last_seen_at, like_count, neg, neu, pos, compound, label, label_confidence, language, "
    "scorer_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def bulk_replies(db, cfg, total, seed, now, *, spread=timedelta(days=20), echo=print):
    """Share `total` replies among published publications without replies; returns how many were added."""
    targets = db.execute(
        "SELECT p.id, p.channel, p.remote_id, p.url FROM publications p WHERE p.state = 'published' "
        "AND NOT EXISTS (SELECT 1 FROM replies r WHERE r.publication_id = p.id) ORDER BY p.id").fetchall()
    if not targets or total <= 0:
        return 0
    each, extra = divmod(total, len(targets))
    scores = {}  # the generator repeats texts a lot: score each distinct text once
    stamp = iso(now)
    added = 0
    for i, (pub_id, channel, root_id, post_url) in enumerate(targets):
        count = each + (1 if i < extra else 0)
        rng = random.Random(seed * 1000 + i)
        generated = generate_replies(rng, count)
        start = now - spread
        step = spread / (count + 1)
        ids, depths, rows = [], [], []
        for n, item in enumerate(generated):
            at = start + step * (n + 1)
            remote_id = new_id(at, pub_id, n)
            parent = item["parent"]
            ids.append(remote_id)
            depths.append(1 if parent is None else depths[parent] + 1)
            text = item["text"]
            if text not in scores:
                scores[text] = score_columns(text)
            s = scores[text]
            url = (post_url or "").rstrip("/") + f"/{remote_id}"  # the demo links rows to Datasette anyway
            rows.append([pub_id, channel, remote_id, root_id if parent is None else ids[parent], depths[-1],
                         item["author"], text, url, iso(at), stamp, stamp, rng.randrange(0, 40),
                         s["neg"], s["neu"], s["pos"], s["compound"], s["label"], s["label_confidence"], s["language"],
                         s["scorer_version"]])
            if len(rows) >= BATCH:
                insert(db, rows)
                added += len(rows)
                rows = []
        insert(db, rows)
        added += len(rows)
        with transaction(db):
            db.execute(
                "UPDATE publications SET reported_reply_count = ?, harvested_reply_count = ?, harvest_stage = 99, "
                "next_harvest_at = NULL, harvest_done_at = ?, coverage_note = ?, updated_at = ? WHERE id = ?",
                [count, count, stamp, "demo bulk path: replies written directly, not harvested", stamp, pub_id])
        echo(f"  publication {pub_id} ({channel}): {count} replies written")
    return added


def insert(db, rows):
    if rows:
        with transaction(db):
            db.conn.executemany(INSERT, rows)


def new_id(at, pub_id, n):
    """A snowflake-like digit id (above 2^53, as on most platforms), unique per (publication, n)."""
    millis = int(at.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS
    return str(millis << 22 | (pub_id % 32) << 17 | n % 131072)
