"""This week vs last week (the overview's panel and a question's page) on a seeded database."""

import json
import re
import urllib.parse
from datetime import date, datetime, timezone

import pytest
from datasette_dashboards import replace_opts_in_query

from listener.db import open_db, transaction
from listener.display import list_words, local_time, rrule_words, zone_or_utc
from listener.serve import make_datasette
from listener.weeks import WeekError, parse_monday, question_week
from ui_support import HOSTILE, dashboard, run

MONDAY = date(2026, 11, 23)          # this week: 23-29 Nov 2026, last week: 16-22 Nov
NOW = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)
EVIL_QUESTION = 'Is <b onmouseover="window.__pwned=1">this</b> & "that" easy?'

# (question, created_at, label, label_override, deleted_at); label None = unscored (compound set).
REPLIES = [
    # q1 this week: 6 live (2 negative incl. one corrected to negative, 1 positive, 1 neutral, 2 unscored),
    # one negative deleted (not counted), one corrected from negative to positive.
    ("q1", "2026-11-23T00:00:00Z", "negative", None, None),
    ("q1", "2026-11-24T09:14:00Z", "neutral", "negative", None),
    ("q1", "2026-11-25T10:00:00Z", "positive", None, None),
    ("q1", "2026-11-26T10:00:00Z", "neutral", None, None),
    ("q1", "2026-11-27T10:00:00Z", None, None, None),
    ("q1", "2026-11-29T23:59:59Z", None, None, None),
    ("q1", "2026-11-25T11:00:00Z", "negative", None, "2026-11-26T00:00:00Z"),
    ("q1", "2026-11-25T12:00:00Z", "negative", "positive", None),
    # q1 last week: 4 scored (1 negative), and one the week before (not counted).
    ("q1", "2026-11-16T00:00:00Z", "negative", None, None),
    ("q1", "2026-11-18T00:00:00Z", "positive", None, None),
    ("q1", "2026-11-20T00:00:00Z", "positive", None, None),
    ("q1", "2026-11-22T23:59:59Z", "neutral", None, None),
    ("q1", "2026-11-15T23:59:59Z", "negative", None, None),
    # q2 only last week: 2 negative.
    ("q2", "2026-11-17T08:00:00Z", "negative", None, None),
    ("q2", "2026-11-19T08:00:00Z", "negative", None, None),
]


@pytest.fixture
def seeded(tmp_path):
    path = tmp_path / "seeded.db"
    db = open_db(path)
    stamp = "2026-11-01T00:00:00Z"
    with transaction(db):
        for qid, text, rrule in [("q1", EVIL_QUESTION, "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0"),
                                 ("q2", "What would you change? ({date})", None), ("q3", "Quiet question?", None)]:
            db.execute("INSERT INTO questions (id, text, tags, channels, rrule, status, created_at, updated_at) "
                       "VALUES (?, ?, '[\"cx\", \"effort\"]', '[\"x\", \"reddit\"]', ?, 'approved', ?, ?)",
                       [qid, text, rrule, stamp, stamp])
        for n, qid in enumerate(["q1", "q2"], 1):
            db.execute("INSERT INTO publications (id, question_id, occurrence_at, channel, account, state, "
                       "idempotency_key, text, remote_id, url, published_at, created_at, updated_at) "
                       "VALUES (?, ?, ?, 'x', 'brand', 'published', ?, 'q', ?, ?, ?, ?, ?)",
                       [n, qid, stamp, f"key{n}", f"post{n}", f"https://x.com/i/status/post{n}", stamp, stamp, stamp])
        for i, (qid, created, label, override, deleted) in enumerate(REPLIES):
            pub = 1 if qid == "q1" else 2
            compound = {"negative": -0.6 - i / 100, "positive": 0.6 + i / 100}.get(label, 0.0)
            text = HOSTILE[1] if i == 0 else f"reply {i}"
            db.execute("INSERT INTO replies (publication_id, channel, remote_id, parent_remote_id, author, text, "
                       "created_at, first_seen_at, last_seen_at, compound, label, label_override, deleted_at) "
                       "VALUES (?, 'x', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [pub, f"r{i}", f"post{pub}", '<i>evil</i>', text, created, created, created, compound, label,
                        override, deleted])
    db.conn.close()
    return path


def test_question_week_counts_this_week_against_last(seeded):
    db = open_db(seeded)
    week = question_week(db, "q1", MONDAY)
    assert (week["this"].total, week["last"].total) == (7, 4)
    assert week["this"].counts == {"negative": 2, "positive": 2, "neutral": 1, "unscored": 2}
    assert week["this"].scored == 5 and week["this"].unscored == 2
    assert week["this"].share("negative") == 40.0 and week["last"].share("negative") == 25.0
    assert week["replies_change"] == "+3" and week["negative_change"] == "+15.0"
    assert [q["text"] for q in week["negative"]][0] == HOSTILE[1]  # the most negative live reply
    assert all(q["id"] != 7 for q in week["negative"])  # the deleted one is not quoted
    assert week["themes"] == []  # no themes computed yet
    assert question_week(db, "q2", MONDAY)["question"]["text"] == "What would you change?"  # not its posts' {date}
    quiet = question_week(db, "q3", MONDAY)
    assert quiet["this"].total == 0 and quiet["this"].share("negative") is None and quiet["negative_change"] == ""
    with pytest.raises(WeekError, match="no question"):
        question_week(db, "nope", MONDAY)


