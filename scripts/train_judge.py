#!/usr/bin/env python3
"""Train the answer judge (bot/answering/judge.py) on a development corpus and write its weights.

For each question of a corpus part (a folder with ``docs/`` and ``questions.jsonl`` in the format of
``../shared/eval/score.py``) the engine's own candidate search is run over the seeds and the part's documents; each
candidate is labelled positive when it comes from one of the question's expected sources and states one of its
expected facts (any alias, case and script folded; figures compared by value, so 十万 matches 100,000). The judge is
a logistic regression over ``judge.FEATURES``.

It is measured first by grouped cross-validation: the English, Simplified and Traditional versions of a question
(ids tNNN-en/-hans/-hant) always fall in the same fold. For each held-out question with a positive candidate in
its pool the top-1 choice of the judge is compared with the top-1 of the hand-tuned score; then the abstention
floor is read off the held-out probabilities.

  .venv/bin/python scripts/train_judge.py tests/data/devset/tune                  # CV report, then write the weights
  .venv/bin/python scripts/train_judge.py tests/data/devset/tune --dry-run        # CV report only
  .venv/bin/python scripts/train_judge.py PART --out /tmp/judge.json --folds 3
  .venv/bin/python scripts/train_judge.py tests/data/devset/tune --extra-docs ../shared/eval/dev_docs \
      --extra-questions ../shared/eval/dev_questions.jsonl ../shared/eval/dev_newdoc_questions.jsonl \
      ../shared/eval/dev_trust_questions.jsonl                                     # what the shipped weights use

Never give it the sealed part of the corpus.
"""
from __future__ import annotations

import argparse
import json
import logging
import pickle
import re
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.answering import judge  # noqa: E402
from bot.answering.question import parse_question  # noqa: E402
from bot.text import normalize as textnorm  # noqa: E402
from bot.text import numbers as textnumbers  # noqa: E402


@dataclass
class Example:
    """One question's pool: features, labels and the hand-tuned scores, in the pool's hand-tuned order."""

    id: str
    group: str
    x: np.ndarray
    y: np.ndarray
    cross: np.ndarray  # the candidate is in the other script family than the question
    abstain: bool
    document: str = ""  # the first expected source: the stricter CV grouping (--group-by document)


def group_of(question_id: str) -> str:
    """The CV group: a question's EN/简/繁 versions share one."""
    match = re.fullmatch(r"(.+)-(?:en|hans|hant)", question_id)
    return match.group(1) if match else question_id


def states_fact(text: str, aliases: list[str]) -> bool:
    """The text states one of the aliases: as words (case and script folded, spacing squashed) or, for an alias
    holding figures, every figure by value (60万 = 600,000; 两个半小时 = 2.5 hours)."""
    folded = _squash(textnorm.fold(text))
    stated = None
    for alias in aliases:
        if _squash(textnorm.fold(alias)) in folded:
            return True
        wanted = [n for n in textnumbers.numbers_in(alias)]
        if wanted:
            stated = textnumbers.numbers_in(text) if stated is None else stated
            if all(any(textnumbers.same_number(w, s) for s in stated) for w in wanted):
                return True
    return False


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def build_answerer(parts: list[Path], db: Path, extra_docs: list[Path] = []):
    """Services over a fresh SQLite database: the seeds, then each part's documents in name order."""
    from bot.config import Settings
    from bot.ingestion.pipeline import Ingestor, expand_inputs
    from bot.services import build_services

    settings = Settings(_env_file=None, database_url=f"sqlite:///{db}", seeds_dir=REPO / "seeds", telegram_token=None,
                        discord_token=None, admin_ids="", cache_dir=db.parent / "cache")
    services = build_services(settings, seed=True)
    for folder in extra_docs:
        list(Ingestor(services).ingest_paths(expand_inputs([str(folder)])))
    for part in parts:
        if (part / "docs").is_dir():
            list(Ingestor(services).ingest_paths(expand_inputs([str(part / "docs")])))
    answerer = services.answerer
    answerer.index.sync()
    return services, answerer


