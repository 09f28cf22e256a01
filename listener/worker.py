"""`listener run`: one process that ticks; every tick syncs, plans, publishes, harvests, digests.

APScheduler is only the ticker: its job wakes the main thread, which runs `tick` (so the SQLite
connection, the signal handlers and the work all live in one thread). The schedule itself lives
in our tables, so a late tick, a restart or two ticks at once never publish twice and miss
nothing: planning is idempotent (UNIQUE key) and publishing claims each row atomically.

One worker per database: an flock on `<db>.lock`, which the kernel releases when the process
dies (a killed worker never leaves it stuck). SIGTERM or Ctrl-C stops at a transaction boundary:
a publication in flight is finished, the rest stay planned; a harvest is abandoned at once (each
page and its cursor are one transaction, so the next run resumes where it stopped). A second
signal stops at once.
"""

import fcntl
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import harvest, publish, questions
from .db import open_db
from .errors import ListenerError
from .times import iso, utcnow

log = logging.getLogger("listener.worker")

HARVEST_SHARE = 0.5  # of the tick: harvesting never holds the worker past its next tick


class Stopping(BaseException):
    """Raised by the signal handler to abandon a harvest; BaseException so no step swallows it."""


class Stopper:
    """The stop flag set by SIGTERM/SIGINT. While `interruptible` (harvesting), stops at once."""

    def __init__(self):
        self.event = threading.Event()
        self.interruptible = False

    def __call__(self):
        return self.event.is_set()

    def request(self, signum=None, frame=None):
        again = self.event.is_set()
        self.event.set()
        if signum is not None:
            log.info("stopping (%s)%s", signal.Signals(signum).name,
                     "" if self.interruptible or again else ": finishing the current step")
        if self.interruptible or again:
            raise Stopping()


@dataclass
class TickReport:
    now: str
    synced: int = 0
    sync_errors: list = field(default_factory=list)
    planned: int = 0
    missed: list = field(default_factory=list)
    published: int = 0
    unknown: int = 0
    failed: int = 0
    needs_review: int = 0
    deferred: int = 0
    harvested: int = 0
    new_replies: int = 0
    relabelled: int = 0
    themes: int = 0                 # question-weeks whose themes were recomputed
    digest: str | None = None
    alerts: str | None = None
    errors: list = field(default_factory=list)
    stopped: bool = False
    no_channel: bool = False        # no channel could be opened: publish and harvest were skipped

    def line(self):
        parts = [f"tick {self.now}: synced {self.synced}"
                 + (f" ({len(self.sync_errors)} bad file(s))" if self.sync_errors else ""),
                 f"planned {self.planned}"]
        if self.no_channel:
            parts.append("no channel: publish and harvest skipped")
        else:
            parts.append(f"published {self.published}")
            for name in ("unknown", "failed", "needs_review", "deferred"):
                if getattr(self, name):
                    parts.append(f"{name.replace('_', ' ')} {getattr(self, name)}")
            parts.append(f"harvested {self.harvested} publication(s), {self.new_replies} new repl(ies)")
        if self.relabelled:
            parts.append(f"relabelled {self.relabelled}")
        if self.themes:
            parts.append(f"themes of {self.themes} question-week(s)")
        if self.digest:
            parts.append(f"digest {self.digest}")
        if self.alerts:
            parts.append(f"alerts {self.alerts}")
        if self.missed:
            parts.append(f"MISSED {len(self.missed)} ({'; '.join(self.missed)}): see `listener status`")
        if self.errors:
            parts.append(f"errors: {'; '.join(self.errors)}")
        if self.stopped:
            parts.append("stopped early")
        return ", ".join(parts)


def tick(db, cfg, channels, now, *, should_stop=None, stopper=None, harvest_budget=None):
    """One round of the worker at `now`; returns a TickReport (and logs its one line).

    Steps: sync posts/ (bad files logged, not fatal), plan due occurrences (too late ones become
    missed), publish due, harvest due within `harvest_budget` seconds (default: half a tick), retrain
    the workspace model and relabel when corrections arrived, update themes, and send the digest
    when `listener.digest.send_due` exists, then check alerts. A failing step is logged and the next
    one still runs; without any open channel, publish and harvest are skipped and the offline steps
    still run. `should_stop` is checked between steps and between publications.
    """
    started = time.monotonic()
    stop = should_stop or (stopper if stopper is not None else (lambda: False))
    report = TickReport(now=iso(now))
    try:
        _tick_steps(db, cfg, channels, now, report, stop, stopper, harvest_budget, started)
    except Stopping:
        report.stopped = True
        raise
    finally:
        log.info(report.line())
    return report


