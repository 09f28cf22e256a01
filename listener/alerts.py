"""Alerts between digests: spot a spike of complaints within the hour, keep one incident per spike.

Every tick, per question and channel, the last [alerts] window (1 h) is compared with that
question's own history over the previous [alerts] baseline_days (see docs/alerts.md):

- negative_share: the window's negative replies against the share the question usually gets
  (a z-score against the baseline share, allowing for clumped replies), with at least min_negative of them, so that
  2 negatives out of 3 replies never alarm and a busy new post with its usual mix does not either.
- volume: replies to posts older than a day against the same hour of the previous days (mean and
  spread), at least volume_min and volume_factor times the usual. A new post's first day of
  answers is expected, so it does not count here.
- theme: a theme (`listener.themes`, followed across weeks by its key) that is new in the window or
  theme_factor times its usual hourly count.

An incident opens when a signal crosses, is updated (never re-sent) while the signal lasts, closes
when it falls back, and is reopened (still one incident, one notice) if it crosses again within
the cooldown. Opening an incident queues its notice (listener/notify.py delivers it).
Labels are replies.sentiment: NULL (unscored) is not negative.
"""

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .db import transaction
from .digest import trim
from .errors import ConfigError
from .times import iso, parse_duration, parse_iso
from .weeks import not_other_sql

DAY = 86400
PRIOR_SHARE = 0.3     # a question with little history is assumed to get this share of negatives ...
PRIOR_WEIGHT = 20     # ... worth this many replies
# Replies in an hour are not independent (an argument in a thread, a bad day for a post): the
# binomial variance is inflated by 1 + (n - 1) * DISPERSION. Chosen on benchmarks/alerts.py's tuning seed.
DISPERSION = 0.05
FRESH_SECONDS = DAY   # a post's first day of answers is expected volume
SAMPLES = 3           # sample replies kept with an incident
PRIORITY = {"negative_share": 0, "theme": 1, "volume": 2}   # which signal names an incident
QUIET = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


@dataclass
class Stats:
    """Counts for one question and channel: the window and the same window on previous days."""
    replies: int = 0            # in the window
    negative: int = 0
    settled: int = 0            # in the window, to posts older than FRESH_SECONDS
    history_replies: int = 0    # in the baseline span (before the window)
    history_negative: int = 0
    settled_samples: list = field(default_factory=list)   # settled count of the window k days back


@dataclass
class Signal:
    kind: str
    subject: str
    value: float        # the count that crossed
    baseline: float     # the count expected
    trigger: str        # one line for people


def settings(cfg):
    """The [alerts] thresholds, checked: each problem is one line naming the setting."""
    a = cfg["alerts"]
    try:
        window = parse_duration(a["window"])
        cooldown = parse_duration(a["cooldown"])
    except ValueError as exc:
        raise ConfigError(f"[alerts] window/cooldown: {exc}") from None
    if not timedelta(minutes=5) <= window <= timedelta(days=1):
        raise ConfigError("[alerts] window must be between 5m and 24h, e.g. \"1h\"")
    for key in ("baseline_days", "min_negative", "volume_min", "theme_min"):
        if not isinstance(a[key], int) or a[key] < 1:
            raise ConfigError(f"[alerts] {key} must be a whole number of at least 1")
    for key in ("share_z", "volume_factor", "volume_z", "theme_factor"):
        if a[key] <= 0:
            raise ConfigError(f"[alerts] {key} must be a positive number")
    zone(a["time_zone"], "[alerts] time_zone")
    parse_quiet_hours(a["quiet_hours"], "[alerts] quiet_hours")
    return {**a, "window": window, "cooldown": cooldown}


def zone(name, where):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigError(f"{where} {name!r} is not an IANA time zone: use e.g. Europe/Berlin") from None


