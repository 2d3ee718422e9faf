"""Arrival summaries: the headline and the 3-5 sentences of a document that carry its negotiation content.

A bullet is always a verbatim slice of a sentence of the document: the sentence without its
dateline or byline ("RIYADH, March 25 (Reuters) -", "新华社利雅得3月25日电（记者 …）"), cut at a clause
boundary when long (``Item.text``); the whole sentence stays in ``Item.quote`` for the citation.
Sentences are ranked by closeness to the headline and to the document's mean embedding
(what the article is about) plus negotiation content (ledger positions, figures in any script
(60萬人, 两个半小时, "25,000 troops"), dates, named parties, issues and places, quoted speech),
then picked greedily so that each pick adds facts the earlier picks (and, for a report of a known
story, the story) do not already carry: a position, a figure, a day, a person or a place, with
maximal marginal relevance over the embeddings. Boilerplate (footers, copyright lines, bylines,
"Related:" links) is never a bullet. The headline says who did or said what: the document's
title without its byline or outlet suffix, or, with no usable title, its best sentence.
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bot.text import clauses
from bot.text import normalize as textnorm
from bot.text.numbers import numbers_in

log = logging.getLogger(__name__)

MIN_BULLETS, MAX_BULLETS = 3, 5
MAX_BULLET_CHARS = 280  # longer sentences are cut at a clause boundary for the bullet
MAX_HEADLINE_CHARS = 160
HEADLINE_WORDS = 18  # a headline made from a sentence keeps its main clause, cut to about this many words
MIN_SENTENCE_CHARS = 25  # Latin sentences shorter than this are captions or fragments
MIN_CJK_CHARS = 10
REDUNDANCY_WEIGHT = 0.6
# Up to this many sentences the within-document similarity is one matrix; longer (hostile) documents
# get a column per chosen sentence instead (see _WithinDocument).
DENSE_SENTENCES = 1000
LEAD_BONUS = 0.25  # the first sentence usually states the event; it does not win on its own
FIGURE_SWAPS = 2  # late picks at most traded for sentences stating a key figure no pick states
NEW_FACTS = 3  # facts a pick is credited for at most (positions, figures, days, people, places it adds)

# Weights of the content signals; each signal is 0..1.
WEIGHTS = {"title": 0.6, "centrality": 0.3, "position": 0.6, "more_positions": 0.2, "number": 0.25, "key_figure": 0.3,
           "date": 0.2, "party": 0.15, "issue": 0.15, "quote": 0.1, "new_facts": 0.45, "pronoun": -0.15, "known": -0.4}

_YEAR = re.compile(r"^(?:19|20)\d\d$")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAME = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
               r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b\.?")
_MONTH_DAY = re.compile(rf"\b({_MONTH_NAME})\s+(\d{{1,2}})\b", re.IGNORECASE)
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})\s+({_MONTH_NAME})(?![a-z])", re.IGNORECASE)
_CJK_DAY = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]")
_QUOTES = ('"', "“", "”", "「", "」", "『", "«")
_CLAUSE_BREAK = re.compile(r"[,;:,;:—–]\s*|\s+-\s+")
_PRONOUN_START = re.compile(r"^\W*(?:he|she|they|it|his|her|their)\b|^\W*(?:他|她|他们|她們|他們|她们|其)", re.I)
# A dateline or byline opening a sentence: "RIYADH, March 25 (Reuters) - ", "PARIS — ", "Moscow, Nov 23 (V7N) — ",
# "新华社利雅得3月25日电（记者 王磊）", "中央社莫斯科2025年4月15日電 ", "【記者 陳怡君/綜合報導】", "中新网5月14日电 ".
_DATELINE = re.compile(
    r"^(?:(?:[A-Z][A-Z.'-]+(?:\s+[A-Z][A-Z.'-]+){0,3}|[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2}(?=,\s*[A-Z][a-z]{2,8}\.?\s+\d))"
    r"(?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s*\d{4})?)?\s*(?:\([^()]{1,40}\))?\s*(?:—|–|--?)\s+(?=[A-Z0-9\"“‘'(]))"
    r"|^(?:(?:【[^】]{1,30}】|[\u4e00-\u9fff]{1,12}?(?:\d{4}年)?\d{1,2}月\d{1,2}日[电電]|[（(](?:记者|記者)[^）)]{1,40}[）)])\s*"
    r"(?:[（(][^）)]{1,40}[）)])?\s*)+")
# A title's trailing outlet or byline: "… – Reuters", "… | The Moscow Times", "… By Jane Doe", "… Updated 12:05 GMT".
_TITLE_TAIL = re.compile(r"\s+(?:[|｜]\s*[^|｜]{1,40}|(?:By|BY)\s+[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,3}.*"
                         r"|(?:Updated|Published|Posted)\b.*|\d{1,2}:\d{2}\s*(?:[AP]M|GMT|UTC)?.*)$")


def _boilerplate_rules() -> re.Pattern:
    """The boilerplate data file's sentence openings (a footer, a byline, a cross-link), compiled once."""
    data = yaml.safe_load((Path(textnorm.__file__).resolve().parent / "data" / "boilerplate.yaml").read_text("utf-8"))
    return re.compile("|".join(f"(?:{p})" for p in data.get("sentence_starts", [])) or "(?!)", re.I)