def test_week_parsing():
    assert parse_monday("", NOW) == MONDAY
    assert parse_monday("2026-11-29", NOW) == MONDAY
    with pytest.raises(WeekError, match="YYYY-MM-DD"):
        parse_monday("last week", NOW)


def get(db_path, *paths, env=None):
    ds = make_datasette(db_path)

    async def go():
        return [await ds.client.get(p) for p in paths]

    return run(go())


def cells(html, css_class):
    match = re.search(rf'<td class="{css_class}">([^<]*)</td>', html)
    return match.group(1) if match else None


def test_question_page_shows_the_numbers_escaped(seeded):
    page, before, missing, bad, first, listing = get(seeded, f"/-/question/q1?week={MONDAY}",
                                                     "/-/question/q1?week=2026-11-17", "/-/question/nope",
                                                     "/-/question/q1?week=soon", "/-/question/q1?week=0001-01-01",
                                                     "/-/question")
    assert page.status_code == 200
    for html in (page.text, listing.text):  # the picker and the list read q2 without the {date} its posts carry
        assert "What would you change?" in html and "{date}" not in html
    html = page.text
    assert [cells(html, c) for c in ("this-replies", "last-replies", "change-replies", "this-negative",
                                     "last-negative", "change-negative", "this-unscored")] == [
        "7", "4", "+3", "40.0 %", "25.0 %", "+15.0 pts", "2"]
    assert "every Monday at 09:00" in html
    assert "&lt;b onmouseover=" in html and '<b onmouseover' not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html and "<script>window.__pwned" not in html
    assert "&lt;i&gt;evil&lt;/i&gt;" in html
    assert 'href="/-/reply/1"' in html and 'href="/-/reply/1/post"' in html
    assert "Top themes" not in html
    assert cells(before.text, "this-replies") == "4"  # the week before is one click away
    assert missing.status_code == 404 and bad.status_code == 404 and "YYYY-MM-DD" in bad.text
    assert first.status_code == 404 and "YYYY-MM-DD" in first.text  # no week before it: not a 500


def test_question_page_shows_themes_when_the_table_exists(seeded):
    db = open_db(seeded)
    columns = ("question_id, period, key, label, language, replies, share, negative, neutral, positive, unscored, "
               "change, previous_replies, quotes, computed_at, method_version")
    rows = [("q1", "2026-W48", "r", "<b>refunds</b>", 5, "growing", 2,
             json.dumps([{"id": 1, "text": HOSTILE[0], "url": None}, "plain quote"])),
            ("q1", "2026-W48", "b", "billing", 9, "shrinking", 11, "[]"),
            ("q1", "2026-W47", "s", "stale-theme", 50, "steady", 50, "[]"),
            ("q1", "2026-W48", "other", "other", 30, "new", None, "[]"),
            ("q1", "2026-W48", "de:other", "other", 20, "new", None, "[]"),
            ("q1", "2026-W48", "de:lieferung", "lieferung", 3, "new", None, "[]")]
    for question, period, key, label, replies, change, previous, quotes in rows:
        db.execute(f"INSERT INTO themes ({columns}) VALUES (?, ?, ?, ?, ?, ?, 0.5, 0, 0, 0, 0, ?, ?, ?, "
                   "'2026-11-25T00:00:00Z', 'test')", [question, period, key, label, key.partition(":")[0]
                                                       if ":" in key else "en", replies, change, previous, quotes])
    db.conn.close()
    html = get(seeded, f"/-/question/q1?week={MONDAY}")[0].text
    assert "Top themes" in html and "billing" in html and "stale-theme" not in html
    assert "<td>other" not in html and "<td>lieferung [de]</td>" in html  # "other" is no theme, as in the digest
    assert html.index("billing") < html.index("&lt;b&gt;refunds&lt;/b&gt;")  # biggest first
    assert "&lt;img src=x onerror=" in html and "<img src=x" not in html and "plain quote" in html
    assert "growing (from 2)" in html and "shrinking (from 11)" in html and 'href="/-/reply/1"' in html


def week_panel(db_path, **filters):
    sql = replace_opts_in_query(dashboard()["charts"]["week-vs-week"]["query"], filters)
    response = get(db_path, f"/{db_path.stem}.json?_shape=objects&" + urllib.parse.urlencode({"sql": sql, **filters}))[0]
    assert response.status_code == 200, response.text[:500]
    return response.json()["rows"]


