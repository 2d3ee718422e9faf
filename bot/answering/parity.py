"""The parity view: one question answered separately from the English and from the Chinese sources, side by side,
with a line saying where the two agree and where they differ (a figure, a stance, a date).

Each side is an ordinary answer restricted to one language's passages (``Answerer.ask(sources=...)``),
extractive or worded by the model when one is configured. The comparison is read from each side's
cited quotes: figures through the engine's figure reader, stances through the position ledger,
dates through ``bot.text.numbers``; so it works the same with or without a model.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from bot.answering.cues import ANSWER_STANCES
from bot.text import i18n
from bot.messages import Bullet, Citation, Reply
from bot.text.date_mentions import dates_in

SIDES = ("en", "zh")
MAX_ITEMS = 3  # per agree/differ line: the first few say enough
_MARK = re.compile(r"\[(\d+)\]")


@dataclass
class Parity:
    """Both sides' replies, what they agree and differ on (rendered in the reader's language), and the combined reply."""

    question: str
    language: str
    sides: dict[str, Reply]
    agree: list[str] = field(default_factory=list)
    differ: list[str] = field(default_factory=list)
    reply: Reply | None = None

    def to_json(self, contract) -> dict:
        """The ``ask --parity --json`` object: the combined answer, each side in the ``ask --json`` contract, the comparison."""
        return {"question": self.question, "language": self.language, "answer": self.reply.text if self.reply else "",
                "sides": {side: contract(self.question, reply) for side, reply in self.sides.items()},
                "agree": self.agree, "differ": self.differ}


def parity(answerer, question: str, *, fallback_language: str | None = None) -> Parity:
    """Answer ``question`` from each language's sources and set the two answers side by side."""
    # Two threads: the engine answers one side at a time, but the model (if any) words both at once.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="parley-parity") as pool:
        futures = {side: pool.submit(answerer.ask, question, fallback_language=fallback_language, sources=side)
                   for side in SIDES}
        sides = {side: future.result() for side, future in futures.items()}
    language = sides["en"].language
    result = Parity(question, language, sides)
    answered = [side for side in SIDES if not sides[side].abstained and sides[side].citations]
    if len(answered) == 2:
        result.agree, result.differ = _compare(answerer, sides, language)
    result.reply = _combined(result, answered)
    return result


# -- the comparison ---------------------------------------------------------------------------------

def _compare(answerer, sides: dict[str, Reply], language: str) -> tuple[list[str], list[str]]:
    agree: list[str] = []
    differ: list[str] = []
    for find in (_figures, _stances, _dates):
        a, d = find(answerer, sides, language)
        agree += a
        differ += d
    return agree[:MAX_ITEMS], differ[:MAX_ITEMS]


def _figures(answerer, sides: dict[str, Reply], language: str) -> tuple[list[str], list[str]]:
    from bot.answering.figures import extract_figures, render_figure

    found: dict[str, dict] = {side: {} for side in SIDES}  # side -> unit -> {value: figure}
    for side, reply in sides.items():
        for citation in reply.citations:
            for figure in extract_figures(" ".join(citation.quote.split())):
                if figure.unit:
                    found[side].setdefault(figure.unit, {}).setdefault(figure.value, figure)
    agree, differ = [], []
    for unit in found["en"].keys() & found["zh"].keys():
        en, zh = found["en"][unit], found["zh"][unit]
        shared = en.keys() & zh.keys()
        for value in sorted(shared):
            agree.append(i18n.t("parity.item.figure", language, value=render_figure(en[value], language)))
        if not shared:
            show = lambda figures: ", ".join(render_figure(f, language) for f in list(figures.values())[:2])
            differ.append(i18n.t("parity.item.figures", language, en=show(en), zh=show(zh)))
    return agree, differ


