"""This week against last week, per question: what the dashboard panel and a question's page show.

A week runs Monday to Sunday in UTC, the weeks the reply_daily rollup and replies.week count in
(so a page reads a few hundred rollup rows, never a million replies). The digest counts in the
team's time zone instead; near midnight on a Sunday the two may differ by a few replies.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from .display import without_date
from .errors import ListenerError

QUOTES = 3


class WeekError(ListenerError):
    pass


def monday_of(day):
    return day - timedelta(days=day.weekday())


def parse_monday(text, now):
    """'2026-11-25' -> the Monday of that week; '' or None -> the Monday of `now`'s week (UTC)."""
    if not text:
        return monday_of(now.date())
    try:
        monday = monday_of(date.fromisoformat(text.strip()))
        monday - timedelta(days=7)  # the week before is on the page too: the calendar's first week has none
    except (ValueError, OverflowError):
        raise WeekError(f"week {text!r} is not a day: use YYYY-MM-DD, e.g. 2026-11-23") from None
    return monday


def iso_week(monday):
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Mix:
    """Live replies of one week by the label people see ('unscored' kept apart)."""

    counts: dict = field(default_factory=dict)

    @property
    def total(self):
        return sum(self.counts.values())

    @property
    def scored(self):
        return self.total - self.counts.get("unscored", 0)

    @property
    def unscored(self):
        return self.counts.get("unscored", 0)

    def share(self, label):
        """Percent of the scored replies with `label`, or None when none is scored."""
        return round(100.0 * self.counts.get(label, 0) / self.scored, 1) if self.scored else None


def week_mixes(db, monday, question_id):
    """(this week's Mix, last week's Mix) of one question, from reply_daily."""
    this, last = Mix(), Mix()
    for week, sentiment, n in db.execute(
            "SELECT week, sentiment, sum(replies) FROM reply_daily WHERE question_id = ? AND week IN (?, ?) "
            "GROUP BY 1, 2", [question_id, monday.isoformat(), (monday - timedelta(days=7)).isoformat()]).fetchall():
        (this if week == monday.isoformat() else last).counts[sentiment] = n
    return this, last


def change(this, last):
    """'+12', '-3' or '0' (replies); percent points when given floats; '' when either is unknown."""
    if this is None or last is None:
        return ""
    diff = round(this - last, 1)
    text = f"{diff:+.1f}" if isinstance(diff, float) else f"{diff:+d}"
    return "0" if diff == 0 else text


def has_table(db, name, columns=()):
    found = {row[1] for row in db.execute(f"PRAGMA table_info([{name}])").fetchall()}
    return bool(found) and set(columns) <= found


THEME_COLUMNS = ("question_id", "period", "key", "label", "language", "replies", "change", "quotes")
# A theme's label as people read it: its language after it unless it is English ('hotline [de]').
THEME_LABEL_SQL = "label || CASE WHEN language != 'en' THEN ' [' || language || ']' ELSE '' END"


def is_other(key):
    """True for the key of 'other' (per language: 'de:other'): the replies that fit no theme, so no
    theme to show, pick or fix. By key, not label: a person may name a theme "other"."""
    return key == "other" or key.endswith(":other")


def not_other_sql(column="key"):
    """is_other() negated, as SQL on the key `column`."""
    return f"{column} != 'other' AND {column} NOT GLOB '*:other'"


def monday_of_week(label):
    """The Monday of an ISO week label ('2026-W48' -> 2026-11-23), or None for anything else."""
    match = re.fullmatch(r"(\d{4})-W(\d{2})", label or "")
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1) if match else None
    except ValueError:
        return None


