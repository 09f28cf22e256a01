"""Themes per question and period: computed from the replies (theme_groups), stored, fixed by people.

A period is an ISO week in the digest's time zone ('2026-W48') or a date range
('2026-11-01..2026-11-14'). Every compute applies people's fixes (theme_fixes: rename, merge,
move) again, so a fix survives it. Theme rows keep their id while their key stays in the period,
so links to a theme keep working after a recompute.
"""

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .db import transaction
from .digest import digest_zone, parse_week, period_of
from .errors import ListenerError
from .theme_groups import METHOD_VERSION, MIN_SIZE, group_replies, small_groups_to_other
from .times import iso
from .weeks import is_other, iso_week, monday_of_week

QUOTES = 3
BLANK = " \t\r\n\u00a0\u200b"  # a reply of only these is in no theme
QUOTE_CHARS = 280
WHEN_SQL = "coalesce(r.created_at, r.first_seen_at)"


@dataclass(frozen=True)
class Span:
    """A period: its key, [start, end) as UTC ISO text, and the key of the period before."""

    key: str
    start: str
    end: str
    previous: str


def week_span(period):
    """The Span of a digest Period (an ISO week in a zone)."""
    return Span(period.label, period.start, period.end, period.previous().label)


def parse_span(cfg, week=None, start=None, end=None, now=None):
    """The Span asked for on the command line: --week, or --from/--to, or the week of `now`."""
    if week and (start or end):
        raise ListenerError("give either --week or --from/--to, not both")
    if week:
        return week_span(parse_week(week, cfg))
    zone = digest_zone(cfg)
    if start or end:
        if not (start and end):
            raise ListenerError("--from and --to go together: e.g. --from 2026-11-01 --to 2026-11-14")
        first, last = parse_day(start, "--from"), parse_day(end, "--to")
        if last < first:
            raise ListenerError(f"--to {end} is before --from {start}: swap them")
        return range_span(first, last, zone)
    return week_span(period_of(now.astimezone(ZoneInfo(zone)).date(), zone))


def parse_day(text, option):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ListenerError(f"{option} {text!r} is not a date: use e.g. 2026-11-01") from None


def range_span(first, last, zone):
    """first..last (whole days, inclusive) in `zone`; the previous period is as long, just before."""
    key = f"{first}..{last}"
    midnight = lambda day: iso(datetime.combine(day, time(0), ZoneInfo(zone)))  # noqa: E731
    return Span(key, midnight(first), midnight(last + timedelta(days=1)), previous_key(key))


# ---------------------------------------------------------------- compute and store


def period_replies(db, question_id, span, blank=False):
    """Live, non-blank replies to the question written in the span (with `blank`, the blank ones).
    SQLite's trim(text, BLANK) drops the same characters as text.strip(BLANK)."""
    return db.execute(
        f"""SELECT r.id, r.text, r.language, coalesce(r.label_override, r.label), r.compound, r.url
        FROM replies r JOIN publications p ON p.id = r.publication_id
        WHERE p.question_id = ? AND r.deleted_at IS NULL AND {WHEN_SQL} >= ? AND {WHEN_SQL} < ?
          AND (trim(r.text, ?) = '') = ?
        ORDER BY r.id""",
        [question_id, span.start, span.end, BLANK, blank]).fetchall()


def active_fixes(db, question_id):
    return db.execute("SELECT id, action, from_key, to_key, label, reply_id FROM theme_fixes "
                      "WHERE question_id = ? AND undone_at IS NULL ORDER BY id", [question_id]).fetchall()


def signature(rows, fixes):
    """Changes when a reply comes, goes, is relabelled or a fix is made or undone."""
    digest = hashlib.sha1()
    for reply_id, _, language, sentiment, compound, _ in rows:
        digest.update(f"{reply_id}:{language}:{sentiment}:{compound};".encode())
    digest.update(repr(fixes).encode() + METHOD_VERSION.encode())
    return digest.hexdigest()


def key_language(key):
    prefix, _, rest = key.partition(":")
    return prefix if rest else "en"


