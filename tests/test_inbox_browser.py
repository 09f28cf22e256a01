"""The inbox in a real headless Chromium on `listener serve`, with real logins: click and keyboard triage."""

import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from datasette_auth_passwords.utils import hash_password
from datasette_dashboards import replace_opts_in_query

from listener.db import copy_database, open_db
from test_browser import CHROMIUM, free_port
from ui_support import HOSTILE, dashboard, filled_db, serving  # noqa: F401

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")
MARIA, SAM = "maria's long passphrase", "sam's long passphrase"


@pytest.fixture
def served(filled_db, tmp_path):
    path = tmp_path / "inbox.db"
    copy_database(filled_db, path)
    env = {"LISTENER_USERS": (f"maria:editor:{hash_password(MARIA, iterations=1000)},"
                              f"sam:viewer:{hash_password(SAM, iterations=1000)}"),
           "LISTENER_SERVE_TIME_ZONE": "Europe/Berlin"}  # [serve] time_zone
    with serving(path, free_port(), tmp_path, env, ready="/-/login") as base:
        yield base, path, env


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


def log_in(browser, base, name, password, errors):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/-/login")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("input[type=submit]")
    page.wait_for_url("**/-/inbox")
    return page


def negative_share(page, base, db_name):
    sql = replace_opts_in_query(dashboard()["charts"]["negative-share"]["query"], {})
    url = f"{base}/{db_name}.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "array"})
    return page.request.get(url).json()[0]["pct"]


def act_and_wait(page, click):
    """Do an action and wait until the page has refreshed its list and counts."""
    done = int(page.evaluate("document.body.dataset.actions || 0"))
    click()
    page.wait_for_function(f"Number(document.body.dataset.actions || 0) > {done}")


def row_state(db_path, reply_id):
    db = open_db(db_path)
    try:
        return db.execute("SELECT r.label_override, r.label_override_by, t.status, t.assignee, t.notes, t.last_note "
                          "FROM replies r LEFT JOIN reply_triage t ON t.reply_id = r.id WHERE r.id = ?",
                          [reply_id]).fetchone()
    finally:
        db.conn.close()


def status_text(db_path, env):
    listener = Path(sys.executable).with_name("listener")
    return subprocess.run([str(listener), "status", "--db", str(db_path)], capture_output=True, text=True,
                          env=env).stdout


def test_editor_triages_by_click_and_undo_restores(served, browser):
    base, db_path, env = served
    errors = []
    page = log_in(browser, base, "maria", MARIA, errors)
    page.goto(base + "/-/inbox?sentiment=positive")
    share_before = negative_share(page, base, db_path.stem)
    row = page.locator("tr.reply").first
    reply = int(row.get_attribute("data-id"))

    act_and_wait(page, lambda: row.locator("button[value='label:negative']").click())
    assert row_state(db_path, reply)[:2] == ("negative", "maria")
    assert negative_share(page, base, db_path.stem) > share_before  # the dashboard's chart moved at once

    page.goto(base + "/-/inbox")
    row = page.locator(f"tr.reply[data-id='{reply}']")
    row.locator("input[name=assign]").fill("sam")
    act_and_wait(page, lambda: row.locator("button[value=assign]").click())
    row = page.locator(f"tr.reply[data-id='{reply}']")
    row.locator("input[name=note]").fill("called them back <b>today</b>")
    act_and_wait(page, lambda: row.locator("button[value=note]").click())
    assert "called them back <b>today</b>" in page.locator(f"tr.reply[data-id='{reply}'] q").inner_text()
    handled_before = int(page.locator("[data-count=handled] strong").inner_text())
    act_and_wait(page, lambda: page.locator(f"tr.reply[data-id='{reply}'] button[value='status:handled']").click())
    assert row_state(db_path, reply)[2:] == ("handled", "sam", 1, "called them back <b>today</b>")
    assert page.locator(f"tr.reply[data-id='{reply}']").count() == 0  # gone from the open queue
    assert int(page.locator("[data-count=handled] strong").inner_text()) == handled_before + 1
    assert "1 handled" in status_text(db_path, env) and "1 assigned" in status_text(db_path, env)

    act_and_wait(page, lambda: page.click("button[value=undo]"))
    assert row_state(db_path, reply)[2] is None
    assert page.locator(f"tr.reply[data-id='{reply}']").count() == 1  # back in the queue
    assert "0 handled" in status_text(db_path, env)

    page.locator(f"tr.reply[data-id='{reply}'] details.thread summary").click()
    page.wait_for_selector(f"tr.reply[data-id='{reply}'] .thread-item.self")
    rename_and_merge_themes(page, base, db_path)
    assert not errors, errors


def themes_of_a_week(db_path, week=None):
    """{id: (key, replies)} of the English themes of a question's week (default: the one with the most), biggest first."""
    db = open_db(db_path)
    try:
        week = week or db.execute("SELECT question_id, period FROM themes WHERE language = 'en' AND key != 'other' "
                                  "GROUP BY 1, 2 ORDER BY count(*) DESC, 2 DESC, 1").fetchone()
        return week, {row[0]: row[1:] for row in db.execute(
            "SELECT id, key, replies FROM themes WHERE question_id = ? AND period = ? AND language = 'en' "
            "AND key != 'other' ORDER BY replies DESC, id", list(week))}
    finally:
        db.conn.close()


