"""Each channel adapter with its real client library against the fake platform, and the pure
JSON -> record functions without a client."""

import json

import pytest

from listener.channels import open_channel
from listener.channels.reddit import comment_record, rate_limit_from_headers as reddit_limits
from listener.channels.x import reply_records, rate_limit_from_headers as x_limits, search_query
from listener.errors import OutcomeUnknown, RateLimited, Unreachable


def walk(channel, remote_id):
    cursor, records, pages = None, [], 0
    while True:
        page = channel.fetch_replies(remote_id, cursor)
        records += page.replies
        pages += 1
        cursor = page.cursor
        if cursor is None:
            return records, pages


def test_x_publish_harvest_count_reconcile(cfg, control):
    x = open_channel("x", cfg)
    posted = x.publish("How easy are we to do business with?")
    assert len(posted.remote_id) == 19 and posted.remote_id.isdigit()
    ids = control.add_replies("x", posted.remote_id, count=230, seed=4)
    nested = control.add_replies("x", posted.remote_id, replies=[
        {"text": "reply to a reply", "author": "sam", "parent": ids[0]}])
    records, pages = walk(x, posted.remote_id)
    assert pages == 3  # 231 replies at 100 per page
    assert sorted(r.remote_id for r in records) == sorted(ids + nested)
    by_id = {r.remote_id: r for r in records}
    assert by_id[nested[0]].parent_remote_id == ids[0]
    assert by_id[ids[0]].parent_remote_id in (posted.remote_id, *ids)
    assert all(r.author and r.created_at.endswith("Z") for r in records)
    assert x.reported_reply_count(posted.remote_id) == 231
    assert [p.remote_id for p in x.find_own_post("How easy are we to do business with?")] == [posted.remote_id]
    assert x.rate_limits["tweets/search/recent"].remaining == 297


def test_x_duplicate_content_is_unknown_not_retried(cfg, control):
    x = open_channel("x", cfg)
    x.publish("Same words")
    with pytest.raises(OutcomeUnknown):
        x.publish("Same words")
    assert len(control.posts("x")) == 1


def test_x_rate_limit_raises_with_reset(cfg, control):
    x = open_channel("x", cfg)
    posted = x.publish("Q?")
    control.fault("x.search", "429", reset=120)
    with pytest.raises(RateLimited) as caught:
        x.fetch_replies(posted.remote_id)
    assert caught.value.reset_at > 0


def test_reddit_publish_harvest_nested_and_more(cfg, control):
    reddit = open_channel("reddit", cfg)
    posted = reddit.publish("Tell us: how easy are we to do business with?", title="How easy are we?")
    assert 6 <= len(posted.remote_id) <= 8 and posted.remote_id.isalnum()
    ids = control.add_replies("reddit", posted.remote_id, count=700, seed=9)
    # a chain deeper than Reddit's 10 levels needs "continue this thread"
    parent, chain = ids[0], []
    for depth in range(14):
        parent = control.add_replies("reddit", posted.remote_id, replies=[
            {"text": f"level {depth}", "author": "deep", "parent": parent}])[0]
        chain.append(parent)
    records, pages = walk(reddit, posted.remote_id)
    assert pages > 2  # `more` stubs were expanded page by page
    got = [r.remote_id for r in records]
    assert len(got) == len(set(got)) == 714
    assert set(got) == set(ids + chain)
    by_id = {r.remote_id: r for r in records}
    assert by_id[chain[-1]].depth > 11
    assert reddit.reported_reply_count(posted.remote_id) == 714
    found = reddit.find_own_post("Tell us: how easy are we to do business with?", title="How easy are we?",
                                 target="listeningposts")
    assert [p.remote_id for p in found] == [posted.remote_id]


def test_reddit_submit_5xx_is_unknown_and_posted_once(cfg, control):
    reddit = open_channel("reddit", cfg)
    control.fault("reddit.submit", "lost_500")
    with pytest.raises(OutcomeUnknown):
        reddit.publish("Once only?", title="Once only?")
    assert len(control.posts("reddit")) == 1  # prawcore's retry on 5xx is off


def test_unreachable_is_a_channel_error(cfg):
    cfg["x"]["base_url"] = "http://127.0.0.1:9"
    x = open_channel("x", cfg)
    with pytest.raises(Unreachable, match="cannot reach X"):
        x.fetch_replies("1")
    with pytest.raises(Unreachable):
        x.publish("Nothing is sent")


def test_x_pure_functions():
    payload = {
        "data": [
            {"id": "1860000000000000002", "text": "Great <b>service</b>", "author_id": "7",
             "created_at": "2026-11-24T09:00:00.123Z", "conversation_id": "1860000000000000000",
             "referenced_tweets": [{"type": "replied_to", "id": "1860000000000000001"}],
             "public_metrics": {"like_count": 3}, "edit_history_tweet_ids": ["1860000000000000002"]},
            {"id": "1860000000000000000", "text": "the question itself", "edit_history_tweet_ids": []},
        ],
        "includes": {"users": [{"id": "7", "username": "maria_k", "name": "Maria"}]},
        "meta": {"result_count": 2},
    }
    [record] = reply_records(payload, "1860000000000000000")
    assert record.remote_id == "1860000000000000002" and record.text == "Great <b>service</b>"
    assert record.parent_remote_id == "1860000000000000001" and record.author == "maria_k"
    assert record.created_at == "2026-11-24T09:00:00Z" and record.like_count == 3
    assert reply_records({"meta": {"result_count": 0}}, "1") == []
    assert search_query(["1", "2"]) == "conversation_id:1 OR conversation_id:2"
    limit = x_limits("search", {"X-Rate-Limit-Limit": "300", "X-Rate-Limit-Remaining": "0",
                                "X-Rate-Limit-Reset": "1795600000"})
    assert (limit.limit, limit.remaining, limit.reset_at) == (300, 0, 1795600000)
    assert x_limits("search", {}) is None