def apply_fixes(assigned, fixes):
    """People's merges and moves, then renames, over the computed {id: (key, label, language, weight)}.

    Returns (assigned, labels {key: label} set by people, keys people made: kept even when small).
    """
    labels, kept = {}, set()
    for _, action, from_key, to_key, label, reply_id in fixes:
        if action == "merge":
            kept.add(to_key)
            labels.setdefault(to_key, label)
            for rid, (key, _, language, weight) in assigned.items():
                if key == from_key:
                    assigned[rid] = (to_key, label, language, weight)
        elif action == "move" and reply_id in assigned:
            kept.add(to_key)
            labels.setdefault(to_key, label)
            assigned[reply_id] = (to_key, label, key_language(to_key), 0.5)
    for _, action, from_key, _, label, _ in fixes:
        if action == "rename":
            labels[from_key] = label
    return assigned, labels, kept


def change_of(replies, previous):
    if not previous:
        return "new"
    if replies - previous >= 2 and replies > 1.25 * previous:
        return "growing"
    if previous - replies >= 2 and replies < 0.8 * previous:
        return "shrinking"
    return "steady"


def pick_quotes(members):
    """The most representative replies: not too long to read, a clear lexicon match (the weight
    counts up to 3: long rambles match everything), then a length near a tweet's, then id."""
    ranked = sorted(members, key=lambda m: (len(m["text"]) > QUOTE_CHARS, -min(m["weight"], 3),
                                            abs(len(m["text"]) - 90), m["id"]))
    picked, seen = [], set()
    for m in ranked:
        words = " ".join(m["text"].lower().split())
        if words in seen:
            continue
        seen.add(words)
        text = m["text"] if len(m["text"]) <= QUOTE_CHARS else m["text"][:QUOTE_CHARS - 1] + "…"
        picked.append({"id": m["id"], "text": text, "url": m["url"]})
        if len(picked) == QUOTES:
            break
    return picked


def build_themes(rows, assigned, labels, previous, total):
    """Theme dicts, largest first, each language's 'other' after its themes."""
    members = defaultdict(list)
    for reply_id, text, _, sentiment, _, url in rows:
        key, label, language, weight = assigned[reply_id]
        members[key].append({"id": reply_id, "text": text, "sentiment": sentiment, "url": url,
                             "label": label, "language": language, "weight": weight})
    themes = []
    for key, group in members.items():
        mix = Counter(m["sentiment"] or "unscored" for m in group)
        themes.append({
            "key": key, "label": labels.get(key, group[0]["label"]), "language": group[0]["language"],
            "replies": len(group), "share": round(len(group) / total, 4),
            "negative": mix["negative"], "neutral": mix["neutral"], "positive": mix["positive"],
            "unscored": mix["unscored"], "change": change_of(len(group), previous.get(key)),
            "previous_replies": previous.get(key), "quotes": pick_quotes(group),
            "reply_ids": [m["id"] for m in group],
        })
    themes.sort(key=lambda t: (t["label"] == "other", t["language"] != "en", -t["replies"], t["key"]))
    return themes


def compute_themes(db, question_id, span, now, *, force=True, shown=False, reuse="valid"):
    """Group the question's replies in `span` into themes, store them, return them (dicts).

    Without `force`, nothing is recomputed when neither the replies nor the fixes changed. `shown`:
    recomputed at once for a person's fix out of order (the periods before it may be stale), so the
    period stays due for its recompute in order (mark_stale, recompute_stale). `reuse`: the kept
    grouping when it is still valid, else regroup ("valid"), else return None ("valid-only"); or
    ("kept") the kept grouping even when replies or other periods changed since (the fixes over the
    replies as last grouped: what the page showed, for `shown`), regrouping only without one.
    """
    rows = period_replies(db, question_id, span)
    fixes = active_fixes(db, question_id)
    sig = signature(rows, fixes)
    if not force:
        run = db.execute("SELECT signature, stale FROM theme_runs WHERE question_id = ? AND period = ?",
                         [question_id, span.key]).fetchone()
        if run and run[0] == sig and run[1] is None:
            return None
    earlier = other_keys(db, question_id, span.key)
    previous = dict(db.execute("SELECT key, replies FROM themes WHERE question_id = ? AND period = ?",
                               [question_id, span.previous]).fetchall())
    moves = {reply_id: to_key for _, action, _, to_key, _, reply_id in fixes if action == "move"}
    assigned, grouping = cached_grouping(db, question_id, span, rows, earlier, moves, reuse)
    if assigned is None:
        return None
    ids = {row[0] for row in rows}
    if ids != assigned.keys():  # an outdated grouping ("kept"): the replies it grouped that are still here
        rows = [row for row in rows if row[0] in assigned]
        assigned = {reply_id: value for reply_id, value in assigned.items() if reply_id in ids}
        sig = signature(rows, fixes)
    assigned, labels, kept = apply_fixes(dict(assigned), fixes)
    assigned = small_groups_to_other(assigned, MIN_SIZE, keep=kept)
    themes = build_themes(rows, assigned, labels, previous, len(rows))
    store(db, question_id, span, themes, (sig, fixes), now, grouping, shown)
    return themes


