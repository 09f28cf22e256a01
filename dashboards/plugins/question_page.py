"""A question's page, readable cells and question pickers (loaded with --plugins-dir dashboards/plugins).

- /-/question/<id>[?week=YYYY-MM-DD]: this week against last week for one question (replies,
  negative share, unscored apart, top themes with quotes, most negative and positive replies).
  /-/question lists the questions by their text.
- /-/reply/<id> and /-/reply/<id>/post: links that always work (the dashboard's table cannot know
  the database's name): the reply's row, and the original post (on the platform when we have an
  http(s) link, else the publication's row).
- /-/columns: what every column means (moved off the table pages so that they open on rows).
- Cells: stored UTC times in the team's time zone ("Tue 24 Nov 09:14", UTC on hover), JSON lists
  and RRULEs in words. The zone is [digest] time_zone, passed in LISTENER_TIME_ZONE by `listener serve`.
- Pages with a `question` parameter get a select of the questions by their text; table pages show
  the columns people read first and move platform ids to the right (Datasette 0.65 has no column
  order setting, so dashboards/plugins/pages.js moves them in the page).
"""

import asyncio
import json
import os
import urllib.parse
from pathlib import Path

from datasette import Response, hookimpl
from jinja2 import ChoiceLoader, DictLoader
from markupsafe import Markup, escape

from listener import inbox, themes
from listener.db import open_db
from listener.display import list_words, local_time, rrule_words, zone_or_utc
from listener.times import utcnow
from listener.users import who
from listener.weeks import WeekError, iso_week, parse_monday, question_week

PAGES_SCRIPT = Path(__file__).with_name("pages.js").read_text(encoding="utf-8")
LIST_COLUMNS = {"tags", "channels"}
# Columns people read first, per table; the rest keep their order, then the ids listed last.
FRONT = {
    "replies": ["text", "author", "sentiment", "label_confidence", "created_at", "channel", "publication_id",
                "like_count", "language", "compound"],
    "questions": ["text", "status", "rrule", "schedule_at", "time_zone", "channels", "tags", "goal"],
    "publications": ["name", "state", "published_at", "channel", "harvested_reply_count", "reported_reply_count",
                     "coverage_note", "url"],
}
BACK = {
    "replies": ["id", "remote_id", "parent_remote_id", "url", "scorer_version", "neg", "neu", "pos"],
    "questions": ["id", "content_hash", "approved_hash", "source_file", "variants"],
    "publications": ["id", "remote_id", "idempotency_key", "claimed_pid", "harvest_cursor"],
}


def team_zone():
    return zone_or_utc(os.environ.get("LISTENER_TIME_ZONE", "UTC"))


def database_name(datasette):
    names = [name for name in datasette.databases if not name.startswith("_")]
    return names[0] if names else None


