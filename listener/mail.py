"""Sending the digest: the MIME message, SMTP, and the `digests` row that makes it once per period.

Exactly once: before any SMTP traffic the period's `digests` row is claimed in a write
transaction (INSERT, or UPDATE of a failed row). A claim whose process died is taken over after
STALE_AFTER. The status goes claimed -> sending (committed just before connecting) -> sent, or
failed with the error; a failed period stays due and the next tick retries it. The Message-ID is
the same on every attempt, so in the one case we cannot rule out (the connection dropped after
the server accepted DATA) a receiver can drop the duplicate. See docs/digest.md.
"""

import json
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from .db import transaction
from .digest import build_digest, due_period, instance_id
from .errors import ConfigError, DigestError
from .serve import is_loopback
from .times import iso, parse_iso

SECURITY = ("none", "starttls", "ssl")
STALE_AFTER = timedelta(minutes=15)
BACKOFF_FIRST = timedelta(minutes=1)   # the worker's next try after a failed send: 1, 2, 4 ... minutes
BACKOFF_MAX = timedelta(hours=2)


@dataclass
class Outcome:
    period: str | None
    status: str          # sent, already sent, in progress, not due, disabled
    message: str


def message_id(db, period):
    return f"<digest-{period.label}.{instance_id(db)}@listener>"


def build_message(cfg, digest, msg_id, now):
    """multipart/alternative: text/plain, then multipart/related (text/html + the chart PNGs)."""
    settings = cfg["digest"]
    msg = EmailMessage()
    msg["Subject"] = digest.subject
    msg["From"] = settings["sender"]
    msg["To"] = ", ".join(settings["recipients"])
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = msg_id
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Listener-Digest"] = digest.period.label
    msg.set_content(digest.text)
    msg.add_alternative(digest.html, subtype="html")
    html_part = msg.get_payload()[1]
    for index, (cid, png) in enumerate(digest.images, 1):
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>",
                              filename=f"chart-{index}.png", disposition="inline")
    return msg


def check_settings(cfg, *, sending=True):
    """The [digest] settings SMTP needs; each problem is one line that names the setting."""
    s = cfg["digest"]
    if sending and not s["recipients"]:
        raise ConfigError('no digest recipients: set [digest] recipients = ["team@example.com"] '
                          "(or LISTENER_DIGEST_RECIPIENTS)")
    for address in s["recipients"]:
        if not isinstance(address, str) or "@" not in address:
            raise ConfigError(f"[digest] recipients: {address!r} is not an e-mail address")
    if "@" not in str(s["sender"]):
        raise ConfigError(f"[digest] sender {s['sender']!r} is not an e-mail address")
    if s["smtp_security"] not in SECURITY:
        raise ConfigError(f"[digest] smtp_security {s['smtp_security']!r} must be \"none\", \"starttls\" or \"ssl\"")
    if not isinstance(s["smtp_port"], int) or not 0 < s["smtp_port"] < 65536:
        raise ConfigError(f"[digest] smtp_port {s['smtp_port']!r} must be a port number 1-65535 "
                          "(usually 25, 587 for starttls, 465 for ssl)")
    if not s["smtp_host"]:
        raise ConfigError("[digest] smtp_host is empty: set your mail server's name")
    if not s["smtp_timeout"] or s["smtp_timeout"] <= 0:
        raise ConfigError("[digest] smtp_timeout must be a positive number of seconds")


def smtp_send(cfg, msg, recipients=None):
    """Deliver `msg` to `recipients` (default [digest] recipients); every socket operation has [digest] smtp_timeout."""
    s = cfg["digest"]
    host, port, security, timeout = s["smtp_host"], s["smtp_port"], s["smtp_security"], s["smtp_timeout"]
    username, password = cfg.secret("digest", "smtp_username"), cfg.secret("digest", "smtp_password")
    if username and not password:
        raise ConfigError("SMTP_USERNAME is set but SMTP_PASSWORD is not: export both, or neither")
    if username and security == "none" and not is_loopback(host):
        raise ConfigError(f"[digest] smtp_security is \"none\": refusing to send SMTP_PASSWORD to {host} in clear; "
                          "set smtp_security to \"starttls\" or \"ssl\"")
    where = f"SMTP server {host}:{port}"
    try:
        if security == "ssl":
            client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if username:
                client.login(username, password)
            refused = client.send_message(msg, from_addr=s["sender"], to_addrs=list(recipients or s["recipients"]))
    except smtplib.SMTPAuthenticationError as exc:
        raise DigestError(f"{where} refused the login ({_reply(exc)}): check SMTP_USERNAME and SMTP_PASSWORD") from None
    except smtplib.SMTPNotSupportedError as exc:
        hint = ("it offers no STARTTLS: set [digest] smtp_security" if security == "starttls"
                else "it offers no login: unset SMTP_USERNAME or set [digest] smtp_security")
        raise DigestError(f"{where}: {exc}; {hint}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DigestError(f"{where} refused every recipient ({', '.join(exc.recipients)}): "
                          "check [digest] recipients") from None
    except smtplib.SMTPSenderRefused as exc:
        raise DigestError(f"{where} refused the sender {exc.sender} ({_reply(exc)}): check [digest] sender") from None
    except smtplib.SMTPResponseException as exc:
        raise DigestError(f"{where} answered {_reply(exc)}: check [digest] smtp_host, smtp_port and smtp_security") from None
    except smtplib.SMTPServerDisconnected as exc:
        raise DigestError(f"{where} closed the connection ({exc or 'no reason given'}): "
                          "check [digest] smtp_port and smtp_security (465 is ssl, 587 is starttls)") from None
    except ssl.SSLError as exc:
        raise DigestError(f"TLS with {where} failed ({exc.reason or exc}): check [digest] smtp_security "
                          "(ssl for port 465, starttls for 587) and smtp_port") from None
    except socket.gaierror:
        raise DigestError(f"SMTP host {host!r} not found: check [digest] smtp_host") from None
    except (TimeoutError, socket.timeout):
        raise DigestError(f"{where} did not answer within {timeout:g}s: check [digest] smtp_host and smtp_port, "
                          "or raise [digest] smtp_timeout") from None
    except ConnectionRefusedError:
        raise DigestError(f"{where} refused the connection: check [digest] smtp_host and smtp_port "
                          "(is the mail server running?)") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DigestError(f"{where} failed ({exc.__class__.__name__}: {exc}): check [digest] smtp_host and "
                          "smtp_port") from None
    return refused


