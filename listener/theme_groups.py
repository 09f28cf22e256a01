"""Group replies into themes: pure functions, deterministic, one core, no model.

1. Each reply is read in its language (replies.language, or a script/stopword check of our own
   when that is unknown). Languages never mix: a theme holds replies of one language.
2. English replies go to the dominant aspect of the hand-written lexicon (theme_lexicon); a
   general aspect joins a specific one where that is the subject ("lost" is a bag on an airline),
   and where the question's replies are not about flying the airline aspects keep only their
   unambiguous words (a garage's engine is no aircraft).
3. What the lexicon does not know is grouped by its most frequent keyphrase (bigram or word
   that is not a stopword), greedily: the phrase shared by the most replies becomes a theme,
   its replies leave the pool, and so on. Phrases that were theme keys in earlier periods go
   first, so a recurring theme keeps its name.
4. A group of fewer than `min_size` replies goes to "other".
5. English replies left in "other" take the aspect a naive Bayes classifier, learned from this
   question's own clearly matched replies, gives them, when it is more likely than all the
   others together. Keyphrase themes keep their replies ("dark mode" is never poured into an
   aspect).
"""

import html
import math
import re
from collections import Counter, defaultdict

from .sentiment import is_sentiment_word
from .theme_lexicon import BROADER, CONTEXT, FAMILY, JOINED_LABELS, LABELS, about_flying, aspect_scores, clear_winner, dominant

METHOD_VERSION = "lexicon-10+choice-1+context-2+phrases-2+propagation-1"
MIN_SIZE = 3
MAX_PHRASE_THEMES = 8
PHRASE_CEILING = 0.5  # a phrase in more than half of a big pool (20+) says nothing about it
MIN_LIFT = 1.5  # a phrase as common among the lexicon's replies as in the pool is the question's topic
MIN_TRAINING = 20  # fewer clearly matched replies teach a classifier nothing it can be trusted with
LONG_REPLY = 200  # characters: a long reply (Reddit, Mastodon, a 280-character tweet) leads with its complaint
PROPAGATED = 0.25  # the weight of a reply placed by the classifier: quoted after the lexicon's matches

URL = re.compile(r"https?://\S+|www\.\S+")
# a Mastodon handle is @user@instance.tld and a Bluesky one @name.bsky.social: the domain goes with it
HANDLE = re.compile(r"(?<!\w)@\w+(?:@[\w-]+(?:\.[\w-]+)+|(?:\.[a-z0-9-]+){2,})?")
HASHTAG = re.compile(r"#(\w+)")
CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")

STOPWORDS = {
    "en": set("""a about above after again against all am an and any are aren't as at be because been
        before being below between both but by can can't cannot could couldn't did didn't do does doesn't
        doing don't down during each few for from further get got had hadn't has hasn't have haven't having
        he her here hers herself him himself his how i i'm i've if in into is isn't it it's its itself just
        let's like me more most much my myself no nor not now of off on once only or other our ours
        ourselves out over own same she should so some still such than that that's the their theirs them
        themselves then there there's these they they're this those through to too under until up us very
        was wasn't we we're were weren't what when where which while who whom why will with won't would
        wouldn't you you're your yours yourself yourselves yes yeah ok okay oh lol thanks thank please
        really one two even also well back way make made going go know need want said say thing things
        day today time now ever never always again guys hi hey im dont cant ive amp
        nothing something anything everything anyone someone everyone nobody sure let lets think tell told
        tonight tomorrow yesterday night morning said says trying try take took come came see look
        getting give gave keep find tried still just will got get what's i'll we'll you'll i'd
        done many better good great bad best worst""".split()),
    "es": set("de la que el en y a los del se las por un para con no una su al lo como más pero sus le ya o "
              "este sí porque esta muy sin sobre también me hasta hay donde quien desde todo nos es".split()),
    "de": set("der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an "
              "werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über so zum gar nie "
              "leider sehr".split()),
    "fr": set("le la les de des du un une et est en que qui dans pour pas sur au avec ce il elle ne se "
              "par plus vous nous c'est très mais ou je".split()),
    "pt": set("de a o que e do da em um para é com não uma os no se na por mais as dos como mas ao ele "
              "das à seu sua ou muito".split()),
    "it": set("di e il la che è per un in non una sono mi ho lo ma ci si con del della le da al "
              "molto ottimo".split()),
}
# Not what people complain about (phrases-2): a keyphrase of English replies is a theme only when its last
# word is none of these nor a word of VADER's sentiment lexicon ("sucks", "poor", "stop"). Time units say
# how long, not what; the generic words below say nothing about any trade's product.
TIME_WORDS = set("""second seconds sec secs minute minutes min mins hour hours hr hrs day days week weeks wk wks
    month months year years yr yrs monday mondays tuesday tuesdays wednesday wednesdays thursday thursdays
    friday fridays saturday saturdays sunday sundays weekend weekends january february april june july
    august september october november december""".split())
