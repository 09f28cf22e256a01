"""The inbox: actions as events with undo, named logins and roles, and the /-/inbox page in-process."""

import json
import re
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from datasette_auth_passwords.utils import hash_password

from listener import inbox, themes
from listener.cli import cli
from listener.config import load_config
from listener.db import copy_database, open_db
from listener.errors import ConfigError, ListenerError
from listener.serve import make_datasette
from listener.status import summary
from listener.users import Throttle, check_password, identify, load_users
from ui_support import HOSTILE, filled_db, run  # noqa: F401

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
PASSWORDS = {"maria": "maria's long passphrase", "sam": "sam's long passphrase"}


def quick_hash(password):
    return hash_password(password, iterations=1000)  # the tests need speed, not strength


@pytest.fixture
def db_path(filled_db, tmp_path):
    path = tmp_path / "inbox.db"
    copy_database(filled_db, path)
    return path


@pytest.fixture
def db(db_path):
    db = open_db(db_path)
    yield db
    db.conn.close()


@pytest.fixture
def team(monkeypatch):
    monkeypatch.delenv("LISTENER_PASSWORD_HASH", raising=False)
    monkeypatch.delenv("LISTENER_USERS_FILE", raising=False)
    monkeypatch.setenv("LISTENER_USERS", f"maria:editor:{quick_hash(PASSWORDS['maria'])},"
                                         f"sam:viewer:{quick_hash(PASSWORDS['sam'])}")


def newest_reply(db):
    return db.execute("SELECT id FROM replies WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC").fetchone()[0]


def daily(db, sentiment):
    return db.execute("SELECT coalesce(sum(replies), 0) FROM reply_daily WHERE sentiment = ?", [sentiment]).fetchone()[0]


# -- actions and undo ---------------------------------------------------------------------------

def test_a_label_correction_is_an_event_counted_at_once_and_undone(db):
    reply = db.execute("SELECT id, sentiment FROM replies WHERE sentiment = 'positive'").fetchone()[0]
    before = daily(db, "negative"), daily(db, "positive")
    event_id = inbox.act(db, reply, "label", "negative", "maria", NOW)
    assert (daily(db, "negative"), daily(db, "positive")) == (before[0] + 1, before[1] - 1)
    event = inbox.get_event(db, event_id)
    assert (event["who"], event["action"], event["reply_id"], event["at"]) == ("maria", "label", reply,
                                                                               "2026-11-27T09:00:00Z")
    assert event["payload"] == {"label": "negative", "before": {"label": None, "by": None, "at": None}}
    inbox.undo(db, "maria", NOW + timedelta(minutes=1))
    assert (daily(db, "negative"), daily(db, "positive")) == before
    assert db.execute("SELECT label_override FROM replies WHERE id = ?", [reply]).fetchone()[0] is None
    assert inbox.get_event(db, event_id)["undone_by"] == "maria"


def test_undo_puts_back_an_earlier_correction_with_its_author(db):
    reply = newest_reply(db)
    inbox.act(db, reply, "label", "positive", "sam", NOW)
    inbox.act(db, reply, "label", "negative", "maria", NOW + timedelta(hours=1))
    inbox.undo(db, "maria", NOW + timedelta(hours=2))
    assert db.execute("SELECT label_override, label_override_by, label_override_at FROM replies WHERE id = ?",
                      [reply]).fetchone() == ("positive", "sam", "2026-11-27T09:00:00Z")



def test_clearing_a_correction_is_an_event_and_clearing_none_is_refused(db):
    reply = newest_reply(db)
    inbox.act(db, reply, "label", "positive", "sam", NOW)
    cleared = inbox.act(db, reply, "label", "clear", "maria", NOW)
    assert inbox.get_event(db, cleared)["payload"]["before"]["label"] == "positive"
    assert db.execute("SELECT label_override FROM replies WHERE id = ?", [reply]).fetchone()[0] is None
    with pytest.raises(ListenerError, match=f"reply {reply} has no correction to clear"):
        inbox.act(db, reply, "label", "clear", "maria", NOW)
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 2

def test_status_assign_and_notes_then_undo_each(db):
    reply = newest_reply(db)
    open_before = inbox.counts(db)["open"]
    inbox.act(db, reply, "status", "handled", "maria", NOW)
    inbox.act(db, reply, "assign", "sam", "maria", NOW)
    inbox.act(db, reply, "note", "first note", "maria", NOW)
    inbox.act(db, reply, "note", "  second <b>note</b> ", "maria", NOW)
    assert inbox.triage(db, reply) == {"status": "handled", "assignee": "sam", "notes": 2,
                                       "last_note": "second <b>note</b>"}
    assert inbox.counts(db)["open"] == open_before - 1 and inbox.counts(db)["handled"] == 1
    for expected in [{"notes": 1, "last_note": "first note"}, {"notes": 0, "last_note": None},
                     {"assignee": None}, {"status": None}]:
        inbox.undo(db, "maria", NOW)
        assert expected.items() <= inbox.triage(db, reply).items()
    assert inbox.counts(db)["open"] == open_before
    with pytest.raises(ListenerError, match="maria has nothing left to undo"):
        inbox.undo(db, "maria", NOW)


