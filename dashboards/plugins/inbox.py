"""The community manager's inbox at /-/inbox: open replies to our questions, acted on in one click or key.

Pages read through Datasette's read-only connection; actions (POST /-/inbox/act, CSRF-checked)
write through listener.inbox on our own connection (listener.db.open_db), so the CLI and the
page share one code path and every action is an undoable `events` row. Editors act; viewers and
anonymous visitors get 403. On a loopback server without logins the local user acts.
"""

import os
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from datasette import hookimpl
from datasette.utils.asgi import Response

from listener import alerts, inbox, themes
from listener.db import open_db
from listener.errors import ListenerError
from listener.times import iso, parse_iso, utcnow
from listener.users import serving_users, who
from listener.weeks import THEME_LABEL_SQL, monday_of_week, not_other_sql

PAGE_SIZE = 50
STATIC = Path(__file__).resolve().parent.parent / "static"
FILTERS = ("question", "channel", "sentiment", "theme", "status", "assignee", "language", "from", "to", "order")
KEYS = {"label:negative": "n", "label:neutral": "u", "label:positive": "p", "status:handled": "h",
        "status:follow_up": "f", "status:ignored": "i"}
WRITERS = {}


def database(datasette):
    return next(db for name, db in datasette.databases.items() if not name.startswith("_"))


def writer(path):
    """Our own read-write connection to the served file (Datasette's stays read-only)."""
    if path not in WRITERS:
        WRITERS[path] = open_db(path)
    return WRITERS[path]


def team_zone():
    try:
        return ZoneInfo(os.environ.get("LISTENER_TIME_ZONE") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(stamp, zone, now):
    """'Tue 09:14' this week, '03 Nov 09:14' before, in the team's zone."""
    if not stamp:
        return ""
    when = parse_iso(stamp).astimezone(zone)
    return when.strftime("%a %H:%M" if now - when < timedelta(days=6) else "%d %b %H:%M")


def utc_bound(day, zone, end=False):
    """A YYYY-MM-DD day in the team's zone -> the UTC text bound (start, or the next day's start)."""
    try:
        start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=zone)
    except ValueError:
        return None
    return iso(start + timedelta(days=1) if end else start)


WEEK_GLOB = "[0-9][0-9][0-9][0-9]-W[0-9][0-9]"
# Each ISO week has its own themes rows; a theme is its key within a question, named by its latest week.
# "other" (per language: 'de:other') is no theme to filter on or move to.
LATEST_THEMES = (f"SELECT id, question_id, key, {THEME_LABEL_SQL} AS label FROM themes WHERE id IN (SELECT max(id) "
                 f"FROM themes WHERE period GLOB '{WEEK_GLOB}' AND {not_other_sql()} GROUP BY question_id, key) "
                 "ORDER BY question_id, label")


def build_query(args, zone):
    where, params = ["r.deleted_at IS NULL"], []
    status = args.get("status") or "open"
    triage_join = "LEFT JOIN reply_triage t ON t.reply_id = r.id"
    if status == "open":
        where.append("t.status IS NULL")
    elif status in inbox.STATUSES:
        triage_join = "JOIN reply_triage t ON t.reply_id = r.id"
        where.append("t.status = ?")
        params.append(status)
    if args.get("assignee"):
        triage_join = "JOIN reply_triage t ON t.reply_id = r.id"
        where.append("t.assignee = ?")
        params.append(args["assignee"])
    # A unary + keeps SQLite off an index for common values, so it walks replies_created (or
    # replies_compound) in page order and stops after a page, instead of sorting every match.
    negative_first = args.get("order") == "negative"
    for key, term in (("question", "+r.publication_id IN (SELECT id FROM publications WHERE question_id = ?)"),
                      ("channel", "+r.channel = ?"), ("sentiment", "+r.sentiment = ?"),
                      ("language", ("+" if negative_first else "") + "r.language = ?")):
        if args.get(key) == "unscored" and key == "sentiment":
            where.append("r.sentiment IS NULL")  # rare: its index finds them all at once
        elif args.get(key):
            where.append(term)
            params.append(args[key])
    if (args.get("theme") or "").isdigit():  # a theme in any week: the same key of the same question
        where.append("r.id IN (SELECT rt.reply_id FROM reply_themes rt JOIN themes th ON th.id = rt.theme_id "
                     "JOIN themes picked ON picked.id = ? AND th.question_id = picked.question_id "
                     "AND th.key = picked.key)")
        params.append(int(args["theme"]))
    for key, op, end in (("from", ">=", False), ("to", "<", True)):
        bound = utc_bound(args.get(key) or "", zone, end)
        if bound:
            where.append(f"r.created_at {op} ?")
            params.append(bound)
    order = "r.compound ASC, r.id" if negative_first else "r.created_at DESC, r.id DESC"
    theme = ("(SELECT group_concat(th.label, ', ') FROM reply_themes rt JOIN themes th ON th.id = rt.theme_id "
             f"WHERE rt.reply_id = r.id AND th.period GLOB '{WEEK_GLOB}')")
    theme_key = ("(SELECT th.key FROM reply_themes rt JOIN themes th ON th.id = rt.theme_id "
                 f"WHERE rt.reply_id = r.id AND th.period GLOB '{WEEK_GLOB}' ORDER BY th.period DESC LIMIT 1)")
    sql = f"""SELECT r.id, r.author, r.text, r.sentiment, r.label_confidence, r.compound, r.language, r.created_at,
        r.url, r.channel, p.question_id, without_date(q.text) AS question_text, p.url AS post_url, t.status, t.assignee, t.notes,
        t.last_note, r.label_override_by, {theme} AS theme, {theme_key} AS theme_key
        FROM replies r JOIN publications p ON p.id = r.publication_id LEFT JOIN questions q ON q.id = p.question_id
        {triage_join} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ? OFFSET ?"""
    return sql, params


