"""Sentiment scoring for replies: VADER 3.3.2, re-implemented in linear time.

The scores are those of ``vaderSentiment.vaderSentiment.SentimentIntensityAnalyzer
().polarity_scores`` (vaderSentiment 3.3.2) -- the same floats, bit for bit -- except
where one of the small, documented :data:`DOMAIN_OVERRIDES` applies.

Why a re-implementation: the stock analyzer is quadratic in the length of the text.
Every scored word rebuilds a lower-cased copy of the whole token list (in
``_negation_check`` and ``_special_idioms_check``), the emoji pass builds the string a
character at a time, and the contrastive "but" rule calls ``list.index`` for every
token. A 26k-character reply takes about a second and a 135k-character one most of a
minute. Here the lexicon, constants, emoji lexicon and rules of vaderSentiment are used
as data, each token is lower-cased once, the emoji pass is one ``str.translate``, the
idiom checks look at a fixed window, and the "but" rule keeps a map from value to the
positions holding it (so its "first occurrence" quirk is reproduced without scanning;
the map holds small heaps, a log factor only for pathological runs of equal valences).
The floating-point operations are done in the stock order, so results compare equal
with ``==``.

Any input is safe and nothing raises: ``None`` scores as the empty string, ``bytes``
are decoded as UTF-8 (invalid bytes replaced), any other non-``str`` object is scored
as ``str(obj)`` (stock VADER raises ``TypeError`` on ``None``, numbers and most other
non-strings). Empty or whitespace-only text scores all zeros, like stock. Lone
surrogates and control characters are ordinary characters, like stock.
"""
from __future__ import annotations

import math
import string
from dataclasses import dataclass
from heapq import heappop, heappush
from typing import Iterable

from vaderSentiment import vaderSentiment as _vader

__all__ = [
    "SCORER_VERSION",
    "DOMAIN_OVERRIDES",
    "DomainOverride",
    "polarity_scores",
    "score_many",
    "label_for",
    "score",
    "matched_overrides",
]

#: Identifies the scores a text gets. Bump the ``+listener-N`` suffix whenever
#: :data:`DOMAIN_OVERRIDES` (or anything else that changes a score) changes.
SCORER_VERSION = "vader-3.3.2+listener-1"

DEFAULT_POSITIVE = 0.05
DEFAULT_NEGATIVE = -0.05

# --- stock VADER constants and rules (used as data) --------------------------------
_N_SCALAR = _vader.N_SCALAR
_C_INCR = _vader.C_INCR
_BOOSTER = _vader.BOOSTER_DICT
_SPECIAL = _vader.SPECIAL_CASES
_NEGATE = frozenset(_vader.NEGATE)
_PUNCT = string.punctuation

# Every multi-word key of SPECIAL_CASES / BOOSTER_DICT is made of these words; an idiom
# check whose window holds none of them cannot change the valence.
_IDIOM_WORDS = frozenset(
    word
    for key in list(_SPECIAL) + list(_BOOSTER)
    if " " in key
    for word in key.split(" ")
)

# A token that masks a word taken by an override: it is not in the lexicon, not a
# booster, not a negation and in no idiom, i.e. the other words' rules see a filler.
_MASK = "\x00listener-override\x00"


# --- domain overrides --------------------------------------------------------------
@dataclass(frozen=True)
class DomainOverride:
    """One customer-service phrase that stock VADER scores wrongly.

    ``pattern`` is a sequence of token alternatives, matched against VADER's own
    tokens (split on whitespace, outer punctuation stripped as VADER does, lower-cased).
    ``valences`` gives, for each matched token, the fixed valence it contributes
    instead of the stock rules' result; such a token is also invisible to the rules of
    every other word (it negates, boosts and forms idioms with nothing). ``None`` means
    the token keeps being scored by the stock rules (only seeing its phrase-mates as
    fillers). The phrase does not match when the next token (punctuation stripped) is
    in ``not_before``.
    """

    name: str
    pattern: tuple[frozenset[str], ...]
    valences: tuple[float | None, ...]
    effect: str
    why: str
    not_before: frozenset[str] = frozenset()


def _alts(*words: str) -> frozenset[str]:
    return frozenset(words)