_BOILERPLATE = _boilerplate_rules()
# A sentence's source that is no one in particular ("reports from Russian media", 消息人士): its claim is the headline.
_GENERIC_SOURCE = re.compile(r"\b(?:reports?|media|sources?|people familiar|officials)\b|消息|报道|報導|媒体|媒體|人士", re.I)


@dataclass(frozen=True)
class Item:
    """One summary bullet: ``text`` is shown, ``quote`` (the whole sentence) is cited."""

    seq: int
    text: str
    quote: str
    passage_id: int | None = None

    def to_json(self) -> dict:
        return {"seq": self.seq, "text": self.text, "quote": self.quote, "passage_id": self.passage_id}

    @classmethod
    def from_json(cls, data: dict) -> "Item":
        return cls(int(data.get("seq", 0)), data.get("text") or data.get("quote", ""),
                   data.get("quote") or data.get("text", ""), data.get("passage_id"))


def headline(title: str | None, first_sentence: str = "", best: str = "") -> str:
    """Who did or said what: the document's title without its byline or outlet suffix; with no usable title (none,
    a byline, or the first sentence standing in for one), ``best`` (the summary's top sentence) or the first sentence,
    without its dateline, shortened at a clause boundary."""
    cleaned = clean_title(title or "")
    if cleaned and not is_boilerplate(cleaned) and not _is_first_sentence(cleaned, first_sentence):
        return cleaned
    source = strip_dateline(best or first_sentence or cleaned)
    if not source:
        return ""
    clause = clauses.split(source)
    core = clauses.shorten(clause.core, (), HEADLINE_WORDS).rstrip(" .。")
    if not clause.who or clause.who == source or len(core) < 12:
        return shorten(source, MAX_HEADLINE_CHARS)
    if _GENERIC_SOURCE.search(clause.who) or len(clause.who.split()) > 8:
        return shorten(core[:1].upper() + core[1:], MAX_HEADLINE_CHARS)  # "reports say X": X is the news
    who = clause.who[:1].upper() + clause.who[1:]
    return shorten(f"{who}{'：' if textnorm.is_cjk(who) else ': '}{core}", MAX_HEADLINE_CHARS)  # "Lavrov: Moscow will not …"


def clean_title(title: str) -> str:
    """A title without the dateline, byline, outlet or time glued to it by the page it came from."""
    text = " ".join(title.split())
    text = strip_dateline(text)
    text = _TITLE_TAIL.sub("", text).strip(" -–—|:")
    return text


