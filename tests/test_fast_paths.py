"""The fast scoring path gives exactly what the straightforward code gives, text by text.

listener.matching rewrites the labeller's cue patterns, language.detect skips work for ASCII text
and sentiment skips zeros: each is compared here with its plain version (re.compile, the detector
as first written) on the hostile corpus, generated replies, random mixes of cue words and, when the
shared data is present, the airline tweets.
"""
import csv
import random
import re
from pathlib import Path

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from listener import labeller, scoring
from listener.fake.replies import generate_replies
from listener.language import SAMPLE, detect, from_words
from listener.matching import compile_fast, counter
from listener.sentiment import matched_overrides, polarity_scores

from hostile_corpus import CORPUS

AIRLINE_TWEETS = Path(__file__).resolve().parents[2] / "shared" / "data" / "cs-tweets" / "airline-tweets-dev.csv"


def cue_words():
    """Words and phrases the cue patterns are made of, to build texts that match them a lot."""
    sources = [p for _, p in labeller.COMPLAINT_CUES] + labeller.SARCASM_CUES + [
        labeller.THANKS_CUES, labeller.PRAISE_CUES, labeller.PRAISE_EMOTICONS, labeller.POLITE_WORDS, labeller.GRATITUDE_CUES,
        labeller.REQUEST_CUES]
    return sorted({w for p in sources for w in re.findall(r"[a-z'#!?]+(?: [a-z']+)?", p)})


def mixed_texts(count, seed=0):
    rng = random.Random(seed)
    words = cue_words() + ["The", "I", "my", "NOT", "Bag", "!!", "?", "...", "@united", "https://t.co/x", "3",
                           "🔥", "🙄", "😭", "👍", "café", "Straße", "ΟΔΟΣ", "İstanbul", "ß", "ﬁ", "\u0307", "々",
                           "です", "한국", "中文", "\x00", "\u202e", "n't", "don't", "can't", "Σ", ",", "-"]
    seps = [" ", " ", " ", "", ", ", "\n", "!", "?", "  "]
    return ["".join(rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(0, 30))) for _ in range(count)]


def corpus():
    hostile = [t for t in CORPUS if len(t) < 10_000]  # (the huge ones cost stock VADER minutes)
    generated = [r["text"] for r in generate_replies(random.Random(7), 1000)]
    return hostile + generated + mixed_texts(2000) + ["", " ", "ok", "a", "Thanks for nothing.", "@x"]


def airline_tweets():
    if not AIRLINE_TWEETS.exists():
        pytest.skip(f"shared data missing: {AIRLINE_TWEETS} (the other cases still run)")
    with AIRLINE_TWEETS.open(encoding="utf-8") as f:
        return [row["text"] for row in csv.DictReader(f)]


@pytest.fixture(scope="module")
def texts():
    return corpus()


def lowered_bodies(texts):
    return [labeller.body(t).lower() for t in texts] + texts


def test_compiled_cues_find_what_re_finds(texts):
    patterns = [p for _, p in labeller.COMPLAINT_CUES] + [labeller.THANKS_CUES, labeller.PRAISE_CUES, labeller.PRAISE_EMOTICONS,
                                                          labeller.POLITE_WORDS]
    for pattern in patterns:
        fast, plain = compile_fast(pattern), re.compile(pattern)
        for text in lowered_bodies(texts):
            assert fast.findall(text) == plain.findall(text), (pattern[:40], text)
            assert fast.sub(" ", text) == plain.sub(" ", text), (pattern[:40], text)


def test_counter_searches_like_re_search(texts):
    searched = ["|".join(f"(?:{p})" for p in labeller.SARCASM_CUES), labeller.REQUEST_CUES, labeller.GRATITUDE_CUES,
                labeller.INQUIRY_CUES]
    fast, plain = counter([labeller.THANKS_CUES], searched), [re.compile(p) for p in searched]
    for text in lowered_bodies(texts):
        assert fast(text)[1:] == [rx.search(text) is not None for rx in plain], text


