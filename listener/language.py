"""The language of a reply, and whether the labeller can read it.

Detection uses py3langid (BSD; its model ships inside the package, nothing is downloaded). Tweets
are short and full of handles, links and emoji, so a few rules come first: scripts that name their
language (kana is Japanese, hangul Korean), 'und' for text too short to tell (an English label is
then the best guess: "ok", "lol 🔥🔥", "thx!"), and a fast path for plain English. A language is
only claimed when the detector is sure of it; otherwise the reply is 'und' and labelled in English.
"""
import re
from functools import lru_cache

READABLE = frozenset({"en", "und"})
SURE = 0.8  # below this probability a non-English guess is 'und'
MIN_LETTERS = 12  # Latin-script text shorter than this is 'und'
SAMPLE = 1000  # characters read: a long story's opening tells its language as well as all of it

_NOISE = re.compile(r"@\w+|https?://\S+|#|&\w+;")
_WORD = re.compile(r"[^\W\d_]+")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_NON_LATIN = re.compile(r"[^\x00-\u024f\u1e00-\u1eff\u2000-\u2bff\U0001f000-\U0001faff\ufe0f]")

# Function words: two English ones and no other language's mean English without asking the model.
_ENGLISH = frozenset("the to for my i you is and a of in on it with this that was have not your me we at be "
                     "are can just been no so what they our from an or if will do get why how".split())
_OTHER = frozenset("der die das und ist nicht ich sie wir ein eine mit auf le la les et est une pas je vous "
                   "el los las que y es por para una non che il sono een het niet ik".split())


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text):
    """ISO 639-1 code of `text`'s language, or 'und' when it cannot be told."""
    body = _NOISE.sub(" ", (text or "")[:SAMPLE])
    if body.isascii():  # most replies: no script to look for, and lower-casing first is safe
        words = _WORD.findall(body.lower())
        latin = True
    else:
        if _KANA.search(body):
            return "ja"
        if _HANGUL.search(body):
            return "ko"
        if _HAN.search(body):
            return "zh"
        words = [w.lower() for w in _WORD.findall(body)]
        latin = not _NON_LATIN.search(body)
    return from_words(body, words, latin)


def from_words(body, words, latin):
    """detect()'s answer for a text without kana, hangul or han: its lower-cased `words` and
    whether it is all Latin script decide short and plain English texts, the model the rest."""
    if latin:
        if sum(map(len, words)) < MIN_LETTERS or len(words) < 3:
            return "und"
        distinct = set(words)
        if len(distinct & _ENGLISH) >= 2 and not distinct & _OTHER:
            return "en"
    language, probability = _identifier().classify(body)
    if language == "en":
        return "en"
    return language if probability >= SURE else "und"


def readable(language):
    """True when the labeller reads `language` (English, or too short to tell)."""
    return language in READABLE
