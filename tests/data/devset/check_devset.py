#!/usr/bin/env python3
"""Validate a part of the answer-quality development corpus (issue 14) before it is scored.

A part is a folder holding ``docs/`` (plain-text news documents), ``questions.jsonl`` and,
optionally, ``summaries.jsonl``, in the formats read by ``../shared/eval/score.py``.

Usage:
  python3 tests/data/devset/check_devset.py tests/data/devset/tune
  python3 tests/data/devset/check_devset.py tests/data/devset/tune tests/data/devset/sealed

Give the part folders explicitly: the script never opens a part it was not asked to check
(the sealed part must not be read while tuning).

What it checks, for each part:
- every line is JSON with the fields score.py reads, of the right types; ids and question
  texts are unique (score.py matches answers to questions by their text);
- ``kind`` (optional for score.py, required here) is one of the kinds below;
- abstain questions have no expected facts and no sources; answered ones have both, except
  bare news requests, which need sources but may have no fact groups;
- every file named in ``sources`` exists in the part's docs/ or in the seed corpus;
- every expected fact group has at least one alias that occurs (case-insensitive, whitespace
  squashed) in at least one listed source: a group nobody could quote is a broken question;
- ``forbid`` groups are lists of non-empty strings;
- cross-language sets: ids ending in -en/-hans/-hant that share a stem form a complete
  triple, and each question is written in the script its suffix names (checked with opencc);
- summaries name existing documents, have a boolean ``duplicate`` and fact groups with an
  alias present in that document;
- documents are non-empty UTF-8, with a title line, and named so that name order is the
  intended ingestion order (no two with the same name once lower-cased).

Exit status 1 when any error was found; warnings do not fail. The last line is a tally.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

KINDS = {
    "factual", "position", "aggregation", "attribution", "comparison", "timeline",
    "disagreement", "false_premise", "yesno_yes", "yesno_no", "yesno_silent",
    "out_of_scope", "news",
}
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent
SEED_DIRS = [REPO / "seeds", Path("/work/shared/seeds")]
LANG_SUFFIX = re.compile(r"^(?P<stem>.+)-(?P<lang>en|hans|hant)$")


def squash(text: str) -> str:
    return " ".join(text.split()).lower()


def is_chinese(text: str) -> bool:
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return cjk > latin / 3


def _converters():
    try:
        import opencc  # type: ignore
    except ImportError:
        return None
    return opencc.OpenCC("t2s"), opencc.OpenCC("s2t")


def zh_script(text: str, conv) -> str | None:
    """'hans', 'hant' or None when undecidable (no opencc, or no script-specific character)."""
    if conv is None:
        return None
    t2s, s2t = conv
    han = "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")
    as_hans, as_hant = t2s.convert(han), s2t.convert(han)
    trad = sum(a != b for a, b in zip(han, as_hans))  # characters that change when simplified
    simp = sum(a != b for a, b in zip(han, as_hant))  # characters that change when traditionalised
    if trad and not simp:
        return "hant"
    if simp and not trad:
        return "hans"
    if trad or simp:
        return "hant" if trad > simp else "hans"
    return None


class Report:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def error(self, where: str, msg: str) -> None:
        self.errors.append(f"ERROR {where}: {msg}")

    def warn(self, where: str, msg: str) -> None:
        self.warnings.append(f"warning {where}: {msg}")


def load_jsonl(path: Path, rep: Report) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            rep.error(f"{path.name}:{n}", f"not JSON ({exc})")
            continue
        if not isinstance(row, dict):
            rep.error(f"{path.name}:{n}", "not a JSON object")
            continue
        row["_line"] = n
        rows.append(row)
    return rows


def is_groups(value) -> bool:
    return isinstance(value, list) and all(
        isinstance(g, list) and g and all(isinstance(a, str) and a.strip() for a in g) for g in value
    )


def load_docs(part: Path, rep: Report) -> dict[str, str]:
    texts: dict[str, str] = {}
    docs = part / "docs"
    if not docs.is_dir():
        rep.error(str(part), "no docs/ folder")
        return texts
    lowered = Counter()
    for p in sorted(docs.iterdir()):
        if not p.is_file():
            continue
        lowered[p.name.lower()] += 1
        try:
            raw = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            rep.error(p.name, "not UTF-8")
            continue
        lines = [l for l in raw.splitlines() if l.strip()]
        if len(lines) < 2:
            rep.error(p.name, "needs a title line and a body")
        texts[p.name] = squash(raw)
    for name, count in lowered.items():
        if count > 1:
            rep.error(name, "two documents differ only in case")
    if not texts:
        rep.error(str(docs), "no documents")
    return texts


def seed_texts() -> dict[str, str]:
    texts: dict[str, str] = {}
    for folder in SEED_DIRS:
        if folder.is_dir():
            for p in folder.iterdir():
                if p.is_file() and p.name not in texts:
                    texts[p.name] = squash(p.read_text(encoding="utf-8", errors="replace"))
    return texts


def check_groups(where: str, groups, sources: list[str], texts: dict[str, str], rep: Report) -> None:
    for group in groups:
        if not any(alias.lower() in texts.get(s, "") for s in sources for alias in (squash(a) for a in group)):
            rep.error(where, f"no alias of {group} occurs in any listed source {sources}")


def check_questions(part: Path, texts: dict[str, str], seeds: dict[str, str], rep: Report, conv) -> Counter:
    path = part / "questions.jsonl"
    tally: Counter = Counter()
    if not path.is_file():
        rep.error(str(part), "no questions.jsonl")
        return tally
    rows = load_jsonl(path, rep)
    ids, questions = Counter(), Counter()
    triples: dict[str, dict[str, str]] = defaultdict(dict)
    available = {**seeds, **texts}
    for q in rows:
        where = f"{path.name}:{q['_line']} {q.get('id', '?')}"
        for field, kind in (("id", str), ("question", str), ("expect", list), ("sources", list), ("abstain", bool)):
            if not isinstance(q.get(field), kind):
                rep.error(where, f"field {field!r} missing or not {kind.__name__}")
        if not isinstance(q.get("id"), str) or not isinstance(q.get("question"), str):
            continue
        ids[q["id"]] += 1
        questions[q["question"]] += 1
        kind = q.get("kind")
        if kind not in KINDS:
            rep.error(where, f"kind {kind!r} not one of {sorted(KINDS)}")
        expect, sources = q.get("expect") or [], q.get("sources") or []
        if not is_groups(expect):
            rep.error(where, "expect must be a list of non-empty alias lists")
            expect = []
        if "forbid" in q and not is_groups(q["forbid"]):
            rep.error(where, "forbid must be a list of non-empty alias lists")
        if q.get("abstain"):
            if expect or sources:
                rep.error(where, "an abstain question has no expected facts and no sources")
            if kind not in (None, "out_of_scope", "yesno_silent"):
                rep.warn(where, f"abstain question of kind {kind}")
        else:
            if not sources:
                rep.error(where, "an answered question needs sources")
            if not expect and kind != "news":
                rep.error(where, "an answered question needs expected facts")
            if kind == "out_of_scope":
                rep.error(where, "out_of_scope questions must abstain")
        for s in sources:
            if s not in available:
                rep.error(where, f"source {s!r} is not in docs/ or the seeds")
        check_groups(where, expect, sources, available, rep)
        m = LANG_SUFFIX.match(q["id"])
        lang = m["lang"] if m else ("zh" if is_chinese(q["question"]) else "en")
        if m:
            triples[m["stem"]][m["lang"]] = q["id"]
        if lang == "en" and is_chinese(q["question"]):
            rep.error(where, "id says English but the question is Chinese")
        if lang in ("hans", "hant"):
            if not is_chinese(q["question"]):
                rep.error(where, f"id says {lang} but the question is not Chinese")
            else:
                script = zh_script(q["question"], conv)
                if script and script != lang:
                    rep.error(where, f"id says {lang} but the question reads as {script}")
        if lang == "zh":
            lang = zh_script(q["question"], conv) or "zh"
        tally[f"kind:{kind}"] += 1
        tally[f"lang:{lang}"] += 1
    for name, count in ids.items():
        if count > 1:
            rep.error(path.name, f"id {name!r} used {count} times")
    for text, count in questions.items():
        if count > 1:
            rep.error(path.name, f"question {text!r} asked {count} times (score.py matches by text)")
    for stem, langs in triples.items():
        if set(langs) != {"en", "hans", "hant"}:
            rep.error(path.name, f"cross-language set {stem} has only {sorted(langs)}")
    tally["triples"] = sum(1 for langs in triples.values() if set(langs) == {"en", "hans", "hant"})
    tally["questions"] = len(rows)
    return tally


def check_summaries(part: Path, texts: dict[str, str], rep: Report) -> int:
    path = part / "summaries.jsonl"
    if not path.is_file():
        rep.warn(str(part), "no summaries.jsonl")
        return 0
    rows = load_jsonl(path, rep)
    seen = Counter()
    for s in rows:
        where = f"{path.name}:{s['_line']} {s.get('doc', '?')}"
        doc = s.get("doc")
        if not isinstance(doc, str) or doc not in texts:
            rep.error(where, "doc missing or not in docs/")
            continue
        seen[doc] += 1
        if not isinstance(s.get("duplicate"), bool):
            rep.error(where, "duplicate must be true or false")
        if not is_groups(s.get("expect")) or not s.get("expect"):
            rep.error(where, "expect must be a non-empty list of non-empty alias lists")
            continue
        check_groups(where, s["expect"], [doc], texts, rep)
    for doc, count in seen.items():
        if count > 1:
            rep.error(path.name, f"{doc} has {count} summary lines")
    return len(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("parts", nargs="+", help="part folders, e.g. tests/data/devset/tune")
    args = ap.parse_args()
    conv = _converters()
    seeds = seed_texts()
    rep = Report()
    lines = []
    for part_name in args.parts:
        part = Path(part_name)
        texts = load_docs(part, rep)
        clash = set(texts) & set(seeds)
        if clash:
            rep.error(str(part), f"documents named like seeds: {sorted(clash)}")
        tally = check_questions(part, texts, seeds, rep, conv)
        n_summaries = check_summaries(part, texts, rep)
        kinds = " ".join(f"{k[5:]}={v}" for k, v in sorted(tally.items()) if k.startswith("kind:"))
        langs = " ".join(f"{k[5:]}={v}" for k, v in sorted(tally.items()) if k.startswith("lang:"))
        lines.append(f"{part}: docs={len(texts)} questions={tally['questions']} triples={tally['triples']} "
                     f"summaries={n_summaries} | {kinds} | {langs}")
    if conv is None:
        rep.warn("opencc", "not installed: simplified/traditional script of questions not checked")
    for msg in rep.warnings + rep.errors:
        print(msg)
    for line in lines:
        print(line)
    print(f"check_devset: {len(rep.errors)} errors, {len(rep.warnings)} warnings")
    return 1 if rep.errors else 0


if __name__ == "__main__":
    sys.exit(main())
