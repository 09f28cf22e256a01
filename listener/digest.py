"""The weekly digest: what people said to each listening question this week, as a short memo.

`build_digest(db, cfg, period)` reads the database and returns a Digest (subject, text, html and
the chart images); it writes nothing. Sending, once per period, lives in listener/mail.py;
`send_due(db, cfg, now)` here is the worker's step.

A period is an ISO week in [digest] time_zone: Monday 00:00 local to the next Monday 00:00 local.
Replies count in the week of their created_at (their first_seen_at if the platform gave no time);
deleted replies are left out, as in Datasette's dashboards. Labels are coalesce(label_override,
label), so a person's correction wins.
"""

import base64
import hashlib
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .channels import display_name
from .chart import COLORS, stacked_bars
from .display import display_text, without_date
from .errors import ConfigError
from .status import coverage_text
from .times import iso, zone_or_none
from .weeks import is_other

LABELS = ("negative", "neutral", "positive")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_LETTERS = "MTWTFSS"
QUOTES_PER_SIDE = 2
THEMES_PER_QUESTION = 5
QUOTE_CHARS = 280
WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")
TEMPLATES = Path(__file__).with_name("templates")
LABEL_SQL = "coalesce(r.label_override, r.label)"
WHEN_SQL = "coalesce(r.created_at, r.first_seen_at)"


def send_due(db, cfg, now):
    """The worker's tick step: send last week's digest if due. Returns a line when it sent, else None.

    Raises DigestError (recorded in `digests`, the week stays due) when SMTP fails.
    """
    from .mail import send_if_due

    outcome = send_if_due(db, cfg, now)
    return outcome.message if outcome.status == "sent" else None


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """One ISO week in a time zone. start/end are UTC ISO text, comparable with stored times."""

    year: int
    week: int
    zone: str

    @property
    def label(self):
        return f"{self.year}-W{self.week:02d}"

    @property
    def first_day(self):
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def days(self):
        return [self.first_day + timedelta(days=i) for i in range(7)]

    def local_midnight(self, day):
        return datetime.combine(day, time(0), ZoneInfo(self.zone))

    @property
    def start(self):
        return iso(self.local_midnight(self.first_day))

    @property
    def end(self):
        return iso(self.local_midnight(self.first_day + timedelta(days=7)))

    def day_starts(self):
        """UTC ISO text of each local midnight, Monday to the next Monday (8 values)."""
        return [iso(self.local_midnight(self.first_day + timedelta(days=i))) for i in range(8)]

    def previous(self):
        return period_of(self.first_day - timedelta(days=7), self.zone)

    def describe(self):
        first, last = self.days[0], self.days[-1]
        left = f"{first.day} {first:%b}" + (f" {first.year}" if first.year != last.year else "")
        return f"{left} – {last.day} {last:%b} {last.year}"


def period_of(day, zone):
    year, week, _ = day.isocalendar()
    return Period(year, week, zone)


def digest_zone(cfg):
    name = cfg["digest"]["time_zone"]
    if zone_or_none(name) is None:
        raise ConfigError(f"[digest] time_zone {name!r} is not an IANA time zone: use e.g. \"Europe/Berlin\"")
    return name


def parse_week(text, cfg):
    """'2026-W47' -> Period in the configured zone."""
    match = WEEK.match(text.strip())
    try:
        if not match:
            raise ValueError
        date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        raise ConfigError(f"--week {text!r} is not an ISO week: use e.g. 2026-W47") from None
    return Period(int(match.group(1)), int(match.group(2)), digest_zone(cfg))


def last_complete_period(cfg, now):
    """The week before the one `now` falls in, in the digest's zone."""
    zone = digest_zone(cfg)
    return period_of(now.astimezone(ZoneInfo(zone)).date(), zone).previous()