# "no problem(s)" as stock VADER scores it on its own: the lexicon value of "problem"
# (-1.7) negated by "no" (* N_SCALAR) = +1.258.
_NO_PROBLEM = -1.7 * _N_SCALAR
_NO_WORRIES = -1.8 * _N_SCALAR  # likewise for "worries" (-1.8): +1.332

DOMAIN_OVERRIDES: tuple[DomainOverride, ...] = (
    DomainOverride(
        name="no problem(s) / no complaint(s)",
        pattern=(_alts("no"), _alts("problem", "problems", "complaint", "complaints")),
        valences=(0.0, _NO_PROBLEM),
        effect="scores +1.258 (the stock value of the phrase alone); its 'no' no longer "
        "negates the next two words",
        why="stock lets 'no' also negate the word after the phrase: "
        "'No problems, great service' scores -0.26",
        not_before=_alts("or", "nor"),
    ),
    DomainOverride(
        name="no issue(s) / no hassle",
        pattern=(_alts("no"), _alts("issue", "issues", "hassle")),
        valences=(0.0, _NO_PROBLEM),
        effect="scored like 'no problems' (+1.258)",
        why="'issues'/'hassle' are not in the lexicon, so stock scores the lone 'no' "
        "(-1.2): 'No issues' is -0.30",
        not_before=_alts("or", "nor"),
    ),
    DomainOverride(
        name="no worries",
        pattern=(_alts("no"), _alts("worries", "worry")),
        valences=(0.0, _NO_WORRIES),
        effect="scores +1.332 (the stock value of the phrase alone); its 'no' no longer "
        "negates the next two words",
        why="'No worries, thanks!' scores -0.09 in stock: 'no' negates 'thanks'",
        not_before=_alts("or", "nor"),
    ),
    DomainOverride(
        name="no thanks / no thank you",
        pattern=(_alts("no"), _alts("thanks", "thank")),
        valences=(0.0, 0.0),
        effect="neutral",
        why="a polite decline, not a complaint; stock negates 'thanks' "
        "('No thanks' -0.34)",
    ),
    DomainOverride(
        name="kindly stop",
        pattern=(_alts("kindly"), _alts("stop")),
        valences=(0.0, None),
        effect="'kindly' is neutral; 'stop' keeps its stock score",
        why="'kindly' (+2.2) is politeness here: 'Kindly stop emailing me' is +0.25 "
        "in stock",
        not_before=_alts("by", "in", "over", "round", "past"),
    ),
    DomainOverride(
        name="thanks for nothing",
        pattern=(_alts("thanks"), _alts("for"), _alts("nothing")),
        valences=(1.9 * _N_SCALAR, 0.0, 0.0),
        effect="scores -1.406 (the valence of 'thanks', negated)",
        why="sarcasm; stock scores 'Thanks for nothing.' +0.44",
    ),
)

_OVERRIDE_FIRST: dict[str, list[DomainOverride]] = {}
for _ov in sorted(DOMAIN_OVERRIDES, key=lambda o: -len(o.pattern)):
    for _w in _ov.pattern[0]:
        _OVERRIDE_FIRST.setdefault(_w, []).append(_ov)
_OVERRIDE_FIRST_WORDS = frozenset(_OVERRIDE_FIRST)
del _ov, _w


def _find_overrides(lw: list[str]) -> list[tuple[int, DomainOverride]]:
    """Leftmost, longest, non-overlapping matches of the override phrases."""
    found: list[tuple[int, DomainOverride]] = []
    n = len(lw)
    first = _OVERRIDE_FIRST
    i = 0
    while i < n:
        candidates = first.get(lw[i])
        if candidates:
            for ov in candidates:
                m = len(ov.pattern)
                if i + m > n:
                    continue
                if not all(lw[i + k] in ov.pattern[k] for k in range(1, m)):
                    continue
                if (
                    ov.not_before
                    and i + m < n
                    and lw[i + m].strip(_PUNCT) in ov.not_before
                ):
                    continue
                found.append((i, ov))
                i += m
                break
            else:
                i += 1
        else:
            i += 1
    return found


