"""The short version of benchmarks/representations.py: its run-time representations on a small made-up workspace."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import representations  # noqa: E402

LOST = [f"my {thing} is {state} again" for thing in ("bag", "luggage") for state in ("lost", "missing", "gone")]
KIND = [f"the {who} was {how} today" for who in ("crew", "staff") for how in ("lovely", "kind", "great")]


def cosine(space, i, j):
    return float(space[i] @ space[j])


def test_ppmi_vectors_bring_together_replies_that_share_no_word():
    texts = (LOST + KIND) * 5 + ["bag", "luggage", "crew"]
    space = representations.ppmi_vectors(texts, dims=4)
    bag, luggage, crew = len(texts) - 3, len(texts) - 2, len(texts) - 1
    assert cosine(space, bag, luggage) > cosine(space, bag, crew) + 0.3
    assert np.allclose(np.linalg.norm(space, axis=1), 1)


def test_knn_votes_come_from_corrected_neighbours_never_from_itself():
    space = np.array([[1.0, 0.0], [0.99, 0.141], [0.0, 1.0]])
    votes = representations.knn_votes(space, np.array([0]), ["negative"], k=1)
    assert votes[0].sum() == 0  # a correction does not vote for itself
    assert votes[1][0] > 100 * votes[2][0]  # a close neighbour counts, a far one hardly
    assert votes[1].argmax() == 0 and votes[1][1:].sum() == 0


def test_simulation_corrects_least_certain_rounds_and_measures_the_rest():
    # the people call these timetable lines negative; the shipped labeller does not: corrections must teach it
    timetable = [f"the {thing} {verb} at {hour}" for thing in ("flight", "plane") for verb in ("leaves", "lands")
                 for hour in ("noon", "nine")]
    rows = ([(text, "negative") for text in LOST * 4 + timetable * 3]
            + [(text, "positive") for text in KIND * 4])
    texts = [text for text, _ in rows]
    spread = representations.propagation(representations.lsa(texts, dims=4), k=3)

    def propagated(probs, corrected, labels):
        return representations.add_to_log_probabilities(probs, spread(corrected, labels), 1.0)

    runs = {}
    for name, kwargs in {"plain": {}, "dense": {"dense": representations.ppmi_vectors(texts, dims=4)},
                         "votes": {"votes": (representations.lsa(texts, dims=4), 1.0)},
                         "propagation": {"after": propagated}}.items():
        out = runs[name] = representations.simulate(rows, [5, 5], **kwargs)
        assert [n for n, _, _ in out] == [0, 5, 10]
        recalls = [recall for _, _, recall in out]
        assert recalls[0] < recalls[1] < recalls[2], (name, out)  # each round corrects the labeller's misses
        assert out[0][1] < out[2][1] <= 1
    # propagation carries a correction to the same words elsewhere at once
    assert runs["propagation"][1][2] > runs["plain"][1][2]