def rename_and_merge_themes(page, base, db_path):
    """From the inbox's theme filter to the question's page: rename a theme, merge two; z in the inbox undoes."""
    week, before = themes_of_a_week(db_path)
    renamed, source, target = list(before)[:3]
    page.goto(f"{base}/-/inbox?theme={target}")
    with page.expect_navigation():
        page.click(".inbox-theme-page a")
    row = page.locator(f"tr[data-theme='{renamed}']")
    row.locator("input[name=rename]").fill("<b>x</b> &amp; <img src=x onerror=window.__pwned=1>")
    with page.expect_navigation():
        row.locator("button[value=rename]").click()
    shown = page.locator(f"tr[data-theme='{renamed}'] td").first.inner_text()
    assert shown == "<b>x</b> &amp; <img src=x onerror=window.__pwned=1>"  # escaped: shown as typed
    page.locator(f"tr[data-theme='{source}'] select[name=merge]").select_option(str(target))
    with page.expect_navigation():
        page.locator(f"tr[data-theme='{source}'] button[value=merge]").click()
    assert "merge of" in page.locator(".message-info").inner_text()
    assert page.locator(f"tr[data-theme='{source}']").count() == 0
    merged = before[source][1] + before[target][1]
    assert page.locator(f"tr[data-theme='{target}'] .theme-replies").inner_text() == str(merged)
    assert themes_of_a_week(db_path, week)[1][target] == (before[target][0], merged)
    page.goto(base + "/-/inbox")
    act_and_wait(page, lambda: page.keyboard.press("z"))  # one undo for replies and themes
    assert "undid merge of" in page.locator("#inbox-message").inner_text()
    assert [key for key, _ in themes_of_a_week(db_path, week)[1].values()].count(before[source][0]) == 1
    assert page.evaluate("window.__pwned") is None


def test_keyboard_triage(served, browser):
    base, db_path, _ = served
    errors = []
    page = log_in(browser, base, "maria", MARIA, errors)
    page.goto(base + "/-/inbox?order=negative")
    rows = page.locator("tr.reply")
    first, second = int(rows.nth(0).get_attribute("data-id")), int(rows.nth(1).get_attribute("data-id"))
    page.wait_for_selector("tr.reply.current")
    page.keyboard.press("j")
    assert page.locator("tr.reply.current").get_attribute("data-id") == str(second)
    page.keyboard.press("k")
    act_and_wait(page, lambda: page.keyboard.press("u"))          # first: neutral
    act_and_wait(page, lambda: page.keyboard.press("f"))          # first: follow-up, leaves the queue
    assert row_state(db_path, first)[0] == "neutral" and row_state(db_path, first)[2] == "follow_up"
    assert page.locator("tr.reply.current").get_attribute("data-id") == str(second)
    page.keyboard.press("a")
    page.keyboard.type("sam")
    act_and_wait(page, lambda: page.keyboard.press("Enter"))
    page.keyboard.press("c")
    page.keyboard.type("refund promised")
    act_and_wait(page, lambda: page.keyboard.press("Enter"))
    act_and_wait(page, lambda: page.keyboard.press("i"))
    assert row_state(db_path, second)[2:] == ("ignored", "sam", 1, "refund promised")
    act_and_wait(page, lambda: page.keyboard.press("z"))
    assert row_state(db_path, second)[2] is None
    assert page.evaluate("window.__pwned") is None
    assert not errors, errors


def test_viewer_reads_but_cannot_write_and_text_stays_escaped(served, browser):
    base, db_path, _ = served
    errors = []
    page = log_in(browser, base, "sam", SAM, errors)
    page.goto(base + "/-/inbox?order=negative&sentiment=negative")
    page.mouse.move(300, 300)
    assert page.locator("form.act").count() == 0
    for details in page.locator("details.thread summary").all()[:4]:  # threads built from hostile text
        details.click()
    page.wait_for_function("document.querySelectorAll('tr.reply .thread-item.self').length >= 4")
    page.mouse.move(400, 400)
    assert page.evaluate("window.__pwned") is None
    body = page.inner_text("body")
    assert all(text in body for text in HOSTILE)  # shown as text, escaped once
    reply = page.locator("tr.reply").first.get_attribute("data-id")
    token = page.context.cookies()
    csrf = next(c["value"] for c in token if c["name"] == "ds_csrftoken")
    refused = page.request.post(base + "/-/inbox/act", form={"csrftoken": csrf, "reply_id": reply,
                                                             "do": "status:handled"})
    assert refused.status == 403
    anonymous = browser.new_context().new_page()
    assert anonymous.goto(base + "/-/inbox").status == 403
    assert anonymous.request.post(base + "/-/inbox/act", form={"reply_id": reply, "do": "status:handled"}).status == 403
    assert row_state(db_path, int(reply))[2] is None
    assert not errors, errors
