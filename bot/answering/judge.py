"""The answer judge: a small learned model of "does this sentence answer this question", in any language.

The candidate search (candidates.py) scores passages with hand-set constants that were fitted by eye to the
documents it was shown. The judge weighs the same evidence (and a few script-independent signals the constants
do not see: where the passage stands in the meaning ranking, whether it names the question's entities by
profile key, whether it holds the figure or date the question asks for) with a logistic regression trained by
``scripts/train_judge.py`` on labelled (question, candidate) pairs of the development corpus. It is cheap: a
few dozen numbers per candidate and one dot product.

The weights ship as package data (``judge.json``, beside this module) and load once. Without that file the
engine ranks as before.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.answering.cues import _QUOTE_MARKS, _same_script, passage_stances
from bot.answering.figures import asked_units, extract_dates, extract_figures
from bot.text import numbers as textnumbers

if TYPE_CHECKING:
    from bot.answering.candidates import Candidate
    from bot.answering.question import Question

WEIGHTS_FILE = Path(__file__).with_name("judge.json")
_NO_VECTOR = -9.99  # CosineZ reads a passage without a vector as -10

# The features, in the order of the weight vector. Every one is defined by ``features`` below; the training
# script and the engine both call it, so the two can never disagree on what a feature means.
FEATURES = (
    "dense_z",  # the passage's cosine with the question, in deviations above the corpus's
    "dense_gap",  # ... less the best cosine in the pool (0 for the closest passage)
    "dense_rank",  # 1 / (1 + its place in the pool's meaning ranking)
    "coverage",  # share of the question's weighted terms the passage holds (translations and context count less)
    "coverage_gap",  # ... less the pool's best coverage
    "retrieval",  # the fused BM25 + dense search score
    "title",  # share of the question's terms its article's headline holds
    "score_gap",  # the hand-tuned score less the pool's best
    "score_rank",  # 1 / (1 + its place in the hand-tuned ranking)
    "cross",  # the passage is in another script family than the question (English vs Chinese)
    "cross_dense_z",  # dense_z, for a passage in the other language (meaning is what crosses languages)
    "cross_coverage",  # coverage, for a passage in the other language (words rarely cross)
    "cross_dense_rank",  # dense_rank, for a passage in the other language
    "topical",  # it matches what is asked about, not only who
    "acts",  # the asked party is the subject of the asked stance
    "ledger_party",  # the ledger records a stance of an asked party in it
    "ledger_issue",  # ... on an asked issue
    "entity_share",  # share of the question's named entities (profile keys: any script) the passage or its antecedent names
    "entity_missing",  # 1 when it names none of the question's entities although the question names some
    "facet_figure",  # a "how much" question and the passage holds a figure (of the asked unit)
    "facet_date",  # a "when" question and the passage holds a date
    "facet_place",  # a "where" question and the passage names a place the question does not
    "facet_person",  # a "who" question and the passage names a person the question does not
    "number_echo",  # a figure the question states is stated by the passage too (any script: 60万 = 600,000)
    "speech_quote",  # a question about what someone said, and the passage quotes someone
    "stance_match",  # a verb of the asked stance stands in the passage (agreed, 同意...)
    "doc_dense",  # the best dense_z among the pool's passages of the same article: the article is on the topic
    "doc_share",  # share of the pool's top-10 (by meaning) that come from the same article
    "fragment",  # a heading or scrap
    "length",  # log of the passage's length in characters
)


@dataclass(frozen=True)
class Judge:
    """Logistic regression over ``FEATURES``: standardization, weights and the abstention floor."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    floor: float  # below this best probability the question is not answered by any candidate

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        z = ((matrix - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Judge":
        names = list(data["features"])
        if tuple(names) != FEATURES:
            raise ValueError(f"judge weights are for other features: {names}")
        return cls(np.asarray(data["mean"], dtype=np.float64), np.asarray(data["scale"], dtype=np.float64),
                   np.asarray(data["weights"], dtype=np.float64), float(data["bias"]), float(data["floor"]))

    def to_json(self) -> dict[str, Any]:
        return {"features": list(FEATURES), "mean": _rounded(self.mean), "scale": _rounded(self.scale),
                "weights": _rounded(self.weights), "bias": round(self.bias, 6), "floor": round(self.floor, 6)}


def _rounded(values: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in values]


@lru_cache(maxsize=1)
def load(path: str = str(WEIGHTS_FILE)) -> Judge | None:
    """The shipped judge, or None when no weights file is present (the engine then ranks by its own score)."""
    file = Path(path)
    if not file.is_file():
        return None
    return Judge.from_json(json.loads(file.read_text(encoding="utf-8")))


def features(answerer, q: "Question", candidates: list["Candidate"]) -> np.ndarray:
    """One row of ``FEATURES`` per candidate (in the given order), from the question, the pool and the index."""
    if not candidates:
        return np.zeros((0, len(FEATURES)))
    profile = answerer.profile
    # A passage not embedded yet (a document that just arrived) reads as -10 deviations: it is judged on its words, its
    # meaning taken as the corpus's average.
    dense = [c.dense_z if c.dense_z > _NO_VECTOR else 0.0 for c in candidates]
    best_dense = max(dense)
    best_coverage = max(c.coverage for c in candidates)
    best_score = max(c.score for c in candidates)
    by_dense = sorted(range(len(candidates)), key=lambda i: -dense[i])
    by_score = sorted(range(len(candidates)), key=lambda i: -candidates[i].score)
    dense_rank = {i: r for r, i in enumerate(by_dense)}
    score_rank = {i: r for r, i in enumerate(by_score)}
    doc_dense: dict[str, float] = {}
    for c, dz in zip(candidates, dense):
        doc_dense[c.passage.document_id] = max(doc_dense.get(c.passage.document_id, -10.0), dz)
    top_docs = [candidates[i].passage.document_id for i in by_dense[:10]]
    asked = set(q.entities) | set(q.parties)
    units = asked_units(q.text)
    asked_numbers = [n for n in textnumbers.numbers_in(q.text) if n.salient]
    rows = []
    for i, c in enumerate(candidates):
        p = c.passage
        cross = 0.0 if _same_script(p.language, q.language) else 1.0
        context = answerer._antecedent(p)
        named = set(p.entities) | set(p.parties) | (set(context.entities) | set(context.parties) if context else set())
        share = len(asked & named) / len(asked) if asked else 1.0
        figures = extract_figures(p.text) if ("how_much" in q.facets or asked_numbers) else ()
        figure = 0.0
        if "how_much" in q.facets and figures:
            figure = 1.0 if not units or any(f.unit in units for f in figures) else 0.4
        echo = 0.0
        if asked_numbers:
            stated = textnumbers.numbers_in(p.text)
            echo = float(any(textnumbers.same_number(a, b) for a in asked_numbers for b in stated))
        place = person = 0.0
        if "where" in q.facets:
            place = float(any(profile.entity(k).kind == "place" and k not in asked for k in p.entities))
        if "who" in q.facets:
            person = float(any(profile.entity(k).kind == "actor" and k not in asked for k in p.entities))
        relevant = [e for e in c.ledger if e.party in q.parties]
        dz = max(dense[i], -5.0)
        rows.append((
            dz,
            dz - max(best_dense, -5.0),
            1.0 / (1 + dense_rank[i]),
            c.coverage,
            c.coverage - best_coverage,
            c.retrieval,
            c.title,
            max(c.score - best_score, -5.0),
            1.0 / (1 + score_rank[i]),
            cross,
            cross * dz,
            cross * c.coverage,
            cross / (1 + dense_rank[i]),
            float(c.topical),
            float(c.acts),
            float(bool(relevant)),
            float(any(e.issue in q.issues for e in relevant)),
            share,
            float(bool(asked) and not (asked & named)),
            figure,
            float("when" in q.facets and bool(extract_dates(p.text, p.language))),
            place,
            person,
            echo,
            float("speech" in q.cues and bool(_QUOTE_MARKS.search(p.text))),
            float(bool(q.stances_asked) and bool(q.stances_asked & set(passage_stances(p.text)))),
            max(doc_dense[p.document_id], -5.0),
            top_docs.count(p.document_id) / 10.0,
            float(p.fragment),
            math.log(1 + len(p.text)),
        ))
    return np.asarray(rows, dtype=np.float64)


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, sample_weight: np.ndarray | None = None,
                 steps: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Fit an L2-regularized logistic regression by Newton's method on standardized features.

    Returns (mean, scale, weights, bias) such that p = sigmoid(((x - mean) / scale) @ weights + bias).
    """
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    n, d = z.shape
    design = np.hstack([z, np.ones((n, 1))])
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    theta = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0  # the bias is not shrunk
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ theta, -30.0, 30.0)))
        gradient = design.T @ (sw * (p - y)) + penalty * theta
        hessian = (design * (sw * p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return mean, scale, theta[:-1], float(theta[-1])
