"""Regular expressions compiled for speed: same matches as re.compile, fewer steps per character.

The labeller's cues are word lists like ``\\b(?:refunds?|reimburse(?:d|ment)?|...)\\b``. Python's
regex engine tries every alternative in order at every word boundary, so a long list costs more
than VADER itself. Two rewrites of the parsed pattern keep every match identical:

* alternatives that start with a literal character are grouped by that character, keeping their
  order (at a given position only those starting with its character can match, in the same
  order as before), and the rest of each group again, a trie: ``\\b(?:rude|refunds?|rebook)``
  becomes ``\\b(?:r(?:ude|e(?:funds?|book)))``;
* a pattern that starts with ``\\b`` and a few possible first letters is turned around so that
  the engine skips to those letters (``r(?<!\\w.)(?:ude|efunds?)``); with many possible first
  letters it gets a lookahead for them instead, so the alternatives are not tried at the end of
  every word.

Counting many patterns and asking whether others match at all (counter) takes one pass over
the text for every pattern, or part of one, that starts a word. Patterns with flags, capture
groups or backreferences are compiled as they are.
"""
import re

try:  # CPython's own regex parser (3.11+); on a Python without it every pattern compiles as it is
    from re import _compiler, _constants as sre, _parser
except ImportError:  # pragma: no cover
    _parser = None
else:
    _REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
    _BOUNDARY = (sre.AT, sre.AT_BOUNDARY)


def compile_fast(pattern):
    """re.compile(pattern), rewritten as above when that is safe."""
    tree = _parse(pattern)
    if tree is None:
        return re.compile(pattern)
    return _compile(tree)


def counter(patterns, searched=()):
    """A function text -> [len(re.findall(p, text)) for p in patterns] followed by
    [re.search(q, text) is not None for q in searched], in one pass where it can.

    Patterns whose every match starts at the beginning of a word share the pass: at each word
    start where any of them matches, a group per pattern captures the match each would find there
    (tried only for the patterns with an alternative that can start with the word's first
    character), and findall's rule (the next match starts where the last one ended) is applied per
    pattern. The others are counted alone. A searched pattern's alternatives that start a word
    join the pass as one more capture (any match of them is a match of the pattern); its other
    alternatives (``\\?``, ``#fail``, ``^...``) are searched alone, which is fast for a literal. What
    runs alone is skipped for a text without any character its matches can start with.
    """
    trees = [_parse(p) for p in patterns]
    shared = [i for i, tree in enumerate(trees) if tree is not None and _starts_words(tree)]
    words, others = [], []  # per searched pattern: its word-start alternatives, searches for the rest
    for q in searched:
        tree = _parse(q)
        if tree is None:
            words.append(None)
            others.append([re.compile(q).search])
            continue
        alternatives = _flattened(tree.state, _alternatives(tree))
        starting = [alt for alt in alternatives if _starts_word(alt)]
        words.append(_parser.SubPattern(tree.state, [(sre.BRANCH, (None, starting))]) if starting else None)
        others.append([_skipping(_compile(alt).search, alt) for alt in alternatives if not _starts_word(alt)])
    # each capture of the pass counts into a slot: a counted pattern's, or a searched pattern's
    captures = [trees[i] for i in shared] + [tree for tree in words if tree is not None]
    slots = shared + [len(patterns) + j for j, tree in enumerate(words) if tree is not None]
    if len(captures) < 2:  # (one pattern alone is faster without the captures)
        captures, shared = [], []
        others = [[_skipping(compile_fast(q).search, _parse(q))] for q in searched]
    alone = [(i, _skipping(compile_fast(p).findall, trees[i], [])) for i, p in enumerate(patterns) if i not in shared]
    finditer = _compiler.compile(_word_start_captures(captures), 0).finditer if captures else None
    first = len(patterns)  # (where the searched patterns' answers start)
    searches = [(first + j, search) for j, alone_searches in enumerate(others) for search in alone_searches]

    others_unmatched = len(captures) - 1

    def count(text):
        counts = [0] * (first + len(searched))
        if captures:
            ends = [0] * len(captures)
            for m in finditer(text):
                # Mostly one pattern matches at a word start: its group is the last matched one.
                groups, last = m.groups(), m.lastindex
                if groups.count(None) == others_unmatched and groups[last - 1] is not None:
                    start, end = m.span(last)
                    k = last - 1
                    if start >= ends[k]:
                        counts[slots[k]] += 1
                        ends[k] = end
                    continue
                for k, (start, end) in enumerate(m.regs[1:]):
                    if start >= ends[k]:
                        counts[slots[k]] += 1
                        ends[k] = end
        for i, findall in alone:
            counts[i] = len(findall(text))
        for i, search in searches:
            if not counts[i] and search(text):
                counts[i] = 1
        if searched:
            counts[first:] = map(bool, counts[first:])
        return counts

    return count


