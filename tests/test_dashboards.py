"""The Datasette UI in-process: every saved query and chart, escaping, hidden tables, auth, locks."""

import re
import sqlite3
import urllib.parse

import pytest
from datasette_dashboards import replace_opts_in_query

from listener.db import copy_database, open_db
from listener.errors import ConfigError
from listener.serve import make_datasette, serve
from ui_support import HOSTILE, canned_queries, dashboard, filled_db, run  # noqa: F401

FILTERS = {"question": "customer-effort", "channel": "x", "date_start": "2020-01-01", "date_end": "2100-01-01"}


@pytest.fixture
def empty_db(tmp_path):
    path = tmp_path / "empty.db"
    open_db(path).conn.close()
    return path


async def get(ds, path):
    return await ds.client.get(path)


def fetch_all(db_path, paths):
    ds = make_datasette(db_path)

    async def go():
        return [await ds.client.get(p) for p in paths]

    return run(go())


def query_paths(name):
    paths = []
    for query, spec in canned_queries().items():
        params = set(re.findall(r":(\w+)", spec["sql"]))
        values = {"question": "customer-effort", "channel": "", "page": "", "week": "", "word": "refund"}
        paths.append(f"/{name}/{query}.json?_shape=objects&" + urllib.parse.urlencode(
            {p: values.get(p, "") for p in params}))
        if params:  # also with every optional parameter set
            full = {"question": "customer-effort", "channel": "reddit", "page": "2", "week": "2026-11-23",
                    "word": "easy"}
            paths.append(f"/{name}/{query}.json?_shape=objects&" + urllib.parse.urlencode(
                {p: full.get(p, "") for p in params}))
    return paths


def chart_paths(name):
    paths = []
    for chart in dashboard()["charts"].values():
        if "query" not in chart:
            continue
        for options in ({}, FILTERS):
            sql = replace_opts_in_query(chart["query"], options)
            paths.append(f"/{name}.json?_shape=objects&" + urllib.parse.urlencode({"sql": sql, **options}))
    return paths


@pytest.mark.parametrize("which", ["empty", "filled"])
def test_every_saved_query_and_chart_answers(which, empty_db, filled_db):
    path = empty_db if which == "empty" else filled_db
    paths = query_paths(path.stem) + chart_paths(path.stem) + [
        "/", f"/{path.stem}", f"/{path.stem}/replies", f"/{path.stem}/replies?_search=easy",
        f"/{path.stem}/reply_daily", f"/{path.stem}/publications", f"/{path.stem}/questions",
        "/-/dashboards", "/-/dashboards/overview", "/-/dashboards/overview?" + urllib.parse.urlencode(FILTERS),
        "/-/question", "/-/columns",
    ] + (["/-/question/customer-effort", "/-/question/customer-effort?week=2020-01-06"] if which == "filled" else []) + [f"/-/dashboards/overview/{slug}" for slug in dashboard()["charts"]]
    for path_, response in zip(paths, fetch_all(path, paths)):
        assert response.status_code == 200, (path_, response.text[:500])
        if ".json" in path_:
            assert "rows" in response.json(), path_


def test_filled_queries_find_the_replies(filled_db):
    name = filled_db.stem
    responses = fetch_all(filled_db, [
        f"/{name}/needs_attention.json?_shape=objects&question=",
        f"/{name}/mentions.json?_shape=objects&word=pwned&question=",
        f"/{name}/answers.json?_shape=objects&question=customer-effort&channel=&page=",
        f"/{name}/replies_by_question.json?_shape=objects",
        f"/{name}/most_negative_this_week.json?_shape=objects&question=&week=",
    ])
    attention, mentions, answers, by_question, negative = [r.json()["rows"] for r in responses]
    assert {r["text"] for r in attention[:3]} == set(HOSTILE)
    assert len(mentions) == 3
    assert answers and answers[0]["depth"] == 1
    assert sum(r["replies"] for r in by_question) == 303
    assert negative[0]["compound"] <= negative[-1]["compound"]


def test_rollup_matches_the_replies(filled_db, tmp_path):
    copy = tmp_path / "copy.db"
    copy_database(filled_db, copy)
    db = open_db(copy)
    some = [r[0] for r in db.execute("SELECT id FROM replies ORDER BY id LIMIT 5")]
    db.execute("UPDATE replies SET label_override = 'positive' WHERE id IN (?, ?)", some[:2])
    db.execute("UPDATE replies SET deleted_at = 'now' WHERE id = ?", [some[2]])
    db.execute("DELETE FROM replies WHERE id = ?", [some[3]])
    expected = db.execute(
        "SELECT publication_id, substr(coalesce(created_at, first_seen_at), 1, 10), coalesce(sentiment, 'unscored'), "
        "count(*) FROM replies WHERE deleted_at IS NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3").fetchall()
    rollup = db.execute("SELECT publication_id, day, sentiment, replies FROM reply_daily ORDER BY 1, 2, 3").fetchall()
    assert rollup == expected


def test_reply_markup_is_shown_as_text(filled_db):
    name = filled_db.stem
    pages = fetch_all(filled_db, [f"/{name}/replies", f"/{name}/needs_attention?question=",
                                  f"/{name}/mentions?word=pwned&question="])
    for page in pages:
        assert "<script>window.__pwned" not in page.text
        assert "<img src=x onerror" not in page.text
        assert 'href="javascript:' not in page.text
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page.text
    # The dashboard's table chart inserts cells as HTML: its SQL escapes them.
    sql = replace_opts_in_query(dashboard()["charts"]["attention-list"]["query"], {})
    rows = fetch_all(filled_db, [f"/{name}.json?_shape=objects&" + urllib.parse.urlencode({"sql": sql})])[0]
    texts = [r["text"] for r in rows.json()["rows"]]
    assert any("&lt;script&gt;" in t for t in texts) and not any("<" in t for t in texts)