def send_moment(cfg, period):
    """When the digest of `period` is due: the configured weekday and hour of the following week."""
    weekday, hour = cfg["digest"]["weekday"], cfg["digest"]["hour"]
    if str(weekday).lower() not in WEEKDAYS:
        raise ConfigError(f"[digest] weekday {weekday!r} is not a day: use e.g. \"monday\"")
    if not isinstance(hour, int) or not 0 <= hour <= 23:
        raise ConfigError(f"[digest] hour {hour!r} must be a whole hour 0-23")
    day = period.first_day + timedelta(days=7 + WEEKDAYS.index(str(weekday).lower()))
    return datetime.combine(day, time(hour), ZoneInfo(period.zone))


def due_period(cfg, now):
    """The latest period whose send moment is not after `now`."""
    period = last_complete_period(cfg, now)
    if send_moment(cfg, period) > now:
        period = period.previous()
    return period


# ---------------------------------------------------------------- the numbers


@dataclass
class Mix:
    """Replies by label, for one week."""

    counts: dict = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    unscored: int = 0  # in a language the labeller cannot read: counted apart, not in the shares

    @property
    def total(self):
        return sum(self.counts.values()) + self.unscored

    @property
    def labelled(self):
        return sum(self.counts.values())

    def share(self, label):
        """Share among the labelled replies (unscored ones are counted apart)."""
        return self.counts[label] / self.labelled if self.labelled else None

    def pct(self, label):
        share = self.share(label)
        return None if share is None else round(100 * share)


def points(this, last, label):
    """Change of a label's share in percentage points, or None if either week has no replies."""
    if this.share(label) is None or last.share(label) is None:
        return None
    return round(100 * this.share(label)) - round(100 * last.share(label))


def signed(n, unit=""):
    if n is None:
        return ""
    return f"±0{unit}" if n == 0 else f"{n:+d}{unit}".replace("-", "−")


def change_text(this, last):
    """'+12 (+55%)', '−3 (−20%)', 'new', 'no change'."""
    diff = this - last
    if diff == 0:
        return "no change"
    if last == 0:
        return "new"
    return f"{signed(diff)} ({signed(round(100 * diff / last), '%')})"


def trend(this, last):
    """'up from 80 (+55%)', 'down from 80 (−20%)', 'as many as last week', 'none last week'."""
    if this == last:
        return "as many as last week"
    if last == 0:
        return "none last week"
    word = "up" if this > last else "down"
    return f"{word} from {last} ({signed(round(100 * (this - last) / last), '%')})"


@dataclass
class Quote:
    id: int
    text: str
    author: str
    channel: str
    label: str
    compound: float | None
    corrected: bool
    datasette_url: str
    platform_url: str | None


@dataclass
class QuestionReport:
    id: str
    text: str
    goal: str | None
    this_week: Mix
    last_week: Mix
    channels: list          # dicts: name, this, last, change, harvested, reported, coverage
    days: list              # (date, Mix) for each local day
    negative: list          # Quote
    positive: list
    themes: list = field(default_factory=list)  # ThemeLine, largest first, stored by listener.themes
    other: int = 0          # replies in no theme
    chart_cid: str | None = None
    chart_png: bytes | None = None
    last_reply_at: str | None = None

    @property
    def quiet(self):
        return self.this_week.total == 0

    @property
    def trend(self):
        return trend(self.this_week.total, self.last_week.total)

    def point_change(self, label):
        return signed(points(self.this_week, self.last_week, label), " pts")


@dataclass
class Digest:
    period: Period
    subject: str
    text: str
    html: str
    images: list            # (cid, png bytes)
    total: int
    questions: list

    def html_with_inline_images(self):
        """The HTML with cid: images as data: URIs, for a preview file a browser can open."""
        html = self.html
        for cid, png in self.images:
            html = html.replace(f"cid:{cid}", "data:image/png;base64," + base64.b64encode(png).decode())
        return html


def instance_id(db):
    """A short stable id of this database file, for Message-IDs and chart Content-IDs."""
    path = next((row[2] for row in db.execute("PRAGMA database_list").fetchall() if row[1] == "main"), "")
    return hashlib.sha256(str(Path(path).resolve() if path else "memory").encode()).hexdigest()[:12]