def other_keys(db, question_id, period):
    """The keys of the question's other periods, that keyphrase themes prefer (theme_groups).

    A period shown early after a fix (stale = 'shown') counts with the keys it had before: what
    the periods around it saw before the fix, and see in a full recompute in order until its turn.
    """
    return sorted({key for (key,) in db.execute(
        "SELECT t.key FROM themes t JOIN theme_runs r ON r.question_id = t.question_id AND r.period = t.period "
        "WHERE t.question_id = ? AND t.period != ? AND r.keys_before IS NULL "
        "UNION SELECT j.value FROM theme_runs r, json_each(r.keys_before) j "
        "WHERE r.question_id = ? AND r.period != ? AND r.keys_before IS NOT NULL",
        [question_id, period, question_id, period])})


def cached_grouping(db, question_id, span, rows, earlier, moves, reuse="valid"):
    """group_replies' answer, read back when what it is computed from is unchanged (a fix other than
    a move changes none of it), else computed (`reuse`: see compute_themes). Returns ({id: (key,
    label, language, weight)}, JSON)."""
    digest = hashlib.sha1(METHOD_VERSION.encode())
    for reply_id, text, language, *_ in rows:
        digest.update(f"{reply_id}:{language}:{len(text)}:".encode() + text.encode("utf-8", "surrogatepass"))
    digest.update(json.dumps([earlier, sorted(moves.items())]).encode())
    made_from = digest.hexdigest()
    run = db.execute("SELECT grouping FROM theme_runs WHERE question_id = ? AND period = ?",
                     [question_id, span.key]).fetchone()
    if run and run[0]:
        cached = json.loads(run[0])
        if cached["from"] == made_from or reuse == "kept":
            return {int(rid): tuple(value) for rid, value in cached["groups"].items()}, run[0]
    if reuse == "valid-only":
        return None, None
    assigned = group_replies([(r[0], r[1], r[2]) for r in rows], earlier, moves=moves)
    return assigned, json.dumps({"from": made_from, "groups": assigned}, ensure_ascii=False)


def store(db, question_id, span, themes, made_from, now, grouping=None, shown=False):
    """Replace the period's themes, keeping the id of every key that is still there.

    `made_from` is (signature, the fixes applied): a fix recorded since (by another process)
    leaves the period stale, to be recomputed again."""
    sig, fixes = made_from
    with transaction(db):
        state = ("shown" if shown else None) if active_fixes(db, question_id) == fixes else "stale"
        run = db.execute("SELECT keys_before FROM theme_runs WHERE question_id = ? AND period = ?",
                         [question_id, span.key]).fetchone()
        keys_before = run[0] if run and state else None  # cleared by its recompute in order
        if shown and keys_before is None:  # the keys it had before the first fix still to be recomputed in order
            keys_before = json.dumps(sorted({k for (k,) in db.execute(
                "SELECT key FROM themes WHERE question_id = ? AND period = ?", [question_id, span.key])}))
        keys = [t["key"] for t in themes]
        old = db.execute("SELECT id FROM themes WHERE question_id = ? AND period = ?",
                         [question_id, span.key]).fetchall()
        db.conn.executemany("DELETE FROM reply_themes WHERE theme_id = ?", old)
        db.execute(f"DELETE FROM themes WHERE question_id = ? AND period = ? "
                   f"AND key NOT IN ({','.join('?' * len(keys))})", [question_id, span.key, *keys])
        for t in themes:
            values = [question_id, span.key, t["key"], t["label"], t["language"], t["replies"], t["share"],
                      t["negative"], t["neutral"], t["positive"], t["unscored"], t["change"],
                      t["previous_replies"], json.dumps(t["quotes"], ensure_ascii=False), iso(now), METHOD_VERSION]
            t["id"] = db.execute(
                "INSERT INTO themes (question_id, period, key, label, language, replies, share, negative, "
                "neutral, positive, unscored, change, previous_replies, quotes, computed_at, method_version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (question_id, period, key) DO UPDATE SET label = excluded.label, "
                "language = excluded.language, replies = excluded.replies, share = excluded.share, "
                "negative = excluded.negative, neutral = excluded.neutral, positive = excluded.positive, "
                "unscored = excluded.unscored, change = excluded.change, "
                "previous_replies = excluded.previous_replies, quotes = excluded.quotes, "
                "computed_at = excluded.computed_at, method_version = excluded.method_version RETURNING id",
                values).fetchone()[0]
            db.conn.executemany("INSERT INTO reply_themes (reply_id, theme_id) VALUES (?, ?)",
                                [(rid, t["id"]) for rid in t["reply_ids"]])
        db.execute("INSERT INTO theme_runs (question_id, period, start, end, signature, computed_at, stale, "
                   "keys_before, grouping) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (question_id, period) "
                   "DO UPDATE SET start = excluded.start, end = excluded.end, signature = excluded.signature, "
                   "computed_at = excluded.computed_at, stale = excluded.stale, "
                   "keys_before = excluded.keys_before, grouping = excluded.grouping",
                   [question_id, span.key, span.start, span.end, sig, iso(now), state, keys_before, grouping])