@pytest.mark.parametrize("pattern", [
    r"\b(?:rude|refunds?|rebook(?:ed)?|r)\b", r"\b(?:ab|a|abc)", r"\b(?:\d+ hours?|2 h|two|t\w+|tw)\b",
    r"x\b(?:a|b)|\b(?:c|cd)", r"(?:\b(?:on|one|o)\b)+", r"\b(?:a(?:b|bc)|ab|a)c", r"\b[a-c](?:x|y)|\bq",
    r"\b(?i:abc)|\bAB", r"\b(ab|a)b", r"\b(?:é|ß|ǆ|ﬁ)x?", r"\bnot!", r"\b(?:(?:a|b)c|d|ab)(?:x|\b)",
    r"\b(?:(?:don'?t|not) (?:a|ab)|abc?)\b", r"\b(?:_x|1a|a_)", r"\b(?:ab|(?:a|b)x|b)y?", r"\b(?:a|b|c|d|e|f|g|h|i|j|k|q|r)b",
    r"\b(?:ab|cd?)\b|:'?-?\(", r"\b(?:a|b)c|d\b|\bx|q", r"(?:\bab|a)c?|\b(?:\d+|two) h", r"\b(?:(?:a|b)|c)(?:\b|x)|-",
    # first characters the shared pass cannot list (\w, [^\W\d], an optional word, a lookbehind, a non-ASCII digit)
    r"\b(?:(?:a )?b|\w c|ab)", r"\b(?:[a-c]+d|\d x|[^\W\d]q|é)", r"\b(?:(?<!x )ab|(?<!a)c|a)", r"\b(?:٣|\d+) h",
    # a leading optional word, tried with it first (greedy) and not (lazy)
    r"\b(?:a )?(?:b )?c|\bab", r"\b(?:a )?a(?:b|\b)", r"\b(?:ab )??(?:a|b)c?|d"])
