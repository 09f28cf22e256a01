"""Alerts between digests: seeded timelines (now passed in), real SMTP (aiosmtpd), a real HTTP receiver."""

import hashlib
import importlib.util
import hmac
import json
import os
import random
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from listener import alerts, notify
from listener.cli import cli
from listener.errors import QuestionError
from listener.questions import parse_question
from listener.scoring import score_columns
from listener.times import iso

from conftest import REPO, free_port, write_question

UTC = timezone.utc
START = datetime(2026, 10, 1, tzinfo=UTC)      # the question is published
SPIKE = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)
SECRET = "s3cret-for-tests"
NEGATIVE = "This is terrible, the app is broken and support is awful."
POSITIVE = "Great service, thanks, love it!"
NEUTRAL = "I use it on Tuesdays."
HOSTILE = '<script>alert("x")</script> & <b>terrible</b> awful broken "quoted" \u202e'







class Receiver:
    """A real webhook receiver on 127.0.0.1: checks the HMAC signature; can answer 500 on purpose."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.received, self.rejected, self.fail_next = [], [], 0
        self.server = None

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                timestamp = self.headers.get("X-Listener-Timestamp", "")
                expected = "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + body,
                                                hashlib.sha256).hexdigest()
                if not hmac.compare_digest(expected, self.headers.get("X-Listener-Signature", "")):
                    receiver.rejected.append(body)
                    status = 401
                elif receiver.fail_next:
                    receiver.fail_next -= 1
                    status = 500
                else:
                    receiver.received.append(json.loads(body))
                    status = 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def acfg(cfg, smtp, receiver):
    cfg["digest"].update(recipients=["cx-team@example.com"], sender="listener@example.com",
                         smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_timeout=5.0)
    cfg["alerts"]["webhook_url"] = f"http://127.0.0.1:{receiver.port}/hook"
    cfg["serve"]["base_url"] = "http://datasette.example.com"
    cfg.secret_overrides = {**cfg.secret_overrides, ("alerts", "webhook_secret"): SECRET}
    return cfg


# ---------------------------------------------------------------- seeded timelines


def add_question(db, qid="effort", prefs=None, time_zone="UTC"):
    db["questions"].insert({"id": qid, "text": "How easy are we to do business with?", "status": "approved",
                            "channels": '["x"]', "alerts": json.dumps(prefs or {}), "time_zone": time_zone,
                            "created_at": "2026-09-01T00:00:00Z", "updated_at": "2026-09-01T00:00:00Z"})
    return db["publications"].insert({
        "question_id": qid, "occurrence_at": "2026-10-01T00:00:00Z", "channel": "x", "account": "brand",
        "state": "published", "idempotency_key": f"{qid}-x", "text": "q", "remote_id": f"{qid}-x",
        "url": f"https://x.com/brand/status/{qid}", "published_at": "2026-10-01T00:00:00Z",
        "created_at": "2026-10-01T00:00:00Z", "updated_at": "2026-10-01T00:00:00Z"}).last_pk


def add_reply(db, cfg, pub_id, text, at):
    n = db.execute("SELECT count(*) FROM replies").fetchone()[0] + 1
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return db["replies"].insert({
        "publication_id": pub_id, "channel": "x", "remote_id": f"r{n}", "author": f"user{n}", "text": text,
        "url": f"https://x.com/user{n}/status/{n}", "created_at": stamp, "first_seen_at": stamp,
        "last_seen_at": stamp, **score_columns(text)}).last_pk


def quiet_history(db, cfg, pub_id, until, seed=3):
    """Daytime replies since the question was published: about 1 an hour, 1 in 5 negative."""
    rng = random.Random(seed)
    day = START
    while day < until:
        for hour in range(8, 20):
            at = day + timedelta(hours=hour, minutes=rng.randrange(60))
            if at < until and rng.random() < 0.9:
                text = rng.choices([NEGATIVE, POSITIVE, NEUTRAL], [0.2, 0.5, 0.3])[0]
                add_reply(db, cfg, pub_id, text, at)
        day += timedelta(days=1)


def burst(db, cfg, pub_id, start, count, text=NEGATIVE, minutes=50):
    for i in range(count):
        add_reply(db, cfg, pub_id, text, start + timedelta(minutes=minutes * i / count))


def ticks(db, cfg, start, end, every=timedelta(minutes=10)):
    lines, now = [], start
    while now <= end:
        lines.append(alerts.check_and_deliver(db, cfg, now))
        now += every
    return [line for line in lines if line]


def rows(db, sql, params=()):
    return db.execute(sql, params).fetchall()


# ---------------------------------------------------------------- detection and incidents


def test_quiet_weeks_open_nothing_and_two_of_three_never_alarms(db, acfg, smtp, receiver):
    pub = add_question(db)
    quiet_history(db, acfg, pub, SPIKE)
    ticks(db, acfg, SPIKE - timedelta(days=2), SPIKE, every=timedelta(minutes=30))
    fresh = add_question(db, "brand-new")
    burst(db, acfg, fresh, SPIKE, 2)
    add_reply(db, acfg, fresh, POSITIVE, SPIKE + timedelta(minutes=3))
    ticks(db, acfg, SPIKE, SPIKE + timedelta(hours=1))
    assert rows(db, "SELECT * FROM alerts") == []
    assert smtp.envelopes == [] and receiver.received == []


def test_a_spike_opens_one_incident_and_sends_one_notice(db, acfg, smtp, receiver):
    pub = add_question(db)
    quiet_history(db, acfg, pub, SPIKE + timedelta(hours=6))
    burst(db, acfg, pub, SPIKE, 12)
    ticks(db, acfg, SPIKE - timedelta(hours=1), SPIKE + timedelta(hours=4))
    (incident,) = alerts.incidents(db)
    assert (incident["question_id"], incident["kind"], incident["status"]) == ("effort", "negative_share", "closed")
    assert SPIKE < datetime.fromisoformat(incident["opened_at"].replace("Z", "+00:00")) <= SPIKE + timedelta(hours=1)
    assert incident["peak"] >= 10 and "negative in the last hour" in incident["trigger"]
    assert incident["notice_status"] == "sent"
    assert len(smtp.envelopes) == 1 and len(receiver.received) == 1
    assert receiver.received[0]["incident"]["id"] == incident["id"]
    samples = receiver.received[0]["incident"]["samples"]
    assert [s["text"] for s in samples[:1]] == [NEGATIVE] and len({s["text"] for s in samples}) == len(samples)


def test_a_long_incident_sends_one_notice_and_updates_quietly(db, acfg, smtp, receiver):
    pub = add_question(db)
    quiet_history(db, acfg, pub, SPIKE + timedelta(hours=8))
    for hour in range(5):
        burst(db, acfg, pub, SPIKE + timedelta(hours=hour), 10 + 4 * hour, minutes=60)
    ticks(db, acfg, SPIKE, SPIKE + timedelta(hours=5))
    (incident,) = alerts.incidents(db)
    assert incident["status"] == "open"
    assert incident["peak"] >= 20 and incident["updated_at"] >= "2026-11-18T18:"
    assert len(smtp.envelopes) == 1 and len(receiver.received) == 1
    assert alerts.open_incidents(db)[0]["id"] == incident["id"]


def test_flapping_around_the_threshold_stays_one_incident(db, acfg, smtp, receiver):
    pub = add_question(db)
    quiet_history(db, acfg, pub, SPIKE)
    threshold = acfg["alerts"]["min_negative"]
    now = SPIKE
    for i in range(8):  # on, off, on, off ... each for one tick, well inside the cooldown
        count = threshold + 2 if i % 2 == 0 else threshold - 2
        burst(db, acfg, pub, now - timedelta(minutes=59), count, minutes=5)
        alerts.check_and_deliver(db, acfg, now)
        db.execute("UPDATE replies SET deleted_at = ? WHERE created_at >= ?", [now.isoformat(),
                                                                               (now - timedelta(hours=1)).isoformat()])
        now += timedelta(minutes=15)
    (incident,) = alerts.incidents(db)
    assert incident["reopened"] == 3
    assert len(smtp.envelopes) == 1 and len(receiver.received) == 1


def test_a_new_crossing_after_the_cooldown_is_a_new_incident(db, acfg, smtp, receiver):
    pub = add_question(db)
    quiet_history(db, acfg, pub, SPIKE + timedelta(hours=12))
    burst(db, acfg, pub, SPIKE, 12)
    burst(db, acfg, pub, SPIKE + timedelta(hours=8), 12)
    ticks(db, acfg, SPIKE, SPIKE + timedelta(hours=10))
    assert len(alerts.incidents(db)) == 2
    assert len(smtp.envelopes) == 2 and len(receiver.received) == 2


def test_unscored_replies_are_not_negative(db, acfg):
    pub = add_question(db)
    quiet_history(db, acfg, pub, SPIKE)
    burst(db, acfg, pub, SPIKE, 15)
    db.execute("UPDATE replies SET label = NULL WHERE created_at >= ?", ["2026-11-18T14:00:00Z"])
    ticks(db, acfg, SPIKE + timedelta(minutes=55), SPIKE + timedelta(minutes=55))
    assert not [i for i in alerts.incidents(db) if i["kind"] == "negative_share"]


def add_theme(db, label, key="login"):
    """Theme 1 of question effort in SPIKE's week, as listener.themes stores it."""
    db.execute("INSERT INTO themes (id, question_id, period, key, label, language, replies, share, negative, "
               "neutral, positive, unscored, change, quotes, computed_at, method_version) "
               "VALUES (1, 'effort', '2026-W47', ?, ?, ?, 6, 1, 6, 0, 0, 0, 'new', '[]', "
               "'2026-11-18T15:00:00Z', 'test')", [key, label, key.partition(":")[0] if ":" in key else "en"])


