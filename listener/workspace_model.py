"""The workspace model: what this workspace's corrections teach on top of the shipped labeller.

A multinomial logistic regression over hashed word and character n-grams of the reply plus the
shipped labeller's own features and log-probabilities, so that with few corrections it mostly
repeats the labeller and with more it learns the workspace's words. Hashing keeps it stateless:
the model is its nonzero weights, stored as an .npz BLOB (no pickle) in `workspace_models`.
"""
import io
import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from . import labeller

HASH_FEATURES = 2 ** 18
BASE_SCALE = 2.0  # the labeller's log-probabilities enter scaled, so few corrections lean on them
REGULARISATION = 3.0  # C: the inverse strength of the L2 penalty
# The replies people are asked to correct are the unclear ones, mostly of one kind (in a brand's
# replies: complaints the labeller missed). Learned from them alone, a model shifts every label that
# way (macro-F1 fell from 0.67 to 0.50 after 20 corrections). So training also sees ANCHORS replies
# nobody corrected, labelled as the shipped labeller labels them, at a small weight: corrections
# then change what resembles them, not everything.
ANCHORS = 500
ANCHOR_WEIGHT = 0.2
ANCHOR_CONFIDENCE = 0.5
MAX_ITERATIONS = 100  # L-BFGS steps: 2,000 corrections in seconds; 500 steps changed macro-F1 by < 0.01
MIN_CORRECTIONS = 10


def _vectorizers():
    from sklearn.feature_extraction.text import HashingVectorizer

    common = dict(n_features=HASH_FEATURES, alternate_sign=False, norm="l2", lowercase=True)
    return (HashingVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b|[^\w\s]",
                              **common),
            HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4), **common))


def base_matrix(texts):
    """The shipped labeller's features, log-probabilities and (label, confidence) for each text."""
    rows, labels = [], []
    for text in texts:
        feats = labeller.features(text)
        probs = labeller.probabilities(feats)
        best = max(range(3), key=probs.__getitem__)
        labels.append((labeller.LABELS[best], probs[best]))
        rows.append([feats[name] for name in labeller.FEATURES]
                    + [BASE_SCALE * math.log(max(p, 1e-6)) for p in probs])
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(labeller.FEATURES) + 3), labels


def design_matrix(texts, base=None):
    if base is None:
        base, _ = base_matrix(texts)
    words, chars = _vectorizers()
    texts = [labeller.body(t) for t in texts]
    return sparse.hstack([words.transform(texts), chars.transform(texts), sparse.csr_matrix(base)]).tocsr()


@dataclass
class Model:
    """Weights over some design-matrix columns that adjust the shipped labeller's logits."""

    columns: np.ndarray
    weights: np.ndarray  # len(columns) x 3 (negative, neutral, positive)
    intercept: np.ndarray  # 3

    def probabilities(self, texts, base=None):
        """An (n, 3) array of (negative, neutral, positive) probabilities."""
        if base is None:
            base, _ = base_matrix(texts)
        return self.probabilities_of(design_matrix(texts, base), base)

    def probabilities_of(self, x, base):
        """probabilities() for a design matrix and base matrix already built."""
        return _softmax(_offset(base) + x[:, self.columns] @ self.weights + self.intercept)

    def to_bytes(self):
        buffer = io.BytesIO()
        np.savez_compressed(buffer, columns=self.columns, weights=self.weights, intercept=self.intercept)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob):
        data = np.load(io.BytesIO(blob), allow_pickle=False)
        return cls(data["columns"], data["weights"], data["intercept"])


def _offset(base):
    """The shipped labeller's log-probabilities: the model starts from them and learns adjustments."""
    return base[:, -3:] / BASE_SCALE


def _softmax(z):
    z = np.asarray(z) - np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit(texts, labels, anchor_texts=()):
    """A Model learned from corrected (text, label) pairs, anchored by replies nobody corrected."""
    texts = list(texts) + list(anchor_texts)
    base, _ = base_matrix(texts)
    labels, weights = anchored(labels, base[len(labels):])
    return fit_matrix(design_matrix(texts, base), base, labels, weights)


def anchored(labels, anchor_base):
    """(labels, weights) of the corrections followed by the anchors, labelled by the shipped labeller.

    An anchor counts only where the labeller is sure of it: where it is unsure, corrections teach.
    """
    probs = np.exp(_offset(np.asarray(anchor_base).reshape(-1, len(labeller.FEATURES) + 3)))
    anchor_labels = [labeller.LABELS[k] for k in probs.argmax(axis=1)]
    anchor_weights = np.where(probs.max(axis=1) >= ANCHOR_CONFIDENCE, ANCHOR_WEIGHT, 0.0)
    return list(labels) + anchor_labels, [1.0] * len(labels) + list(anchor_weights)