def _is_first_sentence(title: str, first_sentence: str) -> bool:
    """A title that is only the document's first sentence (no headline was found), not a headline."""
    first = " ".join(strip_dateline(first_sentence).split())
    return bool(first) and len(title) > 100 and (first.startswith(title.rstrip("…. ")) or title.startswith(first[:100]))


def strip_dateline(sentence: str) -> str:
    """The sentence without the dateline or byline opening it (a verbatim suffix of it)."""
    stripped = _DATELINE.sub("", sentence.strip(), count=1)
    return stripped if len(stripped) >= 8 else sentence.strip()


def is_boilerplate(text: str) -> bool:
    """A page footer, copyright line, byline, sign-off or cross-link ("Related:", 相关阅读), never a bullet."""
    stripped = text.strip()
    if _BOILERPLATE.match(stripped):
        return True
    if stripped.count("|") >= 2 or stripped.count("｜") >= 2:
        return True  # a menu or breadcrumb: "Home | World | Europe"
    words = stripped.split()
    if re.search(r"https?://|www\.|\b[\w.-]+@[\w-]+\.[a-z]{2,}", stripped) and len(words) < 20:
        return True  # a link or an address with little else
    return False


def select_items(passages, vectors: np.ndarray, findings, profile, *, title_vector: np.ndarray | None = None,
                 limit: int | None = None, first_is_lead: bool = True, known: set | None = None) -> list[Item]:
    """The 3-5 sentences (fewer only for shorter documents) that best summarise the document, in document order.

    ``title_vector`` is the headline's embedding, when there is a headline; ``first_is_lead``
    is false when ``passages`` are a selection rather than a whole document; ``known`` holds the
    facts (``facts_of``) a story already carries, which a pick is not credited for again.
    """
    return [item for item, _ in ranked_items(passages, vectors, findings, profile, title_vector=title_vector,
                                             limit=limit, first_is_lead=first_is_lead, known=known)]


def ranked_items(passages, vectors: np.ndarray, findings, profile, *, title_vector: np.ndarray | None = None,
                 limit: int | None = None, first_is_lead: bool = True, known: set | None = None) -> list[tuple[Item, int]]:
    """``select_items`` with each item's rank among the picks (0: the first pick, the summary's top sentence)."""
    if not passages:
        return []
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(passages), -1)
    candidates = [i for i, p in enumerate(passages) if is_content(p.text)] or \
        [i for i, p in enumerate(passages) if not is_boilerplate(p.text)]
    if not candidates:
        return []
    want = limit or bullet_count(len(candidates))
    positions = positions_by_passage(passages, findings)
    attributed = _attributed_passages(passages, findings)
    base = {i: content_score(passages[i].text, positions.get(i, set()), profile, lead=first_is_lead and i == 0,
                             attributed=i in attributed)
            for i in candidates}
    central = centrality(vectors)
    on_topic = _rescaled(vectors @ np.asarray(title_vector, dtype=np.float32)) if title_vector is not None else central
    for i in candidates:
        base[i] += WEIGHTS["centrality"] * central[i] + WEIGHTS["title"] * on_topic[i]
    facts = {i: facts_of(passages[i].text, positions.get(i, set()), profile) for i in candidates}
    chosen = _pick(candidates, base, positions, facts, _WithinDocument(vectors), want, set(known or ()))
    rank = {i: n for n, i in enumerate(chosen)}
    return [(Item(passages[i].seq, shorten(strip_dateline(passages[i].text)), passages[i].text, passages[i].id), rank[i])
            for i in sorted(chosen)]


def facts_of(text: str, positions: set, profile) -> set[tuple]:
    """What a sentence tells: its ledger positions, figures (one key in any script), calendar days, people and places."""
    facts: set[tuple] = {("position", *p) for p in positions}
    facts |= {("figure", key) for key in numbers(text)}
    facts |= {("key_figure", _number_key(n)) for n in numbers_in(text) if n.salient and _key_figure(n)}
    facts |= {("day", *day) for day in calendar_days(text)}
    if profile is not None:
        facts |= {("entity", m.key) for m in profile.find(text) if m.kind in ("actor", "place")}
    return facts