def database_name(db):
    path = next((row[2] for row in db.execute("PRAGMA database_list").fetchall() if row[1] == "main"), "")
    return Path(path).stem if path else "listener"


def active_questions(db, period):
    """Questions with a publication published before the week ended; archived ones only if they got replies."""
    return db.execute(
        f"""
        SELECT q.id, q.text, q.goal, q.status FROM questions q
        WHERE q.deleted_at IS NULL AND EXISTS (
            SELECT 1 FROM publications p WHERE p.question_id = q.id AND p.published_at IS NOT NULL
              AND p.published_at < :end)
          AND (q.status != 'archived' OR EXISTS (
            SELECT 1 FROM replies r JOIN publications p ON p.id = r.publication_id
            WHERE p.question_id = q.id AND r.deleted_at IS NULL AND {WHEN_SQL} >= :start AND {WHEN_SQL} < :end))
        ORDER BY q.id
        """,
        {"start": period.start, "end": period.end},
    ).fetchall()


def week_counts(db, question_id, period):
    """{channel: Mix} of the replies to `question_id` created in `period`."""
    out = {}
    rows = db.execute(
        f"""
        SELECT r.channel, {LABEL_SQL} AS effective_label, count(*) FROM replies r
        JOIN publications p ON p.id = r.publication_id
        WHERE p.question_id = ? AND r.deleted_at IS NULL AND {WHEN_SQL} >= ? AND {WHEN_SQL} < ?
          AND ({LABEL_SQL} IS NOT NULL OR r.compound IS NOT NULL)
        GROUP BY r.channel, effective_label
        """,
        [question_id, period.start, period.end],
    ).fetchall()
    for channel, label, n in rows:
        mix = out.setdefault(channel, Mix())
        if label is None:
            mix.unscored += n
        else:
            mix.counts[label] += n
    return out


def merged(mixes):
    total = Mix()
    for mix in mixes:
        total.unscored += mix.unscored
        for label, n in mix.counts.items():
            total.counts[label] += n
    return total


def day_counts(db, question_id, period):
    """[(local date, Mix)] for the seven days of `period`."""
    starts = period.day_starts()
    days = [(day, Mix()) for day in period.days]
    rows = db.execute(
        f"""
        SELECT {WHEN_SQL}, {LABEL_SQL} FROM replies r JOIN publications p ON p.id = r.publication_id
        WHERE p.question_id = ? AND r.deleted_at IS NULL AND {WHEN_SQL} >= ? AND {WHEN_SQL} < ?
          AND ({LABEL_SQL} IS NOT NULL OR r.compound IS NOT NULL)
        """,
        [question_id, period.start, period.end],
    ).fetchall()
    for when, label in rows:
        mix = days[sum(1 for start in starts[1:7] if when >= start)][1]
        if label is None:
            mix.unscored += 1  # as in week_counts, so the days add up to the week
        else:
            mix.counts[label] += 1
    return days


def coverage(db, question_id, period):
    """{channel: (harvested, reported)} summed over the question's publications (all time)."""
    return {
        channel: (harvested or 0, reported)
        for channel, harvested, reported in db.execute(
            "SELECT channel, sum(harvested_reply_count), sum(reported_reply_count) FROM publications "
            "WHERE question_id = ? AND published_at IS NOT NULL AND published_at < ? GROUP BY channel",
            [question_id, period.end],
        ).fetchall()
    }