async def inbox_page(request, datasette):
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    name, role = who(request)
    db = database(datasette)
    zone, now = team_zone(), utcnow()
    args = {key: (request.args.get(key) or "").strip() for key in FILTERS}
    asked = request.args.get("page") or "1"
    page = min(max(int(asked) if asked.isdigit() else 1, 1), 10**9)  # SQLite's OFFSET is a 64-bit integer
    sql, params = build_query(args, zone)
    rows = [dict(row) for row in (await db.execute(sql, params + [PAGE_SIZE + 1, (page - 1) * PAGE_SIZE])).rows]
    for row in rows:
        row["when"] = local_time(row["created_at"], zone, now)
    mix_where, mix_params = [], []
    for key, column in (("question", "question_id"), ("channel", "channel")):
        if args[key]:
            mix_where.append(f"{column} = ?")
            mix_params.append(args[key])
    mix = (await db.execute("SELECT sentiment, sum(replies) AS n FROM reply_daily "
                            + ("WHERE " + " AND ".join(mix_where) if mix_where else "")
                            + " GROUP BY sentiment ORDER BY sentiment", mix_params)).rows
    context = {
        "rows": rows[:PAGE_SIZE], "more": len(rows) > PAGE_SIZE, "page": page, "args": args,
        "user": name, "role": role, "can_act": role == "editor", "local": name is not None and not serving_users(),
        "counts": await db.execute_fn(inbox.counts), "mix": [dict(r) for r in mix],
        "incidents": await db.execute_fn(alerts.open_incidents),
        "questions": (await db.execute("SELECT id, without_date(text) FROM questions WHERE deleted_at IS NULL ORDER BY text")).rows,
        "channels": [r[0] for r in (await db.execute("SELECT DISTINCT channel FROM publications ORDER BY 1")).rows],
        "assignees": [r[0] for r in (await db.execute(
            "SELECT DISTINCT assignee FROM reply_triage WHERE assignee IS NOT NULL ORDER BY 1")).rows],
        "themes": (await db.execute(LATEST_THEMES)).rows, "theme_page": await theme_page(db, args["theme"]),
        "statuses": inbox.STATUSES, "keys": KEYS, "zone": str(zone.key), "database": db.name,
        "here": request.path + ("?" + request.query_string if request.query_string else ""),
        "page_url": lambda n: request.path + "?" + urlencode({**{k: v for k, v in args.items() if v}, "page": n}),
    }
    return Response.html(await datasette.render_template("inbox.html", context, request=request))


async def theme_page(db, theme_id):
    """The question's page of the week of the theme picked in the filter (where it is renamed and merged)."""
    row = (await db.execute("SELECT question_id, period FROM themes WHERE id = ?",
                            [int(theme_id)])).first() if theme_id.isdigit() and len(theme_id) < 19 else None
    monday = monday_of_week(row[1]) if row else None
    return f"/-/question/{quote(row[0], safe='')}?week={monday.isoformat()}" if monday else None


def refuse(message, status, wants_json):
    if wants_json:
        return Response.json({"ok": False, "message": message}, status=status)
    return Response.text(message, status=status)