def bullet_count(sentences: int) -> int:
    """Half the document's content sentences, kept within 3..5 (all of them for very short documents)."""
    return min(sentences, max(MIN_BULLETS, min(MAX_BULLETS, math.ceil(sentences / 2))))


def is_content(text: str) -> bool:
    """False for captions, fragments, boilerplate and lines too short to say anything on their own."""
    stripped = text.strip()
    if is_boilerplate(stripped):
        return False
    if textnorm.is_cjk(stripped):
        return sum(1 for ch in stripped if "\u3400" <= ch <= "\u9fff") >= MIN_CJK_CHARS
    return len(stripped) >= MIN_SENTENCE_CHARS and len(stripped.split()) >= 4


def positions_by_passage(passages, findings) -> dict[int, set[tuple[str, str, str]]]:
    """Index of each passage -> the (party, issue, stance) positions the ledger found in it."""
    index = {p.id: i for i, p in enumerate(passages) if p.id is not None}
    found: dict[int, set[tuple[str, str, str]]] = {}
    for finding in findings:
        i = index.get(getattr(finding, "passage_id", None))
        if i is None:
            i = _passage_of_quote(passages, getattr(finding, "quote", ""))
        if i is not None:
            found.setdefault(i, set()).add((finding.party, finding.issue, finding.stance))
    return found


def _attributed_passages(passages, findings) -> set[int]:
    """Indexes of passages holding a position someone is reported to hold (a named or described speaker)."""
    index = {p.id: i for i, p in enumerate(passages) if p.id is not None}
    return {index[f.passage_id] for f in findings
            if getattr(f, "speaker", None) and getattr(f, "passage_id", None) in index}


def _passage_of_quote(passages, quote: str) -> int | None:
    quote = " ".join((quote or "").split())
    if not quote:
        return None
    for i, passage in enumerate(passages):
        if quote in " ".join(passage.text.split()):
            return i
    return None


def content_score(text: str, positions: set, profile, *, lead: bool = False, attributed: bool = True) -> float:
    """How much negotiation content a sentence carries: positions, numbers, who and what, quoted speech.

    A position nobody is reported to hold (no speaker: often the author's background) counts a third.
    """
    kinds = {m.kind for m in profile.find(text)} if profile is not None else set()
    figures = [n for n in numbers_in(text) if n.salient]
    signals = {
        "position": (1.0 if attributed else 0.33) if positions else 0.0,
        "more_positions": min(len(positions) - 1, 2) / 2 if positions and attributed else 0.0,
        "number": 1.0 if figures else 0.0,
        "key_figure": 1.0 if any(_key_figure(n) for n in figures) else 0.0,
        "date": 1.0 if mentions_date(text) else 0.0,
        "party": 1.0 if kinds & {"party", "actor"} else 0.0,
        "issue": 1.0 if kinds & {"issue", "place"} else 0.0,
        "quote": 1.0 if any(mark in text for mark in _QUOTES) else 0.0,
        "pronoun": 1.0 if _PRONOUN_START.match(strip_dateline(text)) else 0.0,  # the holder is named elsewhere
    }
    score = sum(WEIGHTS[name] * value for name, value in signals.items())
    if lead:
        score += LEAD_BONUS
    if len(text) > 2 * MAX_BULLET_CHARS:
        score -= 0.2  # would need heavy shortening
    return score


def _key_figure(number) -> bool:
    """A figure a reader would want kept: a count of something, money, a duration, a share; not a bare small number
    nor a vague multiple ("millions of people", 数十名)."""
    if number.qualifier == "multiple":
        return False
    return number.unit is not None or number.kind != "count" or number.qualifier is not None or number.value >= 100