# --- the scorer --------------------------------------------------------------------
class _Scorer:
    """Holds the lexicons; one instance is shared by every call."""

    def __init__(self) -> None:
        stock = _vader.SentimentIntensityAnalyzer()
        self.lexicon: dict[str, float] = stock.lexicon
        self.emojis: dict[str, str] = stock.emojis
        # Stock replaces emoji one code point at a time (``for chr in text``), so only
        # the single-code-point keys of the emoji lexicon can ever match. It puts a
        # space before a description unless the text starts there or the previous
        # character is a ' '; always putting one gives the same tokens (``split()``)
        # and the same '!'/'?' counts, which is all that the text is used for.
        singles = [k for k in self.emojis if len(k) == 1]
        self.emoji_chars = frozenset(singles)
        self.emoji_table = {ord(k): " " + self.emojis[k] for k in singles}
        # (none of them is ASCII, so ASCII text needs no emoji pass at all)
        self.emoji_ascii = any(k.isascii() for k in singles)

    # The steps of SentimentIntensityAnalyzer.polarity_scores up to the token list.
    def tokens(self, text: str) -> tuple[str, list[str], list[str]]:
        if (self.emoji_ascii or not text.isascii()) and not self.emoji_chars.isdisjoint(
            text
        ):
            text = text.translate(self.emoji_table)
        # (stock strips the text first; that changes neither the tokens nor the counts
        # of '!' and '?')
        punct = _PUNCT
        words = [s if len(s := t.strip(punct)) > 2 else t for t in text.split()]
        # (lower-casing the tokens joined by spaces gives the same tokens in one call: no
        # character lower-cases to whitespace, and a space ends the final-sigma context)
        lowered = " ".join(words).lower().split()
        return text, words, lowered

    def polarity_scores(self, text: str) -> dict[str, float]:
        text, words, lw = self.tokens(text)
        n = len(words)
        if n == 0:
            return {"neg": 0.0, "neu": 0.0, "pos": 0.0, "compound": 0.0}

        n_caps = sum(map(str.isupper, words))
        is_cap_diff = 0 < n - n_caps < n

        fixed: list[tuple[int, float]] | None = None
        if not _OVERRIDE_FIRST_WORDS.isdisjoint(lw):
            matches = _find_overrides(lw)
            if matches:
                fixed = []
                lw = lw.copy()
                for start, ov in matches:
                    for k, val in enumerate(ov.valences):
                        if val is not None:
                            fixed.append((start + k, val))
                            lw[start + k] = _MASK

        sentiments = self._sentiments(words, lw, n, is_cap_diff)
        if fixed:
            for pos, val in fixed:
                sentiments[pos] = val

        if "but" in lw:
            _but_check(sentiments, lw.index("but"))

        return _score_valence(sentiments, text)

    def _sentiments(
        self, words: list[str], lw: list[str], n: int, is_cap_diff: bool
    ) -> list:
        """Per-token valences: SentimentIntensityAnalyzer.sentiment_valence & co."""
        lex = self.lexicon
        booster = _BOOSTER
        negate = _NEGATE
        special = _SPECIAL
        idiom_words = _IDIOM_WORDS
        n_scalar = _N_SCALAR
        c_incr = _C_INCR

        # Only lexicon words get a valence; every other token (boosters too) scores 0.
        sentiments: list = [0] * n
        for i in [i for i, w in enumerate(lw) if w in lex]:
            item_lower = lw[i]
            if item_lower in booster:
                continue
            lex_valence = lex[item_lower]
            if item_lower == "kind" and i < n - 1 and lw[i + 1] == "of":
                continue

            valence = lex_valence
            # "no" as a negation of the next lexicon word vs "no" on its own
            if item_lower == "no" and i != n - 1 and lw[i + 1] in lex:
                valence = 0.0
            if (
                (i > 0 and lw[i - 1] == "no")
                or (i > 1 and lw[i - 2] == "no")
                or (i > 2 and lw[i - 3] == "no" and lw[i - 1] in ("or", "nor"))
            ):
                valence = lex_valence * n_scalar

            if is_cap_diff and words[i].isupper():
                if valence > 0:
                    valence += c_incr
                else:
                    valence -= c_incr

            for start_i in (0, 1, 2):
                j = i - (start_i + 1)
                if j < 0:
                    break
                prev = lw[j]
                if prev in lex:
                    continue
                # scalar_inc_dec
                s = 0.0
                if prev in booster:
                    s = booster[prev]
                    if valence < 0:
                        s *= -1
                    if is_cap_diff and words[j].isupper():
                        if valence > 0:
                            s += c_incr
                        else:
                            s -= c_incr
                if start_i == 1 and s != 0:
                    s = s * 0.95
                if start_i == 2 and s != 0:
                    s = s * 0.9
                valence = valence + s

                # _negation_check
                if start_i == 0:
                    if prev in negate or "n't" in prev:
                        valence = valence * n_scalar
                elif start_i == 1:
                    if lw[i - 2] == "never" and (lw[i - 1] == "so" or lw[i - 1] == "this"):
                        valence = valence * 1.25
                    elif lw[i - 2] == "without" and lw[i - 1] == "doubt":
                        pass
                    elif prev in negate or "n't" in prev:
                        valence = valence * n_scalar
                else:
                    w3, w2, w1 = lw[i - 3], lw[i - 2], lw[i - 1]
                    if (w3 == "never" and (w2 == "so" or w2 == "this")) or (
                        w1 == "so" or w1 == "this"
                    ):
                        valence = valence * 1.25
                    elif w3 == "without" and (w2 == "doubt" or w1 == "doubt"):
                        pass
                    elif prev in negate or "n't" in prev:
                        valence = valence * n_scalar

                    # _special_idioms_check (every sequence it builds contains one of
                    # the words i-2, i-1, i; none of them in an idiom => no change)
                    if (
                        w2 in idiom_words
                        or w1 in idiom_words
                        or item_lower in idiom_words
                    ):
                        valence = _special_idioms(valence, lw, i, n, special, booster)

            # _least_check
            if i > 1 and lw[i - 1] not in lex and lw[i - 1] == "least":
                if lw[i - 2] != "at" and lw[i - 2] != "very":
                    valence = valence * n_scalar
            elif i > 0 and lw[i - 1] not in lex and lw[i - 1] == "least":
                valence = valence * n_scalar

            sentiments[i] = valence
        return sentiments


