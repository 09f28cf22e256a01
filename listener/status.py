"""What the outbox and the harvester are doing: `listener status` and the demo's summary."""

from .harvest import question_cost
from .times import iso


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
            {"id": i, "question": qid, "channel": c, "state": s, "error": e}
            for i, qid, c, s, e in q("SELECT id, question_id, channel, state, error FROM publications "
                                     "WHERE state IN ('unknown', 'failed', 'needs_review', 'missed') ORDER BY id")
        ],
        "replies": [
            {"channel": c, "replies": n, "scored": s, "negative": neg, "neutral": neu, "positive": pos,
             "deleted": d}
            for c, n, s, neg, neu, pos, d in q(
                "SELECT channel, count(*), count(compound), "
                "sum(coalesce(label_override, label) = 'negative'), sum(coalesce(label_override, label) = 'neutral'), "
                "sum(coalesce(label_override, label) = 'positive'), count(deleted_at) "
                "FROM replies GROUP BY channel ORDER BY channel")
        ],
        "rate_limits": [
            {"channel": c, "route": r, "remaining": rem, "reset_at": reset, "blocked_until": b, "note": note}
            for c, r, rem, reset, b, note in q(
                'SELECT channel, route, remaining, reset_at, blocked_until, note FROM rate_limits ORDER BY 1, 2')
        ],
        "cost": [
            {"question": qid, "x_reads": reads, "x_posts": posts, "usd": round(question_cost(db, cfg, qid), 4)}
            for qid, reads, posts in q("SELECT question_id, sum(reads), sum(posts) FROM publications "
                                       "WHERE channel = 'x' GROUP BY question_id ORDER BY question_id")
        ],
        "now": iso(now),
    }
    return out


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
        lines.append(f"  #{row['id']:<4} {row['channel']:<7} {row['question'][:38]:<38} "
                     f"{row['harvested']:>6} / {reported:<6} {row['coverage']:>5}"
                     + (f"  ({row['note']})" if row["note"] else ""))
    lines.append("sentiment:")
    for row in data["replies"]:
        total = row["replies"] or 1
        lines.append(
            f"  {row['channel']:<8} {row['replies']} replies, {row['scored']} scored: "
            f"{row['negative'] / total:.0%} negative, {row['neutral'] / total:.0%} neutral, "
            f"{row['positive'] / total:.0%} positive" + (f", {row['deleted']} deleted" if row["deleted"] else ""))
    if data["needs_attention"]:
        lines.append("needs attention:")
        for row in data["needs_attention"]:
            lines.append(f"  #{row['id']} {row['channel']} {row['question']}: {row['state']} - {row['error']}")
    return "\n".join(lines)


def format_status(data):
    """`listener status`: the summary plus next harvests, rate limits and cost."""
    lines = [format_summary(data), "next harvests:"]
    upcoming = [r for r in data["coverage"] if not r["done"]]
    for row in upcoming:
        lines.append(f"  #{row['id']:<4} {row['channel']:<7} {row['question'][:38]:<38} at {row['next_harvest_at']}")
    if not upcoming:
        lines.append("  none (all finished)")
    lines.append("rate limits:")
    for row in data["rate_limits"]:
        state = f"blocked until {row['blocked_until']} ({row['note']})" if row["blocked_until"] else \
            f"{row['remaining']} left, resets {row['reset_at']}"
        lines.append(f"  {row['channel']:<8} {row['route']:<24} {state}")
    if not data["rate_limits"]:
        lines.append("  none seen yet")
    lines.append("X cost (estimated):")
    for row in data["cost"]:
        lines.append(f"  {row['question'][:40]:<40} {row['x_reads']} reads, {row['x_posts']} posts, ${row['usd']:.3f}")
    if not data["cost"]:
        lines.append("  nothing spent")
    return "\n".join(lines)