def centrality(vectors: np.ndarray) -> np.ndarray:
    """Cosine of each sentence to the document's mean vector, rescaled to 0..1 within the document."""
    if len(vectors) == 0:
        return np.zeros(0)
    mean = vectors.mean(axis=0)
    norm = np.linalg.norm(mean)
    if norm == 0:
        return np.zeros(len(vectors))
    return _rescaled(vectors @ (mean / norm))


def _rescaled(scores: np.ndarray) -> np.ndarray:
    """Scores mapped to 0..1 within the document, so signals of different spread weigh as intended."""
    low, high = float(scores.min()), float(scores.max())
    return (scores - low) / (high - low) if high > low else np.ones(len(scores))


class _WithinDocument:
    """Sentence-to-sentence similarity after removing what every sentence of the document shares.

    The greedy pick only ever compares sentences with the few already chosen, so a long document
    gets one column per chosen sentence (memory linear in its sentences) instead of the whole
    matrix, which took gigabytes for a page of 20,000 short paragraphs. Documents of up to
    ``DENSE_SENTENCES`` keep the one matrix product, so their summaries do not move by a rounding.
    """

    def __init__(self, vectors: np.ndarray):
        centred = vectors - vectors.mean(axis=0)
        norms = np.linalg.norm(centred, axis=1, keepdims=True)
        self._centred = centred / np.where(norms == 0, 1, norms)
        dense = len(vectors) <= DENSE_SENTENCES
        self._matrix = np.clip(self._centred @ self._centred.T, 0, 1) if dense else None
        self._columns: dict[int, np.ndarray] = {}

    def column(self, j: int) -> np.ndarray:
        """Every sentence's similarity to sentence ``j``."""
        if self._matrix is not None:
            return self._matrix[:, j]
        if j not in self._columns:
            self._columns[j] = np.clip(self._centred @ self._centred[j], 0, 1)
        return self._columns[j]


def _pick(candidates: list[int], base: dict[int, float], positions: dict[int, set], facts: dict[int, set],
          similarity: _WithinDocument, want: int, known: set) -> list[int]:
    chosen: list[int] = []
    covered: set = set()
    told = set(known)
    while len(chosen) < want and len(chosen) < len(candidates):
        columns = [similarity.column(j) for j in chosen]

        def gain(i: int) -> float:
            redundancy = max((column[i] for column in columns), default=0.0)
            repeated = bool(positions.get(i)) and positions[i] <= covered
            new = facts[i] - told
            stale = bool(known) and bool(facts[i]) and not new  # a report of a known story: nothing it adds
            return (base[i] - REDUNDANCY_WEIGHT * redundancy - (WEIGHTS["position"] if repeated else 0.0)
                    + WEIGHTS["new_facts"] * min(len(new), NEW_FACTS) / NEW_FACTS + (WEIGHTS["known"] if stale else 0.0))
        best = max((i for i in candidates if i not in chosen), key=gain)
        chosen.append(best)
        covered |= positions.get(best, set())
        told |= facts[best]
    return _carry_figures(chosen, candidates, base, positions, facts, known)


def restates(text: str, positions: set, known: set, profile) -> bool:
    """Whether a sentence tells only what ``known`` (a story's facts) holds: it states figures or positions, and every
    figure, position and day of it is known ("双方同意再交换逾1200名战俘" after "agreed to exchange at least 1,200
    prisoners"). People and places alone do not decide: a new claim about a known person is news."""
    facts = {f for f in facts_of(text, positions, profile) if f[0] != "entity"}
    return any(f[0] in ("figure", "position") for f in facts) and facts <= known


