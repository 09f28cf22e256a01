"""Delivering alert notices: e-mail (the digest's SMTP settings) and a signed webhook, once each.

Each incident has one `alert_deliveries` row per channel (mail, webhook). A tick claims a due row
(UPDATE ... WHERE status is still what we read) and commits 'sending' before any network traffic,
then marks it sent, or failed with a backoff (1, 2, 4 ... minutes, at most an hour; after
MAX_ATTEMPTS it gives up). A row left 'sending' by a dead process is taken over after
STALE_AFTER; the mail keeps its Message-ID and the webhook its "id" on every attempt, so in that
one case a receiver can drop the duplicate. See docs/alerts.md.

Webhook: POST of JSON {"text": ..., "id": ..., "incident": {...}}; `text` is Slack- and
Teams-compatible (&, < and > escaped). With LISTENER_ALERTS_WEBHOOK_SECRET set it carries
X-Listener-Timestamp (epoch seconds) and X-Listener-Signature: sha256=<hex HMAC-SHA256 of
timestamp + "." + body>.
"""

import hashlib
import hmac
import html
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from .channels import channel_names
from .db import transaction
from .digest import database_name, instance_id, safe_url, trim
from .errors import ConfigError, ListenerError, NoticeError
from .mail import check_settings, smtp_send
from .serve import is_loopback
from .times import iso

STALE_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 20
MAX_BACKOFF = timedelta(hours=1)
KIND_NAMES = {"negative_share": "Complaints spike", "volume": "Reply volume spike", "theme": "Theme spike"}


@dataclass
class DeliveryReport:
    sent: list = field(default_factory=list)        # "mail #3"
    failed: list = field(default_factory=list)      # "webhook #3: error"

    def line(self):
        parts = []
        if self.sent:
            parts.append(f"sent {', '.join(self.sent)}")
        if self.failed:
            parts.append(f"failed {'; '.join(self.failed)}")
        return ", ".join(parts) or None


def recipients(cfg):
    return list(cfg["alerts"]["recipients"] or cfg["digest"]["recipients"])


def delivery_channels(cfg):
    """'mail' when there are recipients ([alerts], else [digest]); 'webhook' when a URL is set."""
    return [name for name, on in (("mail", recipients(cfg)), ("webhook", cfg["alerts"]["webhook_url"])) if on]


def check_webhook(cfg):
    url = cfg["alerts"]["webhook_url"]
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("[alerts] webhook_url must be an http(s) URL (set it with LISTENER_ALERTS_WEBHOOK_URL)")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(f"[alerts] webhook_url: refusing plain http to {parts.hostname}: use https")
    return url


# ---------------------------------------------------------------- the notice


def links(cfg, db, incident):
    base = cfg["serve"]["base_url"].rstrip("/")
    name = urllib.parse.quote(database_name(db))
    return {"incident": f"{base}/{name}/alerts/{incident['id']}",
            "replies": f"{base}/{name}/replies/{{}}"}


def headline(incident):
    kind = KIND_NAMES.get(incident["kind"], incident["kind"])
    return f"{kind}: {incident['question_id']} on {incident['channel']}"


def text_body(incident, urls):
    lines = [headline(incident), incident["trigger"], f"Opened {incident['opened_at']}.", ""]
    for sample in incident["samples"]:
        lines.append(f"  \u201c{trim(sample['text'])}\u201d (@{sample['author'] or 'someone'})")
        row = urls["replies"].format(sample["id"])
        lines.append(f"    {row}")
        if safe_url(sample["url"]) and sample["url"] != row:  # the demo's replies link to their row already
            lines.append(f"    {sample['url']}")
    lines += ["", f"Incident: {urls['incident']}",
              "One notice per incident: it is updated, not re-sent, while it lasts."]
    return "\n".join(lines) + "\n"