def test_a_new_theme_opens_a_theme_incident_when_themes_exist(db, acfg):
    pub = add_question(db)
    quiet_history(db, acfg, pub, SPIKE)
    add_theme(db, "login page <loops>")
    for i in range(6):
        reply = add_reply(db, acfg, pub, f"The login page loops, try {i}", SPIKE + timedelta(minutes=5 * i))
        db.execute("INSERT INTO reply_themes VALUES (?, 1)", [reply])
    alerts.check(db, acfg, SPIKE + timedelta(minutes=40))
    (incident,) = alerts.incidents(db)
    assert (incident["kind"], incident["subject"]) == ("theme", "1")
    assert "new theme" in incident["trigger"] and len(incident["samples"]) == alerts.SAMPLES



@pytest.mark.parametrize("earlier, usual", [(0, ""), (2, " (usually almost none)"), (200, " (usually 0.3)")])
def test_a_theme_trigger_says_each_number_once(db, acfg, earlier, usual):
    pub = add_question(db)
    add_theme(db, "login page")
    for i in range(earlier):  # the theme's replies over the baseline days before the window
        reply = add_reply(db, acfg, pub, f"The login page loops, day {i}", SPIKE - timedelta(hours=2 + 3 * i))
        db.execute("INSERT INTO reply_themes VALUES (?, 1)", [reply])
    for i in range(11):
        reply = add_reply(db, acfg, pub, f"The login page loops, try {i}", SPIKE + timedelta(minutes=3 * i))
        db.execute("INSERT INTO reply_themes VALUES (?, 1)", [reply])
    [signal] = alerts.theme_signals(db, "effort", "x", SPIKE + timedelta(minutes=40), alerts.settings(acfg))
    how = "theme \u201clogin page\u201d grows" if earlier else "new theme \u201clogin page\u201d"
    assert signal.trigger == f"{how}: 11 replies in the last hour{usual}"