def script_json(value):
    """JSON safe inside a <script> element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@hookimpl
def render_cell(value, column, table):
    if column == "reply" and table is None and isinstance(value, int):  # saved queries: the reply's row
        return Markup(f'<a href="/-/reply/{value}">{value}</a>')
    if not isinstance(value, str) or len(value) < 2:  # most cells: numbers, short words
        return None
    if column == "rrule":
        words = rrule_words(value)
        return Markup('<span title="{}">{}</span>').format(value, words) if words else None
    if column in LIST_COLUMNS:
        words = list_words(value)
        return escape(words) if words else None
    shown = local_time(value, team_zone()) if len(value) == 20 and value[-1] == "Z" else None
    if shown:
        # value matched listener.display.STORED_TIME (digits, -, :, T, Z): nothing to escape
        return Markup(f'<time datetime="{value}" title="{value} UTC">{shown}</time>')
    return None


@hookimpl
def extra_body_script(template, table, datasette):
    async def inner():
        name = database_name(datasette)
        questions = []
        if name and template in ("query.html", "table.html", "dashboard_view.html"):
            db = datasette.get_database(name)
            if "questions" in await db.table_names():
                questions = [list(r) for r in (await db.execute(
                    "SELECT id, without_date(text) FROM questions WHERE deleted_at IS NULL ORDER BY text, id")).rows]
        config = {"questions": questions, "front": FRONT.get(table, []), "back": BACK.get(table, []),
                  "zone": os.environ.get("LISTENER_TIME_ZONE") or "UTC"}
        return f"window.listenerPages = {script_json(config)};\n" + PAGES_SCRIPT

    return inner


# Saved queries: the tab title is the query's title, not its SQL (the rest of Datasette's page is kept).
QUERY_TEMPLATE = ('{% extends "default:query.html" %}{% block title %}{% if canned_query %}'
                  '{{ metadata.title or canned_query }}{% else %}{{ database }}: SQL{% endif %}{% endblock %}')


@hookimpl
def prepare_jinja2_environment(env):
    env.loader = ChoiceLoader([DictLoader({"query.html": QUERY_TEMPLATE}), env.loader])


@hookimpl
def register_routes():
    return [
        (r"^/-/question/?$", question_list),
        (r"^/-/question/(?P<question_id>[^/]+)$", question_page),
        (r"^/-/reply/(?P<reply_id>\d+)$", reply_row),
        (r"^/-/reply/(?P<reply_id>\d+)/post$", reply_post),
        (r"^/-/columns$", columns_page),
    ]


async def allowed(datasette, request):
    return await datasette.permission_allowed(request.actor, "view-instance", default=True)


def database(datasette):
    name = database_name(datasette)
    return name, datasette.get_database(name)


async def question_list(datasette, request):
    if not await allowed(datasette, request):
        return Response.text("Forbidden: log in at /-/login", status=403)
    if request.args.get("id"):  # the picker on a question's page
        week = request.args.get("week") or ""
        return Response.redirect(f"/-/question/{urllib.parse.quote(request.args['id'], safe='')}"
                                 + (f"?week={urllib.parse.quote(week)}" if week else ""))
    name, db = database(datasette)
    rows = (await db.execute("SELECT id, without_date(text) AS text, status FROM questions WHERE deleted_at IS NULL "
                             "ORDER BY status <> 'approved', text")).rows
    return Response.html(await datasette.render_template(
        datasette.jinja_env.from_string(LIST_TEMPLATE), {"rows": rows, "database": name}, request=request))


async def question_page(datasette, request):
    if not await allowed(datasette, request):
        return Response.text("Forbidden: log in at /-/login", status=403)
    name, db = database(datasette)
    question_id = urllib.parse.unquote(request.url_vars["question_id"])
    try:
        monday = parse_monday(request.args.get("week"), utcnow())
        await fresh_themes(db, question_id, monday)
        week = await db.execute_fn(lambda conn: question_week(conn, question_id, monday))
    except WeekError as exc:
        return Response.html(await datasette.render_template(
            datasette.jinja_env.from_string(ERROR_TEMPLATE), {"message": str(exc)}, request=request), status=404)
    questions = (await db.execute("SELECT id, without_date(text) FROM questions WHERE deleted_at IS NULL ORDER BY text")).rows
    context = {**week, "database": name, "questions": questions,
               "schedule": rrule_words(week["question"]["rrule"]) or week["question"]["schedule_at"] or "",
               "channels": list_words(week["question"]["channels"]) or "", **await fixer(db, request)}
    return Response.html(await datasette.render_template(
        datasette.jinja_env.from_string(PAGE_TEMPLATE), context, request=request))


async def fresh_themes(db, question_id, monday):
    """A week left stale by a theme fix made elsewhere is recomputed (with the stale weeks before it)
    before it is shown: see themes.after_fix. In a thread, on its own connection: a catch-up that
    regroups takes seconds, and the server keeps answering meanwhile."""
    period = iso_week(monday)
    row = (await db.execute("SELECT start, end FROM theme_runs WHERE question_id = ? AND period = ? "
                            "AND stale = 'stale'", [question_id, period])).first() if "theme_runs" in \
        await db.table_names() else None
    if row:
        until = themes.Span(period, row[0], row[1], themes.previous_key(period))
        await asyncio.get_running_loop().run_in_executor(None, recompute_up_to, db.path, question_id, until)


def recompute_up_to(path, question_id, until):
    writer = open_db(path)
    try:
        themes.recompute_stale(writer, question_id, utcnow(), until=until)
    finally:
        writer.conn.close()


async def fixer(db, request):
    """Whether this person may rename and merge themes here (editors: as in the inbox), and what undo would undo."""
    user, role = who(request)
    if role != "editor":
        return {"can_act": False}
    event = await db.execute_fn(lambda conn: inbox.latest_event(conn, user))
    return {"can_act": True, "user": user, "last_action": inbox.describe(event) if event else None,
            "here": request.path + ("?" + request.query_string if request.query_string else "")}


async def reply_row(datasette, request):
    if not await allowed(datasette, request):
        return Response.text("Forbidden: log in at /-/login", status=403)
    name, _ = database(datasette)
    return Response.redirect(f"/{urllib.parse.quote(name)}/replies/{int(request.url_vars['reply_id'])}")


async def reply_post(datasette, request):
    if not await allowed(datasette, request):
        return Response.text("Forbidden: log in at /-/login", status=403)
    name, db = database(datasette)
    row = (await db.execute("SELECT p.id, p.url FROM replies r JOIN publications p ON p.id = r.publication_id "
                            "WHERE r.id = ?", [int(request.url_vars["reply_id"])])).first()
    if row is None:
        return Response.text("no such reply", status=404)
    if row[1] and urllib.parse.urlsplit(row[1]).scheme in ("http", "https"):
        return Response.redirect(row[1])
    return Response.redirect(f"/{urllib.parse.quote(name)}/publications/{row[0]}")


async def columns_page(datasette, request):
    if not await allowed(datasette, request):
        return Response.text("Forbidden: log in at /-/login", status=403)
    tables = datasette.plugin_config("listener-columns") or {}
    return Response.html(await datasette.render_template(
        datasette.jinja_env.from_string(COLUMNS_TEMPLATE),
        {"tables": tables, "database": database_name(datasette)}, request=request))


TITLE = '''{% extends "base.html" %}{% block extra_head %}<style>
.muted { color: #666; } .week-vs-week td, .week-vs-week th { text-align: right; padding: 0.3em 0.8em; }
.week-vs-week th[scope=row] { text-align: left; } blockquote { margin: 0.2em 0 0.2em 1em; white-space: pre-wrap; }
.question-picker label { display: block; width: auto; margin: 0.4em 0; } .question-picker select { width: auto; max-width: 60em; } .quotes li { margin-bottom: 0.8em; } .column-help dt { font-weight: bold; }
</style>{% endblock %}{% block title %}'''

LIST_TEMPLATE = TITLE + """Questions{% endblock %}
{% block content %}
<h1>Questions</h1>
<p>Pick a question to see this week against last week.</p>
<ul class="question-list">
{% for id, text, status in rows %}
  <li><a href="/-/question/{{ id|urlencode }}">{{ text }}</a> <span class="muted">({{ status }})</span></li>
{% endfor %}
</ul>
{% endblock %}"""

ERROR_TEMPLATE = TITLE + """Not found{% endblock %}
{% block content %}<h1>Not found</h1><p>{{ message }}</p><p><a href="/-/question">All questions</a></p>{% endblock %}"""

PAGE_TEMPLATE = TITLE + """{{ question.text|truncate(60) }}{% endblock %}
{% macro hidden(theme_id=none) %}<input type="hidden" name="csrftoken" value="{{ csrftoken() }}"><input type="hidden" name="next" value="{{ here }}"><input type="hidden" name="question" value="{{ question.id }}"><input type="hidden" name="period" value="{{ period }}">{% if theme_id %}<input type="hidden" name="theme_id" value="{{ theme_id }}">{% endif %}{% endmacro %}
{% block content %}
<p class="crumbs"><a href="/-/dashboards/overview">Overview</a> / <a href="/-/question">Questions</a></p>
<h1 class="question-text">{{ question.text }}</h1>
<p class="muted">{{ question.goal or "" }} · {{ question.status }} · {{ schedule }}{% if question.time_zone %} ({{ question.time_zone }}){% endif %} · {{ channels }}</p>
<form class="question-picker" action="/-/question" method="get">
  <label>Question <select name="id" id="question-picker">
  {% for qid, text in questions %}<option value="{{ qid }}"{% if qid == question.id %} selected{% endif %}>{{ text|truncate(90) }}</option>{% endfor %}
  </select></label>
  <label>Week of <input type="date" name="week" value="{{ monday.isoformat() }}"></label>
  <button type="submit">Show</button>