def week_themes(db, question_id, monday):
    """The question's themes that week, biggest first, with their change and quotes; [] without a themes table.

    Every theme, not a top few: the page is where people rename and merge them. label is what
    people read ('hotline [de]'), name the stored label.

    Reads the table listener.themes writes (issue 13): change is 'new', 'growing', 'shrinking' or
    'steady', previous_replies the count the week before, quotes JSON [{id, text, url}].
    """
    if not has_table(db, "themes", THEME_COLUMNS):
        return []
    previous = "previous_replies" if has_table(db, "themes", ["previous_replies"]) else "NULL"
    rows = db.execute(
        f"SELECT {THEME_LABEL_SQL}, replies, change, {previous}, quotes, id, label, language FROM themes "
        f"WHERE question_id = ? AND period = ? AND {not_other_sql()} ORDER BY replies DESC, label",
        [question_id, iso_week(monday)]).fetchall()
    themes = []
    for label, replies, delta, before, quotes, theme_id, name, language in rows:
        try:
            parsed = json.loads(quotes) if quotes else []
        except ValueError:
            parsed = []
        picked = [q if isinstance(q, dict) else {"text": str(q)} for q in parsed if q][:QUOTES]
        themes.append({"id": theme_id, "name": name, "language": language,
                       "label": label, "replies": replies, "change": delta, "previous": before,
                       "quotes": [{"id": q.get("id") if isinstance(q.get("id"), int) else None,
                                   "text": str(q.get("text", ""))} for q in picked]})
    return themes


def quotes(db, question_id, monday, label, in_question):
    """The most negative (or positive) live replies to the question written that week.

    Two plans, picked by the rollup's counts so that a page never reads more than about a thousand
    replies at a million: walk the whole week's replies in score order until QUOTES of this question
    turn up (cheap when the question has many of them), or read all of the question's replies of
    that week and sort them (cheap when it has few). The unary + keeps SQLite off the other index.
    """
    if not in_question:
        return []
    in_week = db.execute("SELECT coalesce(sum(replies), 0) FROM reply_daily WHERE week = ? AND sentiment = ?",
                         [monday.isoformat(), label]).fetchone()[0]
    walk = QUOTES * in_week / in_question < in_question
    order = "r.compound, r.id" if label == "negative" else "r.compound DESC, r.id DESC"  # the index's order
    where = ("r.week = ? AND +r.publication_id IN (SELECT id FROM publications WHERE question_id = ?)" if walk else
             "+r.week = ? AND r.publication_id IN (SELECT id FROM publications WHERE question_id = ?) "
             "AND r.created_at >= ? AND r.created_at < ? AND +r.sentiment = ?")
    params = [monday.isoformat(), question_id] + ([] if walk else [monday.isoformat(),
                                                                   (monday + timedelta(days=7)).isoformat()])
    rows = db.execute(
        "SELECT r.id, r.author, r.text, r.compound, r.channel, r.url FROM replies r "
        f"WHERE {where} AND r.deleted_at IS NULL {'AND r.sentiment = ?' if walk else ''} ORDER BY {order} LIMIT ?",
        params + [label, QUOTES * 10]).fetchall()
    picked, seen = [], set()
    for row in rows:  # the same words twice say nothing new
        key = " ".join(row[2].lower().split())
        if key not in seen and len(picked) < QUOTES:
            seen.add(key)
            picked.append(dict(zip(("id", "author", "text", "compound", "channel", "url"), row)))
    return picked


def question_week(db, question_id, monday):
    """Everything a question's page shows about `monday`'s week against the week before."""
    row = db.execute("SELECT id, text, goal, status, channels, rrule, schedule_at, time_zone FROM questions "
                     "WHERE id = ?", [question_id]).fetchone()
    if row is None:
        raise WeekError(f"no question {question_id!r}: pick one on the questions table")
    this, last = week_mixes(db, monday, question_id)
    question = dict(zip(("id", "text", "goal", "status", "channels", "rrule", "schedule_at", "time_zone"), row))
    question["text"] = without_date(question["text"])  # the {date} is only for its posts
    return {
        "question": question,
        "monday": monday, "last_monday": monday - timedelta(days=7), "period": iso_week(monday),
        "this": this, "last": last,
        "replies_change": change(this.total, last.total),
        "negative_change": change(this.share("negative"), last.share("negative")),
        "themes": week_themes(db, question_id, monday),
        "negative": quotes(db, question_id, monday, "negative", this.counts.get("negative", 0)),
        "positive": quotes(db, question_id, monday, "positive", this.counts.get("positive", 0)),
    }
