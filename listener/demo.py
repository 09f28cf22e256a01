"""`listener demo`: the whole loop offline, against the fake platform on 127.0.0.1.

The fake keeps its posts in a JSON file next to the database, so a second run finds the same
posts and replies: it publishes nothing again, and its harvest adds no duplicates.
"""

import json
import urllib.parse
import urllib.request
from pathlib import Path

from . import harvest, publish, questions
from .bulk import BULK_THRESHOLD, bulk_replies
from .channels import channel_classes, open_channel
from .config import load_config
from .db import open_db, transaction
from .errors import ListenerError
from .fake import start_server, stop_server
from .status import format_summary, summary
from .themes import refresh_recent
from .times import utcnow

# Every channel's stand-in credentials for the fake platform.
DEMO_SECRETS = {(name, key): value for name, cls in channel_classes().items() for key, value in cls.fake_secrets.items()}


def fake_overrides(base_url):
    """Settings that point every channel at the fake platform at `base_url`."""
    return {f"{name}.{key}": value for name, cls in channel_classes().items()
            for key, value in cls.fake_settings(base_url).items()}


def demo_config(db_path, base_url, posts_dir):
    cfg = load_config(environ={}, overrides={
        "database.path": str(db_path), "posts.dir": str(posts_dir), **fake_overrides(base_url)})
    cfg.secret_overrides = DEMO_SECRETS
    return cfg