def test_reddit_pure_functions():
    data = {"id": "m2a00pg", "parent_id": "t1_m2a00pa", "author": "lena.b", "body": "No problems at all",
            "created_utc": 1795600000.0, "edited": 1795600100.0, "score": 4, "depth": 2,
            "permalink": "/r/x/comments/1kh35wk/q/m2a00pg/"}
    record = comment_record(data, "https://www.reddit.com")
    assert record.parent_remote_id == "m2a00pa" and record.depth == 3 and record.edited_at is not None
    assert record.url == "https://www.reddit.com/r/x/comments/1kh35wk/q/m2a00pg/"
    gone = comment_record({**data, "body": "[deleted]", "author": None}, "")
    assert gone.deleted and gone.author is None
    top = comment_record({**data, "parent_id": "t3_1kh35wk", "depth": 0, "edited": False}, "")
    assert top.parent_remote_id == "1kh35wk" and top.depth == 1 and top.edited_at is None
    limit = reddit_limits({"x-ratelimit-used": "3", "x-ratelimit-remaining": "597.0", "x-ratelimit-reset": "30"})
    assert limit.remaining == 597.0
    assert reddit_limits({}) is None
    json.dumps(record.__dict__)  # records are plain data


# -- recorded-shape fixtures (tests/fixtures/), through the pure functions --------------------

FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures"


def fixture(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_x_search_page_text_is_unescaped_once_links_expanded_mentions_dropped():
    records = reply_records(fixture("x_search_entities.json"), "1993619871340044288")
    by_id = {r.remote_id: r for r in records}
    angry = by_id["1993623445612683264"]
    assert angry.text == ("Same here >:( the form at https://example.com/help/contact?topic=billing&lang=en "
                          "kept failing & I gave up")
    assert angry.parent_remote_id == "1993621007829676032" and angry.author == "ana_luiza"
    assert by_id["1993621007829676032"].text == "Honestly? <3 the new app. Q&A chat was quick"
    assert angry.created_at == "2026-11-24T09:14:05Z" and angry.like_count == 3


def test_x_own_posts_match_rewritten_text_dedupe_and_missing_created_at():
    from datetime import datetime, timezone

    from listener.channels.x import own_posts

    pages = fixture("x_timeline_pages.json")
    text = "Q&A time: is <checkout> easier now? Tell us https://example.com/survey?a=1&b=2"
    since = datetime(2026, 11, 24, 8, 55, tzinfo=timezone.utc)
    found = own_posts(pages, text, since)
    assert [p.remote_id for p in found] == ["1993619871340044288"]  # twice listed, once found; no created_at
    assert {p.remote_id for p in own_posts(pages, text)} == {"1993619871340044288", "1993500000000000000"}
    assert own_posts(pages, "Q&amp;A time: something else", since) == []


def reddit_things(listing):
    for thing in listing["data"]["children"]:
        yield thing
        replies = thing["data"].get("replies")
        if thing["kind"] == "t1" and replies:
            yield from reddit_things(replies)


def test_reddit_old_comment_tree_edited_true_no_depth_no_permalink_deleted_parent():
    _, comments = fixture("reddit_comments_old.json")
    things = list(reddit_things(comments))
    records = [comment_record(t["data"], "https://www.reddit.com") for t in things if t["kind"] == "t1"]
    old, deleted, answer = records
    assert old.edited_at is None and old.created_at == "2017-01-09T22:30:00Z"  # `edited: true`: not 1970
    assert answer.edited_at == "2017-01-09T23:13:20Z"
    assert old.depth is None  # no `depth`: the harvest counts it from the parent chain
    assert old.url == "https://www.reddit.com/comments/5ngz3q/_/dbx1a2c/"
    assert deleted.deleted and deleted.author is None and answer.parent_remote_id == "dbx2b3d"
    [more] = [t for t in things if t["kind"] == "more"]
    assert more["data"]["count"] == 23 and len(more["data"]["children"]) == 3


def test_reddit_morechildren_answer_carries_a_new_more():
    things = fixture("reddit_morechildren.json")["json"]["data"]["things"]
    [comment] = [comment_record(t["data"], "https://www.reddit.com") for t in things if t["kind"] == "t1"]
    assert comment.depth == 1 and comment.url.endswith("/dbx9z9z/")
    assert [t["data"]["children"] for t in things if t["kind"] == "more"] == [["dbxa000", "dbxa001"]]


def test_one_line_turns_any_body_into_one_short_line():
    from listener.errors import ChannelError, one_line

    page = ("<html>\n<head><title>503 Service Temporarily Unavailable</title></head>\n<body>\n"
            "<center><h1>503 Service Temporarily Unavailable</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>")
    assert one_line(page) == ("503 Service Temporarily Unavailable 503 Service Temporarily Unavailable nginx")
    assert one_line(b"upstream connect error\nreset reason: x\n") == "upstream connect error reset reason: x"
    assert len(one_line("word " * 200)) == 200 and "\n" not in str(ChannelError("a\nb\r\nc"))
    assert one_line(ValueError("Expecting value: line 1 column 1 (char 0)")) == \
        "Expecting value: line 1 column 1 (char 0)"