def _carry_figures(chosen: list[int], candidates: list[int], base: dict[int, float], positions: dict[int, set],
                   facts: dict[int, set], known: set) -> list[int]:
    """The picks, with up to ``FIGURE_SWAPS`` late picks that state no figure traded for sentences stating a key
    figure no pick (and not the story) carries: a figure is the fact a reader cannot get from a paraphrase, and the
    sentence stating it is often far from the article's centre ("up to 25,000 troops", 约十万户)."""
    def figures(i: int) -> set:
        return {f for f in facts[i] if f[0] == "key_figure"}
    carried = set(known).union(*(figures(i) for i in chosen)) if chosen else set(known)
    for _ in range(FIGURE_SWAPS):
        missing = {i: figures(i) - carried for i in candidates if i not in chosen and figures(i) - carried}
        droppable = [j for j in chosen[1:] if not figures(j)]
        if not missing or not droppable:
            break
        best = max(missing, key=lambda i: (len(missing[i]), base[i]))
        drop = min(droppable, key=lambda j: (bool(positions.get(j)), base[j]))
        chosen = [best if j == drop else j for j in chosen]
        carried |= figures(best)
    return chosen


def shorten(sentence: str, limit: int = MAX_BULLET_CHARS) -> str:
    """The sentence itself, or its longest verbatim prefix ending at a clause boundary within ``limit``, plus "…"."""
    text = sentence.strip()
    if len(text) <= limit:
        return text
    cut = 0
    for match in _CLAUSE_BREAK.finditer(text, 0, limit):
        if match.start() >= limit // 3:
            cut = match.start()
    if not cut:
        space = text.rfind(" ", limit // 2, limit)
        cut = space if space > 0 else limit
    return text[:cut].rstrip(" ,;:,;:—–-") + "…"


def numbers(text: str) -> set[str]:
    """The figures a sentence states, one key per value whatever the script: "30" (30天, "30-day"), "600000" (60萬,
    "600,000"), "18%" (百分之十八), "33%" (三分之一); without years, dates and lone small counts ("two sources")."""
    return {_number_key(number) for number in numbers_in(text) if number.salient}


def _number_key(number) -> str:
    return f"{number.value:.12g}" if number.kind == "count" else f"{number.base * 100:.3g}%"


def mentions_date(text: str) -> bool:
    """True when the sentence names a calendar day ("March 23", "23 March", "3月23日"): when talks or deadlines fall."""
    return any(_is_day_of_month(text, m.start(), m.end()) for m in _NUMBER.finditer(text) if not _YEAR.match(m.group()))


def calendar_days(text: str) -> set[tuple[int, int]]:
    """The (month, day) pairs a sentence names: "June 20", "20 June", "6月20日" all give (6, 20)."""
    days = {(int(m), int(d)) for m, d in _CJK_DAY.findall(text)}
    for month, day in _MONTH_DAY.findall(text):
        days.add((_MONTHS.index(month[:3].lower()) + 1, int(day)))
    for day, month in _DAY_MONTH.findall(text):
        days.add((_MONTHS.index(month[:3].lower()) + 1, int(day)))
    return {(m, d) for m, d in days if 1 <= m <= 12 and 1 <= d <= 31}


_DAY_ONLY = re.compile(r"(?<![\d月])(\d{1,2})\s*[日号號]")


def same_day(a: str, b: str) -> bool:
    """Whether two sentences name a common calendar day ("June 20" and 6月20日), a day given without its month
    (23日晚, common in Chinese reports of yesterday's event) matching the same day of any month."""
    full_a, full_b = calendar_days(a), calendar_days(b)
    if full_a & full_b:
        return True
    bare_a = {int(d) for d in _DAY_ONLY.findall(a) if 1 <= int(d) <= 31}
    bare_b = {int(d) for d in _DAY_ONLY.findall(b) if 1 <= int(d) <= 31}
    return bool(bare_a & {d for _, d in full_b} or bare_b & {d for _, d in full_a})


def _is_day_of_month(text: str, start: int, end: int) -> bool:
    if text[end:end + 1] in ("月", "日", "号", "號", "年"):
        return True
    before = text[max(0, start - 12):start].rstrip(" .").split(" ")[-1].lower()
    after = text[end:end + 12].lstrip(" ").split(" ")[0].lower()
    return any(word.isalpha() and word.startswith(month) for word in (before, after) for month in _MONTHS)
