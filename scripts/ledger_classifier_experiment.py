"""Would a small learned classifier decide stance and holder where the ledger's rules find nothing? (issue 15, item 7)

    .venv/bin/python scripts/ledger_classifier_experiment.py

Candidates are (sentence, party, issue) pairs: the speaker's party and every subject-like party, times every issue the
sentence names. Features: the sentence's e5-small vector (the embedder the bot ships) plus exact features (the party
is the speaker's, is the first subject, the speaker is a commentator, the sentence is a question, the rules found a
cue, how many parties and issues). Labels: the gold stance of the pair, or none. A multinomial logistic regression
(plain numpy) is fitted on the gold set's TRAIN split only and measured on the TEST split, alone and as a fallback
for sentences where the rules find nothing. Nothing is shipped: the figures decide whether it is worth shipping.
"""
from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "data" / "ledger_gold"))

import score_ledger as gold  # noqa: E402

from bot.embedding.embedder import Embedder  # noqa: E402
from bot.ingestion.ledger import extract_positions  # noqa: E402
from bot.ingestion.ledger_sentence import StanceSentence  # noqa: E402
from bot.text.attribution import Context, attribute, load_lexicon, remember  # noqa: E402

LABELS = ["none", "demands", "offers", "accepts", "rejects", "conditions", "denies"]


def candidates(rows: list[dict]) -> tuple[list[tuple[int, str, str, np.ndarray, int]], dict[int, set]]:
    lexicon = load_lexicon()
    profiles: dict = {}
    docs: dict[str, list[int]] = collections.OrderedDict()
    for i, row in enumerate(rows):
        docs.setdefault(row["doc"], []).append(i)
    found, by_rules = [], {}
    for indices in docs.values():
        key = rows[indices[0]].get("profile")
        if key not in profiles:
            profiles[key] = gold.Profile.load(gold.PROFILES[key]) if key else gold.Profile.load()
        profile = profiles[key]
        for f in extract_positions([rows[i]["sentence"] for i in indices], profile):
            by_rules.setdefault(indices[f.sentence_index], set()).add((f.party, f.issue, f.stance))
        context = Context()
        for i in indices:
            sentence = StanceSentence(rows[i]["sentence"], profile, lexicon)
            attribution = attribute(sentence, context, profile)
            remember(sentence, context, attribution)
            speaker = attribution.speaker
            own = speaker.party if speaker is not None and not speaker.commentator else None
            subjects = [m.party for m in sentence.mentions if m.party and sentence.is_subject_like(m)]
            parties = list(dict.fromkeys(p for p in [own, *subjects] if p))
            issues = list(dict.fromkeys(m.issue for m in sentence.issue_mentions(0, len(sentence.folded)) if m.issue))
            labels = {(g["party"], g["issue"]): g["stance"] for g in rows[i]["positions"]}
            for party in parties:
                for issue in issues:
                    exact = np.array([party == own, bool(subjects) and party == subjects[0],
                                      speaker is not None and speaker.commentator, bool(lexicon.question.search(sentence.folded)),
                                      bool(sentence.cues), len(parties), len(issues) / 3], dtype=np.float32)
                    found.append((i, party, issue, exact, LABELS.index(labels.get((party, issue), "none"))))
    return found, by_rules


def fit(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 2000, rate: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    weights, bias = np.zeros((x.shape[1], len(LABELS))), np.zeros(len(LABELS))
    target = np.eye(len(LABELS))[y]
    for _ in range(steps):
        gradient = softmax(x @ weights + bias) - target
        weights -= rate * (x.T @ gradient / len(x) + l2 * weights)
        bias -= rate * gradient.mean(0)
    return weights, bias


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def main() -> None:
    rows = [json.loads(line) for line in gold.GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    vectors = Embedder().passages([row["sentence"] for row in rows])
    cands, by_rules = candidates(rows)
    x = np.array([np.concatenate([vectors[c[0]], c[3]]) for c in cands])
    y = np.array([c[4] for c in cands])
    split = np.array([rows[c[0]]["split"] for c in cands])
    train = split == "train"
    mean, std = x[train].mean(0), x[train].std(0) + 1e-6
    x = (x - mean) / std
    print(f"candidates: train {train.sum()} ({(y[train] > 0).sum()} with a position), test {(~train).sum()} ({(y[~train] > 0).sum()})")
    for l2 in (1e-3, 1e-2, 1e-1):
        weights, bias = fit(x[train], y[train], l2)
        probabilities = softmax(x @ weights + bias)
        for threshold in (0.3, 0.5, 0.7):
            line = [f"l2={l2:<6} p>={threshold}"]
            for name, mask in (("train", train), ("test", ~train)):
                alone, fallback = collections.Counter(), collections.Counter()
                for j in np.where(mask)[0]:
                    k = int(probabilities[j, 1:].argmax()) + 1
                    if probabilities[j, k] < threshold:
                        continue
                    right = "tp" if y[j] == k else "fp"
                    alone[right] += 1
                    if cands[j][0] not in by_rules:
                        fallback[right] += 1
                line.append(f"{name}: alone {alone['tp']} right / {alone['fp']} wrong, "
                            f"as a fallback +{fallback['tp']} right / +{fallback['fp']} wrong")
            print(" | ".join(line))


if __name__ == "__main__":
    main()