def trim(text, limit=QUOTE_CHARS):
    """One line, at most `limit` characters, cut at a word boundary with an ellipsis."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,.;:-") + "…"


def safe_url(url):
    """Only http(s) links go into the mail, with controls and bidi characters percent-encoded."""
    if not url or urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        return None
    return urllib.parse.quote(url, safe=":/?#[]@!$&'()*+,;=%~", errors="replace")


def quotes(db, cfg, dbname, question_id, period, label):
    """The replies that most clearly carry `label`: corrected by a person first, then the labeller's
    most confident, then the most extreme compound."""
    order = ("r.label_override IS NULL, coalesce(r.label_confidence, 0) DESC, r.compound IS NULL, r.compound "
             + ("ASC" if label == "negative" else "DESC"))
    base = cfg["serve"]["base_url"].rstrip("/")
    rows = db.execute(
        f"""
        SELECT r.id, r.text, r.author, r.channel, r.compound, r.label_override IS NOT NULL, r.url
        FROM replies r JOIN publications p ON p.id = r.publication_id
        WHERE p.question_id = ? AND r.deleted_at IS NULL AND {WHEN_SQL} >= ? AND {WHEN_SQL} < ?
          AND {LABEL_SQL} = ?
        ORDER BY {order}, r.like_count DESC, r.id
        LIMIT ?
        """,
        [question_id, period.start, period.end, label, QUOTES_PER_SIDE * 10],
    ).fetchall()
    picked, seen = [], set()
    # A reply of a few words (or only emoji) tells the reader little: quote longer ones first.
    rows = sorted(rows, key=lambda row: len(re.findall(r"\w{2,}", row[1])) < 4)
    for i, text, author, ch, compound, corrected, url in rows:
        key = " ".join(text.lower().split())
        if key in seen:
            continue  # the same words twice say nothing new: show another reply instead
        seen.add(key)
        row_url = f"{base}/{urllib.parse.quote(dbname)}/replies/{i}"
        platform_url = safe_url(url)
        picked.append(Quote(id=i, text=trim(display_text(text)), author=display_text(author) or "someone",
                            channel=display_name(ch),
                            label=label, compound=compound, corrected=bool(corrected),
                            datasette_url=row_url,
                            # the demo points reply links at their Datasette row: one link, not two
                            platform_url=None if platform_url == row_url else platform_url))
        if len(picked) == QUOTES_PER_SIDE:
            break
    return picked


def last_reply_at(db, question_id, before):
    row = db.execute(
        f"SELECT max({WHEN_SQL}) FROM replies r JOIN publications p ON p.id = r.publication_id "
        f"WHERE p.question_id = ? AND r.deleted_at IS NULL AND {WHEN_SQL} < ?",
        [question_id, before],
    ).fetchone()
    return row[0] if row else None


def question_report(db, cfg, dbname, row, period):
    question_id, text, goal, _ = row
    this, last = week_counts(db, question_id, period), week_counts(db, question_id, period.previous())
    cover = coverage(db, question_id, period)
    channels = []
    for name in sorted(set(this) | set(last) | set(cover)):
        t, l = this.get(name, Mix()).total, last.get(name, Mix()).total
        harvested, reported = cover.get(name, (0, None))
        channels.append({"name": display_name(name), "this": t, "last": l, "change": change_text(t, l),
                         "harvested": harvested, "reported": reported,
                         "coverage": coverage_text(harvested, reported)})
    report = QuestionReport(
        id=display_text(question_id), text=display_text(without_date(text)), goal=display_text(goal), this_week=merged(this.values()), last_week=merged(last.values()),
        channels=channels, days=day_counts(db, question_id, period),
        negative=quotes(db, cfg, dbname, question_id, period, "negative"),
        positive=quotes(db, cfg, dbname, question_id, period, "positive"),
    )
    report.themes, report.other = theme_lines(db, cfg, dbname, question_id, period)
    if report.quiet:
        report.last_reply_at = last_reply_at(db, question_id, period.end)
    return report


@dataclass
class ThemeLine:
    label: str
    language: str
    replies: int
    share: float
    change: str
    previous_replies: int | None
    negative: int
    positive: int
    quote: str | None
    quote_url: str | None
    datasette_url: str

    @property
    def change_text(self):
        if self.change == "new" or self.previous_replies is None:
            return "new"
        return f"{self.change}, {self.previous_replies} last week"


def theme_lines(db, cfg, dbname, question_id, period, limit=THEMES_PER_QUESTION):
    """The week's top themes as stored (listener.themes keeps them current) and the 'other' count."""
    base = cfg["serve"]["base_url"].rstrip("/") + "/" + urllib.parse.quote(dbname)
    rows = db.execute(
        "SELECT id, key, label, language, replies, share, change, previous_replies, negative, positive, quotes "
        "FROM themes WHERE question_id = ? AND period = ? ORDER BY replies DESC, key",
        [question_id, period.label]).fetchall()
    lines, other = [], 0
    for theme_id, key, label, language, replies, share, change, previous, negative, positive, quotes_json in rows:
        if is_other(key):
            other += replies
            continue
        first = (json.loads(quotes_json) or [None])[0]
        lines.append(ThemeLine(label=label, language=language, replies=replies, share=share, change=change,
                               previous_replies=previous, negative=negative, positive=positive,
                               quote=trim(first["text"]) if first else None,
                               quote_url=safe_url(first["url"]) if first else None,
                               datasette_url=f"{base}/replies_in_theme?theme_id={theme_id}"))
    return lines[:limit], other