@pytest.mark.parametrize("key, posted", [("de:other", None), ("login", SPIKE - timedelta(minutes=30))])
def test_no_theme_alarm_for_other_in_any_language_nor_a_posts_first_day(db, acfg, key, posted):
    pub = add_question(db)
    if posted:  # a new post: every theme of its first answers is new, and expected
        db.execute("UPDATE publications SET published_at = ? WHERE id = ?", [iso(posted), pub])
    else:
        quiet_history(db, acfg, pub, SPIKE)
    add_theme(db, "other", key)
    for i in range(6):
        reply = add_reply(db, acfg, pub, f"Die Seite lädt nicht, Versuch {i}", SPIKE + timedelta(minutes=5 * i))
        db.execute("INSERT INTO reply_themes VALUES (?, 1)", [reply])
    alerts.check(db, acfg, SPIKE + timedelta(minutes=40))
    assert [i["kind"] for i in alerts.incidents(db) if i["kind"] == "theme"] == []


# ---------------------------------------------------------------- opt-out and quiet hours


def test_a_question_can_opt_out(db, acfg, smtp):
    pub = add_question(db, prefs={"enabled": False})
    quiet_history(db, acfg, pub, SPIKE)
    burst(db, acfg, pub, SPIKE, 20)
    ticks(db, acfg, SPIKE, SPIKE + timedelta(hours=1))
    assert alerts.incidents(db) == [] and smtp.envelopes == []