GENERIC_WORDS = set("""people person guy guys place places part kind sort lot lots bit stuff extra issue issues
    problem problems situation reason point fact idea case end start thought thinking needs needed sent
    right complete yall put seem seems seemed yet already next last first soon instead literally actually absolutely totally
    honestly seriously basically another else new old whole every ones use used using fly flying flew
    travel traveling travelling hope wait happen happened happens""".split())
LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")  # letters of Latin script
LETTER = re.compile(r"[^\W\d_]")


def normalise(text):
    """Lower-cased text without URLs, @handles and HTML entities: what the lexicon reads.

    A hashtag is read as words: "#HourLongDelay" as "hour long delay"."""
    text = html.unescape(text or "")
    text = HANDLE.sub(" ", URL.sub(" ", text))
    text = HASHTAG.sub(lambda m: " " + CAMEL.sub(" ", m.group(1)) + " ", text)
    return text.lower().replace("\u2019", "'")


def words(text):
    return WORD.findall(text)


def guess_language(text, clean=None):
    """ISO 639-1 code from script and stopwords; 'und' when there are no words to tell by.

    `clean` is normalise(text) when the caller has it already."""
    if not text.isascii():
        letters = LETTER.findall(text)
        if not letters:
            return "und"
        if len(LATIN.findall(text)) < len(letters) / 2:
            return "und"
    tokens = set(words(normalise(text) if clean is None else clean))
    if not tokens:
        return "und"
    hits = {lang: len(tokens & stop) for lang, stop in STOPWORDS.items()}
    best = max(hits, key=lambda lang: (hits[lang], lang == "en"))
    return best if hits[best] else "en"


def language_of(text, stored, clean=None):
    """The language a reply is grouped in: the stored one unless it is unknown."""
    if stored and stored != "und":
        return stored.split("-")[0].lower()
    return guess_language(text, clean)


def names_a_thing(phrase):
    """True when an English keyphrase can be a theme: its last word (the head of an English noun phrase:
    "late fee", "broken link") is no sentiment word (VADER's lexicon), time unit or generic word.
    "sucks", "mins", "people" and "scanner sucks" are not themes; "scanner" and "free shipping" are."""
    head = phrase.rsplit(" ", 1)[-1]
    return not is_sentiment_word(head) and head not in TIME_WORDS and head not in GENERIC_WORDS


def phrases(tokens, stop):
    """Candidate keyphrases of one reply: content words and bigrams of content words."""
    content = [t for t in tokens if t not in stop and len(t) > 2]
    found = set(content)
    for a, b in zip(tokens, tokens[1:]):
        if a not in stop and b not in stop and len(a) > 2 and len(b) > 2:
            found.add(f"{a} {b}")
    return found


def phrase_groups(docs, stop, preferred=(), min_size=MIN_SIZE, max_groups=MAX_PHRASE_THEMES,
                  background=None, background_size=0, keyable=None):
    """Greedy keyphrase grouping of {id: phrases}: returns {id: phrase} for the grouped ones.

    Bigrams count 1.5 times a word (they name things better). Phrases in `preferred` (earlier
    periods' keys) are taken first when they still have `min_size` replies. With `background`
    (phrase counts over all `background_size` replies of the language), a phrase must be
    MIN_LIFT times more frequent in the pool than overall: "flight" in an airline's replies is
    the question's subject, not a theme. With `keyable`, only phrases it accepts are candidates.
    """
    postings = defaultdict(set)
    for doc_id, found in docs.items():
        for phrase in found:
            postings[phrase].add(doc_id)
    if background and len(docs) < background_size:
        postings = {p: ids for p, ids in postings.items()
                    if len(ids) / len(docs) >= MIN_LIFT * background[p] / background_size}
    ceiling = len(docs) if len(docs) < 20 else PHRASE_CEILING * len(docs)
    left = set(docs)
    chosen = {}
    preferred = set(preferred)

    def score(phrase):
        n = len(postings[phrase] & left)
        return (phrase in preferred, n * (1.5 if " " in phrase else 1.0), phrase)

    groups = 0
    candidates = [p for p, ids in postings.items() if min_size <= len(ids) <= ceiling and (keyable is None or keyable(p))]
    while candidates and groups < max_groups:
        best = max(candidates, key=score)
        members = postings[best] & left
        if len(members) < min_size:
            break
        for doc_id in members:
            chosen[doc_id] = best
        left -= members
        groups += 1
        candidates = [p for p in candidates if p != best and len(postings[p] & left) >= min_size]
    return chosen


