"""Mastodon's and Bluesky's own quirks, through their real client libraries against the fake."""

import os
import stat

import pytest

from listener.channels import open_channel
from listener.channels.bluesky import grapheme_length
from listener.channels.mastodon import mastodon_length, plain_text
from listener.errors import QuestionError
from listener.questions import parse_question
from conftest import write_question


def test_mastodon_html_becomes_the_words_as_written():
    content = ('<p><span class="h-card" translate="no"><a href="https://fake.social/@brand" class="u-url mention">'
               '@<span>brand</span></a></span> It&#39;s fine &amp; <a href="https://example.com/a/long/path" '
               'rel="nofollow noopener" target="_blank"><span class="invisible">https://</span>'
               '<span class="ellipsis">example.com/a/lo</span><span class="invisible">ng/path</span></a>'
               '<br />second line</p><p>ask <span class="h-card"><a href="https://x.y/@sam" class="u-url mention">'
               '@<span>sam</span></a></span></p>')
    assert plain_text(content, is_reply=True) == ("It's fine & https://example.com/a/long/path\nsecond line"
                                                  "\n\nask @sam")


def test_lengths_are_counted_the_platforms_way():
    assert mastodon_length("see https://example.com/" + "a" * 100) == 4 + 23
    assert grapheme_length("👩‍💻 café") == 6
    assert grapheme_length("👍🏽") == 1


def test_question_too_long_for_bluesky_names_the_fix(tmp_path):
    write_question(tmp_path, "long", text="word " * 70, at="2026-12-01T09:00", channels=["bluesky"])
    with pytest.raises(QuestionError, match=r"long.toml: text: .* over Bluesky's 300.*\[bluesky\] text"):
        parse_question(tmp_path / "long.toml")
    write_question(tmp_path, "ok", text="word " * 70, at="2026-12-01T09:00", channels=["bluesky"], bluesky={"text": "Short?"})
    assert parse_question(tmp_path / "ok.toml")


def test_mastodon_retries_a_lost_answer_with_the_same_key(cfg, control):
    mastodon = open_channel("mastodon", cfg)
    control.fault("mastodon.create", "lost")
    posted = mastodon.publish("What should we fix first?", key="k-1")
    assert [p["id"] for p in control.posts("mastodon")] == [posted.remote_id]
    assert int(posted.remote_id) > 2**53  # ids above 2^53 stay strings


def test_mastodon_replies_keep_their_html(cfg, db, control):
    mastodon = open_channel("mastodon", cfg)
    posted = mastodon.publish("Tell us <anything> & more")
    control.add_replies("mastodon", posted.remote_id, replies=[{"text": "It's <b>great</b> & fast", "author": "a"}])
    [record] = mastodon.fetch_replies(posted.remote_id).replies
    assert record.text == "It's <b>great</b> & fast"
    assert "&#39;" in record.html and "&lt;b&gt;" in record.html and "h-card" in record.html


def test_bluesky_session_is_reused_across_runs_and_private(cfg, fake):
    first = open_channel("bluesky", cfg)
    first.publish("First question?")
    second = open_channel("bluesky", cfg)  # a later run: no new login
    second.publish("Second question?")
    assert fake.platform.plugins["bluesky"].sessions_created == 1
    path = cfg["database"]["path"] + ".bluesky-session"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    secret = open(path, encoding="utf-8").read()
    db_bytes = open(cfg["database"]["path"], "rb").read() if os.path.exists(cfg["database"]["path"]) else b""
    assert secret.split(":::")[-1].encode() not in db_bytes


def test_bluesky_logs_in_again_when_the_saved_session_is_dead(cfg, fake):
    open_channel("bluesky", cfg).publish("First question?")
    fake.platform.plugins["bluesky"].sessions.clear()  # the server forgot every token
    with pytest.raises(Exception):
        open_channel("bluesky", cfg).publish("Second question?")  # refused once: the file is dropped
    open_channel("bluesky", cfg).publish("Third question?")
    assert fake.platform.plugins["bluesky"].sessions_created == 2


def test_a_mastodon_thread_beyond_the_context_limit_is_reported(cfg, fake, control, monkeypatch):
    import listener.channels.mastodon as mastodon_mod

    monkeypatch.setattr(mastodon_mod, "CONTEXT_LIMIT", 5)  # the real limit is 4,096: same rule, smaller
    fake.platform.plugins["mastodon"].context_limit = 5
    mastodon = open_channel("mastodon", cfg)
    posted = mastodon.publish("What should we fix first?")
    control.add_replies("mastodon", posted.remote_id, count=8, seed=1)
    page = mastodon.fetch_replies(posted.remote_id)
    assert len(page.replies) == 5 and page.cursor is None
    assert any("at most 5 replies" in note for note in page.notes)