def stored_themes(db, question_id, period_key):
    """The stored themes of a question and period, as compute_themes returns them (without reply_ids)."""
    rows = db.execute("SELECT id, key, label, language, replies, share, negative, neutral, positive, unscored, "
                      "change, previous_replies, quotes FROM themes WHERE question_id = ? AND period = ?",
                      [question_id, period_key]).fetchall()
    names = ["id", "key", "label", "language", "replies", "share", "negative", "neutral", "positive",
             "unscored", "change", "previous_replies", "quotes"]
    themes = [dict(zip(names, row)) for row in rows]
    for t in themes:
        t["quotes"] = json.loads(t["quotes"])
    themes.sort(key=lambda t: (t["label"] == "other", t["language"] != "en", -t["replies"], t["key"]))
    return themes


def questions_with_replies(db, span):
    return [q for (q,) in db.execute(
        f"""SELECT DISTINCT p.question_id FROM replies r JOIN publications p ON p.id = r.publication_id
        WHERE r.deleted_at IS NULL AND {WHEN_SQL} >= ? AND {WHEN_SQL} < ? ORDER BY 1""",
        [span.start, span.end])]


def refresh_week(db, period, now):
    """Recompute a week's themes of every question whose replies (or fixes) changed; returns how many.
    The stale periods up to it are recomputed first (in order, as after a fix)."""
    span = week_span(period)
    questions = questions_with_replies(db, span)
    done = sum(recompute_stale(db, question_id, now, until=span) for question_id in questions)
    return done + sum(compute_themes(db, question_id, span, now, force=False) is not None
                      for question_id in questions)


def refresh_recent(db, cfg, now):
    """The worker's step: every period left stale by a fix made in the browser, then last week's and
    this week's themes (last week first: this week compares with it)."""
    zone = digest_zone(cfg)
    this = period_of(now.astimezone(ZoneInfo(zone)).date(), zone)
    stale = recompute_all_stale(db, now)
    return stale + refresh_week(db, this.previous(), now) + refresh_week(db, this, now)


# ---------------------------------------------------------------- people's fixes


def theme_row(db, theme_id):
    row = db.execute("SELECT question_id, key, label, language FROM themes WHERE id = ?", [theme_id]).fetchone()
    if not row:
        raise ListenerError(f"no theme with id {theme_id}: list them with `listener themes --question ID`")
    return row