def _skipping(find, tree, nothing=None):
    """`find` (a search or findall), answering `nothing` without a search when the text holds none of
    the characters every match starts with: ``\\?{2,}|\\?!|!\\?`` needs a ``?`` or ``!``, and most replies
    have neither (a test per character runs at memchr speed, a search steps through the text)."""
    chars = _first_chars(tree.data) if tree is not None else None
    if not chars or len(chars) > 8:  # (each character is a scan of the text)
        return find
    chars = [chr(ch) for ch in sorted(chars)]
    return lambda text: find(text) if any(map(text.__contains__, chars)) else nothing


def _word_start_captures(trees):
    r"""One pattern that matches, at each word start where any of `trees` matches, the word's first
    character, with group k + 1 capturing from there the match trees[k] finds there (their leading
    ``\b`` is already checked there). It branches on that character, so at a word start only the
    alternatives that can start with it are tried:

    ``\b(?=\w)(?:t(?<=(?=G_t).)(?:(?<=(?=(P0_t)).)|)(?:(?<=(?=(P2_t)).)|)|a(?<=(?=(P1_a)).)|...|[^ta...]...)``

    Pk_c is trees[k]'s alternatives that can start with c, in their order (the same match), G_c all
    of them in one trie (does any match at all?); with one pattern for c its capture is the gate. The
    last branch, for characters no alternative names (``\d``, ``\w``, é), holds the alternatives that
    can start with those.
    """
    state = _parser.parse("", 0).state  # (str flags; groups are numbered from 1 below)
    patterns = []  # per tree: its group, and its alternatives with the items their first character is one of
    for tree in trees:
        group = state.opengroup()
        state.closegroup(group, tree)
        alternatives = [_grouped(_parser.SubPattern(state, alt.data[1:]))
                        for alt in _flattened(tree.state, _alternatives(tree))]
        patterns.append((group, [(alt, _first_items(alt.data)) for alt in alternatives]))
    items = [item for _, alts in patterns for _, first in alts for item in first]
    keys = _named_chars(items)
    if any(value == sre.CATEGORY_DIGIT for op, av in items if op is sre.IN for _, value in av):
        keys |= set(map(ord, "0123456789"))  # (\d+ hours: ASCII digits get branches of their own)
    keys = sorted(keys)
    any_char = _parser.parse(r"[\s\S]", 0).data

    def look_back(body):
        r"""``(?<=(?=body)[\s\S])``: `body` matched from the character just read."""
        return (sre.ASSERT, (-1, _parser.SubPattern(state, [(sre.ASSERT, (1, body))] + any_char)))

    def branch(lead, can_start):
        """`lead` (one character), then the captures of the alternatives for which can_start(first items)."""
        chosen = [(group, alts) for group, all_alts in patterns
                  if (alts := [alt for alt, first in all_alts if can_start(first)])]
        if not chosen:
            return None
        captures = [look_back(_parser.SubPattern(state, [(sre.SUBPATTERN, (group, 0, 0, _parser.SubPattern(
            state, [(sre.BRANCH, (None, _group_alternatives(state, alts)))])))])) for group, alts in chosen]
        if len(captures) == 1:
            return _parser.SubPattern(state, [lead] + captures)
        every = sorted((alt for _, alts in chosen for alt in alts), key=lambda alt: alt.data[0][0] is not sre.LITERAL)
        gate = _parser.SubPattern(state, [(sre.BRANCH, (None, _group_alternatives(state, every)))])  # (any order)
        optional = [(sre.BRANCH, (None, [_parser.SubPattern(state, [capture]), _parser.SubPattern(state, [])]))
                    for capture in captures]  # ((?:X|) is cheaper than (?:X)?, which sets up a repeat)
        return _parser.SubPattern(state, [lead, look_back(gate)] + optional)

    matchers = {}

    def tester(ch):
        def can_start(first):
            for item in first:
                if repr(item) not in matchers:
                    matchers[repr(item)] = _compiler.compile(_parser.SubPattern(state, [item]), 0).match
                if matchers[repr(item)](chr(ch)):
                    return True
            return False
        return can_start

    branches = [branch((sre.LITERAL, ch), tester(ch)) for ch in keys]
    others = (sre.IN, [(sre.NEGATE, None)] + [(sre.LITERAL, ch) for ch in keys])
    branches.append(branch(others, lambda first: any(not _names_all(av) for op, av in first if op is sre.IN)))
    word = _parser.SubPattern(state, [(sre.IN, [(sre.CATEGORY, sre.CATEGORY_WORD)])])
    return _parser.SubPattern(state, [_BOUNDARY, (sre.ASSERT, (1, word)),
                                      (sre.BRANCH, (None, [b for b in branches if b is not None]))])


