"""What the outbox and the harvester are doing: `listener status` and the demo's summary."""

from datetime import timedelta

from .channels import channel_classes, display_name
from .inbox import counts as inbox_counts
from .times import iso, parse_iso


def summary(db, cfg, now):
    """A dict of plain numbers and rows, for text output or --json."""
    q = lambda sql, *args: db.execute(sql, args).fetchall()  # noqa: E731
    out = {
        "questions": dict(q("SELECT status, count(*) FROM questions WHERE deleted_at IS NULL GROUP BY status")),
        "publications": [
            {"channel": c, "state": s, "count": n}
            for c, s, n in q("SELECT channel, state, count(*) FROM publications GROUP BY channel, state "
                             "ORDER BY channel, state")
        ],
        "coverage": [
            {"id": i, "question": qid, "channel": c, "harvested": h, "reported": r,
             "coverage": coverage_text(h, r), "note": note, "next_harvest_at": nxt, "done": bool(done)}
            for i, qid, c, h, r, note, nxt, done in q(
                "SELECT id, question_id, channel, harvested_reply_count, reported_reply_count, coverage_note, "
                "next_harvest_at, harvest_done_at FROM publications WHERE state = 'published' ORDER BY id")
        ],
        "needs_attention": [
            {"id": i, "question": qid, "channel": c, "state": s, "error": e,
             "next_step": next_step(i, s, claimed, cfg)}
            for i, qid, c, s, e, claimed in q(
                "SELECT id, question_id, channel, state, error, claimed_at FROM publications "
                "WHERE state IN ('unknown', 'failed', 'needs_review', 'missed', 'publishing') ORDER BY id")
        ],
        "outbox": [
            {"id": i, "question": qid, "channel": c, "occurrence_at": at, "retry_at": retry, "note": e}
            for i, qid, c, at, retry, e in q(
                "SELECT id, question_id, channel, occurrence_at, retry_at, error FROM publications "
                "WHERE state = 'planned' ORDER BY coalesce(retry_at, occurrence_at), id LIMIT 20")
        ],
        "last_harvest_errors": [
            {"publication": p, "at": at, "status": st, "error": e}
            for p, at, st, e in q(
                "SELECT publication_id, started_at, status, error FROM harvest_runs r WHERE id = "
                "(SELECT max(id) FROM harvest_runs WHERE publication_id = r.publication_id) "
                "AND status NOT IN ('ok', 'running') ORDER BY publication_id")
        ],
        "replies": [
            {"channel": c, "replies": n, "scored": s, "negative": neg, "neutral": neu, "positive": pos,
             "unscored": uns, "deleted": d}
            for c, n, s, neg, neu, pos, uns, d in q(
                "SELECT channel, count(*), count(compound), "
                "sum(coalesce(label_override, label) = 'negative'), sum(coalesce(label_override, label) = 'neutral'), "
                "sum(coalesce(label_override, label) = 'positive'), "
                "sum(coalesce(label_override, label) IS NULL AND compound IS NOT NULL), count(deleted_at) "
                "FROM replies GROUP BY channel ORDER BY channel")
        ],
        "rate_limits": [
            {"channel": c, "route": r, "remaining": rem, "reset_at": reset, "blocked_until": b, "note": note}
            for c, r, rem, reset, b, note in q(
                'SELECT channel, route, remaining, reset_at, blocked_until, note FROM rate_limits ORDER BY 1, 2')
        ],
        "cost": cost_rows(db, cfg),
        "inbox": {**inbox_counts(db), "corrected": q("SELECT count(*) FROM replies WHERE label_override IS NOT NULL")[0][0],
                  "assigned": q("SELECT count(*) FROM reply_triage WHERE assignee IS NOT NULL")[0][0]},
        "credentials": credentials(cfg),
        "budget_per_question_usd": cfg["cost"]["budget_per_question_usd"],
        "now": iso(now),
    }
    return out