def record_fix(db, action, question_id, by, now, *, from_key=None, to_key=None, label=None, reply_id=None):
    with transaction(db):
        return db.execute("INSERT INTO theme_fixes (action, question_id, from_key, to_key, label, reply_id, by, at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                          [action, question_id, from_key, to_key, label, reply_id, by, iso(now)]).fetchone()[0]


def mark_stale(db, question_id):
    """After a fix: every stored period of the question is to be recomputed, earliest first, before
    it is read (recompute_stale); a period shown early stays as it is until its turn."""
    db.execute("UPDATE theme_runs SET stale = 'stale' WHERE question_id = ?", [question_id])


def stale_spans(db, question_id, until=None):
    """The question's periods due for a recompute, earliest first; with `until` (a Span), only those
    up to it (the periods after a period cannot change it)."""
    rows = db.execute("SELECT period, start, end FROM theme_runs WHERE question_id = ? AND stale IS NOT NULL "
                      "ORDER BY start, period", [question_id]).fetchall()
    spans = [Span(period, start, end, previous_key(period)) for period, start, end in rows]
    return spans if until is None else [s for s in spans if (s.start, s.key) <= (until.start, until.key)]


def recompute_stale(db, question_id, now, until=None):
    """Recompute the question's stale periods in order (up to `until`), one transaction each: as the
    full recompute after a fix would, so a process that dies half way leaves the rest stale."""
    spans = stale_spans(db, question_id, until)
    for span in spans:
        compute_themes(db, question_id, span, now)
    return len(spans)


def recompute_all_stale(db, now):
    """Every stale period of every question (the worker's themes step, the digest, alerts)."""
    questions = [q for (q,) in db.execute("SELECT DISTINCT question_id FROM theme_runs WHERE stale IS NOT NULL "
                                          "ORDER BY 1").fetchall()]
    return sum(recompute_stale(db, q, now) for q in questions)


def show_fix(db, question_id, periods, now):
    """The quick answer to a fix made in the browser: recompute only `periods` (the ones on screen)
    and leave the others stale for the worker or their next reader. None is regrouped: the fixes
    are applied again over the period's kept grouping, exactly as a full recompute would when only
    fixes other than moves changed since it was grouped; else over the replies as last grouped (what
    the page showed), the rest (new replies, what a move teaches the classifier) with the
    recompute in order. The period before one shown is recomputed first when it is stale and its
    kept grouping is valid: its counts are what the change column compares with."""
    runs = {period: (start, end, stale) for period, start, end, stale in db.execute(
        "SELECT period, start, end, stale FROM theme_runs WHERE question_id = ?", [question_id]).fetchall()}
    span = lambda period: Span(period, runs[period][0], runs[period][1], previous_key(period))  # noqa: E731
    shown = 0
    for period in dict.fromkeys(p for p in periods if p in runs):
        before = previous_key(period)
        if before in runs and runs[before][2] == "stale" and before not in periods:
            shown += compute_themes(db, question_id, span(before), now, shown=True, reuse="valid-only") is not None
        compute_themes(db, question_id, span(period), now, shown=True, reuse="kept")
        shown += 1
    return shown


def after_fix(db, question_id, now, periods=None):
    """Bring the themes up to a fix just recorded: every period now (periods=None, the command line),
    or only `periods` now and the rest when first read (the browser)."""
    if periods is None:
        return recompute_stale(db, question_id, now)
    return show_fix(db, question_id, periods, now)


def periods_of_reply(db, reply_id):
    """The stored periods (weeks and ranges) a reply is in: where a move of it shows."""
    return [period for (period,) in db.execute(
        f"""SELECT DISTINCT tr.period FROM replies r JOIN publications p ON p.id = r.publication_id
        JOIN theme_runs tr ON tr.question_id = p.question_id AND tr.start <= {WHEN_SQL} AND {WHEN_SQL} < tr.end
        WHERE r.id = ? ORDER BY tr.start, tr.period""", [reply_id]).fetchall()]


def previous_key(period):
    """The key of the period before: '2026-W48' -> '2026-W47', a range -> the as-long range before it."""
    if ".." in period:
        first, last = (date.fromisoformat(d) for d in period.split(".."))
        days = (last - first).days + 1
        return f"{first - timedelta(days=days)}..{first - timedelta(days=1)}"
    return iso_week(monday_of_week(period) - timedelta(days=7))


def rename_theme(db, theme_id, label, by, now):
    """A person's name for a theme, in every period of its question (and every later recompute)."""
    label = " ".join((label or "").split())
    if not label or len(label) > 80:
        raise ListenerError("a theme label needs 1 to 80 characters: e.g. \"refund delay\"")
    question_id, key, _, _ = theme_row(db, theme_id)
    fix_id = record_fix(db, "rename", question_id, by, now, from_key=key, label=label)
    with transaction(db):
        db.execute("UPDATE themes SET label = ? WHERE question_id = ? AND key = ?", [label, question_id, key])
    return fix_id


def merge_themes(db, source_id, target_id, by, now, *, recompute=True):
    """Put the source theme's replies into the target theme, now and in every recompute.

    Without `recompute` the question's periods are only marked stale (for after_fix, outside the
    caller's transaction)."""
    source, target = theme_row(db, source_id), theme_row(db, target_id)
    if source_id == target_id:
        raise ListenerError("a theme cannot be merged into itself: give two different theme ids")
    if source[0] != target[0]:
        raise ListenerError(f"themes {source_id} and {target_id} belong to different questions: merge themes "
                            f"of one question")
    if source[3] != target[3]:
        raise ListenerError(f"theme {source_id} is in {source[3]} and {target_id} in {target[3]}: themes "
                            f"of different languages stay apart (move single replies instead)")
    with transaction(db):  # the fix and its stale periods together: a crash leaves neither or both
        fix_id = record_fix(db, "merge", source[0], by, now, from_key=source[1], to_key=target[1],
                            label=target[2])
        mark_stale(db, source[0])
    if recompute:
        recompute_stale(db, source[0], now)
    return fix_id


def move_reply(db, reply_id, theme_id, by, now, *, recompute=True):
    """Put one reply into another theme of its question, now and in every recompute (see merge_themes)."""
    question_id, key, label, _ = theme_row(db, theme_id)
    row = db.execute("SELECT p.question_id, r.text, r.deleted_at FROM replies r "
                     "JOIN publications p ON p.id = r.publication_id WHERE r.id = ?", [reply_id]).fetchone()
    if not row:
        raise ListenerError(f"no reply with id {reply_id}: find ids in Datasette's replies table")
    if row[2] or not row[1].strip(BLANK):
        raise ListenerError(f"reply {reply_id} is {'deleted' if row[2] else 'blank'}: it is in no theme, "
                            "so there is nothing to move")
    if row[0] != question_id:
        raise ListenerError(f"reply {reply_id} answers {row[0]}, theme {theme_id} belongs to {question_id}: "
                            f"pick a theme of the reply's question")
    with transaction(db):
        fix_id = record_fix(db, "move", question_id, by, now, to_key=key, label=label, reply_id=reply_id)
        mark_stale(db, question_id)
    if recompute:
        recompute_stale(db, question_id, now)
    return fix_id


def undo_fix(db, fix_id, now, *, recompute=True):
    """Stop applying a fix (kept, with undone_at, so the history stays); returns its question."""
    row = db.execute("SELECT question_id, undone_at FROM theme_fixes WHERE id = ?", [fix_id]).fetchone()
    if not row:
        raise ListenerError(f"no theme fix with id {fix_id}: see the theme_fixes table")
    if row[1]:
        raise ListenerError(f"theme fix {fix_id} was already undone at {row[1]}")
    with transaction(db):
        db.execute("UPDATE theme_fixes SET undone_at = ? WHERE id = ?", [iso(now), fix_id])
        mark_stale(db, row[0])
    if recompute:
        recompute_stale(db, row[0], now)
    return row[0]


# ---------------------------------------------------------------- output


def one_line(text, limit=100):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def format_themes(question_id, period_key, themes, blank=0):
    """Plain text: one line per theme (id, replies, share, change, sentiment, label) and a quote.
    `blank`: the period's blank replies, in no theme (the digest counts them)."""
    total = sum(t["replies"] for t in themes)
    lines = [f"{question_id}, {period_key}: {total} replies, "
             f"{sum(not is_other(t['key']) for t in themes)} themes"
             + (f" ({blank} blank {'reply' if blank == 1 else 'replies'}: in no theme)" if blank else "")]
    if themes:
        lines.append(f"  {'id':>5} {'replies':>7} {'share':>5}  {'change':<9} {'neg/neu/pos/?':<13}  theme")
    for t in themes:
        mix = f"{t['negative']}/{t['neutral']}/{t['positive']}/{t['unscored']}"
        language = "" if t["language"] == "en" else f" [{t['language']}]"
        lines.append(f"  {t['id']:>5} {t['replies']:>7} {t['share']:>5.0%}  {t['change']:<9} {mix:<13}  "
                     f"{one_line(t['label'], 60)}{language}")
        if t["quotes"] and not is_other(t["key"]):
            lines.append(f"  {'':>5}   “{one_line(t['quotes'][0]['text'])}”")
    return "\n".join(lines)