def html_body(incident, urls):
    e = html.escape
    quotes = []
    for sample in incident["samples"]:
        platform = safe_url(sample["url"])
        row = urls["replies"].format(sample["id"])
        link = f' · <a href="{e(platform)}">on the platform</a>' if platform and platform != row else ""
        quotes.append(f'<blockquote>{e(trim(sample["text"]))}<br><small>@{e(sample["author"] or "someone")} · '
                      f'<a href="{e(row)}">in Datasette</a>{link}</small></blockquote>')
    return (f"<!doctype html><html><body><h2>{e(headline(incident))}</h2><p>{e(incident['trigger'])}</p>"
            f"<p>Opened {e(incident['opened_at'])}.</p>{''.join(quotes)}"
            f'<p><a href="{e(urls["incident"])}">The incident in Datasette</a></p></body></html>\n')


def build_mail(cfg, db, incident, now, *, test=False):
    urls = links(cfg, db, incident)
    msg = EmailMessage()
    msg["Subject"] = ("[test] " if test else "") + f"{headline(incident)}: {incident['trigger']}"
    msg["From"] = cfg["digest"]["sender"]
    msg["To"] = ", ".join(recipients(cfg))
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = f"<alert-{incident['id']}.{instance_id(db)}@listener>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Listener-Alert"] = str(incident["id"])
    msg.set_content(text_body(incident, urls))
    msg.add_alternative(html_body(incident, urls), subtype="html")
    return msg


def slack_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_payload(cfg, db, incident, *, test=False):
    urls = links(cfg, db, incident)
    quotes = "".join(f"\n> {slack_escape(trim(s['text']))}" for s in incident["samples"])
    text = (("[test] " if test else "") + f"*{slack_escape(headline(incident))}*: "
            f"{slack_escape(incident['trigger'])}{quotes}\n{slack_escape(urls['incident'])}")
    keys = ("id", "question_id", "channel", "kind", "subject", "status", "opened_at", "updated_at", "peak",
            "baseline", "trigger")
    samples = [{**s, "datasette_url": urls["replies"].format(s["id"]), "url": safe_url(s["url"])}
               for s in incident["samples"]]
    return {"text": text, "id": f"alert-{incident['id']}.{instance_id(db)}", "test": test,
            "incident": {**{k: incident[k] for k in keys}, "url": urls["incident"], "samples": samples}}


def sign(secret, timestamp, body):
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def post_webhook(cfg, payload, now):
    """POST the JSON; raises NoticeError on anything but a 2xx answer. The URL is never shown whole."""
    url = check_webhook(cfg)
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "listener-alerts"}
    secret = cfg.secret("alerts", "webhook_secret")
    if secret:
        timestamp = int(now.timestamp())
        headers.update({"X-Listener-Timestamp": str(timestamp), "X-Listener-Signature": sign(secret, timestamp, body)})
    where = f"webhook at {urllib.parse.urlsplit(url).hostname}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=cfg["alerts"]["webhook_timeout"]) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise NoticeError(f"{where} answered HTTP {exc.code}: check [alerts] webhook_url and the receiver") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NoticeError(f"{where} unreachable ({reason}): check [alerts] webhook_url "
                          "(is the receiver running?)") from None


def send(cfg, db, via, incident, now, *, test=False):
    if via == "mail":
        check_settings(cfg, sending=False)
        to = recipients(cfg)
        for address in to:
            if not isinstance(address, str) or "@" not in address:
                raise ConfigError(f"[alerts] recipients: {address!r} is not an e-mail address")
        smtp_send(cfg, build_mail(cfg, db, incident, now, test=test), recipients=to)
    else:
        post_webhook(cfg, webhook_payload(cfg, db, incident, test=test), now)


# ---------------------------------------------------------------- exactly once


def due(db, now):
    return db.execute(
        "SELECT id, alert_id, via, status, attempts FROM alert_deliveries "
        "WHERE (status IN ('pending', 'failed') AND next_attempt_at <= ?) "
        "OR (status = 'sending' AND claimed_at < ?) ORDER BY id",
        [iso(now), iso(now - STALE_AFTER)]).fetchall()