def cost_rows(db, cfg):
    """Per question and pay-per-use channel: posts read and made, and their estimated price."""
    classes = channel_classes()
    return [{"question": qid, "channel": name, "reads": reads, "posts": posts,
             "usd": round(classes[name].cost(cfg, reads, posts), 4)}
            for qid, name, reads, posts in db.execute(
                "SELECT question_id, channel, sum(reads), sum(posts) FROM publications "
                "GROUP BY question_id, channel ORDER BY question_id, channel")
            if name in classes and classes[name].billable]


def credentials(cfg):
    """Per enabled channel: are its secrets set? Names the missing variables, never a value."""
    out = {}
    for channel, cls in channel_classes().items():
        if cfg[channel]["enabled"]:
            missing = [env for key, env in cls.secrets.items() if not cfg.secret(channel, key)]
            out[channel] = {"set": not missing, "missing": missing}
    return out


def blocked(channel, credentials):
    """Why a planned post cannot go out from here, or None: its channel is disabled or lacks secrets."""
    if channel not in credentials:
        return f"will not post: [{channel}] enabled = false"
    if not credentials[channel]["set"]:
        return f"will not post: {', '.join(credentials[channel]['missing'])} not set"
    return None


def next_step(pub_id, state, claimed_at, cfg):
    """What happens to a publication that needs attention, or what to do about it."""
    if state == "unknown":
        window = timedelta(minutes=cfg["publish"]["reconcile_window_minutes"])
        until = iso(parse_iso(claimed_at) + window) if claimed_at else "the window ends"
        return f"looked for among the account's own posts by each `listener publish` until {until}"
    if state == "failed":
        return f"not on the platform: `listener retry {pub_id}` posts it again"
    if state == "needs_review":
        return "check the account on the platform; nothing is posted again automatically"
    if state == "publishing":
        return "being posted (a dead process's claim is reconciled by the next `listener publish`)"
    return "not posted: the worker was down past the grace period"


def coverage_text(harvested, reported):
    if not reported:
        return "n/a" if reported is None else ("100%" if not harvested else "100%+")
    share = harvested / reported
    return f"{min(share, 1):.0%}" + ("+" if share > 1 else "")


def format_summary(data):
    lines = []
    questions = data["questions"]
    lines.append("questions: " + (", ".join(f"{n} {s}" for s, n in sorted(questions.items())) or "none"))
    lines.append("publications:")
    for row in data["publications"] or [{"channel": "-", "state": "none", "count": 0}]:
        lines.append(f"  {row['channel']:<8} {row['state']:<13} {row['count']}")
    lines.append("replies (harvested / reported by the platform):")
    for row in data["coverage"]:
        reported = "?" if row["reported"] is None else row["reported"]
        lines.append(f"  #{row['id']:<4} {row['channel']:<8} {row['question'][:38]:<38} "
                     f"{row['harvested']:>6} / {reported:<6} {row['coverage']:>5}"
                     + (f"  ({row['note']})" if row["note"] else ""))
    lines.append("sentiment:")
    for row in data["replies"]:
        # shares of the labelled replies; unscored ones (a language the labeller cannot read) apart
        total = (row["negative"] + row["neutral"] + row["positive"]) or 1
        lines.append(
            f"  {row['channel']:<8} {row['replies']} replies"
            + (f" ({row['replies'] - row['scored']} not scored yet)" if row["scored"] < row["replies"] else "") + ": "
            f"{row['negative'] / total:.0%} negative, {row['neutral'] / total:.0%} neutral, "
            f"{row['positive'] / total:.0%} positive" + (f", {row['unscored']} unscored" if row["unscored"] else "")
            + (f", {row['deleted']} deleted" if row["deleted"] else ""))
    box = data["inbox"]
    lines.append(f"inbox: {box['open']} open, {box['handled']} handled, {box['follow_up']} follow-up, "
                 f"{box['ignored']} ignored; {box['assigned']} assigned, {box['corrected']} label(s) corrected")
    if data["needs_attention"]:
        lines.append("needs attention:")
        for row in data["needs_attention"]:
            lines.append(f"  #{row['id']} {row['channel']} {row['question']}: {row['state']} - {row['error']}")
            if row.get("next_step"):
                lines.append(f"      {row['next_step']}")
    return "\n".join(lines)


