"""Representations learned at run time from a workspace's own replies, measured for the workspace model.

    .venv/bin/python benchmarks/representations.py [--airlines United,American] [--curve] [VARIANT ...]
    .venv/bin/python benchmarks/representations.py --ceiling

With 200 corrections, hashed n-grams carry a correction only to replies that share words with it.
Each variant here learns a dense space at retrain time from all of the workspace's replies (in
the simulation: all of the airline's tweets, unlabelled, as a workspace has them) and uses it in
the workspace model: appended to the design matrix (its scale sets a different C for the dense
block: an L2 penalty on a column scaled by s acts as C * s^2 on it), as kNN votes of corrected
neighbours, or as a step after the model. Otherwise exactly benchmarks/labeller.py's simulation
(people answer `review --suggest 20` ten times; measured on the airline's uncorrected tweets).
Results and what was kept: docs/sentiment.md, "Representations learned at run time".
The data is CC BY-NC-SA (cs-tweets): read here, never shipped.
"""
import argparse
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import sparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import labeller as bench  # noqa: E402  (benchmarks/labeller.py)

from listener import labeller, review, workspace_model  # noqa: E402

LABELS = labeller.LABELS


def lsa(texts, dims=100, analyzer="word"):
    """Rows of TruncatedSVD(TF-IDF) over the texts, unit length (latent semantic analysis)."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    if analyzer == "word":
        tfidf = TfidfVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", min_df=2, sublinear_tf=True)
    else:
        tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True)
    matrix = tfidf.fit_transform([labeller.body(t) for t in texts])
    return normalize(TruncatedSVD(dims, random_state=0).fit_transform(matrix))


def ppmi_vectors(texts, dims=100, window=4):
    """Word vectors from SVD of the positive PMI word-context matrix; a reply is their IDF-weighted mean."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    tokens = [re.findall(r"(?u)\b\w+\b", labeller.body(t).lower()) for t in texts]
    counts = Counter(w for words in tokens for w in words)
    vocab = {w: i for i, w in enumerate(sorted(w for w, c in counts.items() if c >= 2))}
    rows, cols = [], []
    for words in tokens:
        ids = [vocab[w] for w in words if w in vocab]
        for i, a in enumerate(ids):
            for b in ids[max(0, i - window):i]:
                rows += [a, b]
                cols += [b, a]
    n = len(vocab)
    pairs = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocoo()
    total = pairs.sum()
    word_p = np.asarray(pairs.sum(axis=1)).ravel() / total
    context_p = np.asarray(pairs.sum(axis=0)).ravel() ** 0.75  # smoothed context distribution
    context_p /= context_p.sum()
    pmi = np.log(pairs.data / total / word_p[pairs.row] / context_p[pairs.col])
    keep = pmi > 0
    ppmi = sparse.csr_matrix((pmi[keep], (pairs.row[keep], pairs.col[keep])), shape=(n, n))
    svd = TruncatedSVD(dims, random_state=0)
    vectors = normalize(svd.fit_transform(ppmi) / np.sqrt(svd.singular_values_))  # U * sqrt(S)
    idf = np.log(len(texts) / np.array([counts[w] for w in sorted(vocab, key=vocab.get)]))
    out = np.zeros((len(texts), dims))
    for j, words in enumerate(tokens):
        ids = [vocab[w] for w in words if w in vocab]
        if ids:
            out[j] = (vectors[ids] * idf[ids, None]).sum(axis=0)
    return normalize(out)


def one_hot(labels):
    y = np.zeros((len(labels), 3))
    y[np.arange(len(labels)), [LABELS.index(label) for label in labels]] = 1
    return y


def knn_votes(space, corrected, labels, k=10, tau=0.1):
    """(n, 3): each reply's k nearest corrections' labels, weighted exp((cos - 1) / tau), itself excluded."""
    sims = space @ space[corrected].T
    sims[corrected, np.arange(len(corrected))] = -np.inf
    k = min(k, len(corrected))
    nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    weights = np.exp((np.take_along_axis(sims, nearest, axis=1) - 1) / tau)
    return (weights[:, :, None] * one_hot(labels)[nearest]).sum(axis=1)


def propagation(space, k=10, alpha=0.5, iterations=20):
    """Label propagation (Zhou et al. 2004) over the symmetric kNN graph: f(corrected, labels) -> (n, 3)."""
    n = len(space)
    sims = space @ space.T
    np.fill_diagonal(sims, -np.inf)
    nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    values = np.maximum(np.take_along_axis(sims, nearest, axis=1), 0).ravel()
    graph = sparse.csr_matrix((values, (np.repeat(np.arange(n), k), nearest.ravel())), shape=(n, n))
    graph = graph.maximum(graph.T)
    scale = sparse.diags(1 / np.sqrt(np.maximum(np.asarray(graph.sum(axis=1)).ravel(), 1e-12)))
    graph = scale @ graph @ scale

    def spread(corrected, labels):
        y = np.zeros((n, 3))
        y[corrected] = one_hot(labels)
        f = y
        for _ in range(iterations):
            f = alpha * (graph @ f) + (1 - alpha) * y
        mass = f.sum(axis=1, keepdims=True)
        return f / np.maximum(mass, 1e-12) * np.minimum(10 * mass, 1)  # a distribution, faded where little arrives
    return spread


