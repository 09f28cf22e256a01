"""People's actions on replies (correct the label, set a status, assign, note, move theme) and on
themes (rename, merge), and undo.

Every action is one transaction that changes the current state (replies.label_override through
scoring.set_label, or reply_triage) and writes an `events` row saying who, when, what it set and
what it replaced. Undo puts back what an event replaced and marks the event undone. The CLI and
the inbox page (dashboards/plugins/inbox.py) call these same functions.
"""

import json

from .db import transaction
from .errors import ListenerError
from .times import iso, parse_iso
from .weeks import is_other

STATUSES = ("handled", "follow_up", "ignored")
ACTIONS = ("label", "status", "assign", "note", "theme")
THEME_ACTIONS = ("rename", "merge")  # on a theme, from a question's page: events theme_rename, theme_merge
MAX_NOTE = 2000


def act(db, reply_id, action, value, by, now, periods=None):
    """Do `action` (one of ACTIONS) with `value` on a reply as `by`; returns the event id.

    A move to another theme recomputes the question's themes after the action's transaction: all of
    them (periods=None), or only `periods` at once and the rest later (themes.after_fix).
    """
    if action not in ACTIONS:
        raise ListenerError(f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")
    require_actor(by)
    with transaction(db):
        if not db.execute("SELECT 1 FROM replies WHERE id = ?", [reply_id]).fetchone():
            raise ListenerError(f"no reply with id {reply_id}: find ids in the inbox or the replies table")
        payload = DO[action](db, reply_id, value, by, now)
        event_id = record_event(db, by, now, action, reply_id, payload)
    if action == "theme":
        catch_up(db, payload["fix"], now, periods)
    return event_id


def require_actor(by):
    if not (by or "").strip():
        raise ListenerError("who acts is not known: log in, or pass --by NAME")


def catch_up(db, fix_id, now, periods=None):
    """Recompute the themes of the fix's question once the fix is committed (themes.after_fix)."""
    question_id = db.execute("SELECT question_id FROM theme_fixes WHERE id = ?", [fix_id]).fetchone()[0]
    themes_module().after_fix(db, question_id, now, periods)


def record_event(db, who, now, action, reply_id, payload):
    """One events row; call inside the transaction that made the change."""
    cursor = db.execute("INSERT INTO events (at, who, action, reply_id, payload) VALUES (?, ?, ?, ?, ?)",
                        [iso(now), who, action, reply_id, json.dumps(payload, ensure_ascii=False)])
    return cursor.lastrowid


def undo(db, by, now, event_id=None, periods=None):
    """Undo `event_id`, or else `by`'s latest action not yet undone; returns the event undone (a dict).

    Undoing a theme fix recomputes themes as `act` does (`periods`: see themes.after_fix)."""
    with transaction(db):
        if event_id is None:
            event_id = latest_event_id(db, by)
            if event_id is None:
                raise ListenerError(f"{by} has nothing left to undo")
        event = get_event(db, event_id)
        if event is None:
            raise ListenerError(f"no event {event_id}: see the events table")
        if event["undone_at"]:
            raise ListenerError(f"event {event_id} was already undone by {event['undone_by']}")
        later = db.execute("SELECT id, who FROM events WHERE reply_id = ? AND action = ? AND id > ? "
                           "AND undone_at IS NULL AND action != 'note' ORDER BY id DESC LIMIT 1",
                           [event["reply_id"], event["action"], event_id]).fetchone()
        if later:
            raise ListenerError(f"reply {event['reply_id']} was changed again by {later[1]} (event {later[0]}): "
                                "undo that first")
        fix = UNDO[event["action"]](db, event, by, now)
        db.execute("UPDATE events SET undone_at = ?, undone_by = ? WHERE id = ?", [iso(now), by, event_id])
    if fix:
        catch_up(db, fix, now, periods)
    return {**event, "undone_at": iso(now), "undone_by": by}


def latest_event_id(db, by):
    row = db.execute("SELECT id FROM events WHERE who = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1",
                     [by]).fetchone()
    return row[0] if row else None


def get_event(db, event_id):
    row = db.execute("SELECT id, at, who, action, reply_id, payload, undone_at, undone_by FROM events WHERE id = ?",
                     [event_id]).fetchone()
    if row is None:
        return None
    keys = ("id", "at", "who", "action", "reply_id", "payload", "undone_at", "undone_by")
    event = dict(zip(keys, row))
    event["payload"] = json.loads(event["payload"])
    return event


def triage(db, reply_id):
    """The reply's current status (None = open), assignee and note count."""
    row = db.execute("SELECT status, assignee, notes, last_note FROM reply_triage WHERE reply_id = ?",
                     [reply_id]).fetchone()
    return dict(zip(("status", "assignee", "notes", "last_note"), row or (None, None, 0, None)))


# -- the actions: each changes the state and returns the event's payload ---------------------------

def do_label(db, reply_id, label, by, now):
    from . import scoring  # (when needed: importing it compiles the labeller's cues, which status need not wait for)

    before = db.execute("SELECT label_override, label_override_by, label_override_at FROM replies WHERE id = ?",
                        [reply_id]).fetchone()
    if label == "clear" and before[0] is None:
        raise ListenerError(f"reply {reply_id} has no correction to clear (its label is the labeller's): "
                            "nothing was recorded")
    scoring.set_label(db, reply_id, label, by, now)
    return {"label": label, "before": {"label": before[0], "by": before[1], "at": before[2]}}


def undo_label(db, event, by, now):
    from . import scoring

    before = event["payload"]["before"]
    if before["label"] is None:
        scoring.set_label(db, event["reply_id"], "clear", by, now)
    else:
        scoring.set_label(db, event["reply_id"], before["label"], before["by"], parse_iso(before["at"]))


def do_status(db, reply_id, status, by, now):
    status = None if status in (None, "", "open") else status
    if status is not None and status not in STATUSES:
        raise ListenerError(f"status must be one of {', '.join(STATUSES)} or open")
    before = triage(db, reply_id)["status"]
    set_triage(db, reply_id, by, now, status=status)
    return {"status": status, "before": before}


def undo_status(db, event, by, now):
    set_triage(db, event["reply_id"], by, now, status=event["payload"]["before"])


def do_assign(db, reply_id, assignee, by, now):
    assignee = (assignee or "").strip() or None
    before = triage(db, reply_id)["assignee"]
    set_triage(db, reply_id, by, now, assignee=assignee)
    return {"assignee": assignee, "before": before}


def undo_assign(db, event, by, now):
    set_triage(db, event["reply_id"], by, now, assignee=event["payload"]["before"])


def do_note(db, reply_id, text, by, now):
    text = (text or "").strip()
    if not text:
        raise ListenerError("the note is empty: write what the team should know")
    if len(text) > MAX_NOTE:
        raise ListenerError(f"the note is {len(text)} characters long: keep it under {MAX_NOTE}")
    before = triage(db, reply_id)
    set_triage(db, reply_id, by, now, notes=before["notes"] + 1, last_note=text)
    return {"note": text, "before": before["last_note"]}


def undo_note(db, event, by, now):
    latest = db.execute("SELECT payload FROM events WHERE reply_id = ? AND action = 'note' AND id != ? "
                        "AND undone_at IS NULL ORDER BY id DESC LIMIT 1",
                        [event["reply_id"], event["id"]]).fetchone()
    notes = triage(db, event["reply_id"])["notes"]
    set_triage(db, event["reply_id"], by, now, notes=max(notes - 1, 0),
               last_note=json.loads(latest[0])["note"] if latest else None)


def do_theme(db, reply_id, theme_id, by, now):
    if not str(theme_id).isdigit():
        raise ListenerError(f"a theme is given by its id, not {theme_id!r}: pick one in the reply's theme list")
    themes = themes_module()
    before = [row[0] for row in db.execute("SELECT theme_id FROM reply_themes WHERE reply_id = ? ORDER BY theme_id",
                                           [reply_id]).fetchall()]
    fix = themes.move_reply(db, reply_id, int(theme_id), by, now, recompute=False)
    return {"theme": int(theme_id), "before": before, "fix": fix}


def undo_theme(db, event, by, now):
    before = event["payload"]["before"]
    if not before:
        raise ListenerError(f"reply {event['reply_id']} had no theme before: move it to the right theme instead")
    return themes_module().move_reply(db, event["reply_id"], before[0], by, now, recompute=False)


def themes_module():
    try:
        from . import themes
    except ImportError:
        raise ListenerError("themes are not available in this version: update listener") from None
    return themes


def set_triage(db, reply_id, by, now, **changes):
    """Upsert the reply's reply_triage row with `changes` (status, assignee, notes, last_note)."""
    current = triage(db, reply_id)
    current.update(changes)
    db.execute(
        "INSERT INTO reply_triage (reply_id, status, assignee, notes, last_note, updated_at, updated_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(reply_id) DO UPDATE SET status = excluded.status, "
        "assignee = excluded.assignee, notes = excluded.notes, last_note = excluded.last_note, "
        "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        [reply_id, current["status"], current["assignee"], current["notes"], current["last_note"], iso(now), by])


# -- actions on a theme (the browser and `listener themes rename|merge`): a theme_fixes row and an event

def act_on_theme(db, action, theme_id, value, by, now, question_id=None, periods=None):
    """Rename a theme (`value`: the label) or merge it into another (`value`: the target's id) as `by`.

    The fix is made by listener.themes, so it survives every recompute as one from the command
    line; the event (no reply) keeps the fix's id for undo. `question_id`, when given, is the
    question the person saw: a theme of another one is refused. A merge recomputes the themes after
    the transaction (`periods`: see themes.after_fix). Returns the event id.
    """
    if action not in THEME_ACTIONS:
        raise ListenerError(f"unknown theme action {action!r}: use one of {', '.join(THEME_ACTIONS)}")
    require_actor(by)
    themes = themes_module()
    with transaction(db):
        theme_id = theme_number(theme_id, "a theme")
        question, key, label, _ = fixable_theme(db, themes, theme_id, question_id)
        if action == "rename":
            fix = themes.rename_theme(db, theme_id, value, by, now)
            payload = {"theme": theme_id, "question": question, "key": key, "before": label,
                       "label": db.execute("SELECT label FROM theme_fixes WHERE id = ?", [fix]).fetchone()[0]}
        else:
            target_id = theme_number(value, "a theme to merge into")
            target = fixable_theme(db, themes, target_id, question)
            fix = themes.merge_themes(db, theme_id, target_id, by, now, recompute=False)
            payload = {"theme": theme_id, "question": question, "key": key, "label": label,
                       "into": target_id, "into_key": target[1], "into_label": target[2]}
        event_id = record_event(db, by, now, f"theme_{action}", None, {**payload, "fix": fix})
    if action == "merge":
        catch_up(db, fix, now, periods)
    return event_id


def theme_number(value, what):
    text = str(value or "").strip()
    if not text:
        raise ListenerError(f"pick {what} in the question's theme list first")
    if not text.isdigit() or len(text) > 18:
        raise ListenerError(f"{what} is given by its id, not {text!r}: pick it in the question's theme list")
    return int(text)


def fixable_theme(db, themes, theme_id, question_id):
    """The theme's (question_id, key, label, language), refused when it is 'other' or not of the question."""
    row = themes.theme_row(db, theme_id)
    if question_id is not None and row[0] != question_id:
        raise ListenerError(f"theme {theme_id} belongs to {row[0]}, not {question_id}: pick a theme of "
                            f"{question_id} (in the browser, reload the question's page)")
    if is_other(row[1]):
        raise ListenerError(f"theme {theme_id} is 'other', the replies that fit no theme: move single replies "
                            "out of it instead (in the inbox, or `listener themes move REPLY_ID THEME_ID`)")
    return row


def undo_fix(db, fix_id, by, now):
    """Stop applying a theme fix by its id (`listener themes undo`); the event that made it, if any,
    is marked undone with it, so nobody's undo stack offers it again."""
    with transaction(db):
        themes_module().undo_fix(db, fix_id, now, recompute=False)
        db.execute("UPDATE events SET undone_at = ?, undone_by = ? WHERE undone_at IS NULL "
                   "AND action IN ('theme', 'theme_rename', 'theme_merge') AND json_extract(payload, '$.fix') = ?",
                   [iso(now), by, fix_id])
    catch_up(db, fix_id, now)


def undo_theme_fix(db, event, by, now):
    """Stop applying the event's fix; nothing to do when it was undone already (`listener themes undo`).
    Returns the fix when the themes are to be recomputed."""
    fix = event["payload"]["fix"]
    if db.execute("SELECT 1 FROM theme_fixes WHERE id = ? AND undone_at IS NULL", [fix]).fetchone():
        themes_module().undo_fix(db, fix, now, recompute=False)
        return fix
    return None


def event_periods(db, event):
    """Where a theme event shows: the periods of its reply (a move), or the period of the theme it
    merged into (the one on the page where it was made)."""
    themes = themes_module()
    if event["reply_id"]:
        return themes.periods_of_reply(db, event["reply_id"])
    theme = event["payload"].get("into") or event["payload"].get("theme")
    row = db.execute("SELECT period FROM themes WHERE id = ?", [theme]).fetchone() if theme else None
    return [row[0]] if row else []


def describe(event):
    """What an event did, in a few words: 'status on reply 12', 'rename of theme 7 to “refund delay”'."""
    payload = event["payload"]
    if event["action"] == "theme_rename":
        return f"rename of theme {payload['theme']} to “{payload['label']}”"
    if event["action"] == "theme_merge":
        return f"merge of “{payload['label']}” into “{payload['into_label']}”"
    return f"{event['action']} on reply {event['reply_id']}"


def latest_event(db, by):
    """`by`'s latest action not yet undone (what undo would undo), or None."""
    event_id = latest_event_id(db, by)
    return None if event_id is None else get_event(db, event_id)


DO = {"label": do_label, "status": do_status, "assign": do_assign, "note": do_note, "theme": do_theme}
UNDO = {"label": undo_label, "status": undo_status, "assign": undo_assign, "note": undo_note, "theme": undo_theme,
        "theme_rename": undo_theme_fix, "theme_merge": undo_theme_fix}


def counts(db):
    """Replies by triage status (open = live replies nobody has handled, followed up or ignored)."""
    live = db.execute("SELECT coalesce(sum(replies), 0) FROM reply_daily").fetchone()[0]
    by_status = dict(db.execute("SELECT status, count(*) FROM reply_triage t JOIN replies r ON r.id = t.reply_id "
                                "WHERE t.status IS NOT NULL AND r.deleted_at IS NULL GROUP BY status").fetchall())
    return {"open": live - sum(by_status.values()), **{s: by_status.get(s, 0) for s in STATUSES}}