def test_quiet_hours_hold_the_notice_until_they_end(db, acfg, smtp, receiver):
    pub = add_question(db, prefs={"quiet_hours": "08:00-10:00"}, time_zone="America/New_York")
    quiet_history(db, acfg, pub, SPIKE)
    burst(db, acfg, pub, SPIKE, 15)  # 09:00 in New York
    ticks(db, acfg, SPIKE, SPIKE + timedelta(minutes=50))
    (incident,) = alerts.incidents(db)
    assert incident["notice_status"] == "held until 2026-11-18T15:00:00Z"
    assert smtp.envelopes == []
    ticks(db, acfg, SPIKE + timedelta(hours=1), SPIKE + timedelta(hours=1))
    assert len(smtp.envelopes) == 1 and len(receiver.received) == 1


def test_question_file_alert_keys(tmp_path):
    write_question(tmp_path, "a", text="Q?", at="2026-12-01T09:00", alerts=False)
    assert json.loads(parse_question(tmp_path / "a.toml")["alerts"]) == {"enabled": False}
    write_question(tmp_path, "b", text="Q?", at="2026-12-01T09:00", alerts={"quiet_hours": "22:00-07:00"})
    assert json.loads(parse_question(tmp_path / "b.toml")["alerts"]) == {"quiet_hours": "22:00-07:00"}
    write_question(tmp_path, "c", text="Q?", at="2026-12-01T09:00", alerts={"quiet_hours": "late"})
    with pytest.raises(QuestionError, match="c.toml: alerts.quiet_hours: must look like"):
        parse_question(tmp_path / "c.toml")


# ---------------------------------------------------------------- delivery


def spike(db, cfg):
    pub = add_question(db)
    quiet_history(db, cfg, pub, SPIKE)
    burst(db, cfg, pub, SPIKE, 12, text=HOSTILE)
    return SPIKE + timedelta(minutes=55)


def test_smtp_and_webhook_down_then_back_send_one_notice_each(db, acfg, smtp, receiver):
    smtp.fail_next = 2
    receiver.stop()  # nothing listens on the port: connection refused
    now = spike(db, acfg)
    first = alerts.check_and_deliver(db, acfg, now)
    assert "failed" in first and "451" in first and "unreachable" in first
    assert rows(db, "SELECT via, status, attempts FROM alert_deliveries ORDER BY via") == [
        ("mail", "failed", 1), ("webhook", "failed", 1)]
    assert alerts.check_and_deliver(db, acfg, now + timedelta(seconds=30)) is None  # backing off
    receiver.start()
    receiver.fail_next = 1
    alerts.check_and_deliver(db, acfg, now + timedelta(minutes=1))        # smtp 451 again, webhook 500
    ticks(db, acfg, now + timedelta(minutes=3), now + timedelta(minutes=40), every=timedelta(minutes=1))
    assert len(smtp.envelopes) == 1 and len(receiver.received) == 1
    assert rows(db, "SELECT via, status, attempts FROM alert_deliveries ORDER BY via") == [
        ("mail", "sent", 3), ("webhook", "sent", 3)]
    assert alerts.incidents(db)[0]["notice_status"] == "sent"


def test_a_claimed_notice_is_not_sent_twice(db, acfg, smtp, receiver):
    now = spike(db, acfg)
    alerts.check(db, acfg, now)
    (delivery_id, status, attempts), _ = rows(db, "SELECT id, status, attempts FROM alert_deliveries ORDER BY id")
    assert notify.claim(db, delivery_id, status, attempts, now)
    notify.deliver_due(db, acfg, now)  # the mail row is 'sending' in another process: left alone
    assert smtp.envelopes == [] and len(receiver.received) == 1
    notify.deliver_due(db, acfg, now + notify.STALE_AFTER + timedelta(minutes=1))  # that process died
    assert len(smtp.envelopes) == 1


def test_hostile_reply_text_is_escaped_in_mail_and_json(db, acfg, smtp, receiver):
    alerts.check_and_deliver(db, acfg, spike(db, acfg))
    (msg,) = smtp.messages()
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in html
    assert '<script>alert("x")</script>' in text
    assert 'href="https://x.com/user' in html and "http://datasette.example.com/listener/replies/" in html
    (payload,) = receiver.received
    assert payload["incident"]["samples"][0]["text"] == HOSTILE          # byte-exact in the structured field
    assert "<script>" not in payload["text"] and "&lt;script&gt;" in payload["text"]
    assert receiver.rejected == []