def add_to_log_probabilities(probs, extra, weight):
    z = np.log(probs) + weight * extra
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def simulate(rows, steps, dense=None, votes=None, after=None):
    """bench.simulate, with a dense block appended, kNN-vote columns, or a step after the model.

    votes: (space, scale) -> three columns of knn_votes, recomputed after each round of corrections;
    after: f(probs, corrected, labels) -> probs.
    """
    texts, gold = [t for t, _ in rows], [g for _, g in rows]
    base, _ = workspace_model.base_matrix(texts)
    x = workspace_model.design_matrix(texts, base)
    if dense is not None:
        x = sparse.hstack([x, sparse.csr_matrix(dense)]).tocsr()
    probs = np.exp(base[:, -3:] / workspace_model.BASE_SCALE)
    probs /= probs.sum(axis=1, keepdims=True)
    corrected, out = [], []
    rng = np.random.default_rng(0)

    def measure():
        rest = np.setdiff1d(np.arange(len(texts)), corrected)
        pred = [LABELS[k] for k in probs[rest].argmax(axis=1)]
        truth = [gold[i] for i in rest]
        out.append((len(corrected), bench.macro_f1(truth, pred), bench.negative_recall(truth, pred)))

    measure()
    for step in steps:
        unreviewed = np.setdiff1d(np.arange(len(texts)), corrected)
        confidence = probs[unreviewed].max(axis=1).tolist()
        corrected += [int(unreviewed[i]) for i in review.least_certain(confidence, step)]
        pool = np.setdiff1d(np.arange(len(texts)), corrected)
        anchors = rng.choice(pool, min(workspace_model.ANCHORS, len(pool)), replace=False)
        training = corrected + [int(i) for i in anchors]
        labels, weights = workspace_model.anchored([gold[i] for i in corrected], base[anchors])
        xx = x
        if votes is not None:
            space, scale = votes
            v = knn_votes(space, np.asarray(corrected), [gold[i] for i in corrected])
            xx = sparse.hstack([x, sparse.csr_matrix(scale * v)]).tocsr()
        model = workspace_model.fit_matrix(xx[training], base[training], labels, weights)
        probs = model.probabilities_of(xx, base)
        if after is not None:
            probs = after(probs, np.asarray(corrected), [gold[i] for i in corrected])
        measure()
    return out


def variants(texts):
    """name -> keyword arguments of simulate(), built from the workspace's (the airline's) texts."""
    def knn_after(space, k=20, tau=0.2):
        return lambda probs, corrected, labels: add_to_log_probabilities(
            probs, knn_votes(space, corrected, labels, k, tau), 1.0)

    def propagated_after(space):
        spread = propagation(space)
        return lambda probs, corrected, labels: add_to_log_probabilities(probs, spread(corrected, labels), 1.0)

    return {
        "ships": lambda: {},
        "lsa-word": lambda: {"dense": 2 * lsa(texts, 100, "word")},
        "lsa-char": lambda: {"dense": 2 * lsa(texts, 100, "char")},
        "ppmi-100": lambda: {"dense": ppmi_vectors(texts, 100)},
        "ppmi-200": lambda: {"dense": ppmi_vectors(texts, 200)},
        "knn-after": lambda: {"after": knn_after(lsa(texts, 100, "word"))},
        "knn-votes": lambda: {"votes": (lsa(texts, 100, "word"), 1.0)},
        "ppmi-200-votes": lambda: {"votes": (ppmi_vectors(texts, 200), 1.0)},
        "propagation": lambda: {"after": propagated_after(ppmi_vectors(texts, 200))},
    }


def ceiling(airlines):
    """The same model given many labels: the other three airlines' (all of them), or half the airline's own at random."""
    names = list(airlines)
    texts = [t for n in names for t, _ in airlines[n]]
    gold = [g for n in names for _, g in airlines[n]]
    owner = np.array([n for n in names for _ in airlines[n]])
    base, _ = workspace_model.base_matrix(texts)
    x = workspace_model.design_matrix(texts, base)

    def score(train, test):
        model = workspace_model.fit_matrix(x[train], base[train], [gold[i] for i in train])
        pred = [LABELS[k] for k in model.probabilities_of(x[test], base[test]).argmax(axis=1)]
        truth = [gold[i] for i in test]
        return f"{bench.macro_f1(truth, pred):.3f} / {bench.negative_recall(truth, pred):.3f}"

    print("ceiling: the shipped model (no anchors) with many labels, macro-F1 / negative recall")
    for name in names:
        own = np.random.default_rng(0).permutation(np.where(owner == name)[0])
        half = len(own) // 2
        print(f"   {name:<12} other three airlines' {np.sum(owner != name):,} labels: "
              f"{score(np.where(owner != name)[0], np.where(owner == name)[0])}; "
              f"half its own ({half:,}) at random: {score(own[:half], own[half:])}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", help="names (default: all): " + ", ".join(variants([])))
    parser.add_argument("--airlines", default="United,American,US Airways,Southwest")
    parser.add_argument("--curve", action="store_true", help="also the curve at 0, 20, 50, 100, 200, 500 corrections")
    parser.add_argument("--ceiling", action="store_true", help="only the same model given thousands of labels")
    args = parser.parse_args()
    airlines = bench.load_airlines()
    if args.ceiling:
        return ceiling(airlines)
    for name in args.variants or list(variants([])):
        print(f"{name}: macro-F1 / negative recall after 10 x suggest 20" + (", then the curve" if args.curve else ""))
        for airline in args.airlines.split(","):
            rows = airlines[airline]
            kwargs = variants([t for t, _ in rows])[name]()
            ten = simulate(rows, [20] * 10, **kwargs)
            line = f"   {airline:<12} {ten[-1][1]:.3f} / {ten[-1][2]:.3f}"
            if args.curve:
                steps = [b - a for a, b in zip(bench.CURVE, bench.CURVE[1:])]
                line += "   " + " ".join(f"{f1:.3f}" for _, f1, _ in simulate(rows, steps, **kwargs))
            print(line, flush=True)


if __name__ == "__main__":
    main()