def test_undo_refuses_to_clobber_a_later_change_by_someone_else(db):
    reply = newest_reply(db)
    first = inbox.act(db, reply, "status", "follow_up", "maria", NOW)
    inbox.act(db, reply, "status", "ignored", "sam", NOW)
    with pytest.raises(ListenerError, match="changed again by sam"):
        inbox.undo(db, "maria", NOW)
    assert inbox.triage(db, reply)["status"] == "ignored"
    inbox.undo(db, "sam", NOW)
    inbox.undo(db, "maria", NOW, event_id=first)
    assert inbox.triage(db, reply)["status"] is None


@pytest.mark.parametrize("reply_offset, action, value, by, message", [
    (0, "label", "angry", "maria", "label must be one of"),
    (0, "label", "clear", "maria", "has no correction to clear"),
    (0, "status", "done", "maria", "status must be one of"),
    (0, "note", "   ", "maria", "the note is empty"),
    (0, "note", "x" * 3000, "maria", "keep it under"),
    (0, "shout", "", "maria", "unknown action"),
    (0, "status", "handled", " ", "who acts is not known"),
    (10**9, "status", "handled", "maria", "no reply with id"),
    (0, "theme", str(10**9), "maria", "no theme with id"),
    (0, "theme", "dark mode", "maria", "a theme is given by its id"),
])
def test_bad_actions_are_one_line_and_change_nothing(db, reply_offset, action, value, by, message):
    reply = newest_reply(db) + reply_offset
    events = db.execute("SELECT count(*) FROM events").fetchone()[0]
    with pytest.raises(ListenerError, match=message):
        inbox.act(db, reply, action, value, by, NOW)
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == events
    assert db.execute("SELECT count(*) FROM reply_triage").fetchone()[0] == 0