def coverage_totals(data):
    """Per channel: harvested / reported over publications whose platform count is known."""
    totals = {}
    for row in data["coverage"]:
        harvested, reported = totals.get(row["channel"], (0, 0))
        if row["reported"] is not None:
            totals[row["channel"]] = (harvested + row["harvested"], reported + row["reported"])
    return totals


def when(text, now):
    """'2026-11-25T12:00:00Z (in 14m)' / '(due)'."""
    if not text:
        return "-"
    seconds = (parse_iso(text) - parse_iso(now)).total_seconds()
    if seconds <= 0:
        return f"{text} (due)"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{text} (in {seconds / size:.0f}{unit})"
    return f"{text} (in {seconds:.0f}s)"


def format_status(data):
    """`listener status`: the summary plus next harvests, rate limits and cost."""
    now = data["now"]
    lines = [format_summary(data)]
    lines.append("credentials:")
    for channel, state in data["credentials"].items():
        lines.append(f"  {channel:<8} " + ("set" if state["set"] else f"missing {', '.join(state['missing'])}: "
                                            "export them (see README)"))
    for channel, (harvested, reported) in sorted(coverage_totals(data).items()):
        lines.append(f"coverage {channel}: {harvested} / {reported} replies, {coverage_text(harvested, reported)}")
    if data.get("outbox"):
        lines.append("outbox (planned):")
        for row in data["outbox"]:
            at = when(row["retry_at"] or row["occurrence_at"], now)
            note = blocked(row["channel"], data["credentials"]) or row["note"]
            lines.append(f"  #{row['id']:<4} {row['channel']:<8} {row['question'][:38]:<38} at {at}"
                         + (f"  ({note})" if note else ""))
    lines.append("next harvests:")
    upcoming = [r for r in data["coverage"] if not r["done"]]
    for row in sorted(upcoming, key=lambda r: r["next_harvest_at"] or ""):
        lines.append(f"  #{row['id']:<4} {row['channel']:<8} {row['question'][:38]:<38} at "
                     f"{when(row['next_harvest_at'], now)}")
    if not upcoming:
        lines.append("  none (all finished)")
    for row in data.get("last_harvest_errors", []):
        lines.append(f"  #{row['publication']} last run {row['status']} at {row['at']}: {row['error']}")
    lines.append("rate limits:")
    for row in data["rate_limits"]:
        if row["blocked_until"]:
            state = f"blocked until {when(row['blocked_until'], now)} ({row['note']})"
        else:
            remaining = "?" if row["remaining"] is None else f"{row['remaining']:g}"
            state = f"{remaining} left, resets {when(row['reset_at'], now)}"
        lines.append(f"  {row['channel']:<8} {row['route']:<24} {state}")
    if not data["rate_limits"]:
        lines.append("  none seen yet")
    budget = data.get("budget_per_question_usd") or 0
    lines.append("cost of pay-per-use channels (estimated; reads are the posts read by harvests and by reconciles)"
                 + (f", budget ${budget:.2f} per question:" if budget else ":"))
    for row in data["cost"]:
        spent = f" ({row['usd'] / budget:.0%} of budget)" if budget else ""
        lines.append(f"  {row['question'][:40]:<40} {display_name(row['channel']):<8} {row['reads']} reads, "
                     f"{row['posts']} posts, ${row['usd']:.3f}{spent}")
    if data["cost"]:
        lines.append(f"  {'total':<40} ${sum(r['usd'] for r in data['cost']):.3f}")
    else:
        lines.append("  nothing spent")
    return "\n".join(lines)