def _tick_steps(db, cfg, channels, now, report, stop, stopper, harvest_budget, started):
    with step(report, "sync"):
        result = questions.sync(db, cfg["posts"]["dir"], now, cfg)
        report.synced = len(result.loaded)
        report.sync_errors = list(result.errors)
        for error in result.errors:
            log.warning("sync: %s", error)
    if stopped(report, stop):
        return
    with step(report, "plan"):
        planned = publish.plan(db, cfg, now)
        report.planned = planned.planned
        report.missed = [m.removeprefix("missed: ") for m in planned.messages if m.startswith("missed: ")]
    if stopped(report, stop):
        return
    if channels:
        _online_steps(db, cfg, channels, now, report, stop, stopper, harvest_budget, started)
    else:
        report.no_channel = True
    if stopped(report, stop):
        return
    with step(report, "relabel"):
        report.relabelled = relabel(db, now)
    if stopped(report, stop):
        return
    with step(report, "themes"):
        report.themes = refresh_themes(db, cfg, now)
    if stopped(report, stop):
        return
    with step(report, "digest"):
        report.digest = send_digest(db, cfg, now)
    if stopped(report, stop):
        return
    with step(report, "alerts"):
        report.alerts = check_alerts(db, cfg, now)


def _online_steps(db, cfg, channels, now, report, stop, stopper, harvest_budget, started):
    """Publish and harvest: the steps that reach the platforms."""
    with step(report, "publish"):
        published = publish.publish_due(db, cfg, channels, now, should_stop=stop)
        report.published = len(published.published)
        for name in ("unknown", "failed", "needs_review", "deferred"):
            setattr(report, name, len(getattr(published, name)))
        for message in published.messages:
            log.info("publish: %s", message)
    if stopped(report, stop):
        return
    with step(report, "harvest"):
        if harvest_budget is None:
            harvest_budget = cfg["worker"]["tick_seconds"] * HARVEST_SHARE
        budget = max(0.5, harvest_budget - (time.monotonic() - started))
        harvested = run_harvest(db, cfg, channels, now, budget, stopper)
        report.harvested = harvested.publications
        report.new_replies = harvested.new
        for message in harvested.messages:
            log.info("harvest: %s", message)


class step:
    """Runs one tick step: an exception is logged (with its traceback) and the tick goes on."""

    def __init__(self, report, name):
        self.report, self.name = report, name

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None or not issubclass(exc_type, Exception):
            return False  # Stopping and KeyboardInterrupt go through
        if isinstance(exc, ListenerError):
            log.error("%s: %s", self.name, exc)
        else:
            log.error("%s failed", self.name, exc_info=(exc_type, exc, tb))
        self.report.errors.append(f"{self.name}: {exc}")
        return True


def stopped(report, stop):
    if stop():
        report.stopped = True
    return report.stopped


def relabel(db, now):
    """Retrain the workspace model when corrections arrived since the last one; relabel what it changes."""
    from .scoring import refresh

    trained, relabelled = refresh(db, now)
    if trained:
        log.info("relabel: model %s learned from %s correction(s)", trained["version"], trained["corrections"])
    return relabelled


def run_harvest(db, cfg, channels, now, budget, stopper):
    """harvest_due, abandoned at once on a stop signal (each page + cursor is one transaction)."""
    last_run = db.execute("SELECT coalesce(max(id), 0) FROM harvest_runs").fetchone()[0]
    if stopper is not None:
        stopper.interruptible = True
    try:
        if stopper is not None and stopper():
            raise Stopping()
        return harvest.harvest_due(db, cfg, channels, now, time_budget=budget)
    except Stopping:
        close_interrupted_runs(db, last_run, now)
        raise
    finally:
        if stopper is not None:
            stopper.interruptible = False