def test_overview_panel_compares_the_weeks(seeded):
    rows = week_panel(seeded, date_end="2026-11-25")
    by_link = {re.search(r'href="([^"]+)"', r["question"]).group(1): r for r in rows}
    assert list(by_link) == ["/-/question/q1", "/-/question/q2", "/-/question/q3"]
    q1, q2, q3 = by_link.values()
    assert (q1["this week"], q1["last week"], q1["change"]) == (7, 4, "+3")
    assert (q1["negative this week"], q1["negative last week"], q1["negative change"]) == ("40.0 %", "25.0 %",
                                                                                         "+15.0 pts")
    assert q1["unscored this week"] == 2
    assert (q2["this week"], q2["last week"], q2["negative this week"], q2["negative last week"]) == (0, 2, "–",
                                                                                                  "100.0 %")
    assert (q3["this week"], q3["change"]) == (0, "+0")
    assert "&lt;b onmouseover=" in q1["question"] and "<b " not in q1["question"]
    assert q2["question"].endswith(">What would you change?</a>")  # without the {date} its posts carry
    only = week_panel(seeded, date_end="2026-11-25", question="q2")
    assert len(only) == 1 and only[0]["last week"] == 2


def test_cells_in_words():
    berlin = zone_or_utc("Europe/Berlin")
    assert local_time("2026-11-24T08:14:00Z", berlin) == "Tue 24 Nov 09:14"
    assert local_time("2026-07-01T08:14:00Z", berlin) == "Wed 1 Jul 10:14"  # summer time
    assert local_time("2026-11-24T08:14", berlin) is None and local_time(3, berlin) is None
    assert list_words('["x", "reddit"]') == "x, reddit" and list_words("[]") == "(none)"
    assert list_words('{"x": 1}') is None and list_words("[not json") is None
    assert rrule_words("FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0") == "every Monday at 09:00"
    assert rrule_words("FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0") == "every month on the first Monday at 09:00"
    assert rrule_words("FREQ=MONTHLY;BYMONTHDAY=15;BYHOUR=12") == "every month on day 15 at 12:00"
    assert rrule_words("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=4") == "every 2 weeks on Tuesday and Thursday, 4 times"
    assert rrule_words("FREQ=DAILY;BYHOUR=8,17;BYMINUTE=30") == "every day at 08:30 and 17:30"
    assert rrule_words("FREQ=SECONDLY") is None and rrule_words("FREQ=WEEKLY;BYDAY=XX") is None


def test_tables_show_words_local_times_and_open_on_rows(seeded, monkeypatch):
    monkeypatch.setenv("LISTENER_TIME_ZONE", "Europe/Berlin")
    name = seeded.stem
    questions, replies, columns = get(seeded, f"/{name}/questions", f"/{name}/replies", "/-/columns")
    assert "every Monday at 09:00" in questions.text and "cx, effort" in questions.text
    assert "[&#34;cx&#34;" not in questions.text and '["cx"' not in questions.text
    assert "Tue 24 Nov 10:14" in replies.text and 'title="2026-11-24T09:14:00Z UTC"' in replies.text
    assert 'class="column-descriptions"' not in replies.text and "/-/columns#replies" in replies.text
    assert columns.status_code == 200 and "The label people see" in columns.text
    assert "window.listenerPages" in replies.text  # the column order and pickers script


def test_saved_queries_hide_sql_and_have_titles(seeded):
    from ui_support import canned_queries

    name = seeded.stem
    for query, spec in canned_queries().items():
        assert spec.get("hide_sql") is True and spec.get("title"), query
    page = get(seeded, f"/{name}/needs_attention?question=")[0]
    title = re.search(r"<title>(.*?)</title>", page.text, re.S).group(1).strip()
    assert title == "Needs attention"
    assert "select r.text" not in page.text
    headers = re.findall(r'<th class="col-([\w-]+)"', page.text)
    assert headers[0] == "text" and headers.index("reply") > headers.index("created_at"), headers
    assert re.search(r'<a href="/-/reply/\d+">\d+</a>', page.text)
    # The picker lists the questions by their text (the script turns the box into a select).
    assert json.dumps(EVIL_QUESTION).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") in page.text


def test_reply_links_lead_to_the_row_and_the_post(seeded):
    name = seeded.stem
    row, post, none = get(seeded, "/-/reply/3", "/-/reply/3/post", "/-/reply/999/post")
    assert row.status_code == 302 and row.headers["location"] == f"/{name}/replies/3"
    assert post.status_code == 302 and post.headers["location"] == "https://x.com/i/status/post1"
    assert none.status_code == 404


def test_new_pages_need_a_login_when_exposed(seeded, monkeypatch):
    from datasette_auth_passwords.utils import hash_password

    monkeypatch.setenv("LISTENER_PASSWORD_HASH", hash_password("correct horse"))
    paths = ["/-/question", "/-/question/q1", "/-/columns", "/-/reply/1", "/-/reply/1/post"]
    assert [r.status_code for r in get(seeded, *paths)] == [403] * len(paths)