def _reply(exc):
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {' '.join(text.split())}"


def claim(db, period, subject, recipients, msg_id, now):
    """Take the period's row for this attempt. Returns None when claimed, else why not (and when)."""
    with transaction(db):
        row = db.execute("SELECT status, claimed_at, sent_at FROM digests WHERE period = ?",
                         [period.label]).fetchone()
        values = [json.dumps(recipients), subject, msg_id, iso(now)]
        if row is None:
            db.execute("INSERT INTO digests (period, recipients, subject, message_id, claimed_at, status, attempts) "
                       "VALUES (?, ?, ?, ?, ?, 'claimed', 1)", [period.label] + values)
            return None
        status, claimed_at, sent_at = row
        if status == "sent":
            return ("already sent", sent_at)
        if status in ("claimed", "sending") and parse_iso(claimed_at) > now - STALE_AFTER:
            return ("in progress", claimed_at)
        db.execute("UPDATE digests SET recipients = ?, subject = ?, message_id = ?, claimed_at = ?, "
                   "status = 'claimed', attempts = attempts + 1 WHERE period = ?", values + [period.label])
        return None


def mark(db, period, status, **columns):
    names = ", ".join(f"{name} = ?" for name in columns)
    with transaction(db):
        db.execute(f"UPDATE digests SET status = ?{', ' if names else ''}{names} WHERE period = ?",
                   [status, *columns.values(), period.label])


def send_period(db, cfg, period, now):
    """Send the digest of `period` unless it was sent. Raises DigestError (recorded) if SMTP fails."""
    check_settings(cfg)
    digest = build_digest(db, cfg, period)
    msg_id = message_id(db, period)
    msg = build_message(cfg, digest, msg_id, now)
    recipients = list(cfg["digest"]["recipients"])
    blocked = claim(db, period, digest.subject, recipients, msg_id, now)
    if blocked:
        why, when = blocked
        verb = "was sent" if why == "already sent" else "is being sent by another process since"
        return Outcome(period.label, why, f"digest {period.label} {verb} {when}: nothing sent")
    try:
        mark(db, period, "sending")
        refused = smtp_send(cfg, msg)
    except BaseException as exc:
        error = str(exc) if isinstance(exc, DigestError) else f"{exc.__class__.__name__}: {exc}"
        mark(db, period, "failed", error=error, next_attempt_at=iso(now + backoff(db, period)))
        raise
    note = f"refused by the server: {', '.join(refused)}" if refused else None
    mark(db, period, "sent", sent_at=iso(now), error=note)
    delivered = [r for r in recipients if r not in (refused or {})]
    return Outcome(period.label, "sent", f"sent digest {period.label} to {', '.join(delivered)}: {digest.subject}"
                   + (f" ({note})" if note else ""))


def backoff(db, period):
    """BACKOFF_FIRST doubled for each attempt of this period so far, at most BACKOFF_MAX."""
    attempts = db.execute("SELECT attempts FROM digests WHERE period = ?", [period.label]).fetchone()[0]
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** min(max(attempts - 1, 0), 20))


def send_if_due(db, cfg, now):
    """Send the previous week's digest once its weekday and hour have passed (and it is not sent).

    Returns an Outcome; does nothing (status 'disabled') while [digest] recipients is empty.
    An SMTP failure is recorded and raised as DigestError; the period stays due, and is tried again
    after an exponential backoff (status 'backing off' until then).
    """
    if not cfg["digest"]["recipients"]:
        return Outcome(None, "disabled", "digest: no [digest] recipients configured, nothing to send")
    period = due_period(cfg, now)
    row = db.execute("SELECT status, sent_at, next_attempt_at, error FROM digests WHERE period = ?",
                     [period.label]).fetchone()
    if row and row[0] == "sent":
        return Outcome(period.label, "not due", f"digest {period.label} was sent {row[1]}")
    if row and row[0] == "failed" and row[2] and row[2] > iso(now):
        return Outcome(period.label, "backing off", f"digest {period.label} failed ({row[3]}); next try at {row[2]} "
                       "(or now: listener digest --send)")
    return send_period(db, cfg, period, now)