def _named_chars(items):
    """The code points that LITERAL and IN items name one by one (not through a category or negation)."""
    chars = set()
    for op, av in items:
        for kind, value in [(op, av)] if op is sre.LITERAL else av:
            if kind is sre.LITERAL:
                chars.add(value)
            elif kind is sre.RANGE and value[1] - value[0] < 256:
                chars.update(range(value[0], value[1] + 1))
    return chars


def _names_all(set_items):
    """Does an IN item match only characters it names one by one?"""
    return all(kind is sre.LITERAL or kind is sre.RANGE and value[1] - value[0] < 256 for kind, value in set_items)


def _starts_words(tree):
    """Does every match of the parsed pattern start at a word start (a \\b, then a word character)?"""
    return all(map(_starts_word, _flattened(tree.state, _alternatives(tree))))


def _starts_word(alt):
    """Does every match of this alternative (flattened) start at a word start?"""
    return alt.data[:1] == [_BOUNDARY] and _word_led(alt.data[1:])


def _word_led(items):
    """Does every match of the sequence `items` start with a word character (``\\d`` and ``\\w`` too)?"""
    for op, av in items:
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue  # zero-width: the next item consumes the first character
        if op is sre.LITERAL:
            return _is_word(av)
        if op is sre.IN:
            return all(kind is sre.LITERAL and _is_word(value)
                       or kind is sre.RANGE and all(map(_is_word, range(value[0], value[1] + 1)))
                       or kind is sre.CATEGORY and value in (sre.CATEGORY_DIGIT, sre.CATEGORY_WORD)
                       for kind, value in av)
        if op is sre.SUBPATTERN:
            return _word_led(av[3].data)
        if op is sre.BRANCH:
            return all(_word_led(alt.data) for alt in av[1])
        if op in _REPEATS and av[0] >= 1:
            return _word_led(av[2].data)
        return False
    return False


def _parse(pattern):
    """The parsed pattern, or None when it uses flags or groups that the rewrites do not handle."""
    if _parser is None:
        return None
    tree = _parser.parse(pattern, 0)
    if tree.state.flags & ~(re.UNICODE) or tree.state.groups > 1 or not _plain(tree):
        return None
    return tree


def _plain(tree):
    for op, av in tree.data:
        if op in (sre.GROUPREF, sre.GROUPREF_EXISTS, sre.GROUPREF_IGNORE, sre.ATOMIC_GROUP):
            return False
        if op is sre.SUBPATTERN and (av[0] is not None or av[1] or av[2] or not _plain(av[3])):
            return False
        if op is sre.BRANCH and not all(_plain(alt) for alt in av[1]):
            return False
        if op in _REPEATS and not _plain(av[2]):
            return False
        if op in (sre.ASSERT, sre.ASSERT_NOT) and not _plain(av[1]):
            return False
    return True


def _alternatives(tree):
    """The top-level alternatives of a parsed pattern (itself when it has none)."""
    if len(tree.data) == 1 and tree.data[0][0] is sre.BRANCH:
        return list(tree.data[0][1][1])
    if len(tree.data) == 1 and tree.data[0][0] is sre.SUBPATTERN:
        return _alternatives(tree.data[0][1][3])
    return [tree]


# Skipping ahead pays when few letters can start a match; with many, a lookahead is faster.
WORD_START_LETTERS = 10


def _compile(tree):
    state, alternatives = tree.state, _alternatives(tree)
    faster = _word_start_first(state, alternatives) or _lookahead_first(state, alternatives)
    return _compiler.compile(faster, 0)


def _word_start_first(state, alternatives):
    r"""``\b(?:rude|refunds?)`` as ``r(?<!\w.)(?:ude|efunds?)``, or None when the pattern is not that shape.

    Every alternative then starts with a literal, so the engine skips ahead to the characters a
    match can start with instead of trying each position; the lookbehind is the ``\b`` (the
    letter just read is a word character, so a boundary before it means no word character
    before it).
    """
    behind = (sre.ASSERT_NOT, (-1, _parser.parse(r"\w.", 0)))
    starts = []
    for alt in _flattened(state, alternatives):
        data = alt.data
        if data[:1] == [_BOUNDARY] and len(data) > 1 and data[1][0] is sre.LITERAL and _is_word(data[1][1]):
            starts.append(_parser.SubPattern(state, [data[1], behind] + data[2:]))
        elif data and data[0][0] is sre.LITERAL:
            starts.append(alt)
        else:
            return None
    starts = _group_alternatives(state, [_grouped(alt) for alt in starts])
    if len({alt.data[0][1] for alt in starts}) > WORD_START_LETTERS:
        return None
    return _parser.SubPattern(state, starts[0].data if len(starts) == 1 else [(sre.BRANCH, (None, starts))])