def _stances(answerer, sides: dict[str, Reply], language: str) -> tuple[list[str], list[str]]:
    held: dict[str, dict[tuple[str, str], set[str]]] = {side: {} for side in SIDES}  # side -> (party, issue) -> stances
    for side, reply in sides.items():
        quotes = {(c.document_id, " ".join(c.quote.split())) for c in reply.citations}
        for entry in answerer.index.ledger:
            if any(doc == entry.document_id and " ".join(entry.quote.split()) in quote for doc, quote in quotes):
                held[side].setdefault((entry.party, entry.issue), set()).add(entry.stance)
    name = lambda key: _name(answerer.profile, key, language)
    stance = lambda s: i18n.t(f"stance.{s}", language) if s in ANSWER_STANCES else s
    agree, differ = [], []
    for party, issue in sorted(held["en"].keys() & held["zh"].keys()):
        en, zh = held["en"][(party, issue)], held["zh"][(party, issue)]
        for shared in sorted(en & zh):
            agree.append(i18n.t("parity.item.stance", language, party=name(party), issue=name(issue), stance=stance(shared)))
        if not en & zh:
            differ.append(i18n.t("parity.item.stances", language, party=name(party), issue=name(issue),
                                 en="/".join(map(stance, sorted(en))), zh="/".join(map(stance, sorted(zh)))))
    return agree, differ




def _dates(answerer, sides: dict[str, Reply], language: str) -> tuple[list[str], list[str]]:
    found: dict[str, dict[tuple[int, int], int | None]] = {side: {} for side in SIDES}  # side -> (month, day) -> year
    for side, reply in sides.items():
        for citation in reply.citations:
            for when in dates_in(citation.quote):
                if when.month and when.day:
                    found[side].setdefault((when.month, when.day), when.year)
    if not found["en"] or not found["zh"]:
        return [], []
    show = lambda key: _date_text(key, language)
    shared = sorted(found["en"].keys() & found["zh"].keys())
    if shared:
        return [i18n.t("parity.item.date", language, value=show(key)) for key in shared], []
    return [], [i18n.t("parity.item.dates", language, en=", ".join(map(show, sorted(found["en"])[:2])),
                       zh=", ".join(map(show, sorted(found["zh"])[:2])))]


def _date_text(key: tuple[int, int], language: str) -> str:
    import calendar

    month, day = key
    return f"{month}月{day}日" if language.startswith("zh") else f"{calendar.month_name[month]} {day}"


def _name(profile, key: str, language: str) -> str:
    try:
        return profile.display(key, language)
    except KeyError:
        return key


# -- the combined reply -----------------------------------------------------------------------------

def _combined(result: Parity, answered: list[str]) -> Reply:
    language = result.language
    lines = [i18n.t("parity.lead", language), _verdict_line(result, answered)]
    bullets: list[Bullet] = []
    citations: list[Citation] = []
    for side in SIDES:
        reply = result.sides[side]
        label = i18n.t(f"parity.side.{side}", language)
        if side not in answered:
            bullets.append(Bullet(f"{label}: {i18n.t('parity.side.none', language)}"))
            continue
        offset = len(citations)
        shift = lambda text: _MARK.sub(lambda m: f"[{int(m.group(1)) + offset}]", text)
        bullets.append(Bullet(f"{label}: {shift(reply.lead)}"))
        bullets += [replace(b, cites=tuple(n + offset for n in b.cites)) for b in reply.bullets]
        citations += [replace(c, n=c.n + offset) for c in reply.citations]
    dates = [c.published for c in citations if c.published]
    return Reply(lead="\n".join(line for line in lines if line), bullets=tuple(bullets), citations=tuple(citations),
                 language=language, abstained=not answered, as_of=max(dates) if dates else None,
                 labels=i18n.labels(language))


def _verdict_line(result: Parity, answered: list[str]) -> str:
    language = result.language
    if not answered:
        return i18n.t("parity.neither", language)
    if len(answered) == 1:
        return i18n.t("parity.only", language, side=i18n.t(f"parity.side.{answered[0]}", language))
    parts = []
    if result.agree:
        parts.append(i18n.t("parity.agree", language, items=_join(result.agree, language)))
    if result.differ:
        parts.append(i18n.t("parity.differ", language, items=_join(result.differ, language)))
    return (" " if language == "en" else "").join(parts) or i18n.t("parity.nothing_to_compare", language)


def _join(items: list[str], language: str) -> str:
    if language.startswith("zh"):
        return "、".join(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
