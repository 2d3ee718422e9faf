"""Arrival summaries: the headline and the 3-5 sentences of a document that carry its negotiation content.

A bullet is always a sentence of the document, or a verbatim prefix of one cut at a clause
boundary (``Item.text``); the whole sentence stays in ``Item.quote`` for the citation.
Sentences are ranked by closeness to the headline and to the document's mean embedding
(what the article is about) plus negotiation content (ledger positions, numbers, named
parties, issues and places, quoted speech), then picked greedily so that each pick adds a position or a fact the earlier picks
do not already carry (maximal marginal relevance over the embeddings).
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass

import numpy as np

from bot import textnorm

log = logging.getLogger(__name__)

MIN_BULLETS, MAX_BULLETS = 3, 5
MAX_BULLET_CHARS = 280  # longer sentences are cut at a clause boundary for the bullet
MIN_SENTENCE_CHARS = 25  # Latin sentences shorter than this are captions or fragments
MIN_CJK_CHARS = 10
REDUNDANCY_WEIGHT = 0.6
# Up to this many sentences the within-document similarity is one matrix; longer (hostile) documents
# get a column per chosen sentence instead (see _WithinDocument).
DENSE_SENTENCES = 1000
LEAD_BONUS = 0.25  # the first sentence usually states the event; it does not win on its own

# Weights of the content signals; each signal is 0..1.
WEIGHTS = {"title": 0.6, "centrality": 0.3, "position": 0.6, "more_positions": 0.2, "number": 0.25, "date": 0.2,
           "party": 0.15, "issue": 0.15, "quote": 0.1}

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


def headline(title: str | None, first_sentence: str = "") -> str:
    """The document's title, or its first sentence shortened when it has none."""
    if title and title.strip():
        return title.strip()
    return shorten(first_sentence, 160) if first_sentence else ""


def select_items(passages, vectors: np.ndarray, findings, profile, *, title_vector: np.ndarray | None = None,
                 limit: int | None = None, first_is_lead: bool = True) -> list[Item]:
    """The 3-5 sentences (fewer only for shorter documents) that best summarise the document, in document order.

    ``title_vector`` is the headline's embedding, when there is a headline; ``first_is_lead``
    is false when ``passages`` are a selection rather than a whole document.
    """
    if not passages:
        return []
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(passages), -1)
    candidates = [i for i, p in enumerate(passages) if is_content(p.text)] or list(range(len(passages)))
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
    chosen = _pick(candidates, base, positions, _WithinDocument(vectors), want)
    return [Item(passages[i].seq, shorten(passages[i].text), passages[i].text, passages[i].id)
            for i in sorted(chosen)]


def bullet_count(sentences: int) -> int:
    """Half the document's content sentences, kept within 3..5 (all of them for very short documents)."""
    return min(sentences, max(MIN_BULLETS, min(MAX_BULLETS, math.ceil(sentences / 2))))


def is_content(text: str) -> bool:
    """False for captions, fragments and lines too short to say anything on their own."""
    stripped = text.strip()
    if textnorm.is_cjk(stripped):
        return sum(1 for ch in stripped if "\u3400" <= ch <= "\u9fff") >= MIN_CJK_CHARS
    return len(stripped) >= MIN_SENTENCE_CHARS and len(stripped.split()) >= 4


def positions_by_passage(passages, findings) -> dict[int, set[tuple[str, str, str]]]:
    """Index of each passage -> the (party, issue, stance) positions the ledger found in it."""
    index = {p.id: i for i, p in enumerate(passages) if p.id is not None}
    found: dict[int, set[tuple[str, str]]] = {}
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
    signals = {
        "position": (1.0 if attributed else 0.33) if positions else 0.0,
        "more_positions": min(len(positions) - 1, 2) / 2 if positions and attributed else 0.0,
        "number": 1.0 if numbers(text) else 0.0,
        "date": 1.0 if mentions_date(text) else 0.0,
        "party": 1.0 if kinds & {"party", "actor"} else 0.0,
        "issue": 1.0 if kinds & {"issue", "place"} else 0.0,
        "quote": 1.0 if any(mark in text for mark in _QUOTES) else 0.0,
    }
    score = sum(WEIGHTS[name] * value for name, value in signals.items())
    if lead:
        score += LEAD_BONUS
    if len(text) > 2 * MAX_BULLET_CHARS:
        score -= 0.2  # would need heavy shortening
    return score


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


def _pick(candidates: list[int], base: dict[int, float], positions: dict[int, set], similarity: _WithinDocument,
          want: int) -> list[int]:
    chosen: list[int] = []
    covered: set = set()
    while len(chosen) < want and len(chosen) < len(candidates):
        columns = [similarity.column(j) for j in chosen]

        def gain(i: int) -> float:
            redundancy = max((column[i] for column in columns), default=0.0)
            repeated = bool(positions.get(i)) and positions[i] <= covered
            return base[i] - REDUNDANCY_WEIGHT * redundancy - (WEIGHTS["position"] if repeated else 0.0)
        best = max((i for i in candidates if i not in chosen), key=gain)
        chosen.append(best)
        covered |= positions.get(best, set())
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
    """The figures a sentence states ("30", "110000", "18%"), without years and days of the month."""
    found = set()
    for match in _NUMBER.finditer(text):
        value = match.group().replace(",", "")
        if _YEAR.match(value) or _is_day_of_month(text, match.start(), match.end()):
            continue
        percent = text[match.end():match.end() + 1] in ("%", "%")
        found.add(value + ("%" if percent else ""))
    return found


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


def _is_day_of_month(text: str, start: int, end: int) -> bool:
    if text[end:end + 1] in ("月", "日", "号", "號", "年"):
        return True
    before = text[max(0, start - 12):start].rstrip(" .").split(" ")[-1].lower()
    after = text[end:end + 12].lstrip(" ").split(" ")[0].lower()
    return any(word.isalpha() and word.startswith(month) for word in (before, after) for month in _MONTHS)
