"""How well the faithfulness guard (bot/answering/guard.py) separates faithful sentences from invented ones.

Builds the seed corpus on a temporary database, then writes answer sentences programmatically from its
real evidence: faithful ones (a quote restated, a recorded stance or a figure or date of the quote in
either language) and perturbed copies of them (a changed figure, a flipped stance or inserted negation,
a swapped party, person or place, a shifted date, a missing or dangling citation). Every sentence is
checked against the quote it cites, as the writer does. Reports the invented sentences that would
reach a reader (the target is 0) and the faithful ones wrongly dropped, by reason.

    python -m bench.guard [--json results.json] [--seed 7] [--examples]
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# Stance words a writer might use, and their opposite, in both languages: the flip perturbation.
FLIPS = [(r"\bagreed\b", "refused"), (r"\bagrees\b", "refuses"), (r"\baccepts?\b", "rejects"), (r"\bopen to\b", "opposed to"),
         (r"\bwilling to\b", "unwilling to"), (r"\bready to\b", "refusing to"), (r"\brules out\b", "accepts"),
         (r"\brejects\b", "accepts"), (r"\bsupports\b", "opposes"), (r"\bcould broadly agree\b", "refused"),
         ("同意", "拒绝"), ("愿意", "拒绝"), ("接受", "拒绝"), ("拒绝", "接受"), ("支持", "反对"), ("反对", "支持"), ("準備", "拒絕"), ("願意", "拒絕")]
NEGATE = [(r"\bis (?!not )", "is not "), (r"\bwill (?!not )", "will not "), (r"\bhas (?=[a-z]+ed\b)", "has not "),
          (r"\bcould (?!not )", "could not "), ("将", "不会"), ("正在", "没有"), ("已经", "没有")]
STANCE_EN = {"demands": "demands it", "offers": "offers it", "accepts": "accepts it", "rejects": "rejects it",
             "conditions": "sets conditions", "denies": "denies it"}
OPPOSITE = {"accepts": "rejects", "offers": "rejects", "rejects": "accepts", "demands": "rejects"}


@dataclass(frozen=True)
class Case:
    """One scripted sentence, the quote it is checked against, and whether it is faithful."""

    kind: str  # verbatim | stance | figure | date  /  changed_figure | flipped_stance | negated | swapped_name | shifted_date | no_citation | dangling_citation
    faithful: bool
    language: str
    sentence: str
    quote: str


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--seed", type=int, default=7, help="random seed for choosing perturbations")
    parser.add_argument("--examples", action="store_true", help="print every invented sentence that passed and every faithful one dropped")
    args = parser.parse_args(argv)
    services = _seeded_services(Path(tempfile.mkdtemp(prefix="parley-guard-")))
    result, passed_invented, dropped_faithful = measure(services, random.Random(args.seed))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.examples:
        for case in passed_invented:
            print(f"INVENTED, PASSED [{case.kind}] {case.sentence}\n    quote: {case.quote}")
        for case, problem in dropped_faithful:
            print(f"FAITHFUL, DROPPED [{case.kind}: {problem}] {case.sentence}\n    quote: {case.quote}")
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    services.engine.dispose()
    return result


def measure(services, rng: random.Random) -> tuple[dict, list[Case], list[tuple[Case, tuple[str, str]]]]:
    """Check every scripted sentence against its quote; the figures, the invented sentences that passed and the
    faithful ones dropped (with the guard's reason)."""
    from bot.answering.guard import Evidence, Guard, split_sentences
    from bot.ingestion.ledger import load_lexicon

    guard = Guard(services.profile, load_lexicon())
    cases = build_cases(services, rng)
    passed_invented, dropped_faithful = [], []
    reasons: Counter = Counter()
    for case in cases:
        evidence = {1: Evidence(1, case.quote, "zh-Hans" if _cjk(case.quote) else "en")}
        problems = [guard.check_sentence(s, evidence, case.language) for s in split_sentences(case.sentence)]
        problem = next((p for p in problems if p), None)
        if case.faithful and problem:
            dropped_faithful.append((case, problem))
            reasons[problem[0]] += 1
        if not case.faithful and problem is None:
            passed_invented.append(case)
    faithful = [c for c in cases if c.faithful]
    invented = [c for c in cases if not c.faithful]
    result = {
        "cases": len(cases), "faithful": len(faithful), "invented": len(invented),
        "invented_reaching_reader": len(passed_invented),
        "invented_reaching_reader_by_kind": dict(Counter(c.kind for c in passed_invented)),
        "faithful_dropped": len(dropped_faithful),
        "faithful_dropped_rate": round(len(dropped_faithful) / len(faithful), 4) if faithful else 0.0,
        "faithful_dropped_by_reason": dict(reasons),
        "faithful_by_kind": dict(Counter(c.kind for c in faithful)),
        "invented_by_kind": dict(Counter(c.kind for c in invented)),
    }
    return result, passed_invented, dropped_faithful


def _seeded_services(folder: Path):
    from bench.parley import build_services
    from bot.config import REPO_ROOT, Settings
    from bot.ingestion.pipeline import ensure_seeded

    settings = Settings(_env_file=None, database_url=f"sqlite:///{folder / 'guard.db'}", seeds_dir=REPO_ROOT / "seeds",
                        cache_dir=folder / "cache", telegram_token=None, discord_token=None, llm_url=None)
    services = build_services(settings)
    ensure_seeded(services)
    return services


def build_cases(services, rng: random.Random) -> list[Case]:
    """Faithful sentences from the seed corpus's real evidence, and perturbed copies of each."""
    from bot.text.date_mentions import dates_in
    from bot.text.numbers import numbers_in, render_number

    answerer = services.answerer
    answerer.index.sync()
    profile = services.profile
    cases: list[Case] = []
    passages = [p for p in answerer.index.passages if not p.fragment and len(p.text) > 40]
    for passage in passages:
        text, zh = passage.text, passage.language.startswith("zh")
        language = "zh-Hans" if zh else "en"
        verbatim = text.rstrip("。.") + ("[1]。" if zh else " [1].")
        cases.append(Case("verbatim", True, language, verbatim, text))
        cases += _perturb_verbatim(verbatim, text, language, profile, passage, rng)
        for number in [n for n in numbers_in(text) if n.salient][:2]:
            for reader in ("en", "zh-Hans"):
                shown = render_number(number, reader)
                cases.append(Case("figure", True, reader, _figure_sentence(shown, reader), text))
                changed = _changed_number(number, rng)
                if not any(_same(changed, other) for other in numbers_in(text)):
                    cases.append(Case("changed_figure", False, reader, _figure_sentence(render_number(changed, reader), reader), text))
        for when in [d for d in dates_in(text) if d.month and d.day][:1]:
            for reader in ("en", "zh-Hans"):
                cases.append(Case("date", True, reader, _date_sentence(when.month, when.day, reader), text))
                shifted = when.day % 28 + 1
                cases.append(Case("shifted_date", False, reader, _date_sentence(when.month, shifted, reader), text))
    for entry in answerer.index.ledger:
        passage = answerer.index.by_id.get(entry.passage_id)
        if passage is None:
            continue
        for reader in ("en", "zh-Hans"):
            cases.append(Case("stance", True, reader, _stance_sentence(profile, entry.party, entry.issue, entry.stance, reader), passage.text))
            if entry.stance in OPPOSITE:
                recorded = {e.stance for e in answerer.index.ledger if e.passage_id == entry.passage_id and e.party == entry.party}
                if OPPOSITE[entry.stance] not in recorded:
                    cases.append(Case("flipped_stance", False, reader,
                                      _stance_sentence(profile, entry.party, entry.issue, OPPOSITE[entry.stance], reader), passage.text))
            other = _other_party(profile, passage, rng)
            if other:
                cases.append(Case("swapped_name", False, reader, _stance_sentence(profile, other, entry.issue, entry.stance, reader), passage.text))
    return cases


def _perturb_verbatim(verbatim: str, text: str, language: str, profile, passage, rng: random.Random) -> list[Case]:
    from bot.text.numbers import numbers_in

    cases = [Case("no_citation", False, language, re.sub(r"\s*\[1\]", "", verbatim), text),
             Case("dangling_citation", False, language, verbatim.replace("[1]", "[2]"), text)]
    numbers = [n for n in numbers_in(verbatim) if n.salient]
    if numbers:
        number = rng.choice(numbers)
        digits = re.search(r"\d[\d,.]*", number.text)
        if digits:
            value = float(digits.group(0).replace(",", ""))
            bumped = f"{int(value * 2 + 3):,}" if value == int(value) else f"{value * 2 + 3:g}"
            start = number.start + digits.start()
            cases.append(Case("changed_figure", False, language, verbatim[:start] + bumped + verbatim[start + len(digits.group(0)):], text))
    for pattern, replacement in FLIPS:
        if re.search(pattern, verbatim):
            cases.append(Case("flipped_stance", False, language, re.sub(pattern, replacement, verbatim, count=1), text))
            break
    for pattern, replacement in NEGATE:
        if re.search(pattern, verbatim):
            cases.append(Case("negated", False, language, re.sub(pattern, replacement, verbatim, count=1), text))
            break
    named = [m for m in profile.find(verbatim) if m.kind in ("place", "actor") and m.end - m.start > 2]
    if named:
        mention = rng.choice(named)
        present = {m.key for m in profile.find(text)}
        present_parties = {profile.party_of(k) for k in present}
        pool = [e for e in profile.entities() if e.kind == mention.kind and e.key not in present
                and (mention.kind != "actor" or e.party not in present_parties)]
        if pool:
            other = rng.choice(pool)
            name = other.names.get("zh-Hans" if language.startswith("zh") else "en", other.names["en"])
            cases.append(Case("swapped_name", False, language, verbatim[:mention.start] + name + verbatim[mention.end:], text))
    return cases


def _stance_sentence(profile, party: str, issue: str, stance: str, language: str) -> str:
    from bot.text import i18n

    if language.startswith("zh"):
        return f"据来源报道,{profile.display(party, language)}在{profile.display(issue, language)}问题上{i18n.t(f'stance.{stance}', language)}[1]。"
    return f"According to the source, on {profile.display(issue, 'en')}, {profile.display(party, 'en')} {STANCE_EN[stance]} [1]."


def _figure_sentence(shown: str, language: str) -> str:
    return f"来源给出的数字是{shown}[1]。" if language.startswith("zh") else f"The source gives the figure {shown} [1]."


def _date_sentence(month: int, day: int, language: str) -> str:
    import calendar

    return f"来源提到的日期是{month}月{day}日[1]。" if language.startswith("zh") else \
        f"The source names the date {calendar.month_name[month]} {day} [1]."


def _changed_number(number, rng: random.Random):
    from dataclasses import replace

    factor = rng.choice([2.0, 3.0, 0.5, 1.5])
    value = number.value * factor if number.kind != "percent" else min(99.0, number.value + rng.choice([5, 10, 12]))
    return replace(number, value=round(value, 2))


def _same(a, b) -> bool:
    from bot.text.numbers import same_number

    return same_number(a, b)


def _other_party(profile, passage, rng: random.Random) -> str | None:
    named = {profile.party_of(k) for k in passage.entities} | set(passage.parties)
    pool = [key for key in profile.parties if key not in named]
    return rng.choice(pool) if pool else None


def _cjk(text: str) -> bool:
    from bot.text import normalize

    return normalize.is_cjk(text)


if __name__ == "__main__":
    main(sys.argv[1:])