def test_a_wrong_secret_is_rejected_by_the_receiver_and_retried(db, acfg, receiver):
    acfg.secret_overrides = {**acfg.secret_overrides, ("alerts", "webhook_secret"): "wrong"}
    acfg["digest"]["recipients"] = []
    line = alerts.check_and_deliver(db, acfg, spike(db, acfg))
    assert "HTTP 401" in line and len(receiver.rejected) == 1 and receiver.received == []
    assert rows(db, "SELECT status FROM alert_deliveries") == [("failed",)]


def test_no_channel_configured_still_records_the_incident(db, cfg):
    now = spike(db, cfg)
    alerts.check_and_deliver(db, cfg, now)
    assert alerts.incidents(db)[0]["notice_status"] == "no channel configured"
    assert rows(db, "SELECT * FROM alert_deliveries") == []


def test_plain_http_to_a_remote_webhook_is_refused(cfg):
    cfg["alerts"]["webhook_url"] = "http://hooks.example.com/x"
    with pytest.raises(notify.ConfigError, match="use https"):
        notify.check_webhook(cfg)


# ---------------------------------------------------------------- the commands


def cli_env(cfg, port):
    return {"LISTENER_DATABASE_PATH": cfg["database"]["path"], "LISTENER_DIGEST_RECIPIENTS": "team@example.com",
            "LISTENER_DIGEST_SMTP_PORT": str(port), "LISTENER_ALERTS_WEBHOOK_URL": cfg["alerts"]["webhook_url"],
            "LISTENER_ALERTS_WEBHOOK_SECRET": SECRET, "LISTENER_CONFIG": None}