async def act(request, datasette):
    wants_json = "application/json" in (request.headers.get("accept") or "")
    if request.method != "POST":
        return refuse("Actions are POST requests from the inbox page: open /-/inbox", 405, wants_json)
    name, role = who(request)
    if name is None:
        return refuse("Log in to act: /-/login", 403, wants_json)
    if role != "editor":
        return refuse(f"{name} is a viewer: ask for the editor role to act on replies", 403, wants_json)
    if "ds_csrftoken" not in request.cookies:
        return refuse("The form's CSRF token is missing: reload the inbox page and try again", 403, wants_json)
    form = await request.post_vars()
    action, _, value = (form.get("do") or "").partition(":")
    if not action:  # the theme list's "pick a theme", left as it was
        return refuse("pick a theme in the reply's list first, then move", 400, wants_json)
    value = form.get(action) if action in ("assign", "note") else value
    db = writer(database(datasette).path)
    try:
        if action == "undo":
            event = inbox.undo(db, name, utcnow(), periods=shown_periods(db, form, inbox.latest_event(db, name)))
            message = f"undid {inbox.describe(event)}"
        elif action in inbox.THEME_ACTIONS:  # from a question's page
            event_id = inbox.act_on_theme(db, action, form.get("theme_id"), form.get(action), name, utcnow(),
                                          question_id=form.get("question") or None, periods=shown_periods(db, form))
            message = f"{inbox.describe(inbox.get_event(db, event_id))} by {name} (Undo reverts it)"
        else:
            reply_id = int(form.get("reply_id") or 0)
            inbox.act(db, reply_id, action, value, name, utcnow(),
                      periods=themes.periods_of_reply(db, reply_id) if action == "theme" else None)
            message = f"reply {reply_id}: {action} {value or ''}".strip() + f" by {name} (z to undo)"
    except (ListenerError, ValueError) as exc:
        return refuse(str(exc) if isinstance(exc, ListenerError) else "reply_id must be a number", 400, wants_json)
    if wants_json:
        return Response.json({"ok": True, "message": message})
    datasette.add_message(request, message)  # shown on the page it goes back to
    back = form.get("next") or "/-/inbox"
    return Response.redirect(back if back.startswith(("/-/inbox", "/-/question/")) else "/-/inbox")


def shown_periods(db, form, event=None):
    """The periods a theme fix must show at once: the question page's week, else (the inbox) those
    of the reply or theme the undone event was about; the others are recomputed when first read
    (themes.after_fix)."""
    if form.get("period"):
        return [form["period"]]
    return inbox.event_periods(db, event) if event else []


async def thread(request, datasette):
    """The reply's thread as JSON: its ancestors and its direct answers, oldest first."""
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    db = database(datasette)
    reply_id = int(request.url_vars["reply_id"])
    rows = (await db.execute(
        """WITH RECURSIVE up(remote_id, parent, channel, n) AS (
             SELECT remote_id, parent_remote_id, channel, 0 FROM replies WHERE id = :id
             UNION ALL SELECT r.remote_id, r.parent_remote_id, r.channel, up.n + 1 FROM replies r
             JOIN up ON r.remote_id = up.parent AND r.channel = up.channel WHERE up.n < 20)
           SELECT id, author, text, sentiment, created_at FROM replies WHERE remote_id IN (SELECT remote_id FROM up)
             AND channel = (SELECT channel FROM replies WHERE id = :id)
           UNION SELECT id, author, text, sentiment, created_at FROM replies
             WHERE parent_remote_id = (SELECT remote_id FROM replies WHERE id = :id)
               AND channel = (SELECT channel FROM replies WHERE id = :id)
           ORDER BY created_at LIMIT 100""", {"id": reply_id})).rows
    zone, now = team_zone(), utcnow()
    return Response.json([{**dict(r), "when": local_time(r["created_at"], zone, now), "self": r["id"] == reply_id}
                          for r in rows])


async def script(request):
    return Response((STATIC / "inbox.js").read_text(encoding="utf-8"), content_type="text/javascript; charset=utf-8",
                    headers={"cache-control": "no-cache"})


@hookimpl
def register_routes():
    return [(r"^/-/inbox$", inbox_page), (r"^/-/inbox/act$", act),
            (r"^/-/inbox/thread/(?P<reply_id>\d+)$", thread), (r"^/-/inbox\.js$", script)]


@hookimpl
def menu_links(datasette, actor):
    return [{"href": datasette.urls.path("/-/inbox"), "label": "Inbox"}]