def test_rewrites_keep_leftmost_first_matches(pattern):
    fast, plain = compile_fast(pattern), re.compile(pattern)
    # searched alone, and with its word-start alternatives in a shared pass
    alone, shared = counter([], [pattern]), counter([r"\bz"], [pattern])
    rng = random.Random(pattern)
    alphabet = ["a", "b", "c", "d", "ab", "abc", "on", "one", "o", "2 h", "two", "3 hours", "x", "q", " ", "-", "é",
                "ß", "ǆ", "ﬁ", "ABC", "Ab", "y", "r", "rude", "refund", "rebooked", "\n", "_", "1", "'", "don't", "not ", ":(", ":'-(", "cd", "-(", "٣", "Ǆ", "a ab"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert fast.findall(text) == plain.findall(text), text
        assert alone(text) == [plain.search(text) is not None], text
        assert shared(text)[1:] == [plain.search(text) is not None], text


def test_counter_counts_like_findall(texts):
    patterns = [p for _, p in labeller.COMPLAINT_CUES] + [labeller.THANKS_CUES, labeller.PRAISE_CUES, labeller.PRAISE_EMOTICONS,
                                                          labeller.POLITE_WORDS]
    count, plain = counter(patterns), [re.compile(p) for p in patterns]
    for text in lowered_bodies(texts):
        assert count(text) == [len(rx.findall(text)) for rx in plain], text


def test_counter_keeps_each_patterns_own_overlaps():
    # Matches of different patterns overlap and nest; each pattern still resumes after its own match.
    patterns = [r"\b(?:ab|a)\b", r"\bab c", r"\b(?:c|cd)", r"\bb", r"x\b|\by", r"\b(?:\d+|two) h",
                r"\ba(?:b|bc)?", r"\b(?:a b|b) (?:c|a)", r"\bé", r"\b(?:ab|a)(?:x|\b)", r"\bab|:-?\)|\?{2,}|\?!",
                r"(?<=a)b|^c", r"\b\w+ a\b", r"\b(?:(?:a )?b c|\d+ h|a\b)", r"\b(?:[^\W\d]b|(?<!x )a)"]
    count, plain = counter(patterns), [re.compile(p) for p in patterns]
    rng = random.Random(1)
    pieces = ["a", "b", "c", "d", "ab", "abc", " ", " ", "x", "y", "2", "two", "h", "-", "é", "\n", ":)", ":-)", "??",
              "?!", "?", "٣"]
    texts = ["a b a", "a b a b c", "b a b a", "ab ab c"] + [
        "".join(rng.choice(pieces) for _ in range(rng.randint(0, 16))) for _ in range(5000)]
    for text in texts:
        assert count(text) == [len(rx.findall(text)) for rx in plain], text


def reference_cues(monkeypatch):
    """The labeller's matchers as re.compile makes them, the way they were first written."""
    counted = [re.compile(p) for p in [p for _, p in labeller.COMPLAINT_CUES] + [
        labeller.THANKS_CUES, labeller.PRAISE_CUES, labeller.PRAISE_EMOTICONS, r"\b" + labeller.FAST + r"\b"]]
    searched = [re.compile("|".join(f"(?:{p})" for p in patterns)) for patterns in (
        labeller.SARCASM_CUES, [labeller.GRATITUDE_CUES], [labeller.REQUEST_CUES], [labeller.INQUIRY_CUES])]
    monkeypatch.setattr(labeller, "_SCAN", lambda text: [len(rx.findall(text)) for rx in counted] + [
        rx.search(text) is not None for rx in searched])
    monkeypatch.setattr(labeller, "_POLITE", re.compile(labeller.POLITE_WORDS))
    monkeypatch.setattr(labeller, "_LOVE_HOW", re.compile(labeller.LOVE_HOW_CUES))


def reference_detect(text):
    """language.detect as first written: every script check, then every word lower-cased."""
    body = re.sub(r"@\w+|https?://\S+|#|&\w+;", " ", (text or "")[:SAMPLE])
    for script, language in [(r"[\u3040-\u30ff]", "ja"), (r"[\uac00-\ud7af]", "ko"), (r"[\u4e00-\u9fff]", "zh")]:
        if re.search(script, body):
            return language
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", body)]
    latin = not re.search(r"[^\x00-\u024f\u1e00-\u1eff\u2000-\u2bff\U0001f000-\U0001faff\ufe0f]", body)
    return from_words(body, words, latin)


def emoji_reference(text):
    plain = labeller.body(text).lower()
    return (re.search(f"[{labeller.NEGATIVE_EMOJI}]", plain) is not None,
            re.search(f"[{labeller.POSITIVE_EMOJI}]", plain) is not None)


def reference_logits(feats):
    """labeller.logits as first written: a sum over every feature."""
    neg = labeller.NEGATIVE_WEIGHTS["bias"] + sum(labeller.NEGATIVE_WEIGHTS.get(k, 0.0) * v for k, v in feats.items())
    pos = labeller.POSITIVE_WEIGHTS["bias"] + sum(labeller.POSITIVE_WEIGHTS.get(k, 0.0) * v for k, v in feats.items())
    return (neg, 0.0, pos)


STOCK = SentimentIntensityAnalyzer()


def assert_same_scoring(texts, monkeypatch):
    fast = [(labeller.features(t), scoring.score_columns(t), detect(t)) for t in texts]
    with monkeypatch.context() as m:
        reference_cues(m)
        plain = [(labeller.features(t), labeller.label(t)) for t in texts]
    for text, (feats, columns, language), (ref_feats, ref_label) in zip(texts, fast, plain):
        assert feats == ref_feats, text
        assert tuple(feats) == labeller.FEATURES
        assert labeller.logits(feats) == reference_logits(feats), text
        has_negative, has_positive = emoji_reference(text)
        # (cs-7: 😭 💀 beside praise with nothing wrong are joy, so neg_emoji may be off where one occurs)
        assert feats["pos_emoji"] == has_positive and feats["neg_emoji"] <= has_negative, text
        assert language == reference_detect(text), text
        expected_label = ref_label if language in ("en", "und") else (None, None)
        assert (columns["label"], columns["label_confidence"]) == expected_label, text
        scores = {k: columns[k] for k in ("neg", "neu", "pos", "compound")}
        assert scores == polarity_scores(text), text
        if len(text) < 1000 and not matched_overrides(text):  # (stock is quadratic in the length)
            assert scores == STOCK.polarity_scores(text), text


def test_scoring_equals_the_straightforward_path(texts, monkeypatch):
    assert_same_scoring(texts, monkeypatch)


def test_scoring_equals_the_straightforward_path_on_airline_tweets(monkeypatch):
    assert_same_scoring(airline_tweets(), monkeypatch)


def test_word_cue_lists_share_the_one_pass():
    # One alternative that may start otherwise ("(?:you )?didn't …") sends its whole list to a pass
    # of its own: same matches, but the labeller slows by a third.
    from listener.matching import _parse, _starts_words

    lists = [p for _, p in labeller.COMPLAINT_CUES if p.startswith(r"\b")] + [
        labeller.THANKS_CUES, labeller.PRAISE_CUES, labeller.GRATITUDE_CUES]
    for pattern in lists:
        assert _starts_words(_parse(pattern)), pattern[:80]