def test_cli_label_records_who_and_status_shows_the_inbox(db_path, tmp_path):
    listener = Path(sys.executable).with_name("listener")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "USER": "someuser", "LOGNAME": "someuser"}
    db = open_db(db_path)
    reply = newest_reply(db)
    done = subprocess.run([str(listener), "label", str(reply), "negative", "--db", str(db_path)],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    who, action, payload = db.execute("SELECT who, action, payload FROM events ORDER BY id DESC").fetchone()
    assert who != "someone" and who and action == "label" and json.loads(payload)["label"] == "negative"
    assert db.execute("SELECT label_override_by FROM replies WHERE id = ?", [reply]).fetchone()[0] == who
    inbox.act(db, reply, "status", "handled", "maria", NOW)
    status = subprocess.run([str(listener), "status", "--db", str(db_path)], capture_output=True, text=True,
                            env=env, cwd=tmp_path)
    assert "1 handled" in status.stdout and "1 label(s) corrected" in status.stdout
    assert summary(db, load_config(environ={}), NOW)["inbox"]["handled"] == 1


def test_status_counts_replies_not_scored_yet_apart_from_unscored_ones(db):
    from listener.status import format_summary

    reply, channel = db.execute("SELECT id, channel FROM replies WHERE label IS NOT NULL AND deleted_at IS NULL "
                                "ORDER BY id").fetchone()
    db.execute("UPDATE replies SET compound = NULL, label = NULL WHERE id = ?", [reply])  # as before `listener score`
    replies, unscored = db.execute("SELECT count(*), sum(sentiment IS NULL AND compound IS NOT NULL) FROM replies "
                                   "WHERE channel = ?", [channel]).fetchone()
    [line] = [line for line in format_summary(summary(db, load_config(environ={}), NOW)).splitlines()
              if line.startswith(f"  {channel:<8} {replies} replies")]
    assert line.startswith(f"  {channel:<8} {replies} replies (1 not scored yet): ")
    assert line.endswith(f"positive, {unscored} unscored") and unscored


# -- logins -----------------------------------------------------------------------------------

def test_users_from_env_file_and_the_older_single_hash(tmp_path):
    file = tmp_path / "users"
    file.write_text(f"# the team\nlee:viewer:{quick_hash('lee passphrase')}\n", encoding="utf-8")
    users = load_users({"LISTENER_USERS": f"maria:editor:{quick_hash('m passphrase')}",
                        "LISTENER_USERS_FILE": str(file), "LISTENER_PASSWORD_HASH": quick_hash("old passphrase")})
    assert {u.name: u.role for u in users.values()} == {"maria": "editor", "lee": "viewer", "listener": "editor"}
    assert check_password(users, "lee", "lee passphrase").name == "lee"
    assert check_password(users, "lee", "m passphrase") is None and check_password(users, "nobody", "x") is None
    assert "pbkdf2" not in repr(users)


@pytest.mark.parametrize("entry", ["maria", "maria:admin:pbkdf2_sha256$1$a$b", "maria:editor:plaintext"])
def test_a_bad_users_entry_names_the_fix(entry):
    with pytest.raises(ConfigError, match="listener users hash"):
        load_users({"LISTENER_USERS": entry})


def test_throttle_blocks_after_five_failures_a_minute():
    clock = [0.0]
    throttle = Throttle(limit=5, window=60, clock=lambda: clock[0])
    for _ in range(5):
        assert not throttle.blocked("k")
        throttle.failed("k")
    assert throttle.blocked("k") and not throttle.blocked("other")
    clock[0] = 61
    assert not throttle.blocked("k") and throttle.failures == {}


def test_only_a_loopback_server_without_logins_lets_the_local_user_act():
    local = {"server": ("127.0.0.1", 8001), "client": ("127.0.0.1", 5555)}
    exposed = {"server": ("10.0.0.5", 8001), "client": ("10.0.0.9", 5555)}
    assert identify({}, None, local)[1] == "editor"
    assert identify({}, None, exposed) == (None, None)
    users = load_users({"LISTENER_USERS": f"sam:viewer:{quick_hash('sam passphrase')}"})
    assert identify(users, None, local) == (None, None)
    assert identify(users, {"id": "sam"}, exposed) == ("sam", "viewer")
    assert identify(users, {"id": "gone"}, local) == (None, None)


# -- the page, in-process -----------------------------------------------------------------------

def page_token(response):
    return re.search(r'name="csrftoken" value="([^"]+)"', response.text).group(1)


async def login(ds, name, password):
    response = await ds.client.post("/-/login", data={"username": name, "password": password})
    return response, response.cookies.get("ds_actor")


def test_editor_acts_viewer_and_anonymous_get_403(db_path, team):
    ds = make_datasette(db_path)

    async def go():
        out = {}
        response, maria = await login(ds, "maria", PASSWORDS["maria"])
        out["cookie_header"] = response.headers["set-cookie"]
        _, sam = await login(ds, "sam", PASSWORDS["sam"])
        page = await ds.client.get("/-/inbox", cookies={"ds_actor": maria})
        token, csrf = page_token(page), page.cookies.get("ds_csrftoken")
        reply = re.search(r'data-id="(\d+)"', page.text).group(1)
        form = {"csrftoken": token, "reply_id": reply, "do": "status:handled"}
        out["anonymous"] = [(await ds.client.get(p)).status_code for p in ["/-/inbox", f"/-/inbox/thread/{reply}", "/"]]
        out["anonymous_act"] = (await ds.client.post("/-/inbox/act", data=form,
                                                     cookies={"ds_csrftoken": csrf})).status_code
        viewer_page = await ds.client.get("/-/inbox", cookies={"ds_actor": sam})
        out["viewer_page"] = viewer_page.status_code, 'value="status:handled"' in viewer_page.text
        out["viewer_act"] = [(await ds.client.post("/-/inbox/act", data={**form, "do": do},
                                                   cookies={"ds_actor": sam, "ds_csrftoken": csrf})).status_code
                             for do in ["status:handled", "label:negative", "undo", "assign", "note"]]
        out["no_token"] = (await ds.client.post("/-/inbox/act", data={"reply_id": reply, "do": "status:handled"},
                                                cookies={"ds_actor": maria, "ds_csrftoken": csrf})).status_code
        out["no_cookie"] = (await ds.client.post("/-/inbox/act", data={"reply_id": reply, "do": "status:handled"},
                                                 cookies={"ds_actor": maria})).status_code
        acted = await ds.client.post("/-/inbox/act", data=form, headers={"accept": "application/json"},
                                     cookies={"ds_actor": maria, "ds_csrftoken": csrf})
        out["editor"] = acted.status_code, acted.json()
        handled = await ds.client.get("/-/inbox?status=handled", cookies={"ds_actor": maria})
        out["handled_rows"] = re.findall(r'data-id="(\d+)"', handled.text)
        out["reply"] = reply
        return out

    out = run(go())
    assert "HttpOnly" in out["cookie_header"] and "SameSite=lax" in out["cookie_header"]
    assert out["anonymous"] == [403, 403, 403] and out["anonymous_act"] == 403
    assert out["viewer_page"] == (200, False)
    assert out["viewer_act"] == [403] * 5
    assert out["no_token"] == 403 and out["no_cookie"] == 403
    assert out["editor"][0] == 200 and out["editor"][1]["ok"] and "maria" in out["editor"][1]["message"]
    assert out["handled_rows"] == [out["reply"]]
    db = open_db(db_path)
    assert db.execute("SELECT who, action FROM events").fetchall() == [("maria", "status")]
    assert db.execute("SELECT count(*) FROM reply_triage WHERE status IS NOT NULL").fetchone()[0] == 1


def test_the_login_cookie_is_secure_beyond_loopback(db_path, team, monkeypatch):
    monkeypatch.setenv("LISTENER_ALLOWED_HOSTS", "listener.example.org")  # as `listener serve` sets it
    ds = make_datasette(db_path)

    async def go():
        return [(await ds.client.post("/-/login", data={"username": "maria", "password": PASSWORDS["maria"]},
                                      headers=headers)).headers["set-cookie"]
                for headers in ({}, {"host": "listener.example.org"}, {"x-forwarded-proto": "https"})]

    local, public, https = run(go())
    assert "Secure" not in local and "Secure" in public and "Secure" in https


def test_password_guessing_is_throttled(db_path, team):
    ds = make_datasette(db_path)

    async def go():
        codes = [(await ds.client.post("/-/login", data={"username": "sam", "password": f"guess {i}"})).status_code
                 for i in range(6)]
        right = (await ds.client.post("/-/login", data={"username": "sam", "password": PASSWORDS["sam"]}))
        return codes, right

    codes, right = run(go())
    assert codes == [403] * 5 + [429]
    assert right.status_code == 429 and "wait a minute" in right.text


def test_the_older_single_password_still_logs_in_as_listener(db_path, monkeypatch):
    monkeypatch.delenv("LISTENER_USERS", raising=False)
    monkeypatch.setenv("LISTENER_PASSWORD_HASH", quick_hash("correct horse battery"))
    ds = make_datasette(db_path)

    async def go():
        _, cookie = await login(ds, "listener", "correct horse battery")
        return (await ds.client.get("/-/inbox", cookies={"ds_actor": cookie})).text

    assert "Acting as <strong>listener</strong> (editor" in run(go())


def test_local_user_acts_without_logins_and_hostile_text_stays_escaped(db_path, monkeypatch):
    for name in ("LISTENER_USERS", "LISTENER_USERS_FILE", "LISTENER_PASSWORD_HASH"):
        monkeypatch.delenv(name, raising=False)
    ds = make_datasette(db_path)

    async def go():
        page = await ds.client.get("/-/inbox?order=negative&sentiment=negative")
        reply = re.search(r'data-id="(\d+)"', page.text).group(1)
        acted = await ds.client.post("/-/inbox/act", data={"csrftoken": page_token(page), "reply_id": reply,
                                                           "do": "note", "note": "<script>alert(1)</script>"},
                                     cookies={"ds_csrftoken": page.cookies.get("ds_csrftoken")})
        again = await ds.client.get("/-/inbox?order=negative&sentiment=negative")
        thread = await ds.client.get(f"/-/inbox/thread/{reply}")
        return page, acted, again, thread

    async def move_without_a_theme():
        page = await ds.client.get("/-/inbox")
        return await ds.client.post("/-/inbox/act", data={"csrftoken": page_token(page), "reply_id": 1},
                                    cookies={"ds_csrftoken": page.cookies.get("ds_csrftoken")},
                                    headers={"accept": "application/json"})

    unchosen = run(move_without_a_theme())
    assert unchosen.status_code == 400 and unchosen.json()["message"].startswith("pick a theme")
    page, acted, again, thread = run(go())
    assert "(editor, local: no logins configured)" in page.text
    for text in HOSTILE:
        assert text not in page.text  # never raw markup
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page.text
    assert acted.status_code == 302
    assert "<script>alert(1)</script>" not in again.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in again.text
    assert thread.status_code == 200 and thread.headers["content-type"].startswith("application/json")


def test_filters_pick_the_rows_they_name(db_path, monkeypatch):
    monkeypatch.delenv("LISTENER_USERS", raising=False)
    db = open_db(db_path)
    question, channel = db.execute("SELECT question_id, channel FROM publications WHERE state = 'published' "
                                   "ORDER BY id DESC").fetchone()
    expected = {r[0] for r in db.execute(
        "SELECT r.id FROM replies r JOIN publications p ON p.id = r.publication_id WHERE p.question_id = ? "
        "AND r.channel = ? AND r.sentiment = 'positive' AND r.deleted_at IS NULL", [question, channel])}
    ds = make_datasette(db_path)

    async def go():
        shown, page = set(), 1
        while True:
            response = await ds.client.get(f"/-/inbox?question={question}&channel={channel}&sentiment=positive"
                                           f"&page={page}")
            shown |= {int(i) for i in re.findall(r'data-id="(\d+)"', response.text)}
            if "more →" not in response.text:
                return shown
            page += 1

    assert run(go()) == expected and expected
    far = run(ds.client.get("/-/inbox?page=99999999999999999999"))
    assert far.status_code == 200 and "Nothing to triage" in far.text  # past the end, not a 500


def test_a_broken_users_setting_stops_serve_and_locks_a_running_server(db_path, monkeypatch, tmp_path):
    from listener.serve import serve

    monkeypatch.setenv("LISTENER_USERS", "maria:boss:x")
    with pytest.raises(ConfigError, match="role viewer or editor"):
        serve(load_config(environ={}), host="127.0.0.1", port=8001)
    monkeypatch.delenv("LISTENER_USERS")
    monkeypatch.setenv("LISTENER_USERS_FILE", str(tmp_path / "gone"))  # e.g. removed while serving
    ds = make_datasette(db_path)

    async def go():
        return [(await ds.client.get(p)).status_code for p in ["/-/inbox", "/"]]

    assert run(go()) == [403, 403]


def test_triaged_replies_leave_needs_attention_and_undo_brings_them_back(db):
    from ui_support import canned_queries

    sql = canned_queries()["needs_attention"]["sql"]
    attention = lambda: [row[-2] for row in db.execute(sql, {"question": ""}).fetchall()]  # noqa: E731
    first = attention()[0]
    inbox.act(db, first, "status", "handled", "maria", NOW)
    assert first not in attention()
    inbox.undo(db, "maria", NOW)
    assert attention()[0] == first


def test_a_theme_move_from_the_inbox_is_a_theme_fix_and_undoes(db):
    reply, question = db.execute(
        "SELECT rt.reply_id, t.question_id FROM reply_themes rt JOIN themes t ON t.id = rt.theme_id "
        "WHERE t.key != 'other' ORDER BY rt.reply_id LIMIT 1").fetchone()
    theme_of = lambda: db.execute(  # noqa: E731
        "SELECT t.key FROM reply_themes rt JOIN themes t ON t.id = rt.theme_id WHERE rt.reply_id = ? "
        "AND t.period GLOB '????-W??'", [reply]).fetchone()[0]
    before = theme_of()
    target, key = db.execute("SELECT id, key FROM themes WHERE question_id = ? AND key NOT IN (?, 'other') "
                             "ORDER BY id LIMIT 1", [question, before]).fetchone()
    inbox.act(db, reply, "theme", str(target), "maria", NOW)
    assert theme_of() == key
    assert db.execute("SELECT count(*) FROM theme_fixes WHERE reply_id = ? AND by = 'maria'", [reply]).fetchone()[0] == 1
    inbox.undo(db, "maria", NOW)
    assert theme_of() == before


def test_a_theme_move_from_the_inbox_page_shows_in_the_replys_weeks_and_elsewhere_before_it_is_read(db, db_path,
                                                                                               tmp_path):
    """The page's path (periods: the reply's weeks) against the command line's (every period at once)."""
    reply, question, period = db.execute(
        "SELECT rt.reply_id, t.question_id, t.period FROM reply_themes rt JOIN themes t ON t.id = rt.theme_id "
        "WHERE t.key != 'other' AND t.period GLOB '????-W??' ORDER BY rt.reply_id LIMIT 1").fetchone()
    monday = date.fromisocalendar(*(int(part) for part in period.split("-W")), 1)
    span = themes.range_span(monday - timedelta(days=7), monday + timedelta(days=6), "UTC")  # a second period
    themes.compute_themes(db, question, span, NOW)
    copy_database(db_path, tmp_path / "full.db")
    full = open_db(tmp_path / "full.db")
    target, key = db.execute("SELECT id, key FROM themes WHERE question_id = ? AND period = ? AND key NOT IN "
                             "((SELECT t.key FROM reply_themes rt JOIN themes t ON t.id = rt.theme_id "
                             "WHERE rt.reply_id = ?), 'other') ORDER BY id LIMIT 1", [question, period, reply]).fetchone()
    snapshot = lambda d: (d.execute("SELECT period, key, label, replies, change, previous_replies, quotes FROM themes "  # noqa: E731
                                    "ORDER BY 1, 2").fetchall(),
                          d.execute("SELECT t.period, t.key, rt.reply_id FROM reply_themes rt JOIN themes t "
                                    "ON t.id = rt.theme_id ORDER BY 1, 2, 3").fetchall())
    stale = lambda: dict(db.execute("SELECT period, stale FROM theme_runs WHERE question_id = ?",  # noqa: E731
                                    [question]).fetchall())
    assert themes.periods_of_reply(db, reply) == [span.key, period]
    for action in ("move", "undo"):
        if action == "move":
            inbox.act(db, reply, "theme", str(target), "maria", NOW, periods=[period])
            inbox.act(full, reply, "theme", str(target), "maria", NOW)
        else:
            inbox.undo(db, "maria", NOW, periods=[period])
            inbox.undo(full, "maria", NOW)
        mine = db.execute("SELECT t.key FROM reply_themes rt JOIN themes t ON t.id = rt.theme_id WHERE rt.reply_id = ? "
                          "AND t.period = ?", [reply, period]).fetchone()[0]
        assert (mine == key) == (action == "move")  # at once in the reply's week
        assert stale()[period] == "shown" and "stale" in stale().values()  # the other weeks wait for their reader
        themes.recompute_all_stale(db, NOW)  # the worker's step
        assert set(stale().values()) == {None}
        assert snapshot(db) == snapshot(full)
    full.conn.close()


def test_theme_choices_name_their_question_and_language_and_start_at_the_replys_theme(db_path, monkeypatch):
    monkeypatch.delenv("LISTENER_USERS", raising=False)
    db = open_db(db_path)
    themed = dict(db.execute(
        "SELECT rt.reply_id, t.id FROM reply_themes rt JOIN themes t ON t.id = rt.theme_id "
        "WHERE t.period GLOB '????-W??' AND t.key NOT GLOB '*other'").fetchall())
    in_other = {r[0] for r in db.execute("SELECT rt.reply_id FROM reply_themes rt JOIN themes t ON t.id = rt.theme_id "
                                         "WHERE t.key GLOB '*other'")}
    db.conn.close()
    page = run(make_datasette(db_path).client.get("/-/inbox")).text
    picker = page.split('<select name="theme">')[1].split("</select>")[0]
    labels = re.findall(r"<option value=\"\d+\"[^>]*>([^<]*)</option>", picker)
    assert "other" not in labels and not any(label.startswith("other [") for label in labels)  # no theme to pick
    assert "{date}" not in page  # questions read as people read them, not with the date their posts carry
    assert any(re.search(r" \[[a-z]{2}\]$", label) for label in labels)  # a theme in another language says which
    assert len(re.findall("<optgroup", picker)) == len({q for q in re.findall(r'<optgroup label="([^"]+)"', picker)}) > 1
    rows = dict(re.findall(r'<tr class="reply" data-id="(\d+)">(.*?)</tr>', page, re.S))
    checked = 0
    for reply, html in rows.items():
        chosen = re.search(r'aria-label="move to theme">.*?<option value="([^"]*)"[^>]* selected', html, re.S)
        if int(reply) in themed:
            assert chosen.group(1) == f"theme:{themed[int(reply)]}"  # "move" without a choice moves nothing
            checked += 1
        elif int(reply) in in_other:
            assert chosen.group(1) == ""
    assert checked > 10


def test_open_incidents_are_listed_in_the_inbox_escaped(db_path, team):
    db = open_db(db_path)
    question = db.execute("SELECT question_id FROM publications ORDER BY id").fetchone()[0]
    db.execute("INSERT INTO alerts (question_id, channel, kind, opened_at, updated_at, last_signal_at, peak, trigger) "
               "VALUES (?, 'x', 'negative_share', '2026-11-27T08:00:00Z', '2026-11-27T08:30:00Z', "
               "'2026-11-27T08:30:00Z', 14, ?)", [question, "14 of 20 negative <img src=x onerror=alert(1)>"])
    db.conn.close()
    ds = make_datasette(db_path)

    async def go():
        _, maria = await login(ds, "maria", PASSWORDS["maria"])
        return (await ds.client.get("/-/inbox", cookies={"ds_actor": maria})).text

    page = run(go())
    assert "Open incidents" in page and "14 of 20 negative &lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page


# -- renaming and merging themes from a question's page ------------------------------------------

def week_themes(db):
    """(question, week key, the week's Monday, [(id, key, label, replies)] of its English themes, biggest first)."""
    question, period = db.execute("SELECT question_id, period FROM themes WHERE period GLOB '????-W??' AND language = 'en' "
                                  "AND key != 'other' GROUP BY 1, 2 HAVING count(*) >= 3 ORDER BY 2 DESC, 1").fetchone()
    rows = db.execute("SELECT id, key, label, replies FROM themes WHERE question_id = ? AND period = ? "
                      "AND language = 'en' AND key != 'other' ORDER BY replies DESC, id", [question, period]).fetchall()
    year, week = (int(part) for part in period.split("-W"))
    return question, period, date.fromisocalendar(year, week, 1), rows


def cli_themes(db_path, tmp_path, question, period):
    """`listener themes --json`: recomputes the week, as the worker does; {key: (label, replies)}."""
    config = tmp_path / "utc.toml"
    config.write_text('[digest]\ntime_zone = "UTC"\n')  # the demo's zone: the same week boundaries
    result = CliRunner().invoke(cli, ["themes", "--db", str(db_path), "--config", str(config), "--question", question,
                                      "--week", period, "--json"])
    assert result.exit_code == 0, result.output
    return {t["key"]: (t["label"], t["replies"]) for t in json.loads(result.output)[0]["themes"]}


def test_an_editor_renames_and_merges_themes_on_the_question_page_and_undoes(db_path, team, tmp_path, monkeypatch):
    monkeypatch.setenv("LISTENER_USERS", f"maria:editor:{quick_hash(PASSWORDS['maria'])},"
                                         f"lee:viewer:{quick_hash('lee passphrase')}")  # not sam: guessed at above
    db = open_db(db_path)
    question, period, monday, rows = week_themes(db)
    (renamed, renamed_key, old_label, _), (source, source_key, _, moved), (target, target_key, _, kept) = rows[:3]
    other_question = db.execute("SELECT id FROM themes WHERE question_id != ? AND key != 'other' LIMIT 1",
                                [question]).fetchone()[0]
    other = db.execute("SELECT id FROM themes WHERE question_id = ? AND key = 'other'", [question]).fetchone()[0]
    db.conn.close()
    ds = make_datasette(db_path)
    page_url = f"/-/question/{question}?week={monday}"
    label = "<b>x</b> &amp; co"

    async def go():
        out = {}
        _, maria = await login(ds, "maria", PASSWORDS["maria"])
        _, lee = await login(ds, "lee", "lee passphrase")
        page = await ds.client.get(page_url, cookies={"ds_actor": maria})
        out["editor_forms"] = page.text.count('name="do" value="rename"'), page.text.count('name="do" value="merge"')
        csrf = {"ds_csrftoken": page.cookies.get("ds_csrftoken")}
        out["period_field"] = f'name="period" value="{period}"' in page.text
        form = {"csrftoken": page_token(page), "question": question, "theme_id": str(renamed), "next": page_url,
                "period": period}

        async def post(data, actor=maria, cookies=csrf, accept="application/json"):
            response = await ds.client.post("/-/inbox/act", data={**form, **data}, headers={"accept": accept or "*/*"},
                                            cookies={**({"ds_actor": actor} if actor else {}), **cookies})
            if not accept:
                return response.status_code, response
            json_answer = response.headers["content-type"].startswith("application/json")
            return response.status_code, response.json()["message"] if json_answer else response.text

        viewer_page = await ds.client.get(page_url, cookies={"ds_actor": lee})
        out["viewer_page"] = viewer_page.status_code, 'value="rename"' in viewer_page.text, 'value="undo"' in viewer_page.text
        rename = {"do": "rename", "rename": label}
        out["refused"] = [
            await post(rename, actor=lee), await post(rename, actor=None), await post({**rename, "csrftoken": ""}),
            await post(rename, cookies={}), await post({"do": "rename", "rename": "  "}),
            await post({"do": "rename", "rename": "x" * 81}), await post({**rename, "theme_id": "99999"}),
            await post({**rename, "theme_id": str(other_question)}), await post({**rename, "theme_id": str(other)}),
            await post({**rename, "theme_id": "12 OR 1=1"}), await post({"do": "merge", "theme_id": str(source)}),
            await post({"do": "merge", "theme_id": str(source), "merge": str(source)}),
            await post({"do": "merge", "theme_id": str(source), "merge": str(other)}),
            (await ds.client.get("/-/inbox/act?do=rename", cookies={"ds_actor": maria})).status_code,
        ]
        out["renamed"] = await post(rename)
        out["merged"] = await post({"do": "merge", "theme_id": str(source), "merge": str(target)}, accept=None)
        fixed = await ds.client.get(page_url, cookies={"ds_actor": maria,
                                                       "ds_messages": out["merged"][1].cookies.get("ds_messages")})
        out["fixed_page"] = fixed.text
        filtered = await ds.client.get(f"/-/inbox?theme={target}", cookies={"ds_actor": maria})
        out["inbox_link"] = re.search(r'class="meta inbox-theme-page">(.*?)</p>', filtered.text).group(1)
        return out

    out = run(go())
    assert out["editor_forms"][0] >= 3 and out["editor_forms"][1] >= 3
    assert out["viewer_page"] == (200, False, False)  # viewers see no forms
    codes = [r if isinstance(r, int) else r[0] for r in out["refused"]]
    assert codes == [403, 403, 403, 403] + [400] * 9 + [405]
    assert out["refused"][0][1].startswith("lee is a viewer") and out["refused"][1][1].startswith("Log in")
    messages = [r[1] for r in out["refused"][4:13]]
    assert messages[0] == messages[1] == 'a theme label needs 1 to 80 characters: e.g. "refund delay"'
    assert messages[2].startswith("no theme with id 99999") and f"belongs to {messages[3].split()[4]}" in messages[3]
    assert "'other'" in messages[4] and "given by its id" in messages[5]
    assert messages[6] == "pick a theme to merge into in the question's theme list first"
    assert "cannot be merged into itself" in messages[7] and "'other'" in messages[8]
    assert all("\n" not in m and "Traceback" not in m for m in messages)
    assert out["renamed"] == (200, f"rename of theme {renamed} to “{label}” by maria (Undo reverts it)")
    assert out["merged"][0] == 302 and out["merged"][1].headers["location"] == page_url

    db = open_db(db_path)
    assert db.execute("SELECT who, action, reply_id FROM events").fetchall() == [
        ("maria", "theme_rename", None), ("maria", "theme_merge", None)]
    assert db.execute("SELECT action, by FROM theme_fixes ORDER BY id").fetchall() == [("rename", "maria"), ("merge", "maria")]
    assert out["period_field"] and db.execute("SELECT stale FROM theme_runs WHERE question_id = ? AND period = ?",
                                              [question, period]).fetchone()[0] == "shown"  # its week at once
    stored = {key: (lbl, n) for key, lbl, n in db.execute(
        "SELECT key, label, replies FROM themes WHERE question_id = ? AND period = ?", [question, period])}
    assert stored[renamed_key][0] == label and source_key not in stored and stored[target_key][1] == moved + kept
    page = out["fixed_page"]
    assert "&lt;b&gt;x&lt;/b&gt; &amp;amp; co" in page and "<b>x</b>" not in page  # shown as typed, escaped
    assert re.search(rf'data-theme="{target}"><td>[^<]*</td><td class="theme-replies">{moved + kept}</td>', page)
    assert f'data-theme="{source}"' not in page and "merge of" in page  # the done message
    assert f'href="/-/question/{question}?week={monday}"' in out["inbox_link"] and "rename it" in out["inbox_link"]

    again = cli_themes(db_path, tmp_path, question, period)  # a recompute keeps both fixes
    assert again[renamed_key][0] == label and source_key not in again and again[target_key][1] == moved + kept

    undone = [inbox.undo(db, "maria", NOW)["action"] for _ in range(2)]  # what the page's Undo button calls
    assert undone == ["theme_merge", "theme_rename"]
    back = cli_themes(db_path, tmp_path, question, period)
    assert back[renamed_key][0] == old_label and back[source_key][1] == moved and back[target_key][1] == kept
    assert db.execute("SELECT count(*) FROM theme_fixes WHERE undone_at IS NULL").fetchone()[0] == 0


def test_a_question_page_recomputes_a_week_a_fix_left_stale_before_showing_it(db_path, monkeypatch):
    monkeypatch.delenv("LISTENER_USERS", raising=False)
    db = open_db(db_path)
    question, period, monday, rows = week_themes(db)
    (target, *_), (source, source_key, _, moved), *_ = rows
    inbox.act_on_theme(db, "merge", source, str(target), "maria", NOW, question_id=question, periods=[])
    stale = lambda: db.execute("SELECT stale FROM theme_runs WHERE question_id = ? AND period = ?",  # noqa: E731
                               [question, period]).fetchone()[0]
    assert stale() == "stale" and db.execute("SELECT 1 FROM themes WHERE id = ?", [source]).fetchone()
    page = run(make_datasette(db_path).client.get(f"/-/question/{question}?week={monday}")).text
    assert f'data-theme="{source}"' not in page and f'data-theme="{target}"' in page
    assert stale() is None and not db.execute("SELECT 1 FROM themes WHERE id = ?", [source]).fetchone()
    db.conn.close()


def test_theme_undo_from_the_page_even_after_the_cli_undid_the_fix(db):
    question, period, _, rows = week_themes(db)
    (theme, key, label, _), (other, *_) = rows[:2]
    inbox.act_on_theme(db, "rename", theme, "refund delay", "maria", NOW, question_id=question)
    inbox.act(db, newest_reply(db), "status", "handled", "maria", NOW + timedelta(seconds=1))
    assert inbox.describe(inbox.latest_event(db, "maria")).startswith("status on reply")
    inbox.undo(db, "maria", NOW)  # the status first: one undo stack for replies and themes
    assert inbox.describe(inbox.latest_event(db, "maria")) == f"rename of theme {theme} to “refund delay”"
    fix = db.execute("SELECT id FROM theme_fixes").fetchone()[0]
    themes.undo_fix(db, fix, NOW)  # `listener themes undo` got there first
    assert inbox.undo(db, "maria", NOW)["action"] == "theme_rename"  # nothing left to do, and not stuck
    assert db.execute("SELECT label FROM themes WHERE question_id = ? AND key = ? AND period = ?",
                      [question, key, period]).fetchone()[0] == label
    with pytest.raises(ListenerError, match="not q-none: pick a theme of q-none"):
        inbox.act_on_theme(db, "merge", theme, str(other), "maria", NOW, question_id="q-none")
    with pytest.raises(ListenerError, match="maria has nothing left to undo"):
        inbox.undo(db, "maria", NOW)