def examples(answerer, questions: list[dict]) -> list[Example]:
    """Each question's candidate pool (the engine's own search, hand-tuned order), its features and labels."""
    found = []
    for question in questions:
        q = parse_question(question["question"], answerer.profile)
        if q.kind in ("latest", "out_of_scope"):
            continue  # answered (or refused) before any candidate is searched
        pool = answerer._scored_pool(q)
        if not pool:
            continue
        sources = set(question.get("sources") or ())
        groups = question.get("expect") or []
        labels = []
        for candidate in pool:
            origin = Path(answerer.index.documents[candidate.passage.document_id].origin).name
            # The engine quotes a sentence with the one it refers back to ("He said..." after "Karasin told..."): the
            # fact may stand in either.
            context = answerer._antecedent(candidate.passage)
            text = candidate.passage.text if context is None else context.text + " " + candidate.passage.text
            labels.append(bool(groups) and origin in sources and not question.get("abstain")
                          and any(states_fact(text, aliases) for aliases in groups))
        cross = [not candidate.passage.language.startswith("zh") == q.language.startswith("zh") for candidate in pool]
        found.append(Example(question["id"], group_of(question["id"]), judge.features(answerer, q, pool),
                             np.asarray(labels, dtype=np.float64), np.asarray(cross, dtype=bool),
                             bool(question.get("abstain")), (question.get("sources") or [question["id"]])[0]))
    return found


def fit(train: list[Example], l2: float, balance: bool = True) -> judge.Judge:
    """Every question weighs the same, however deep its pool (a candidate weighs 1/len(pool)); with ``balance`` a
    question's positives are weighed up (at most tenfold) to match its negatives, which ranks better in CV (the
    probabilities are then not calibrated: the abstention floor is read off the held-out ones all the same)."""
    x = np.vstack([e.x for e in train])
    y = np.concatenate([e.y for e in train])
    weights = []
    for e in train:
        w = np.full(len(e.y), 1.0 / len(e.y))
        if balance and e.y.any():
            w[e.y > 0] *= min(10.0, (len(e.y) - e.y.sum()) / e.y.sum())
        weights.append(w)
    sw = np.concatenate(weights)
    sw *= len(sw) / sw.sum()
    mean, scale, w, b = judge.fit_logistic(x, y, l2=l2, sample_weight=sw)
    return judge.Judge(mean, scale, w, b, floor=0.0)


def folds_of(found: list[Example], k: int, by: str = "question") -> list[int]:
    """A fold per example, by a stable hash of its group: the question triple, or (``by="document"``) the document
    that answers it, so no held-out question is answered by a document a training question was asked about."""
    key = (lambda e: e.group) if by == "question" else (lambda e: e.document)
    groups = sorted({key(e) for e in found})
    order = sorted(groups, key=lambda g: zlib.crc32(g.encode()))
    fold = {g: i % k for i, g in enumerate(order)}
    return [fold[key(e)] for e in found]


def cross_validate(found: list[Example], k: int, l2: float, by: str = "question") -> list[tuple[Example, np.ndarray]]:
    """Held-out probabilities for every example."""
    assigned = folds_of(found, k, by)
    held: list[tuple[Example, np.ndarray]] = []
    for fold in range(k):
        train = [e for e, f in zip(found, assigned) if f != fold]
        model = fit(train, l2)
        held += [(e, model.probabilities(e.x)) for e, f in zip(found, assigned) if f == fold]
    return held


def report(held: list[tuple[Example, np.ndarray]], label: str) -> dict:
    """Top-1 hits of the judge vs the hand-tuned score, overall and on cross-language questions."""
    score_col = judge.FEATURES.index("score_rank")
    rows = {"all": [0, 0, 0, 0], "cross": [0, 0, 0, 0]}  # questions, engine top-1 right, judge top-1 right, judge top-3
    for e, p in held:
        if not e.y.any():
            continue
        keys = ["all"] + (["cross"] if e.cross[e.y > 0].all() else [])
        engine_top = int(np.argmax(e.x[:, score_col]))
        judge_order = np.argsort(-p, kind="stable")
        for key in keys:
            rows[key][0] += 1
            rows[key][1] += int(e.y[engine_top] > 0)
            rows[key][2] += int(e.y[judge_order[0]] > 0)
            rows[key][3] += int(e.y[judge_order[:3]].any())
    print(f"[{label}] questions with a positive candidate in the pool: {rows['all'][0]} of {len(held)}")
    for key, (n, engine, judged, top3) in rows.items():
        if n:
            print(f"  {key:5s} n={n:3d}  top-1 engine {engine}/{n} ({engine / n:.2f})  judge {judged}/{n} ({judged / n:.2f})"
                  f"  judge top-3 {top3}/{n} ({top3 / n:.2f})")
    return rows