def subject_for(period, this, last):
    head = f"Listening posts, week {period.week}"
    if this.total == 0:
        return f"{head}: no new replies"
    change = points(this, last, "negative")
    tail = f" ({signed(change)})" if change is not None else ""
    noun = "reply" if this.total == 1 else "replies"
    return f"{head}: {this.total} {noun}, {this.pct('negative')}% negative{tail}"


# ---------------------------------------------------------------- rendering


def environment():
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["signed"] = signed
    env.filters["pct"] = lambda share: "–" if share is None else f"{round(100 * share)}%"
    env.filters["local"] = lambda text, zone: local_date(text, zone)
    return env


def local_date(text, zone):
    if not text:
        return "never"
    when = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    return f"{when.day} {when:%b %Y}"


def build_digest(db, cfg, period, now=None):
    """Read the numbers of `period` and render the memo. Writes nothing."""
    quiet_mode = cfg["digest"]["quiet_questions"]
    if quiet_mode not in ("section", "skip"):
        raise ConfigError(f"[digest] quiet_questions {quiet_mode!r} must be \"section\" or \"skip\"")
    dbname, instance = database_name(db), instance_id(db)
    reports = [question_report(db, cfg, dbname, row, period) for row in active_questions(db, period)]
    busy = sorted((r for r in reports if not r.quiet), key=lambda r: -r.this_week.total)
    quiet = [r for r in reports if r.quiet] if quiet_mode == "section" else []
    images = []
    for index, report in enumerate(busy, 1):
        labels = [DAY_LETTERS[day.weekday()] for day, _ in report.days]
        report.chart_png = stacked_bars([(letter, {**mix.counts, "unscored": mix.unscored})
                                          for letter, (_, mix) in zip(labels, report.days)])
        report.chart_cid = f"chart-{index}.{period.label}.{instance}@listener"
        images.append((report.chart_cid, report.chart_png))
    this, last = merged(r.this_week for r in reports), merged(r.last_week for r in reports)
    context = {
        "period": period, "range": period.describe(), "zone": period.zone,
        "subject": subject_for(period, this, last), "this": this, "last": last,
        "trend": trend(this.total, last.total), "neg_change": signed(points(this, last, "negative"), " pts"),
        "pos_change": signed(points(this, last, "positive"), " pts"),
        "busy": busy, "quiet": quiet, "skipped_quiet": quiet_mode == "skip" and any(r.quiet for r in reports),
        "asked": len(reports), "colors": {k: "#%02x%02x%02x" % v for k, v in COLORS.items()},
        "datasette": cfg["serve"]["base_url"].rstrip("/") + "/" + urllib.parse.quote(dbname),
        "day_letters": DAY_LETTERS,
    }
    env = environment()
    return Digest(period=period, subject=context["subject"], text=env.get_template("digest.txt").render(context),
                  html=env.get_template("digest.html").render(context), images=images, total=this.total,
                  questions=reports)