def _special_idioms(valence, lw: list[str], i: int, n: int, special, booster):
    """SentimentIntensityAnalyzer._special_idioms_check without the O(n) lower-casing."""
    onezero = f"{lw[i - 1]} {lw[i]}"
    twoonezero = f"{lw[i - 2]} {lw[i - 1]} {lw[i]}"
    twoone = f"{lw[i - 2]} {lw[i - 1]}"
    threetwoone = f"{lw[i - 3]} {lw[i - 2]} {lw[i - 1]}"
    threetwo = f"{lw[i - 3]} {lw[i - 2]}"
    for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if seq in special:
            valence = special[seq]
            break
    if n - 1 > i:
        zeroone = f"{lw[i]} {lw[i + 1]}"
        if zeroone in special:
            valence = special[zeroone]
    if n - 1 > i + 1:
        zeroonetwo = f"{lw[i]} {lw[i + 1]} {lw[i + 2]}"
        if zeroonetwo in special:
            valence = special[zeroonetwo]
    for n_gram in (threetwoone, threetwo, twoone):
        if n_gram in booster:
            valence = valence + booster[n_gram]
    return valence


def _but_check(sentiments: list, bi: int) -> None:
    """SentimentIntensityAnalyzer._but_check, in place, without list.index scans.

    Stock iterates over the list while replacing, for each visited value x, the
    element at ``sentiments.index(x)`` -- the FIRST position currently holding a value
    equal to x, which may be an earlier, already scaled position -- by x * 0.5 (before
    the first "but"), x * 1.5 (after it) or leaves it (at it). Positions after the
    current one are untouched, so a map value -> heap of visited positions holding it
    answers ``index`` exactly. Zeros are skipped: scaling a zero changes nothing.
    """
    where: dict[float, list[int]] = {}
    for k in range(len(sentiments)):
        x = sentiments[k]
        if x == 0:
            continue
        heap = where.get(x)
        j = heap[0] if heap else k
        if j < bi:
            y = x * 0.5
        elif j > bi:
            y = x * 1.5
        else:
            y = x
        if j != k:
            heappop(heap)  # j leaves the value x ...
            heappush(heap, k)  # ... and k (visited now) keeps it
        sentiments[j] = y
        target = where.get(y)
        if target is None:
            where[y] = [j]
        else:
            heappush(target, j)