def floors(held: list[tuple[Example, np.ndarray]], loss: float) -> float:
    """For each floor: questions answered with a right / wrong top-1, and abstentions on answerable / unanswerable
    ones. Returns the highest floor under which at most ``loss`` of the held-out questions with an answer in their
    pool would fall (0: none of them)."""
    print("  floor  answered:right wrong  abstained:answerable unanswerable   (precision of answered top-1)")
    for floor in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8):
        right = wrong = lost = kept = 0
        for e, p in held:
            best = int(np.argmax(p))
            if p[best] >= floor:
                right += int(e.y[best] > 0)
                wrong += int(e.y[best] == 0)
            elif e.y.any():
                lost += 1
            else:
                kept += 1
        answered = right + wrong
        print(f"  {floor:5.2f}  {right:4d} {wrong:4d}   {lost:4d} {kept:4d}   {right / answered if answered else 0:.2f}")
    answerable = sorted(float(p.max()) for e, p in held if e.y.any())
    return answerable[int(loss * len(answerable))] if answerable else 0.0


def load_questions(part: Path) -> list[dict]:
    return [json.loads(line) for line in (part / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("parts", nargs="+", type=Path, help="corpus part folders (docs/ and questions.jsonl)")
    ap.add_argument("--extra-questions", nargs="*", type=Path, default=[],
                    help="further questions.jsonl files, on the seeds or the --extra-docs")
    ap.add_argument("--extra-docs", nargs="*", type=Path, default=[], help="folders of documents ingested after the seeds")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--group-by", choices=("question", "document"), default="question",
                    help="CV groups: question triples (EN/简/繁 together), or the answering document (stricter)")
    ap.add_argument("--l2", type=float, default=None, help="regularization (default: the best of a few by CV)")
    ap.add_argument("--floor", type=float, default=None, help="abstention floor to ship (default: read off the CV)")
    ap.add_argument("--loss", type=float, default=0.0,
                    help="share of the held-out questions with an answer in their pool that the floor may give up")
    ap.add_argument("--out", type=Path, default=judge.WEIGHTS_FILE)
    ap.add_argument("--dry-run", action="store_true", help="report only; write no weights")
    ap.add_argument("--cache", type=Path, help="pickle of the labelled pools: read when present, else written")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if any("sealed" in part.parts for part in args.parts):
        ap.error("the sealed part is never trained on")

    if args.cache and args.cache.is_file():
        found = pickle.loads(args.cache.read_bytes())
    else:
        with tempfile.TemporaryDirectory() as tmp:
            services, answerer = build_answerer(args.parts, Path(tmp) / "judge.db", args.extra_docs)
            questions = [q for part in args.parts for q in load_questions(part)]
            questions += [json.loads(line) for file in args.extra_questions
                          for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
            found = examples(answerer, questions)
            services.engine.dispose()
        if args.cache:
            args.cache.write_bytes(pickle.dumps(found))
    print(f"{len(found)} questions, {sum(len(e.y) for e in found)} candidates, {int(sum(e.y.sum() for e in found))} positive")

    l2s = [args.l2] if args.l2 is not None else [1.0, 10.0, 30.0, 100.0, 300.0]
    best_l2, best_hits = l2s[0], -1
    for l2 in l2s:
        held = cross_validate(found, args.folds, l2, args.group_by)
        rows = report(held, f"{args.folds}-fold CV grouped by {args.group_by}, l2={l2}")
        if rows["all"][2] >= best_hits:  # ties go to the stronger regularization
            best_l2, best_hits = l2, rows["all"][2]
    held = cross_validate(found, args.folds, best_l2, args.group_by)
    print(f"chosen l2={best_l2}; held-out abstention floors:")
    cv_floor = floors(held, args.loss)
    print(f"floor read off the CV (at most {args.loss:.0%} of answerable questions lost): {cv_floor:.3f}")

    model = fit(found, best_l2)
    floor = args.floor if args.floor is not None else cv_floor
    model = judge.Judge(model.mean, model.scale, model.weights, model.bias, floor)
    print("weights (standardized features):")
    for name, weight in sorted(zip(judge.FEATURES, model.weights), key=lambda item: -abs(item[1])):
        print(f"  {weight:+.3f}  {name}")
    if not args.dry_run:
        args.out.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