</form>
<h2>Week of {{ monday.strftime("%-d %b %Y") }} ({{ period }}) against the week before</h2>
<table class="rows-and-columns week-vs-week">
<thead><tr><th></th><th>This week</th><th>Last week</th><th>Change</th></tr></thead>
<tbody>
<tr><th scope="row">Replies</th><td class="this-replies">{{ this.total }}</td><td class="last-replies">{{ last.total }}</td><td class="change-replies">{{ replies_change }}</td></tr>
<tr><th scope="row">Negative share (of scored replies)</th>
  <td class="this-negative">{{ "%.1f %%"|format(this.share("negative")) if this.scored else "–" }}</td>
  <td class="last-negative">{{ "%.1f %%"|format(last.share("negative")) if last.scored else "–" }}</td>
  <td class="change-negative">{{ negative_change ~ " pts" if negative_change else "" }}</td></tr>
<tr><th scope="row">Positive share</th>
  <td>{{ "%.1f %%"|format(this.share("positive")) if this.scored else "–" }}</td>
  <td>{{ "%.1f %%"|format(last.share("positive")) if last.scored else "–" }}</td><td></td></tr>
<tr><th scope="row">Unscored (language the labeller cannot read)</th><td class="this-unscored">{{ this.unscored }}</td><td class="last-unscored">{{ last.unscored }}</td><td></td></tr>
</tbody></table>
<p><a href="/-/question/{{ question.id|urlencode }}?week={{ last_monday.isoformat() }}">← week before</a>
 · <a href="/{{ database|urlencode }}/answers?question={{ question.id|urlencode }}&amp;channel=&amp;page=">all answers, threaded</a>
 · <a href="/{{ database|urlencode }}/most_negative_this_week?question={{ question.id|urlencode }}&amp;week={{ monday.isoformat() }}">most negative this week</a></p>
{% if themes %}
<h2 id="themes">Top themes this week</h2>
{% if can_act %}<p class="muted">Rename a theme, or merge it into another of the same language: the fix holds in every
week and every recompute, as <code>listener themes rename|merge</code> does, and is recorded as yours ({{ user }}).</p>
<form class="theme-undo" method="post" action="/-/inbox/act">{{ hidden() }}
  <button name="do" value="undo"{% if not last_action %} disabled{% endif %}>Undo my last action</button>
  <span class="muted">{{ "(" ~ last_action ~ ")" if last_action else "(nothing to undo)" }}</span></form>{% endif %}