def test_internal_tables_hidden_and_nothing_writes(filled_db):
    name = filled_db.stem
    assert not any(spec.get("write") for spec in canned_queries().values())
    info, write = fetch_all(filled_db, [f"/{name}.json", f"/{name}.json?sql=" + urllib.parse.quote(
        "delete from replies")])
    hidden = {t["name"] for t in info.json()["tables"] if t["hidden"]}
    assert {"_migrations", "checkpoints", "replies_fts", "replies_fts_data", "replies_fts_idx"} <= hidden
    assert "replies" not in hidden and "reply_daily" not in hidden
    assert write.status_code == 400
    assert sqlite3.connect(filled_db).execute("SELECT count(*) FROM replies").fetchone()[0] == 303


def test_password_hash_requires_login_and_is_never_shown(filled_db, monkeypatch):
    from datasette_auth_passwords.utils import hash_password

    secret_hash = hash_password("correct horse")
    monkeypatch.setenv("LISTENER_PASSWORD_HASH", secret_hash)
    ds = make_datasette(filled_db)
    name = filled_db.stem

    async def go():
        anonymous = [await ds.client.get(p) for p in ["/", f"/{name}/replies", "/-/dashboards/overview",
                                                          f"/{name}.json?sql=select+1"]]
        pages = [await ds.client.get(p) for p in ["/-/metadata.json", "/-/plugins.json", "/-/settings.json",
                                                      "/-/login"]]
        login = await ds.client.post("/-/login", data={"username": "listener", "password": "correct horse"})
        return anonymous, pages, login

    anonymous, pages, login = run(go())
    assert all(r.status_code == 403 for r in anonymous)
    assert all(secret_hash not in r.text and "pbkdf2" not in r.text for r in pages)
    assert login.status_code == 302 and "ds_actor" in login.headers.get("set-cookie", "")
    cookie = login.cookies.get("ds_actor")

    async def logged_in():
        return await ds.client.get(f"/{name}/replies", cookies={"ds_actor": cookie})

    assert run(logged_in()).status_code == 200


def test_serve_refuses_a_public_host_without_a_password(cfg):
    with pytest.raises(ConfigError, match="LISTENER_PASSWORD_HASH"):
        serve(cfg, host="0.0.0.0", port=8001)


def test_pages_load_while_a_harvest_writes(filled_db, tmp_path):
    copy = tmp_path / "busy.db"
    copy_database(filled_db, copy)
    writer = open_db(copy)
    writer.conn.execute("BEGIN IMMEDIATE")
    pub = writer.execute("SELECT id, channel FROM publications ORDER BY id").fetchone()
    for i in range(200):
        writer.execute("INSERT INTO replies (publication_id, channel, remote_id, text, first_seen_at, last_seen_at, "
                       "label) VALUES (?, ?, ?, 'busy', '2026-11-25T10:00:00Z', '2026-11-25T10:00:00Z', 'neutral')", [pub[0], pub[1], f"busy{i}"])
    try:
        paths = [f"/{copy.stem}/replies", f"/{copy.stem}/needs_attention?question=",
                 "/-/dashboards/overview"] + chart_paths(copy.stem)[:4]
        for response in fetch_all(copy, paths):
            assert response.status_code == 200
            assert "locked" not in response.text
    finally:
        writer.conn.execute("COMMIT")


def test_demo_links_lead_to_rows_that_exist(filled_db):
    """The fake platform's port closes after the demo: every stored link points at a Datasette row."""
    db = sqlite3.connect(filled_db)
    urls = [u for (u,) in db.execute("SELECT url FROM publications WHERE url IS NOT NULL UNION ALL "
                                     "SELECT url FROM replies WHERE url IS NOT NULL")]
    assert len(urls) >= 300
    prefix = f"http://127.0.0.1:8001/{filled_db.stem}/"
    assert all(re.fullmatch(re.escape(prefix) + r"(publications|replies)/\d+", u) for u in urls), urls[:3]
    sample = urls[:3] + urls[-3:]
    for url, response in zip(sample, fetch_all(filled_db, [u[len("http://127.0.0.1:8001"):] for u in sample])):
        assert response.status_code == 200, url


def test_attention_list_links_to_the_reply_and_its_post(filled_db):
    name = filled_db.stem
    sql = replace_opts_in_query(dashboard()["charts"]["attention-list"]["query"], {})
    rows = fetch_all(filled_db, [f"/{name}.json?_shape=objects&" + urllib.parse.urlencode({"sql": sql})])[0].json()["rows"]
    first = rows[0]
    assert first["links"] == (f'<a href="/-/reply/{first["reply"]}">reply</a> · '
                              f'<a href="/-/reply/{first["reply"]}/post">original post</a>')
    assert re.fullmatch(r'<time datetime="[0-9T:Z-]+">[0-9T:Z-]+</time>', first["written"])
    row, post = fetch_all(filled_db, [f"/-/reply/{first['reply']}", f"/-/reply/{first['reply']}/post"])
    assert row.headers["location"] == f"/{name}/replies/{first['reply']}"
    assert post.headers["location"].startswith(f"http://127.0.0.1:8001/{name}/publications/")