def close_interrupted_runs(db, after_id, now):
    """Mark this tick's unfinished harvest runs as interrupted (their pages are already saved)."""
    if db.conn.in_transaction:
        db.conn.execute("ROLLBACK")
    db.execute("UPDATE harvest_runs SET finished_at = ?, status = 'interrupted', "
               "error = 'worker stopped: resumes from the saved cursor' "
               "WHERE id > ? AND finished_at IS NULL AND started_at = ?", [iso(now), after_id, iso(now)])


def refresh_themes(db, cfg, now):
    """This and last week's themes of the questions whose replies changed (listener.themes)."""
    from . import themes

    return themes.refresh_recent(db, cfg, now)


def send_digest(db, cfg, now):
    """listener.digest.send_due(db, cfg, now) when that module and function exist; else None."""
    try:
        from . import digest
    except ImportError:
        return None
    send_due = getattr(digest, "send_due", None)
    if send_due is None:
        return None
    result = send_due(db, cfg, now)
    if not result:
        return None
    return result if isinstance(result, str) else "sent"


def check_alerts(db, cfg, now):
    """Open, update and close incidents, then deliver due notices (listener/alerts.py)."""
    from .alerts import check_and_deliver

    return check_and_deliver(db, cfg, now)


# -- the single-instance lock ------------------------------------------------------------------

class WorkerLock:
    """An exclusive flock on `<db>.lock` holding the owner's pid; the kernel drops it on death."""

    def __init__(self, db_path):
        self.db_path = str(db_path)
        self.path = Path(str(db_path) + ".lock")
        self.file = None

    def acquire(self):
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "?"
            handle.close()
            raise ListenerError(f"another listener run is using {self.db_path} (pid {pid}): stop it first") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self.file = handle
        return self

    def release(self):
        if self.file is not None:
            self.file.seek(0)
            self.file.truncate()
            self.file.flush()
            fcntl.flock(self.file.fileno(), fcntl.LOCK_UN)
            self.file.close()
            self.file = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
        return False


# -- the process ---------------------------------------------------------------------------------

def setup_logging(level=logging.INFO):
    """One line per event on stderr, with a UTC timestamp."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)sZ %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S"))
    handler.formatter.converter = time.gmtime
    root = logging.getLogger("listener")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def run(cfg, open_channels, *, once=False, clock=utcnow):
    """The worker process: lock, then tick every [worker] tick_seconds until SIGTERM/Ctrl-C.

    `open_channels(cfg)` returns {name: channel}, maybe none; it is called after the lock is taken.
    With `once`, returns that tick's TickReport (its `errors` name the failed steps).
    """
    db_path = cfg["database"]["path"]
    db = open_db(db_path)  # first: a missing folder is one line, not a traceback from the lock file beside it
    with WorkerLock(db_path):
        channels = open_channels(cfg)
        stopper = Stopper()
        previous = {sig: signal.signal(sig, stopper.request) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            if once:
                return tick(db, cfg, channels, clock(), stopper=stopper)
            log.info("worker started on %s (pid %d): a tick every %ss; stop with Ctrl-C or SIGTERM",
                     db_path, os.getpid(), cfg["worker"]["tick_seconds"])
            if not channels:
                log.warning("no channel is usable (see above): every tick skips publish and harvest "
                            "and runs the other steps")
            loop(db, cfg, channels, stopper, clock)
        except Stopping:
            pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            db.conn.close()
        log.info("worker stopped")


def loop(db, cfg, channels, stopper, clock):
    from apscheduler.schedulers.background import BackgroundScheduler

    seconds = cfg["worker"]["tick_seconds"]
    wake = threading.Event()
    scheduler = BackgroundScheduler(timezone=timezone.utc)
    # Only a ticker: the job wakes the main thread. A late tick is coalesced into one.
    scheduler.add_job(wake.set, "interval", seconds=seconds, id="tick", coalesce=True, max_instances=1,
                      misfire_grace_time=max(1, int(seconds)), next_run_time=datetime.now(timezone.utc))
    scheduler.start()
    try:
        while not stopper():
            if not wake.wait(timeout=0.25):
                continue
            wake.clear()
            if stopper():
                break
            tick(db, cfg, channels, clock(), stopper=stopper)
    finally:
        scheduler.shutdown(wait=False)