def parse_quiet_hours(text, where):
    """'22:00-07:00' -> (time(22), time(7)); '' -> None. The span may cross midnight."""
    if not text:
        return None
    match = QUIET.match(str(text).strip())
    if match:
        h1, m1, h2, m2 = map(int, match.groups())
        if h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60 and (h1, m1) != (h2, m2):
            return time(h1, m1), time(h2, m2)
    raise ConfigError(f'{where} {text!r} must look like "22:00-07:00" (local time, may cross midnight)')


def quiet_until(now, quiet, tz):
    """When the quiet hours that contain `now` end (UTC), or None when `now` is not in them."""
    if not quiet:
        return None
    start, end = quiet
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz).astimezone(now.tzinfo)


# ---------------------------------------------------------------- detection


def window_stats(db, question_id, channel, now, window, days):
    """Counts of the window ending at `now` and of the same window on each of the previous `days`.

    Samples only go back to the first publication of the question on the channel (a new question
    has fewer days of history, not days of silence). Replies count at their platform time.
    """
    now_s = int(now.timestamp())
    win = int(window.total_seconds())
    first = db.execute("SELECT min(published_at) FROM publications WHERE question_id = ? AND channel = ? "
                       "AND published_at IS NOT NULL", [question_id, channel]).fetchone()[0]
    if first is None:
        return Stats()
    start = max(now - timedelta(days=days) - window, parse_iso(first) - window)
    rows = db.execute(
        """
        SELECT age / 86400 AS k, age % 86400 < :win AS in_window, count(*),
          coalesce(sum(sentiment = 'negative'), 0), coalesce(sum(age_of_post >= :fresh), 0)
        FROM (
          SELECT :now_s - CAST(strftime('%s', r.created_at) AS INTEGER) AS age,
            CAST(strftime('%s', r.created_at) AS INTEGER) - CAST(strftime('%s', p.published_at) AS INTEGER)
              AS age_of_post,
            r.sentiment
          FROM publications p JOIN replies r ON r.publication_id = p.id
          WHERE p.question_id = :q AND p.channel = :ch AND r.deleted_at IS NULL
            AND r.created_at >= :start AND r.created_at < :now
        )
        GROUP BY 1, 2
        """,
        {"now_s": now_s, "win": win, "fresh": FRESH_SECONDS, "q": question_id, "ch": channel,
         "start": iso(start), "now": iso(now)},
    ).fetchall()
    stats = Stats()
    have = max(1, min(days, int((now - parse_iso(first)).total_seconds() // DAY)))
    samples = [0] * have
    for k, in_window, n, negative, settled in rows:
        if k == 0 and in_window:
            stats.replies, stats.negative, stats.settled = n, negative, settled
            continue
        stats.history_replies += n
        stats.history_negative += negative
        if in_window and 1 <= k <= have:
            samples[k - 1] = settled
    stats.settled_samples = samples if now - parse_iso(first) >= timedelta(days=1) else []
    return stats


def usual_share(stats):
    """The question's negative share before the window, pulled towards PRIOR_SHARE when history is thin."""
    return (stats.history_negative + PRIOR_SHARE * PRIOR_WEIGHT) / (stats.history_replies + PRIOR_WEIGHT)


def share_z(stats, dispersion=DISPERSION):
    """How far the window's negatives are above what the usual share explains (overdispersed binomial z)."""
    share, n = usual_share(stats), stats.replies
    variance = n * share * (1 - share) * (1 + (n - 1) * dispersion)
    return (stats.negative - n * share) / math.sqrt(max(variance, 1e-9))


def share_signal(stats, a):
    """negative_share: at least min_negative negatives, share_z above the question's usual share."""
    if stats.negative < a["min_negative"] or share_z(stats) < a["share_z"]:
        return None
    share = usual_share(stats)
    expected = stats.replies * share
    return Signal("negative_share", "", stats.negative, round(expected, 1),
                  f"{stats.negative} of {stats.replies} replies negative in the last {describe(a['window'])} "
                  f"(usually {round(100 * share)}%, about {expected:.1f})")


def volume_signal(stats, a):
    """volume: replies to settled posts far above the same hours of previous days (mean and spread)."""
    if stats.settled < a["volume_min"] or not stats.settled_samples:
        return None
    samples = stats.settled_samples
    mean = sum(samples) / len(samples)
    spread = max(math.sqrt(sum((s - mean) ** 2 for s in samples) / len(samples)), math.sqrt(mean), 1.0)
    if stats.settled < a["volume_factor"] * mean or (stats.settled - mean) / spread < a["volume_z"]:
        return None
    return Signal("volume", "", stats.settled, round(mean, 1),
                  f"{stats.settled} replies in the last {describe(a['window'])} "
                  f"(usually {mean:.1f} at this hour)")


def signals_for(stats, a):
    return [s for s in (share_signal(stats, a), volume_signal(stats, a)) if s]


def theme_signals(db, question_id, channel, now, a):
    """theme: new in the window, or theme_factor times its usual hourly count.

    A theme is followed across weeks by its key (each ISO week has its own `themes` row); date-range
    themes computed on demand are left out so that no reply counts twice. "other" (in any language)
    never alarms, nor does a post's first day of answers: every theme in it is new, and expected.
    """
    window, days = a["window"], a["baseline_days"]
    rows = db.execute(
        f"""
        SELECT t.key, max(t.id), sum(r.created_at >= :since), sum(r.created_at < :since)
        FROM themes t JOIN reply_themes rt ON rt.theme_id = t.id
          JOIN replies r ON r.id = rt.reply_id
          JOIN publications p ON p.id = r.publication_id
        WHERE t.question_id = :q AND p.channel = :ch AND r.deleted_at IS NULL AND {not_other_sql("t.key")}
          AND t.period GLOB '[0-9][0-9][0-9][0-9]-W[0-9][0-9]'
          AND r.created_at >= :start AND r.created_at < :now
          AND CAST(strftime('%s', r.created_at) AS INTEGER) - CAST(strftime('%s', p.published_at) AS INTEGER) >= :fresh
        GROUP BY t.key
        """,
        {"q": question_id, "ch": channel, "since": iso(now - window), "now": iso(now),
         "start": iso(now - window - timedelta(days=days)), "fresh": FRESH_SECONDS},
    ).fetchall()
    periods = timedelta(days=days) / window
    found = []
    for _, theme_id, recent, before in rows:
        mean = (before or 0) / periods
        if recent < a["theme_min"] or recent < a["theme_factor"] * mean:
            continue
        label = db.execute("SELECT label FROM themes WHERE id = ?", [theme_id]).fetchone()[0]
        name = f"\u201c{trim(label or '?', 80)}\u201d"
        how = f"new theme {name}" if not before else f"theme {name} grows"
        usual = "" if not before else f" (usually {mean:.1f})" if mean >= 0.05 else " (usually almost none)"
        found.append(Signal("theme", str(theme_id), recent, round(mean, 1),
                            f"{how}: {recent} replies in the last {describe(window)}{usual}"))
    return found


def describe(delta):
    minutes = int(delta.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return "hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} minutes"


def sample_replies(db, question_id, channel, now, window, kind, subject):
    """The most negative different replies of the window (of the theme, for a theme incident)."""
    theme = "AND r.id IN (SELECT reply_id FROM reply_themes WHERE theme_id = :subject)" if kind == "theme" else ""
    rows = db.execute(
        f"""
        SELECT r.id, r.text, r.author, r.url FROM publications p JOIN replies r ON r.publication_id = p.id
        WHERE p.question_id = :q AND p.channel = :ch AND r.deleted_at IS NULL
          AND r.created_at >= :since AND r.created_at < :now {theme}
        ORDER BY r.sentiment = 'negative' DESC, r.compound IS NULL, r.compound, r.id LIMIT :n
        """,
        {"q": question_id, "ch": channel, "since": iso(now - window), "now": iso(now), "subject": subject,
         "n": SAMPLES * 10},
    ).fetchall()
    picked, seen = [], set()
    for i, text, author, url in rows:
        key = " ".join(text.lower().split())
        if key not in seen:  # the same words twice say nothing new
            seen.add(key)
            picked.append({"id": i, "text": text, "author": author, "url": url})
    return picked[:SAMPLES]


# ---------------------------------------------------------------- incidents


@dataclass
class CheckReport:
    opened: list = field(default_factory=list)      # alert ids
    updated: int = 0
    closed: int = 0
    reopened: int = 0

    def line(self):
        if not (self.opened or self.closed or self.reopened):
            return None
        return (f"{len(self.opened)} opened, {self.reopened} reopened, {self.updated} updated, "
                f"{self.closed} closed")


def watched(db):
    """(question id, channel, alert settings, time zone) of every question that can get replies."""
    rows = db.execute(
        """
        SELECT DISTINCT q.id, p.channel, q.alerts, q.time_zone FROM questions q
        JOIN publications p ON p.question_id = q.id AND p.published_at IS NOT NULL
        WHERE q.deleted_at IS NULL ORDER BY q.id, p.channel
        """
    ).fetchall()
    return [(qid, channel, json.loads(prefs or "{}"), tz) for qid, channel, prefs, tz in rows]


def check(db, cfg, now):
    """Detect and update incidents for every question and channel at `now`; queue new notices."""
    a = settings(cfg)
    report = CheckReport()
    if not a["enabled"]:
        return report
    for question_id, channel, prefs, tz in watched(db):
        found = []  # an opted-out question detects nothing (and an incident it had closes)
        if prefs.get("enabled") is not False:
            stats = window_stats(db, question_id, channel, now, a["window"], a["baseline_days"])
            found = signals_for(stats, a) + theme_signals(db, question_id, channel, now, a)
        apply_signals(db, cfg, a, question_id, channel, found, now, prefs, tz, report)
    return report


def apply_signals(db, cfg, a, question_id, channel, found, now, prefs, tz, report):
    """The state machine for one question and channel: open, update, close, reopen.

    A question and channel has at most one open incident: every signal that is on is part of it
    (a complaints spike usually raises the volume too), so a spike is one notice, not three.
    """
    found = sorted(found, key=lambda s: (PRIORITY[s.kind], -s.value))
    with transaction(db):
        row = db.execute("SELECT id, kind, peak FROM alerts WHERE question_id = ? AND channel = ? "
                         "AND status = 'open'", [question_id, channel]).fetchone()
        if row and not found:
            db.execute("UPDATE alerts SET status = 'closed', closed_at = ?, updated_at = ? WHERE id = ?",
                       [iso(now), iso(now), row[0]])
            report.closed += 1
        elif row:
            update(db, row, found, question_id, channel, now, a)
            report.updated += 1
        elif found:
            recent = db.execute(
                "SELECT id, kind, peak FROM alerts WHERE question_id = ? AND channel = ? AND status = 'closed' "
                "AND closed_at >= ? ORDER BY closed_at DESC LIMIT 1",
                [question_id, channel, iso(now - a["cooldown"])]).fetchone()
            if recent:
                db.execute("UPDATE alerts SET status = 'open', closed_at = NULL, reopened = reopened + 1 "
                           "WHERE id = ?", [recent[0]])
                update(db, recent, found, question_id, channel, now, a)
                report.reopened += 1
            else:
                report.opened.append(open_incident(db, cfg, a, question_id, channel, found, now, prefs, tz))


def trigger_text(found):
    return "; ".join(s.trigger for s in found)


def update(db, row, found, question_id, channel, now, a):
    """The incident goes on: its numbers and samples follow the signals; no notice is sent again.

    peak is the highest count of the kind that opened the incident (any kind when that one is off).
    """
    alert_id, kind, peak = row
    main = next((s for s in found if s.kind == kind), found[0])
    columns = {"updated_at": iso(now), "last_signal_at": iso(now), "current": main.value,
               "baseline": main.baseline, "trigger": trigger_text(found)}
    if main.value > peak:
        samples = sample_replies(db, question_id, channel, now, a["window"], main.kind, main.subject)
        columns.update(peak=main.value, samples=json.dumps(samples, ensure_ascii=False))
    sets = ", ".join(f"{name} = ?" for name in columns)
    db.execute(f"UPDATE alerts SET {sets} WHERE id = ?", [*columns.values(), alert_id])


def open_incident(db, cfg, a, question_id, channel, found, now, prefs, tz):
    signal = found[0]
    samples = sample_replies(db, question_id, channel, now, a["window"], signal.kind, signal.subject)
    alert_id = db.execute(
        "INSERT INTO alerts (question_id, channel, kind, subject, opened_at, updated_at, last_signal_at, current, "
        "peak, baseline, trigger, samples) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [question_id, channel, signal.kind, signal.subject, iso(now), iso(now), iso(now), signal.value,
         signal.value, signal.baseline, trigger_text(found), json.dumps(samples, ensure_ascii=False)]).lastrowid
    from .notify import delivery_channels

    via = delivery_channels(cfg)
    held = notice_time(a, prefs, tz, now)
    for name in via:
        db.execute("INSERT INTO alert_deliveries (alert_id, via, next_attempt_at) VALUES (?, ?, ?)",
                   [alert_id, name, iso(held)])
    status = "no channel configured" if not via else ("pending" if held == now else f"held until {iso(held)}")
    db.execute("UPDATE alerts SET notice_status = ? WHERE id = ?", [status, alert_id])
    return alert_id


def notice_time(a, prefs, tz, now):
    """Now, or the end of the quiet hours (the question's own, in its time zone, else [alerts])."""
    if prefs.get("quiet_hours"):
        quiet, where = parse_quiet_hours(prefs["quiet_hours"], "question quiet_hours"), ZoneInfo(tz or "UTC")
    else:
        quiet, where = parse_quiet_hours(a["quiet_hours"], "[alerts] quiet_hours"), ZoneInfo(a["time_zone"])
    return quiet_until(now, quiet, where) or now


# ---------------------------------------------------------------- reading


COLUMNS = ("id", "question_id", "channel", "kind", "subject", "status", "opened_at", "updated_at", "closed_at",
           "reopened", "current", "peak", "baseline", "trigger", "samples", "notice_status", "notice_sent_at")


def incidents(db, *, only_open=False, limit=50):
    """Incidents as dicts, open ones first, newest first; samples decoded."""
    where = "WHERE status = 'open'" if only_open else ""
    rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM alerts {where} "
                      "ORDER BY status = 'open' DESC, opened_at DESC, id DESC LIMIT ?", [limit]).fetchall()
    return as_dicts(rows)


def open_incidents(db):
    """The open incidents, newest first: for the inbox page and `listener alerts`."""
    return incidents(db, only_open=True, limit=1000)


def format_incidents(items):
    if not items:
        return "no incidents"
    lines = []
    for item in items:
        closed = f", closed {item['closed_at']}" if item["closed_at"] else ""
        lines.append(f"#{item['id']} {item['status'].upper()} {item['question_id']} on {item['channel']} "
                     f"({item['kind']}): {item['trigger']}")
        lines.append(f"    opened {item['opened_at']}, updated {item['updated_at']}{closed}; peak {item['peak']:g}, "
                     f"notice {item['notice_status']}")
    return "\n".join(lines)


def incidents_by_id(db, ids):
    rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM alerts WHERE id IN ({', '.join('?' * len(ids))})",
                      list(ids)).fetchall()
    return as_dicts(rows)


def as_dicts(rows):
    found = [dict(zip(COLUMNS, row)) for row in rows]
    for item in found:
        item["samples"] = json.loads(item["samples"])
    return found


def check_and_deliver(db, cfg, now):
    """The worker's tick step: detect, then deliver due notices. Returns a line when anything happened."""
    from .notify import deliver_due

    checked = check(db, cfg, now).line()
    delivered = deliver_due(db, cfg, now).line()
    return "; ".join(part for part in (checked, delivered) if part) or None