def claim(db, delivery_id, status, attempts, now):
    """Take the row if it is still as we read it; commits 'sending' before anything is sent."""
    with transaction(db):
        return db.execute("UPDATE alert_deliveries SET status = 'sending', claimed_at = ?, attempts = attempts + 1 "
                          "WHERE id = ? AND status = ? AND attempts = ?",
                          [iso(now), delivery_id, status, attempts]).rowcount == 1


def finish(db, delivery_id, alert_id, now, error=None, attempts=0):
    with transaction(db):
        if error is None:
            db.execute("UPDATE alert_deliveries SET status = 'sent', sent_at = ?, error = NULL WHERE id = ?",
                       [iso(now), delivery_id])
        else:
            wait = min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)
            status = "gave_up" if attempts >= MAX_ATTEMPTS else "failed"
            db.execute("UPDATE alert_deliveries SET status = ?, error = ?, next_attempt_at = ? WHERE id = ?",
                       [status, error, iso(now + wait), delivery_id])
        summarise(db, alert_id)


def summarise(db, alert_id):
    """alerts.notice_status: sent, partly sent, failed (retrying), gave up, pending."""
    rows = db.execute("SELECT via, status, sent_at FROM alert_deliveries WHERE alert_id = ?", [alert_id]).fetchall()
    statuses = {status for _, status, _ in rows}
    sent = [f"{via} {when}" for via, status, when in rows if status == "sent"]
    if statuses == {"sent"}:
        summary = "sent"
    elif "sent" in statuses:
        summary = "partly sent"
    elif statuses == {"gave_up"}:
        summary = "gave up"
    elif "failed" in statuses:
        summary = "failed, retrying"
    else:
        summary = "pending"
    first_sent = min((when for _, status, when in rows if status == "sent"), default=None)
    db.execute("UPDATE alerts SET notice_status = ?, notice_sent_at = ? WHERE id = ?",
               [summary + (f" ({'; '.join(sent)})" if summary == "partly sent" else ""), first_sent, alert_id])


def deliver_due(db, cfg, now):
    """Send every due notice once; a failure is recorded with its backoff, the others still go."""
    from .alerts import incidents_by_id

    report = DeliveryReport()
    for delivery_id, alert_id, via, status, attempts in due(db, now):
        if not claim(db, delivery_id, status, attempts, now):
            continue  # another process took it
        incident = incidents_by_id(db, [alert_id])[0]
        try:
            send(cfg, db, via, incident, now)
        except ListenerError as exc:
            finish(db, delivery_id, alert_id, now, error=str(exc), attempts=attempts + 1)
            report.failed.append(f"{via} #{alert_id}: {exc}")
            continue
        except BaseException as exc:
            finish(db, delivery_id, alert_id, now, error=f"{exc.__class__.__name__}: {exc}", attempts=attempts + 1)
            raise
        finish(db, delivery_id, alert_id, now)
        report.sent.append(f"{via} #{alert_id}")
    return report


def send_test(db, cfg, now, only=None):
    """A test notice through each configured channel (or `only` one); nothing is stored."""
    via = [name for name in delivery_channels(cfg) if only in (None, name)]
    if not via:
        raise ConfigError("no alert channel configured: set [alerts] recipients (or [digest] recipients) "
                          "and/or [alerts] webhook_url")
    incident = {"id": 0, "question_id": "test-question", "channel": channel_names()[0], "kind": "negative_share", "subject": "",
                "status": "open", "opened_at": iso(now), "updated_at": iso(now), "peak": 12, "baseline": 2.0,
                "trigger": "a test notice from `listener alerts test`: nothing is wrong",
                "samples": [{"id": 0, "text": "This is what a quoted reply looks like <b>escaped</b> & safe.",
                             "author": "someone", "url": None}]}
    sent = []
    for name in via:
        send(cfg, db, name, incident, now, test=True)
        sent.append(name)
    return sent