def _lookahead_first(state, alternatives):
    r"""``\b(?=[abc])...``: the alternatives are not tried at the end of every word."""
    out = []
    for alt in alternatives:
        alt = _grouped(alt)
        first = _first_chars(alt.data[1:]) if alt.data[:1] == [_BOUNDARY] else None
        if first:
            look = _parser.SubPattern(state, [(sre.IN, [(sre.LITERAL, ch) for ch in sorted(first)])])
            alt.data.insert(1, (sre.ASSERT, (1, look)))
        out.append(alt)
    if len(out) == 1:
        return out[0]
    return _parser.SubPattern(state, [(sre.BRANCH, (None, _group_alternatives(state, out)))])


def _flattened(state, alternatives):
    r"""``\b(?:a|b)c|d`` as ``\bac|\bbc|d`` and ``\b(?:the )?status`` as ``\bthe status|\bstatus``
    (greedy: with it first): the same matches tried in the same order."""
    out = []
    for alt in alternatives:
        lead = alt.data[:1] if alt.data[:1] == [_BOUNDARY] else []
        rest = alt.data[len(lead):]
        if rest and rest[0][0] is sre.SUBPATTERN:
            rest = list(rest[0][1][3].data) + rest[1:]
        if rest and rest[0][0] is sre.BRANCH:
            out += _flattened(state, [_parser.SubPattern(state, lead + list(sub.data) + rest[1:])
                                      for sub in rest[0][1][1]])
        elif rest and rest[0][0] is sre.MAX_REPEAT and rest[0][1][:2] == (0, 1):
            out += _flattened(state, [_parser.SubPattern(state, lead + list(rest[0][1][2].data) + rest[1:]),
                                      _parser.SubPattern(state, lead + rest[1:])])
        else:
            out.append(_parser.SubPattern(state, lead + rest))
    return out


def _is_word(ch):
    return chr(ch).isalnum() or ch == ord("_")


def _grouped(tree):
    """A copy of the parsed pattern whose alternatives are grouped by their first literal character."""
    state = tree.state
    out = []
    for op, av in tree.data:
        if op is sre.BRANCH:
            out.append((op, (av[0], _group_alternatives(state, [_grouped(alt) for alt in av[1]]))))
        elif op is sre.SUBPATTERN:
            out.append((op, (av[0], av[1], av[2], _grouped(av[3]))))
        elif op in _REPEATS:
            out.append((op, (av[0], av[1], _grouped(av[2]))))
        else:
            out.append((op, av))
    return _parser.SubPattern(state, out)


def _group_alternatives(state, alternatives):
    # Only a run of literal-led alternatives may be regrouped: one that starts otherwise could
    # match where they do, so the runs on either side of it keep their places.
    out, run = [], []

    def flush():
        by_char = {}
        for alt in run:
            by_char.setdefault(alt.data[0][1], []).append(alt)
        for ch, alts in by_char.items():
            if len(alts) == 1:
                out.append(alts[0])
            else:
                rests = [_parser.SubPattern(state, alt.data[1:]) for alt in alts]
                rests = _group_alternatives(state, rests)  # (a trie: one step per character)
                tail = list(rests[0].data) if len(rests) == 1 else [(sre.BRANCH, (None, rests))]
                out.append(_parser.SubPattern(state, [(sre.LITERAL, ch)] + tail))
        run.clear()

    for alt in alternatives:
        if alt.data and alt.data[0][0] is sre.LITERAL:
            run.append(alt)
        else:
            flush()
            out.append(alt)
    flush()
    return out


def _first_chars(items):
    """The code points a match of the sequence `items` can start with, or None when unknown."""
    first = _first_items(items)
    if first is None or not all(_names_all(av) for op, av in first if op is sre.IN):
        return None  # (a category like \d, or a negated set)
    return _named_chars(first)


def _first_items(items):
    """One-character items (LITERAL or IN), one of which every match of the sequence `items` starts
    with, or None when unknown (never for a word-led sequence, see _word_led)."""
    for op, av in items:
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue  # zero-width: the next item consumes the first character
        if op in (sre.LITERAL, sre.IN):
            return [(op, av)]
        if op is sre.SUBPATTERN:
            return _first_items(av[3].data)
        if op is sre.BRANCH:
            out = []
            for alt in av[1]:
                first = _first_items(alt.data)
                if first is None:
                    return None
                out += first
            return out
        if op in _REPEATS and av[0] >= 1:
            return _first_items(av[2].data)
        return None
    return None