<table class="rows-and-columns themes">
<thead><tr><th>Theme</th><th>Replies</th><th>Change</th><th>What people said</th>{% if can_act %}<th>Fix</th>{% endif %}</tr></thead>
<tbody>
{% for theme in themes %}
<tr data-theme="{{ theme.id }}"><td>{{ theme.label }}</td><td class="theme-replies">{{ theme.replies }}</td>
<td>{{ theme.change if theme.change is not none else "" }}{% if theme.previous is not none %} (from {{ theme.previous }}){% endif %}</td>
<td>{% for q in theme.quotes %}<blockquote>{{ q.text|truncate(280) }}{% if q.id %} <a href="/-/reply/{{ q.id }}">reply</a>{% endif %}</blockquote>{% endfor %}</td>
{% if can_act %}<td class="theme-fix">
  <form class="theme-rename" method="post" action="/-/inbox/act">{{ hidden(theme.id) }}
    <input type="text" name="rename" value="{{ theme.name }}" maxlength="80" required aria-label="new name"><button name="do" value="rename">rename</button></form>
  {% set others = themes|selectattr("language", "equalto", theme.language)|rejectattr("id", "equalto", theme.id)|list %}
  {% if others %}<form class="theme-merge" method="post" action="/-/inbox/act">{{ hidden(theme.id) }}
    <select name="merge" aria-label="merge into"><option value="" selected disabled>merge into…</option>
    {% for other in others %}<option value="{{ other.id }}">{{ other.label }}</option>{% endfor %}</select><button name="do" value="merge">merge</button></form>{% endif %}
</td>{% endif %}</tr>
{% endfor %}
</tbody></table>
{% endif %}
{% for title, rows in [("Most negative this week", negative), ("Most positive this week", positive)] %}
<h2>{{ title }}</h2>
{% if rows %}<ul class="quotes">
{% for r in rows %}<li><blockquote>{{ r.text|truncate(280) }}</blockquote>
 <span class="muted">{{ r.author or "someone" }} on {{ r.channel }} · {{ "%.2f"|format(r.compound) if r.compound is not none else "" }}</span>
 · <a href="/-/reply/{{ r.id }}">reply</a> · <a href="/-/reply/{{ r.id }}/post">original post</a></li>
{% endfor %}</ul>{% else %}<p class="muted">None this week.</p>{% endif %}
{% endfor %}
{% endblock %}"""

COLUMNS_TEMPLATE = TITLE + """What the columns mean{% endblock %}
{% block content %}
<h1>What the columns mean</h1>
<p>Times are stored in UTC and shown in the team's time zone; hover a time to see UTC.</p>
{% for table, columns in tables.items() %}
<h2 id="{{ table }}"><a href="/{{ database|urlencode }}/{{ table|urlencode }}">{{ table }}</a></h2>
<dl class="column-help">{% for column, text in columns.items() %}<dt>{{ column }}</dt><dd>{{ text }}</dd>{% endfor %}</dl>
{% endfor %}
{% endblock %}"""