def control(base_url, path, body):
    request = urllib.request.Request(base_url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def fake_posts(base_url):
    with urllib.request.urlopen(base_url + "/_fake/posts", timeout=60) as response:
        return json.loads(response.read())["posts"]


def run_demo(db_path, *, replies=300, seed=1, posts_dir="posts", echo=print, spike=False, datasette_url=None):
    """Publish, let the fake reply, harvest, score; print a summary. Returns the config used.

    With `spike`, the fake then gets a burst of complaints to one question in the last hour and
    the alerts check runs: the incident is stored and its notice printed (see add_spike).

    The demo's posts and replies exist only on the fake platform, whose port closes when the demo
    ends: their links are pointed at their rows in Datasette (`datasette_url`, default [serve] base_url).
    """
    db_path = Path(db_path)
    if not Path(posts_dir).is_dir():  # before anything is created or started
        raise ListenerError(f"posts folder {posts_dir} not found: run the demo in the listener folder "
                            "(it has posts/), or pass --posts FOLDER")
    db = open_db(db_path)  # then: a missing folder is one line, before the fake platform saves state there
    server = start_server(state_file=str(db_path) + ".fake-platform.json", seed=seed)
    try:
        # Generous limits for big demo files; the real limits are exercised in the tests.
        for route in (r for cls in channel_classes().values() for r in cls.fake_limit_routes):
            control(server.base_url, "/_fake/limits", {"route": route, "limit": 10**7, "window": 900})
        cfg = demo_config(db_path, server.base_url, posts_dir)
        now = utcnow()
        names = [cls.display_name for cls in channel_classes().values()]
        echo(f"fake platform on {server.base_url} ({', '.join(names)} APIs, offline)")
        synced = questions.sync(db, posts_dir, now, cfg)
        for error in synced.errors:
            echo(f"  skipped {error}")
        for question_id in synced.waiting:  # posts/ ships drafts: the offline demo approves its own
            questions.approve(db, question_id, "demo", now)
        echo(f"synced {len(synced.loaded)} question(s) from {posts_dir}/"
             + (f", approved {len(synced.waiting)} draft(s) as \"demo\"" if synced.waiting else ""))
        channels = {name: open_channel(name, cfg) for name in channel_classes()}
        planned = publish.plan(db, cfg, now, catch_up=True)
        report = publish.publish_due(db, cfg, channels, now)
        echo(f"published {len(report.published)} post(s) ({planned.planned} newly planned)")
        if replies > BULK_THRESHOLD:  # see listener/bulk.py: same rows, written without the HTTP walk
            written = bulk_replies(db, cfg, replies, seed, now, echo=echo)
            echo(f"wrote {written} replies directly (bulk path for more than {BULK_THRESHOLD} replies)")
        else:
            add_replies(server.base_url, db, replies, seed, echo)
        harvest.make_all_due(db, now)
        result = harvest.harvest_due(db, cfg, channels, now, pages_per_run=10**6)
        echo(f"harvested {result.fetched} replies in {result.requests} request(s), {result.new} new")
        for message in report.messages + result.messages:
            echo(f"  {message}")
        spiked = add_spike(server.base_url, db, cfg, channels, echo) if spike else None
        link_rows(db, datasette_url or cfg["serve"]["base_url"], db_path.stem)
        echo(f"grouped replies into themes for {refresh_recent(db, cfg, now)} question-week(s): "
             f"listener themes --db {db_path}")
        echo(format_summary(summary(db, cfg, now)))
        if spiked:
            show_incident(db, cfg, spiked, echo)
        return cfg
    finally:
        stop_server(server)


def link_rows(db, datasette_url, dbname):
    """Point every stored post and reply link at its row in Datasette (see run_demo)."""
    base = f"{datasette_url.rstrip('/')}/{urllib.parse.quote(dbname)}"
    with transaction(db):
        for table in ("publications", "replies"):
            db.execute(f"UPDATE {table} SET url = ? || '/{table}/' || id WHERE url IS NOT NULL "
                       f"AND url IS NOT ? || '/{table}/' || id", [base, base])


def add_replies(base_url, db, total, seed, echo):
    """Share `total` replies among published posts that have none yet on the fake platform."""
    posts = {(p["channel"], p["id"]): p["replies"] for p in fake_posts(base_url)}
    targets = [
        (channel, remote_id)
        for channel, remote_id in db.execute(
            "SELECT channel, remote_id FROM publications WHERE state = 'published' ORDER BY id").fetchall()
        if posts.get((channel, remote_id)) == 0
    ]
    if not targets or total <= 0:
        return
    each, extra = divmod(total, len(targets))
    for i, (channel, remote_id) in enumerate(targets):
        count = each + (1 if i < extra else 0)
        control(base_url, "/_fake/replies", {"channel": channel, "post_id": remote_id, "count": count,
                                              "seed": seed * 1000 + i, "spread_seconds": 3 * 3600})
    echo(f"the fake platform produced {total} replies to {len(targets)} post(s)")


SPIKE_TEXTS = (  # written for the demo
    "The app is down again and I cannot log in. Terrible, awful service.",
    "Checkout is broken again and I was charged twice. Awful!",
    "Your site keeps failing, this is ridiculous and frustrating.",
    "Worst outage ever, nothing works, I'm furious.",
    "Still broken. Support is useless and nobody answers. Horrible.",
)


def add_spike(base_url, db, cfg, channels, echo, count=40):
    """A burst of `count` complaints to the first published post in the last hour, harvested.

    Returns the question answered (None without a published post); show_incident shows the alert.
    """
    row = db.execute("SELECT channel, remote_id, question_id FROM publications WHERE state = 'published' "
                     "ORDER BY id LIMIT 1").fetchone()
    if not row:
        echo("spike: no published post to reply to")
        return None
    channel, remote_id, question_id = row
    now = utcnow()
    start = now.timestamp() - 55 * 60
    burst = [{"text": SPIKE_TEXTS[i % len(SPIKE_TEXTS)], "author": f"angry_customer_{i}",
              "created_at": start + i * 50 * 60 / count} for i in range(count)]
    control(base_url, "/_fake/replies", {"channel": channel, "post_id": remote_id, "replies": burst})
    harvest.make_all_due(db, now)
    harvest.harvest_due(db, cfg, channels, now, pages_per_run=10**6)
    echo(f"spike: the fake platform produced {count} complaints to {question_id} on {channel} in the last hour")
    return question_id


def show_incident(db, cfg, question_id, echo):
    """Run the alerts check and print the incident the spike opened, with its notice."""
    from . import alerts, notify

    alerts.check_and_deliver(db, cfg, utcnow())
    found = [i for i in alerts.open_incidents(db) if i["question_id"] == question_id]
    if not found:
        echo("spike: no incident opened (see docs/alerts.md for the thresholds)")
        return
    echo(alerts.format_incidents(found))
    echo("the notice (set [alerts] recipients or webhook_url to deliver it):")
    echo(notify.text_body(found[0], notify.links(cfg, db, found[0])))