def group_replies(replies, previous_keys=(), min_size=MIN_SIZE, moves=None):
    """Themes for `replies` [(id, text, stored_language)].

    Returns {id: (key, label, language, weight)}; key is the theme's stable identity ('other'
    for replies that fit no theme), weight how strongly the reply belongs (for choosing quotes).
    Non-English keys carry their language: 'de:hotline'. `moves` {reply id: theme key} are
    people's moves: they teach the classifier the theme a person chose, not the one matched.
    """
    out = {}
    by_language = defaultdict(dict)
    background = defaultdict(Counter)
    sizes = Counter()
    english_words, english_texts, english_scores, clear = {}, {}, {}, set()
    for reply_id, text, stored in replies:
        clean = normalise(text)
        language = language_of(text, stored, clean)
        found = phrases(words(clean), STOPWORDS.get(language, STOPWORDS["en"]))
        background[language].update(found)
        sizes[language] += 1
        if language == "en":
            english_words[reply_id] = {p for p in found if " " not in p}
            english_texts[reply_id] = clean, found
        else:
            by_language[language][reply_id] = found
    flying = about_flying(clean for clean, _ in english_texts.values())
    for reply_id, (clean, found) in english_texts.items():
        scores = reply_scores(clean, flying)
        if scores:
            english_scores[reply_id] = scores
        else:
            by_language["en"][reply_id] = found
    joins = context_joins(Counter(dominant(scores, flying)[0] for scores in english_scores.values()), min_size)
    labels = LABELS | {key: JOINED_LABELS.get(key, LABELS[key]) for key in joins.values()}
    for reply_id, scores in english_scores.items():
        scores = english_scores[reply_id] = in_context(scores, joins)
        key, weight = dominant(scores, flying)
        out[reply_id] = (key, labels[key], "en", weight)
        if clear_winner(scores, key):
            clear.add(reply_id)
    for reply_id, (key, weight) in second_choices(out, english_scores, min_size, flying).items():
        out[reply_id] = (key, labels[key], "en", weight)
    for reply_id, key in broader_themes(out, min_size).items():
        out[reply_id] = (key, labels[key], "en", out[reply_id][3])
        clear.discard(reply_id)  # a theme it joined for want of its own teaches the classifier nothing
    for language, docs in sorted(by_language.items()):
        prefix = "" if language == "en" else f"{language}:"
        preferred = [k[len(prefix):] for k in previous_keys if k.startswith(prefix) and ":" not in k[len(prefix):]]
        stop = STOPWORDS.get(language, STOPWORDS["en"])
        chosen = phrase_groups(docs, stop, preferred, min_size,
                               background=background[language], background_size=sizes[language],
                               keyable=names_a_thing if language == "en" else None)
        for reply_id in docs:
            phrase = chosen.get(reply_id)
            if phrase:
                out[reply_id] = (prefix + phrase, phrase, language, 1.0)
            else:
                out[reply_id] = (prefix + "other", "other", language, 0.0)
    out = small_groups_to_other(out, min_size)
    training = {reply_id: out[reply_id][0] for reply_id in clear if out[reply_id][0] in LABELS}
    for reply_id, key in (moves or {}).items():
        training.pop(reply_id, None)
        if key in LABELS and reply_id in english_words:
            training[reply_id] = key
    left = [reply_id for reply_id, (key, *_) in out.items() if key == "other"]
    for reply_id, key in propagate(training, left, english_words).items():
        out[reply_id] = (key, labels[key], "en", PROPAGATED)
    return out


def reply_scores(clean, flying):
    """aspect_scores() of a normalised reply; where nobody flies, a long reply's opening sentence counts
    twice (lexicon-7): a Reddit comment or a Mastodon post says what is wrong first, then tells the
    story of chasing it (the calls, the emails, the ticket), which must not outweigh the complaint."""
    scores = aspect_scores(clean, flying)
    if flying or len(clean) < LONG_REPLY:
        return scores
    opening = SENTENCE_END.split(clean.strip(), maxsplit=1)
    if len(opening) < 2:
        return scores
    lead = aspect_scores(opening[0], flying)
    return {key: scores.get(key, 0.0) + lead.get(key, 0.0) for key in sorted(scores.keys() | lead.keys())}


