"""The `listener` command: each command parses, calls one function, echoes."""

import functools
import json
import sys
from pathlib import Path

import click

from . import harvest as harvest_mod
from . import publish as publish_mod
from . import questions as questions_mod
from . import status as status_mod
from .channels import channel_names
from .config import load_config
from .db import open_db, open_existing_db, require_folder, rolled_back
from .errors import ListenerError
from .display import display_text
from .times import parse_iso, utcnow
from .users import local_name

PORT = click.IntRange(1, 65535)


class ListenerGroup(click.Group):
    """Turns ListenerError into one line on stderr and exit code 1, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ListenerError as exc:
            click.echo(f"Error: {display_text(exc)}", err=True)
            sys.exit(1)


@click.group(cls=ListenerGroup)
@click.version_option(package_name="listener")
def cli():
    """Ask your followers a question, hear every answer.

    Publishes listening posts (posts/*.toml) to every installed channel (X, Reddit, Mastodon,
    Bluesky, ...), harvests every reply, scores its sentiment and keeps it all in one SQLite file
    you explore with `listener serve`.

    Try it offline first: listener demo
    """


def common(fn):
    """--config and --db on every command that touches the database."""

    @click.option("--config", "config_path", type=click.Path(dir_okay=False),
                  help="TOML settings (default: $LISTENER_CONFIG or ./listener.toml)")
    @click.option("--db", "db_path", type=click.Path(dir_okay=False), help="SQLite file (default: [database] path)")
    @functools.wraps(fn)
    def wrapper(config_path, db_path, **kwargs):
        cfg = load_config(config_path, overrides={"database.path": db_path})
        return fn(cfg=cfg, **kwargs)

    return wrapper


def open_configured_db(cfg, *, create=True):
    """The configured database; read-only commands pass create=False and never create the file."""
    return open_db(cfg["database"]["path"]) if create else open_existing_db(cfg["database"]["path"])


NO_CHANNEL = "no channel is usable: set the credentials named above, or try `listener demo`"


def open_channels(cfg, only=None, *, required=True):
    """Every enabled channel that has its credentials; a channel that fails is reported, not fatal.

    None usable is an error, unless not `required` (the worker still has offline steps to run).
    """
    from .channels import open_channel

    channels = {}
    for name in channel_names():
        if not cfg[name]["enabled"] or (only and name != only):
            continue
        try:
            channels[name] = open_channel(name, cfg)
        except ListenerError as exc:
            click.echo(f"{name}: skipped: {exc}", err=True)
    if not channels and required:
        raise ListenerError(NO_CHANNEL)
    return channels


def echo_messages(messages):
    for message in messages:
        click.echo(f"  {display_text(message)}")


@cli.command()
@click.option("--path", default="listener.toml", show_default=True, type=click.Path(dir_okay=False))
def init(path):
    """Write a starter listener.toml (every key, commented) and create the database.

    Example: listener init && listener sync
    """
    target = Path(path)
    if target.exists():
        raise ListenerError(f"{target} already exists: edit it, or pass --path for a new file")
    require_folder(target, "--path")
    example = Path(__file__).with_name("config.example.toml")
    target.write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    cfg = load_config(str(target))
    open_configured_db(cfg)
    click.echo(f"wrote {target} and created {cfg['database']['path']}; set the secrets it names, "
               "then run `listener sync`")


@cli.command()
@common
@click.option("--posts", "posts_dir", type=click.Path(file_okay=False), help="folder of question files")
def sync(cfg, posts_dir):
    """Load posts/*.toml into the questions table. Bad files are reported; the rest still load.

    Says what is new, changed and waiting for approval, and the posts of the next 7 days with
    the cost on pay-per-use channels. Rules faster than [publish] min_interval_minutes are refused.

    Example: listener sync --posts posts/
    """
    db = open_configured_db(cfg)
    result = questions_mod.sync(db, posts_dir or cfg["posts"]["dir"], utcnow(), cfg)
    click.echo(display_text(questions_mod.format_sync(result, cfg)))
    for error in result.errors:
        click.echo(f"Error: {display_text(error)}", err=True)
    if result.errors:
        sys.exit(1)


@cli.command()
@common
@click.option("--channel", type=click.Choice(channel_names()), help="only this channel")
def publish(cfg, channel):
    """Plan due occurrences of approved questions and publish them (each exactly once).

    Answers lost in transit are reconciled against the account's own posts, never retried blind.

    Example: listener publish --channel reddit
    """
    db = open_configured_db(cfg)
    now = utcnow()
    planned = publish_mod.plan(db, cfg, now)
    report = publish_mod.publish_due(db, cfg, open_channels(cfg, channel), now)
    click.echo(f"planned {planned.planned}, published {len(report.published)}, unknown {len(report.unknown)}, "
               f"failed {len(report.failed)}, needs review {len(report.needs_review)}, "
               f"deferred {len(report.deferred)}, missed {planned.missed}")
    echo_messages(planned.messages + report.messages)


@cli.command()
@click.argument("publication_id", type=int)
@common
def retry(cfg, publication_id):
    """Put a failed publication back in the outbox (after checking it is not on the platform).

    Example: listener retry 12
    """
    db = open_configured_db(cfg)
    if not publish_mod.retry(db, publication_id, utcnow()):
        state = db.execute("SELECT state FROM publications WHERE id = ?", [publication_id]).fetchone()
        if state is None:
            raise ListenerError(f"no publication with id {publication_id}: see `listener status` for the failed ones")
        raise ListenerError(f"publication {publication_id} is {state[0]}, not failed: see `listener status`")
    click.echo(f"publication {publication_id} is planned again")


@cli.command()
@common
@click.option("--channel", type=click.Choice(channel_names()), help="only this channel")
@click.option("--all", "everything", is_flag=True, help="harvest every unfinished publication now, due or not")
@click.option("--time-budget", type=click.FloatRange(min=0, min_open=True),
              help="stop starting new pages after this many seconds")
def harvest(cfg, channel, everything, time_budget):
    """Fetch replies of due publications, page by page; scores each new reply as it is stored.

    Example: listener harvest --all
    """
    db = open_configured_db(cfg)
    now = utcnow()
    if everything:
        harvest_mod.make_all_due(db, now)
    report = harvest_mod.harvest_due(db, cfg, open_channels(cfg, channel), now, time_budget=time_budget)
    click.echo(f"harvested {report.publications} publication(s): {report.requests} request(s), "
               f"{report.fetched} replies fetched, {report.new} new")
    echo_messages(report.messages)


@cli.command()
@common
@click.option("--rescore", is_flag=True, help="retrain from all corrections and rescore every reply (resumes if interrupted)")
def score(cfg, rescore):
    """Score new replies; retrain the workspace model if corrections arrived, and relabel.

    Labels come from the customer-service labeller and what it learned from this workspace's
    corrections (`listener label`); replies in a language it cannot read stay unscored.

    Example: listener score --rescore
    """
    from . import scoring, workspace_model

    db = open_configured_db(cfg)
    now = utcnow()
    total = db.execute("SELECT count(*) FROM replies").fetchone()[0]
    if rescore:
        trained = workspace_model.train(db, now)
        with click.progressbar(length=total, label="rescoring", file=sys.stderr) as bar:
            done = scoring.score_replies(db, rescore=True, progress=lambda n, _: bar.update(n))
        click.echo(f"rescored {done} replies with {trained['version']} "
                   f"({trained['corrections']} correction(s) learned from)")
        return
    done = scoring.score_replies(db)
    with click.progressbar(length=total, label="relabelling", file=sys.stderr) as bar:
        trained, relabelled = scoring.refresh(db, now, progress=lambda n, _: bar.update(n))
    click.echo(f"scored {done} new replies, relabelled {relabelled}"
               + (f"; model {trained['version']} learned from {trained['corrections']} correction(s)"
                  if trained else ""))


@cli.command()
@click.argument("reply_id", type=int)
@click.argument("label", type=click.Choice(["negative", "neutral", "positive", "clear"]))
@click.option("--by", default=local_name, show_default="your OS user name", help="who made the correction")
@common
def label(cfg, reply_id, label, by):
    """Correct a reply's sentiment label; the score stays, views and the digest use the correction.

    Recorded as an event (who, when, what it replaced), like a correction in the inbox. The
    workspace model learns from it at the next `listener score` (or worker tick), then relabels
    similar replies; a correction always wins for its own reply.

    Example: listener label 42 negative --by maria
    """
    from . import inbox

    db = open_configured_db(cfg)
    event_id = inbox.act(db, reply_id, "label", label, by, utcnow())
    click.echo(f"reply {reply_id}: label {label} by {by} (event {event_id})")


@cli.command()
@click.argument("question_id")
@click.option("--by", default=local_name, show_default="your OS user name", help="who approves")
@common
def approve(cfg, question_id, by):
    """Approve a question so it gets published (a later change of its text takes it back to draft).

    Example: listener approve customer-effort --by maria
    """
    db = open_configured_db(cfg)
    questions_mod.approve(db, question_id, by, utcnow())
    click.echo(f"{question_id}: approved by {by}")


@cli.command()
@click.argument("question_id")
@common
def pause(cfg, question_id):
    """Pause a question: its planned publications are cancelled until it is approved again.

    Example: listener pause customer-effort
    """
    db = open_configured_db(cfg)
    questions_mod.set_status(db, question_id, "paused", utcnow())
    click.echo(f"{question_id}: paused")


@cli.command()
@common
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def status(cfg, as_json):
    """Publications by state, coverage, next harvests, rate limits, cost on pay-per-use channels, and per channel
    whether its credentials are set (never their values). Creates nothing.

    Example: listener status --json
    """
    db = open_configured_db(cfg, create=False)
    data = status_mod.summary(db, cfg, utcnow())
    click.echo(json.dumps(data, indent=2) if as_json else status_mod.format_status(data))


@cli.command()
@common
@click.option("--host", help="address to bind (default 127.0.0.1)")
@click.option("--port", type=PORT, help="port (default 8001)")
def serve(cfg, host, port):
    """Explore the database in Datasette with the dashboards/ configuration.

    Example: listener serve --port 8001
    """
    from .serve import serve as run_serve

    open_configured_db(cfg)
    run_serve(cfg, host=host, port=port)


@cli.command()
@click.option("--db", "db_path", default="demo.db", show_default=True, type=click.Path(dir_okay=False))
@click.option("--replies", default=300, show_default=True, type=click.IntRange(min=0),
              help="replies the fake platform produces in all (0: publish only)")
@click.option("--seed", default=1, show_default=True, help="seed for the fake replies")
@click.option("--serve/--no-serve", default=True, help="serve Datasette afterwards (default) or just summarise")
@click.option("--port", default=8001, show_default=True, type=PORT)
@click.option("--posts", "posts_dir", default="posts", show_default=True, type=click.Path(file_okay=False))
@click.option("--spike", is_flag=True, help="then a burst of complaints in the last hour: shows an alert incident")
def demo(db_path, replies, seed, serve, port, posts_dir, spike):
    """Run the whole loop offline against the fake platform, then serve Datasette.

    Starts the fake platforms (every channel) on 127.0.0.1, publishes the approved questions in
    posts/, lets the fake produce realistic replies, harvests and scores them. Running it again on the same
    file adds no duplicates.

    With --spike the fake then sends a burst of complaints to one question, and the demo shows
    the alert incident it opens and its notice.

    Example: listener demo --no-serve --db /tmp/demo.db --replies 500 --seed 7
    """
    from .demo import run_demo

    cfg = run_demo(db_path, replies=replies, seed=seed, posts_dir=posts_dir, echo=click.echo, spike=spike,
                   datasette_url=f"http://127.0.0.1:{port}")
    if serve:
        from .serve import serve as run_serve

        run_serve(cfg, port=port)


@cli.command()
@common
@click.option("--from", "start", help="first day, e.g. 2026-12-01 (UTC; default: now)")
@click.option("--days", default=14, show_default=True, type=int, help="how many days to show")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def calendar(cfg, start, days, as_json):
    """Upcoming occurrences of approved questions, per channel, in local time and UTC.

    Reads the questions table: run `listener sync` first to see changes in posts/. Drafts and
    paused questions that would post in the window are named at the end, with why.

    Example: listener calendar --from 2026-12-01 --days 31
    """
    from . import calendar as calendar_mod

    db = open_configured_db(cfg, create=False)
    first = calendar_mod.parse_from(start, utcnow())
    entries = calendar_mod.upcoming(db, cfg, first, days)
    if as_json:
        click.echo(json.dumps(entries, indent=2))
    else:
        click.echo(display_text(calendar_mod.format_calendar(entries, first, days, calendar_mod.absent(db, first, days))))


@cli.command()
@common
@click.option("--once", is_flag=True, help="run one tick and exit (for cron and tests)")
def run(cfg, once):
    """The worker: every [worker] tick_seconds sync, plan, publish, harvest and send the digest.

    One per database (a second one exits with an error). Ctrl-C or SIGTERM stops it cleanly.
    With --once, the exit code is 1 when a step failed, naming the step(s). Without a usable
    channel, publish and harvest are skipped (said once) and themes, digest and alerts still run.
    Occurrences later than [publish] missed_grace_minutes are marked missed, never burst-posted.

    Example: listener run          (or from cron: listener run --once)
    """
    from . import worker

    worker.setup_logging()
    report = worker.run(cfg, functools.partial(open_channels, required=False), once=once)
    failed = sorted({error.split(":", 1)[0] for error in report.errors}) if report else []
    if failed:  # cron alerts on a non-zero exit
        click.echo(f"Error: step(s) failed: {', '.join(failed)} (see the log above)", err=True)
    if report and report.no_channel:
        click.echo(f"Error: {NO_CHANNEL}", err=True)
    if failed or (report and report.no_channel):
        sys.exit(1)


@cli.command()
@common
@click.option("--preview", is_flag=True, help="write the HTML to --out and print the text version; sends and stores nothing")
@click.option("--send", is_flag=True, help="send the digest of --week (once: a sent week is not sent again)")
@click.option("--partial", is_flag=True, help="with --send: allow a week that is not over yet (it uses up that week)")
@click.option("--due", is_flag=True, help="send last week's digest if its [digest] weekday and hour have passed")
@click.option("--week", help="ISO week like 2026-W47, in [digest] time_zone (default: last complete week)")
@click.option("--out", type=click.Path(dir_okay=False), help="preview HTML file (default: digest-<week>.html)")
def digest(cfg, preview, send, due, week, out, partial):
    """The weekly e-mail digest: what people said to each question, as a short memo.

    Examples: listener digest --preview --week 2026-W47 --out digest.html
              listener digest --send
    """
    from . import digest as digest_mod, mail

    if sum([preview, send, due]) != 1:
        raise click.UsageError("pass one of --preview, --send or --due")
    if due and week:
        raise click.UsageError("--due picks the week itself: drop --week")
    from . import themes as themes_mod

    db = open_configured_db(cfg, create=False)
    now = utcnow()
    if due:
        themes_mod.refresh_week(db, digest_mod.due_period(cfg, now), now)  # the digest leads with themes
        click.echo(mail.send_if_due(db, cfg, now).message)
        return
    period = digest_mod.parse_week(week, cfg) if week else digest_mod.last_complete_period(cfg, now)
    if send:
        ends = parse_iso(period.end)
        if ends > now and not partial:
            raise ListenerError(f"week {period.label} is not over until {period.end}: sending now uses up its digest "
                                "with part of the week; wait, or pass --partial")
        themes_mod.refresh_week(db, period, now)
        click.echo(mail.send_period(db, cfg, period, now).message)
        return
    target = Path(out or f"digest-{period.label}.html")
    require_folder(target, "--out")
    with rolled_back(db):  # the themes as --send would store them, but a preview changes nothing stored
        themes_mod.refresh_week(db, period, now)
        built = digest_mod.build_digest(db, cfg, period)
    target.write_text(built.html_with_inline_images(), encoding="utf-8")
    click.echo(built.text)  # reply text in it is already display_text()-clean
    click.echo(f"wrote {target} (subject: {built.subject})", err=True)
    if not built.total and not week:
        current = digest_mod.period_of(now.astimezone(digest_mod.ZoneInfo(period.zone)).date(), period.zone)
        click.echo(f"no replies in {period.label}; this week so far: --week {current.label}", err=True)


@cli.group(invoke_without_command=True)
@common
@click.option("--question", "question_id", help="only this question (default: every question with replies)")
@click.option("--week", help="ISO week like 2026-W48, in [digest] time_zone (default: this week)")
@click.option("--from", "start", help="first day of a date range, e.g. 2026-11-01 (with --to)")
@click.option("--to", "end", help="last day of the range, e.g. 2026-11-14")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.pass_context
def themes(ctx, cfg, question_id, week, start, end, as_json):
    """What people said to each question, grouped into themes: computes, stores and prints them.

    \b
    Examples: listener themes --question how-easy --week 2026-W48
              listener themes --from 2026-11-01 --to 2026-11-14 --json
              listener themes rename 12 "invoice portal" --by maria
    """
    if ctx.invoked_subcommand:
        return
    from . import themes as themes_mod

    db = open_configured_db(cfg, create=False)
    now = utcnow()
    span = themes_mod.parse_span(cfg, week, start, end, now)
    if question_id:
        if not db.execute("SELECT 1 FROM questions WHERE id = ?", [question_id]).fetchone():
            raise ListenerError(f"no question {question_id!r}: run `listener sync` or see the questions table")
        ids = [question_id]
    else:
        ids = themes_mod.questions_with_replies(db, span)
    for q in ids:  # the periods a browser fix left stale come first, in order: this one may compare with them
        themes_mod.recompute_stale(db, q, now, until=span)
    results = {q: themes_mod.compute_themes(db, q, span, now) for q in ids}
    if as_json:
        out = [{"question_id": q, "period": span.key, "themes": [
            {k: v for k, v in t.items() if k != "reply_ids"} for t in found]} for q, found in results.items()]
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    if not ids:
        click.echo(f"no replies in {span.key}")
    for q, found in results.items():
        blank = len(themes_mod.period_replies(db, q, span, blank=True))
        click.echo(display_text(themes_mod.format_themes(q, span.key, found, blank)))


@themes.command("rename")
@click.argument("theme_id", type=int)
@click.argument("label")
@click.option("--by", default=local_name, show_default="your OS user name", help="who renamed it")
@common
def themes_rename(cfg, theme_id, label, by):
    """Give a theme a better name; it keeps it in every week and recompute.

    Example: listener themes rename 12 "invoice portal" --by maria
    """
    from . import inbox

    event_id = inbox.act_on_theme(open_configured_db(cfg, create=False), "rename", theme_id, label, by, utcnow())
    click.echo(f"theme {theme_id}: renamed {label!r} by {by} (event {event_id})")


@themes.command("merge")
@click.argument("source_id", type=int)
@click.argument("target_id", type=int)
@click.option("--by", default=local_name, show_default="your OS user name", help="who merged them")
@common
def themes_merge(cfg, source_id, target_id, by):
    """Put one theme's replies into another (of the same question), now and in every recompute.

    Example: listener themes merge 14 12 --by maria
    """
    from . import inbox

    event_id = inbox.act_on_theme(open_configured_db(cfg, create=False), "merge", source_id, target_id, by, utcnow())
    click.echo(f"theme {source_id}: merged into theme {target_id} by {by} (event {event_id})")


@themes.command("move")
@click.argument("reply_id", type=int)
@click.argument("theme_id", type=int)
@click.option("--by", default=local_name, show_default="your OS user name", help="who moved it")
@common
def themes_move(cfg, reply_id, theme_id, by):
    """Put one reply into another theme of its question, now and in every recompute.

    Example: listener themes move 4711 12 --by maria
    """
    from . import inbox

    event_id = inbox.act(open_configured_db(cfg, create=False), reply_id, "theme", theme_id, by, utcnow())
    click.echo(f"reply {reply_id}: moved to theme {theme_id} by {by} (event {event_id})")


@themes.command("undo")
@click.argument("fix_id", type=int)
@click.option("--by", default=local_name, show_default="your OS user name", help="who undoes it")
@common
def themes_undo(cfg, fix_id, by):
    """Stop applying a rename, merge or move (ids in the theme_fixes table).

    Example: listener themes undo 3
    """
    from . import inbox

    inbox.undo_fix(open_configured_db(cfg, create=False), fix_id, by, utcnow())
    click.echo(f"theme fix {fix_id}: undone")


@cli.group()
def users():
    """Logins for `listener serve`: LISTENER_USERS="name:role:HASH,..." (roles viewer, editor).

    Example: listener users hash
    """


@users.command("hash")
def users_hash():
    """Print the hash of a password (asked twice, on the terminal), for LISTENER_USERS.

    Example: export LISTENER_USERS="maria:editor:$(listener users hash)"
    """
    from .users import make_hash

    password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    click.echo(make_hash(password))


@users.command("list")
def users_list():
    """The configured logins and their roles (never the hashes).

    Example: listener users list
    """
    from .users import load_users

    configured = load_users()
    for user in configured.values():
        click.echo(f"{user.name}\t{user.role}")
    if not configured:
        click.echo("no logins configured: on 127.0.0.1 the local user acts; set LISTENER_USERS to add people")


@cli.group(invoke_without_command=True)
@common
@click.option("--open", "only_open", is_flag=True, help="only incidents still open")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def alerts(cfg, only_open, as_json):
    """Incidents between digests: spikes of complaints, reply volume or a theme, newest first.

    The worker checks every tick and sends one notice per incident (mail and/or webhook);
    see docs/alerts.md.

    Examples: listener alerts --open
              listener alerts test
    """
    if click.get_current_context().invoked_subcommand:
        return
    from . import alerts as alerts_mod

    db = open_configured_db(cfg, create=False)
    found = alerts_mod.incidents(db, only_open=only_open)
    click.echo(json.dumps(found, indent=2, ensure_ascii=False) if as_json
               else display_text(alerts_mod.format_incidents(found)))


@alerts.command("check")
@common
def alerts_check(cfg):
    """Detect incidents now and deliver due notices (what the worker does every tick; for cron).

    Example: listener alerts check
    """
    from . import alerts as alerts_mod, themes as themes_mod

    db = open_configured_db(cfg)
    now = utcnow()
    themes_mod.recompute_all_stale(db, now)  # theme alerts read every recent week: none left stale by a fix
    click.echo(alerts_mod.check_and_deliver(db, cfg, now) or "no change, nothing to send")


@alerts.command("test")
@common
@click.option("--via", type=click.Choice(["mail", "webhook"]), help="only this channel")
def alerts_test(cfg, via):
    """Send a test notice through the configured channels (mail, webhook); stores nothing.

    Example: listener alerts test --via webhook
    """
    from . import notify

    db = open_configured_db(cfg, create=False)
    sent = notify.send_test(db, cfg, utcnow(), only=via)
    click.echo(f"sent a test notice by {', '.join(sent)}")


@cli.command(name="questions")
@common
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def questions_command(cfg, as_json):
    """Every question (drafts and paused too): status, next occurrence per channel, replies.

    Reads the questions table (run `listener sync` first); creates nothing.

    Example: listener questions --json
    """
    from . import calendar as calendar_mod

    db = open_configured_db(cfg, create=False)
    rows = calendar_mod.question_list(db, cfg, utcnow())
    click.echo(json.dumps(rows, indent=2) if as_json else display_text(calendar_mod.format_questions(rows)))
@cli.command()
@common
@click.option("--suggest", type=int, metavar="N", help="the N unreviewed replies the model is least sure of")
@click.option("--stats", "show_stats", is_flag=True, help="corrections learned from and cross-validated agreement")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def review(cfg, suggest, show_stats, as_json):
    """Which replies to correct next, and how well the model agrees with your corrections.

    Correct the suggested replies with `listener label`; `listener score` then retrains and
    relabels, so the next suggestions are the replies it is now least sure of.

    \b
    Examples: listener review --suggest 20
              listener review --stats --json
    """
    from . import review as review_mod

    if (suggest is None) == (not show_stats):
        raise click.UsageError("pass one of --suggest N or --stats")
    if suggest is not None and suggest < 1:
        raise click.UsageError("--suggest takes a number of replies, e.g. --suggest 20")
    db = open_configured_db(cfg)
    if show_stats:
        data = review_mod.stats(db)
        click.echo(json.dumps(data, indent=2) if as_json else review_mod.format_stats(data))
        return
    rows = review_mod.suggest(db, suggest)
    click.echo(json.dumps(rows, indent=2, ensure_ascii=False) if as_json
               else display_text(review_mod.format_suggestions(rows)))