def _score_valence(sentiments: list, text: str) -> dict[str, float]:
    """SentimentIntensityAnalyzer.score_valence (same operations, same order).

    Zeros are left out of the sums (adding 0 changes no float), and counted as neutral.
    """
    scored = [s for s in sentiments if s]
    if not scored:
        return {"neg": 0.0, "neu": 1.0, "pos": 0.0, "compound": 0.0}
    sum_s = float(sum(scored))
    # _punctuation_emphasis
    ep_count = text.count("!")
    if ep_count > 4:
        ep_count = 4
    ep_amplifier = ep_count * 0.292
    qm_count = text.count("?")
    qm_amplifier = 0
    if qm_count > 1:
        if qm_count <= 3:
            qm_amplifier = qm_count * 0.18
        else:
            qm_amplifier = 0.96
    punct_emph_amplifier = ep_amplifier + qm_amplifier

    if sum_s > 0:
        sum_s += punct_emph_amplifier
    elif sum_s < 0:
        sum_s -= punct_emph_amplifier

    # normalize(alpha=15)
    compound = sum_s / math.sqrt((sum_s * sum_s) + 15)
    if compound < -1.0:
        compound = -1.0
    elif compound > 1.0:
        compound = 1.0

    # _sift_sentiment_scores
    pos_sum = 0.0
    neg_sum = 0.0
    neu_count = len(sentiments) - len(scored)
    for sentiment_score in scored:
        if sentiment_score > 0:
            pos_sum += float(sentiment_score) + 1
        else:
            neg_sum += float(sentiment_score) - 1

    if pos_sum > math.fabs(neg_sum):
        pos_sum += punct_emph_amplifier
    elif pos_sum < math.fabs(neg_sum):
        neg_sum -= punct_emph_amplifier

    total = pos_sum + math.fabs(neg_sum) + neu_count
    return {
        "neg": round(math.fabs(neg_sum / total), 3),
        "neu": round(math.fabs(neu_count / total), 3),
        "pos": round(math.fabs(pos_sum / total), 3),
        "compound": round(compound, 4),
    }


_SCORER: _Scorer | None = None


def _scorer() -> _Scorer:
    global _SCORER
    if _SCORER is None:
        _SCORER = _Scorer()
    return _SCORER


def _coerce(text) -> str:
    if type(text) is str:
        return text
    if isinstance(text, str):
        return str.__str__(text)
    if text is None:
        return ""
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text).decode("utf-8", "replace")
    try:
        return str(text)
    except Exception:
        return ""


# --- public API --------------------------------------------------------------------
def polarity_scores(text: str) -> dict[str, float]:
    """VADER's ``{"neg", "neu", "pos", "compound"}`` for ``text``, in linear time.

    Equal to vaderSentiment 3.3.2's ``polarity_scores`` unless a
    :data:`DOMAIN_OVERRIDES` phrase occurs in the text. Never raises.
    """
    return _scorer().polarity_scores(_coerce(text))


def is_sentiment_word(word: str) -> bool:
    """True for a word of VADER's lexicon (a word that carries a valence), as the scorer reads it."""
    return word in _scorer().lexicon


def score_many(texts: Iterable[str]) -> list[dict[str, float]]:
    """``[polarity_scores(t) for t in texts]``, sharing one scorer."""
    scorer = _scorer().polarity_scores
    coerce = _coerce
    return [scorer(coerce(t)) for t in texts]


def label_for(
    compound: float,
    positive: float = DEFAULT_POSITIVE,
    negative: float = DEFAULT_NEGATIVE,
) -> str:
    """``"positive"`` if compound >= positive, ``"negative"`` if compound <= negative,
    else ``"neutral"``."""
    if compound >= positive:
        return "positive"
    if compound <= negative:
        return "negative"
    return "neutral"


def score(text: str) -> dict:
    """``polarity_scores(text)`` plus ``label`` (default thresholds) and
    ``scorer_version``."""
    result: dict = polarity_scores(text)
    result["label"] = label_for(result["compound"])
    result["scorer_version"] = SCORER_VERSION
    return result


def matched_overrides(text: str) -> list[str]:
    """Names of the :data:`DOMAIN_OVERRIDES` that apply to ``text`` (in text order).

    An empty list means :func:`polarity_scores` equals stock VADER for this text.
    """
    _, _, lw = _scorer().tokens(_coerce(text))
    if _OVERRIDE_FIRST_WORDS.isdisjoint(lw):
        return []
    return [ov.name for _, ov in _find_overrides(lw)]