def second_choices(assigned, scores, min_size=MIN_SIZE, flying=True):
    """{reply id: (key, weight)} for the replies whose aspect has too few replies to be a theme: the
    aspect among the others they name that has enough ("the parcel came smashed" goes to deliveries
    when smashed things are too rare this week to stand on their own), chosen as dominant() chooses."""
    sizes = Counter(key for key, *_ in assigned.values())
    moved = {}
    for reply_id, weights in scores.items():
        if sizes[assigned[reply_id][0]] >= min_size:
            continue
        standing = {key: w for key, w in weights.items() if sizes[FAMILY.get(key, key)] >= min_size}
        key, weight = dominant(standing, flying)
        if key:
            moved[reply_id] = (key, weight)
    return moved


def broader_themes(assigned, min_size=MIN_SIZE):
    """{reply id: key} for the replies of aspects too small to be a theme, moved up BROADER until their
    theme has `min_size` replies or there is nothing broader (then they go to "other" as before)."""
    keys = {reply_id: key for reply_id, (key, *_) in assigned.items() if key in LABELS}
    sizes = Counter(keys.values())
    moved = {}
    changed = True
    while changed:
        changed = False
        for key in sorted(sizes):
            if 0 < sizes[key] < min_size and key in BROADER:
                up = BROADER[key]
                for reply_id in sorted(r for r, k in keys.items() if k == key):
                    keys[reply_id] = moved[reply_id] = up
                sizes[up] += sizes.pop(key)
                changed = True
    return moved


def propagate(training, unknown, features, threshold=0.5):
    """{reply id: aspect} for the `unknown` replies a naive Bayes classifier places confidently.

    Learned at run time from `training` {reply id: aspect} (the question's own clearly matched
    replies) over `features` {reply id: set of words}; a reply gets the aspect whose posterior is
    above `threshold` (more likely than all the others together). Laplace smoothing; words never
    seen in training are ignored and a reply needs two it knows; no placement from fewer than
    MIN_TRAINING replies or one aspect.
    """
    replies = Counter(training.values())
    if len(training) < MIN_TRAINING or len(replies) < 2:
        return {}
    counts = defaultdict(Counter)
    for reply_id, aspect in training.items():
        counts[aspect].update(features[reply_id])
    vocabulary = set().union(*counts.values())
    aspects = sorted(replies)
    denominators = {a: sum(counts[a].values()) + len(vocabulary) for a in aspects}
    placed = {}
    for reply_id in unknown:
        known = sorted(w for w in features.get(reply_id, ()) if w in vocabulary)
        if len(known) < 2:  # one word is too thin a clue
            continue
        log_p = {a: math.log(replies[a] / len(training))
                 + sum(math.log((counts[a][w] + 1) / denominators[a]) for w in known) for a in aspects}
        best = max(aspects, key=lambda a: log_p[a])
        posterior = 1 / sum(math.exp(log_p[a] - log_p[best]) for a in aspects)
        if posterior > threshold:
            placed[reply_id] = best
    return placed


def context_joins(sizes, min_size=MIN_SIZE):
    """{general aspect: specific aspect} for the CONTEXT pairs whose specific aspect is the subject of
    this question: it leads at least as many replies as the general one, and `min_size` or more."""
    return {general: specific for general, specific in CONTEXT.items()
            if sizes[general] and sizes[specific] >= max(sizes[general], min_size)}


def in_context(scores, joins):
    """{aspect: weight} with each joined general aspect's weight added to its specific one."""
    if not joins.keys() & scores.keys():
        return scores
    folded = Counter()
    for key, weight in sorted(scores.items()):
        folded[joins.get(key, key)] += weight
    return dict(folded)


def small_groups_to_other(assigned, min_size, keep=()):
    """Send every group smaller than `min_size` (except keys in `keep`) to its language's 'other'."""
    sizes = Counter(key for key, *_ in assigned.values())
    out = {}
    for reply_id, (key, label, language, weight) in assigned.items():
        if sizes[key] < min_size and key not in keep and label != "other":
            prefix = "" if language == "en" else f"{language}:"
            out[reply_id] = (prefix + "other", "other", language, 0.0)
        else:
            out[reply_id] = (key, label, language, weight)
    return out
