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
REGULARISATION = 1.0  # LogisticRegression's C
# No intercept, balanced classes: the replies a person is asked about are the unclear ones, so their
# label mix is not the workspace's; the labeller's log-probabilities carry the prior instead.
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
    """Weights over the design matrix's columns for the classes seen in training."""

    classes: tuple
    intercept: np.ndarray
    columns: np.ndarray
    weights: np.ndarray  # len(columns) x len(classes)

    def probabilities(self, texts, base=None):
        """An (n, 3) array of (negative, neutral, positive) probabilities.

        A class no correction has shown keeps the shipped labeller's probability.
        """
        if base is None:
            base, _ = base_matrix(texts)
        x = design_matrix(texts, base)
        w = sparse.csr_matrix((self.weights.ravel(),
                               (np.repeat(self.columns, len(self.classes)),
                                np.tile(np.arange(len(self.classes)), len(self.columns)))),
                              shape=(x.shape[1], len(self.classes)))
        z = (x @ w).toarray() + self.intercept
        z -= z.max(axis=1, keepdims=True)
        learned = np.exp(z)
        learned /= learned.sum(axis=1, keepdims=True)
        base_probs = np.exp(base[:, -3:] / BASE_SCALE)
        base_probs /= base_probs.sum(axis=1, keepdims=True)
        out = base_probs.copy()
        seen = [labeller.LABELS.index(c) for c in self.classes]
        share = base_probs[:, seen].sum(axis=1, keepdims=True)
        out[:, seen] = learned * share
        return out

    def to_bytes(self):
        buffer = io.BytesIO()
        np.savez_compressed(buffer, classes=np.array(self.classes), intercept=self.intercept,
                            columns=self.columns, weights=self.weights)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob):
        data = np.load(io.BytesIO(blob), allow_pickle=False)
        return cls(tuple(str(c) for c in data["classes"]), data["intercept"], data["columns"], data["weights"])


def fit(texts, labels):
    """A Model learned from corrected (text, label) pairs, or None with fewer than two labels seen."""
    from sklearn.linear_model import LogisticRegression

    if len(set(labels)) < 2:
        return None
    x = design_matrix(texts)
    used = np.unique(x.indices)  # fit only the columns the corrections use: seconds, not minutes
    lr = LogisticRegression(C=REGULARISATION, max_iter=1000, fit_intercept=False, class_weight="balanced")
    lr.fit(x[:, used], labels)
    coef = lr.coef_.T  # used columns x classes (binary: one column for the second class)
    if len(lr.classes_) == 2:
        coef = np.hstack([-coef / 2, coef / 2])
        intercept = np.array([-lr.intercept_[0] / 2, lr.intercept_[0] / 2])
    else:
        intercept = lr.intercept_
    return Model(tuple(lr.classes_), intercept, used.astype(np.int64), coef)


def cross_validated_agreement(texts, labels, folds=5):
    """(model agreement, shipped labeller agreement): share of corrections each predicts, held out."""
    from sklearn.model_selection import StratifiedKFold

    counts = {label: labels.count(label) for label in set(labels)}
    folds = min(folds, min(counts.values()))
    if len(texts) < MIN_CORRECTIONS or len(counts) < 2 or folds < 2:
        return None, None
    texts, labels = list(texts), list(labels)
    base, base_labels = base_matrix(texts)
    hits = 0
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, labels):
        model = fit([texts[i] for i in train], [labels[i] for i in train])
        probs = model.probabilities([texts[i] for i in test], base[test])
        hits += sum(labeller.LABELS[int(k)] == labels[i] for k, i in zip(probs.argmax(axis=1), test))
    base_hits = sum(guess == label for (guess, _), label in zip(base_labels, labels))
    return hits / len(texts), base_hits / len(texts)


# ---------------------------------------------------------------- stored models


def corrections(db):
    """[(text, label)] of every correction people made to a reply the labeller can read."""
    from .language import READABLE

    marks = ",".join("?" * len(READABLE))
    return db.execute(
        "SELECT text, label_override FROM replies WHERE label_override IS NOT NULL "
        f"AND coalesce(language, 'und') IN ({marks}) ORDER BY id", sorted(READABLE)).fetchall()


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
    if row is None or row["model"] is None:
        return (row["version"] if row else BASE_VERSION), None
    return row["version"], Model.from_bytes(row["model"])


def needs_training(db):
    row = latest(db)
    mark = corrections_mark(db)
    if row is None:
        return mark[0] > 0
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
    model = fit(texts, labels) if len(pairs) >= MIN_CORRECTIONS else None
    agreement, base_agreement = cross_validated_agreement(texts, labels) if model else (None, None)
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