def test_cli_lists_incidents_and_sends_a_test_notice(db, acfg, smtp, receiver):
    alerts.check(db, acfg, spike(db, acfg))
    runner = CliRunner()
    env = cli_env(acfg, smtp.port)
    listed = runner.invoke(cli, ["alerts"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "OPEN effort on x (negative_share): 12 of" in listed.output
    as_json = json.loads(runner.invoke(cli, ["alerts", "--json"], env=env).output)
    assert as_json[0]["samples"][0]["text"] == HOSTILE
    tested = runner.invoke(cli, ["alerts", "test"], env=env)
    assert tested.exit_code == 0, tested.output
    assert "sent a test notice by mail, webhook" in tested.output
    assert smtp.messages()[0]["Subject"].startswith("[test] ")
    assert receiver.received[0]["test"] is True
    bad = runner.invoke(cli, ["alerts", "test"], env={**env, "LISTENER_ALERTS_WEBHOOK_URL": "ftp://x"})
    assert bad.exit_code == 1 and "webhook_url (from LISTENER_ALERTS_WEBHOOK_URL) must be an http:// or https:// URL" in bad.output


def test_the_demo_spike_opens_an_incident_and_prints_its_notice(tmp_path):
    listener = str(Path(sys.executable).with_name("listener"))
    db_path = tmp_path / "demo.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTENER_")}
    result = subprocess.run([listener, "demo", "--no-serve", "--spike", "--db", str(db_path), "--replies", "120"],
                            capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "spike: the fake platform produced 40 complaints" in result.stdout
    assert "OPEN customer-effort on x (negative_share)" in result.stdout
    assert "Incident: http://127.0.0.1:8001/demo/alerts/1" in result.stdout
    from listener.db import open_db

    (incident,) = alerts.open_incidents(open_db(db_path))
    assert incident["notice_status"] == "no channel configured" and incident["peak"] >= 30


# ---------------------------------------------------------------- the benchmark, short


def load_benchmark():
    spec = importlib.util.spec_from_file_location("bench_alerts", REPO / "benchmarks" / "alerts.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_short_benchmark_detects_spikes_with_few_false_alarms_and_mirrors_the_sql(cfg):
    bench = load_benchmark()
    a = alerts.settings(cfg)
    chosen = (a["min_negative"], a["share_z"], alerts.DISPERSION)
    results, quiet, _ = bench.run(7, 6, a, [chosen])
    alarms, found, _ = results[chosen]
    assert bench.rate(found, 10) >= 0.85
    assert sum(alarms) / 6 <= 1.5
    assert bench.check_against_sql(quiet[:2], random.Random(7), int(a["window"].total_seconds()),
                                   a["baseline_days"], ticks=15) == 15


def test_dashboard_lists_open_incidents_with_the_trigger_escaped(db, cfg):
    import yaml
    from datasette_dashboards import replace_opts_in_query

    pub = add_question(db)
    quiet_history(db, cfg, pub, SPIKE)
    add_theme(db, "<img src=x onerror=alert(1)>")
    for i in range(6):
        db.execute("INSERT INTO reply_themes VALUES (?, 1)",
                   [add_reply(db, cfg, pub, f"reply {i}", SPIKE + timedelta(minutes=i))])
    alerts.check(db, cfg, SPIKE + timedelta(minutes=30))
    metadata = yaml.safe_load((REPO / "dashboards" / "metadata.yaml").read_text())
    chart = metadata["plugins"]["datasette-dashboards"]["overview"]["charts"]["open-incidents"]
    (row,) = db.execute(replace_opts_in_query(chart["query"], {}), {}).fetchall()
    assert "&lt;img src=x onerror=alert(1)&gt;" in row[4] and "<img" not in row[4]
    query = metadata["databases"]["*"]["queries"]["alerts"]["sql"]
    assert [r[0] for r in db.execute(query, {"question": "effort"}).fetchall()] == [row[0]]


def test_the_worker_tick_runs_the_alerts_step(db, acfg, smtp, receiver):
    from listener.worker import tick

    now = spike(db, acfg)
    write_question(Path(acfg["posts"]["dir"]), "effort", text="How easy are we to do business with?",
                   at="2026-10-01T00:00", status="approved", approved_by="maria")
    acfg["alerts"]["recipients"], acfg["digest"]["recipients"] = ["ops@example.com"], []  # no digest this time
    report = tick(db, acfg, {}, now, harvest_budget=1)
    assert report.alerts == "1 opened, 0 reopened, 0 updated, 0 closed; sent mail #1, webhook #1"
    assert "alerts 1 opened" in report.line() and not [e for e in report.errors if e.startswith("alerts")]
    assert tick(db, acfg, {}, now + timedelta(minutes=1), harvest_budget=1).alerts is None
    assert [e.rcpt_tos for e in smtp.envelopes] == [["ops@example.com"]] and len(receiver.received) == 1


def test_quiet_hours_may_cross_midnight_and_follow_the_zone():
    berlin = alerts.zone("Europe/Berlin", "test")
    quiet = alerts.parse_quiet_hours("22:00-07:00", "test")
    at = lambda text: datetime.fromisoformat(text).replace(tzinfo=UTC)  # noqa: E731
    assert alerts.quiet_until(at("2026-11-18T22:30:00"), quiet, berlin) == at("2026-11-19T06:00:00")
    assert alerts.quiet_until(at("2026-11-19T03:00:00"), quiet, berlin) == at("2026-11-19T06:00:00")
    assert alerts.quiet_until(at("2026-11-19T06:00:00"), quiet, berlin) is None
    assert alerts.quiet_until(at("2026-11-19T12:00:00"), quiet, berlin) is None


def test_global_quiet_hours_and_bad_settings(db, acfg, smtp):
    acfg["alerts"].update(quiet_hours="14:00-15:30", time_zone="UTC")
    alerts.check_and_deliver(db, acfg, spike(db, acfg))
    assert alerts.incidents(db)[0]["notice_status"] == "held until 2026-11-18T15:30:00Z" and smtp.envelopes == []
    acfg["alerts"]["quiet_hours"] = "all night"
    with pytest.raises(alerts.ConfigError, match=r'\[alerts\] quiet_hours .* must look like "22:00-07:00"'):
        alerts.check(db, acfg, SPIKE)
    acfg["alerts"].update(quiet_hours="", window="90")
    with pytest.raises(alerts.ConfigError, match=r"\[alerts\] window/cooldown: '90' is not a duration"):
        alerts.check(db, acfg, SPIKE)


def test_cli_check_runs_detection_and_every_command_has_an_example(db, acfg, smtp, receiver):
    spike(db, acfg)
    env = cli_env(acfg, smtp.port)
    runner = CliRunner()
    quiet = runner.invoke(cli, ["alerts", "check"], env=env)  # now is long after the generated spike
    assert quiet.exit_code == 0 and "no change, nothing to send" in quiet.output
    for args in (["alerts", "--help"], ["alerts", "check", "--help"], ["alerts", "test", "--help"],
                 ["demo", "--help"]):
        assert "Example" in runner.invoke(cli, args).output