def fit_matrix(x, base, labels, weights=None):
    """Multinomial logistic regression with the labeller's log-probabilities as offset, L2-penalised.

    With few corrections the weights stay near zero, so the labels stay the labeller's; each
    correction moves them only as far as the evidence of all corrections goes.
    """
    from scipy.optimize import minimize
    from threadpoolctl import threadpool_limits

    used = np.unique(x.indices)  # only the columns the corrections use: seconds, not minutes
    xs = x[:, used].tocsr()
    offset = _offset(base)
    y = np.zeros((len(labels), 3))
    y[np.arange(len(labels)), [labeller.LABELS.index(label) for label in labels]] = 1
    if weights is not None:
        y *= np.asarray(weights, dtype=np.float64)[:, None]
    k = len(used)

    def loss(flat):
        w, b = flat[:3 * k].reshape(k, 3), flat[3 * k:]
        z = offset + xs @ w + b
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        p = np.exp(log_p)
        value = -(y * log_p).sum() + 0.5 / REGULARISATION * (flat @ flat)
        grad_z = p * y.sum(axis=1, keepdims=True) - y
        grad = np.concatenate([(xs.T @ grad_z).ravel(), grad_z.sum(axis=0)]) + flat / REGULARISATION
        return value, grad

    # One BLAS thread: L-BFGS-B's many small vector steps ran 4-10x slower (in CPU and wall time)
    # when BLAS spread them over threads on a busy 2-core machine.
    with threadpool_limits(limits=1, user_api="blas"):
        result = minimize(loss, np.zeros(3 * k + 3), jac=True, method="L-BFGS-B",
                          options={"maxiter": MAX_ITERATIONS})
    return Model(used.astype(np.int64), result.x[:3 * k].reshape(k, 3), result.x[3 * k:])


def cross_validated_agreement(texts, labels, anchor_texts=(), folds=3):
    """(model agreement, shipped labeller agreement): share of corrections each predicts, held out."""
    from sklearn.model_selection import KFold

    if len(texts) < MIN_CORRECTIONS:
        return None, None
    texts, labels, n = list(texts), list(labels), len(texts)
    everything = texts + list(anchor_texts)
    base, base_labels = base_matrix(everything)
    x = design_matrix(everything, base)
    anchor_rows = np.arange(n, len(everything))
    hits = 0
    for train, test in KFold(folds, shuffle=True, random_state=0).split(texts):
        rows = np.concatenate([train, anchor_rows])
        train_labels, weights = anchored([labels[i] for i in train], base[anchor_rows])
        model = fit_matrix(x[rows], base[rows], train_labels, weights)
        probs = model.probabilities_of(x[test], base[test])
        hits += sum(labeller.LABELS[int(k)] == labels[i] for k, i in zip(probs.argmax(axis=1), test))
    base_hits = sum(guess == label for (guess, _), label in zip(base_labels[:n], labels))
    return hits / n, base_hits / n


# ---------------------------------------------------------------- stored models


def corrections(db):
    """[(text, label)] of every correction people made to a reply the labeller can read."""
    from .language import READABLE

    marks = ",".join("?" * len(READABLE))
    return db.execute(
        "SELECT text, label_override FROM replies WHERE label_override IS NOT NULL "
        f"AND coalesce(language, 'und') IN ({marks}) ORDER BY id", sorted(READABLE)).fetchall()


def anchors(db, n=ANCHORS):
    """Texts of up to `n` live replies nobody corrected, spread over the table (deterministic)."""
    return [text for (text,) in db.execute(
        "SELECT text FROM replies WHERE label_override IS NULL AND label IS NOT NULL AND deleted_at IS NULL "
        "ORDER BY (id * 2654435761) % 4294967296 LIMIT ?", [n]).fetchall()]


def corrections_mark(db):
    """(count, newest correction time): a new model is due when this differs from the latest model's."""
    return tuple(db.execute("SELECT count(*), max(label_override_at) FROM replies "
                            "WHERE label_override IS NOT NULL").fetchone())


def latest(db):
    """The newest workspace_models row as a dict, or None before the first training."""
    row = db.execute("SELECT id, version, trained_at, corrections, last_correction_at, agreement, base_agreement, "
                     "seconds, model FROM workspace_models ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    keys = ("id", "version", "trained_at", "corrections", "last_correction_at", "agreement", "base_agreement",
            "seconds", "model")
    return dict(zip(keys, row))


def load(db):
    """(scorer version, Model or None) that new labels come from."""
    from .scoring import BASE_VERSION

    row = latest(db)
    if row is not None and not _built_on(row["version"], BASE_VERSION):
        return BASE_VERSION, None  # its columns are an older labeller's features: the labeller alone until retrained
    if row is None or row["model"] is None:
        return (row["version"] if row else BASE_VERSION), None
    return row["version"], Model.from_bytes(row["model"])


def _built_on(version, base_version):
    return version == base_version or version.startswith(base_version + "+")


def needs_training(db):
    """True when corrections changed since the latest model, or it was built on an older labeller."""
    from .scoring import BASE_VERSION

    row = latest(db)
    mark = corrections_mark(db)
    if row is None:
        return mark[0] > 0
    if not _built_on(row["version"], BASE_VERSION):
        return True  # its weights are over the old labeller's features: learn again on the new one
    return (row["corrections"], row["last_correction_at"]) != mark


def train(db, now, clock=None):
    """Learn from every correction, store the model as the newest row and return that row."""
    import time

    from .db import transaction
    from .scoring import BASE_VERSION
    from .times import iso

    clock = clock or time.perf_counter
    started = clock()
    mark = corrections_mark(db)
    pairs = corrections(db)
    texts, labels = [t for t, _ in pairs], [label for _, label in pairs]
    anchor_texts = anchors(db)
    model = fit(texts, labels, anchor_texts) if pairs else None
    agreement, base_agreement = cross_validated_agreement(texts, labels, anchor_texts)
    seconds = clock() - started
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO workspace_models (version, trained_at, corrections, last_correction_at, agreement, "
            "base_agreement, seconds, model) VALUES ('', ?, ?, ?, ?, ?, ?, ?)",
            [iso(now), mark[0], mark[1], agreement, base_agreement, seconds,
             model.to_bytes() if model else None])
        model_id = cursor.lastrowid
        version = f"{BASE_VERSION}+ws-{model_id}-{len(pairs)}" if model else BASE_VERSION
        db.execute("UPDATE workspace_models SET version = ? WHERE id = ?", [version, model_id])
    return latest(db)
