"""A news sentence split into who says it and what is said, and long sentences cut to the clauses that matter."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.text import normalize as textnorm

# Verbs that report speech, as they stand in English news prose (past and present).
_REPORT_EN = (r"said|says|told(?: [\w.'’-]+){0,3}?|stated|claimed|reported|revealed|unveiled|announced|added|wrote|"
              r"noted|stressed|insisted|warned|explained|argued|confirmed|suggested|predicted|concluded")
_REPORT_ZH = r"表示|说|說|称|稱|透露|指出|强调|強調|宣布|告诉|告訴|坦言|写道|寫道|报道|報導|報道|证实|證實"
_HEADING = re.compile(r"^\s*(?:\d+\.\s*)?(?:[\w’'-]+(?: [\w’'-]+){0,3})\s*[:：]\s+(?=[^\"“「])")
_QUOTE_FROM = re.compile(r"^(?:quote from|in the words of)\s+(?P<who>[^:：]{3,90})[:：]\s*(?P<core>.{12,})$", re.I)
_NAMED_COLON = re.compile(r"^(?P<who>[^:：\"“”「」,，]{2,60})[:：]\s*[\"“「](?P<core>.{12,})$")
_TAGS = re.compile(r"</?[a-z]{1,6}>", re.I)
# Chinese leads open with a tag or a dateline, not a speaker: 【综合报道】, 新华社利雅得3月25日电（记者 王磊）.
_ZH_WHEN = re.compile(r"(?:\d{1,2}[日号號]|[上下]午|晚间|晚間|当地时间|當地時間|[周週星期][一二三四五六日天]|本周|上周|日前|近日|此前)+$")
_ZH_OPENING = re.compile(r"^(?:【[^】]{1,16}】\s*|[^，,。“”]{2,24}?电\s*[（(][^）)]{0,30}[）)]\s*)")
_INCLUDING = re.compile(r"^including [^,]{2,60},\s*", re.I)
_ACCORDING_EN = re.compile(r"^(?:according to|citing) (?P<who>[^,]{3,90}),\s*(?P<core>.{12,})$", re.I)
_LEADING_EN = re.compile(rf"^(?P<who>[^\"“”]{{2,200}}?)\s+(?:(?:have|has|had)\s+)?(?:{_REPORT_EN})\b"
                         r"(?:\s+(?:on|late|early|last|this)\s+\w+(?:\s+\w+)?)?(?:\s*,)?\s*(?:that\s+)?(?P<core>.{12,})$", re.I)
_TRAILING_EN = re.compile(rf"^(?P<core>.{{12,}}?)[,\"”]+\s*(?P<who>[^,\"“”]{{2,90}}?)\s+(?:{_REPORT_EN})\b(?P<tail>[^\"“”]*)$", re.I)
_TRAILING_INVERTED_EN = re.compile(rf"^(?P<core>.{{12,}}?)[,\"”]+\s*(?:{_REPORT_EN})\s+(?P<who>[^,\"“”]{{2,90}}?)\.?$", re.I)
_REPORTEDLY_ZH = re.compile(r"^(?:据报道|據報導|據報道|据悉|據悉|报道称|報導稱)[，,：:]?(?P<core>.{6,})$")
_ACCORDING_ZH = re.compile(r"^[据據](?P<who>[^，,。]{1,30}?)(?:报道|報導|報道|消息|称|稱|说|說|透露)[，,：:]?(?P<core>.{6,})$")
_CITING_ZH = re.compile(r"^(?P<who>[^，,。]{1,30}?)援引(?P<source>[^，,。]{1,30}?)(?:的话|的話)?(?:报道|報導|報道|称|稱|说|說)?[，,：:]?(?P<core>.{6,})$")
_LEADING_ZH = re.compile(rf"^(?P<who>[^，,。“”「」]{{1,45}}?)(?:{_REPORT_ZH})[，,：:]?(?P<core>.{{6,}})$")
_TRAILING_ZH = re.compile(rf"^(?P<core>.{{6,}}?)[，,”」]+(?P<who>[^，,。“”「」]{{1,20}}?)(?:{_REPORT_ZH})[。.]?$")
# Where a long sentence may be cut without losing its main clause.
_CUT_EN = re.compile(r",\s+(?:but|while|which|who|as|after|before|amid|although|though|whereas|and said)\b|;\s|\s[—–]\s")
_CUT_ZH = re.compile(r"[;；]|，(?:但|而|并|並|同时|同時|此前|此後|此后)")
_SUBJECT_PRONOUN = re.compile(r"^(?:he|she|they|it|we|i)\b", re.I)


@dataclass(frozen=True)
class Clause:
    """A sentence as (who says it, what is said): ``who`` is the words naming the source, or None for the writer's own."""

    who: str | None
    core: str
    relayed_via: str | None = None  # "X, citing Y": the outlet quoted by the one who reports it


@lru_cache(maxsize=1 << 13)
def split(text: str) -> Clause:
    """Split a sentence into its source and its claim: "Peskov said the talks were useful" -> ("Peskov", "the talks
    were useful"). Headings ("Details:") go; a sentence with no reporting frame is all claim."""
    body = _ZH_OPENING.sub("", _TAGS.sub("", text).strip())
    for pattern in (_QUOTE_FROM, _NAMED_COLON):
        match = pattern.match(body)
        if match:
            return Clause(match.group("who").strip(), match.group("core").strip(" .。\"“”「」"))
    body = _HEADING.sub("", body, count=1) if _HEADING.match(body) and len(body) > 40 else body
    body = body.rstrip(" .。")
    if textnorm.is_cjk(body):
        return _split_zh(body)
    return _split_en(body)


def _split_en(body: str) -> Clause:
    match = _ACCORDING_EN.match(body)
    if match:
        return Clause(match.group("who").strip(), _INCLUDING.sub("", match.group("core").strip()))
    found: list[Clause] = []
    match = _TRAILING_EN.match(body)
    tail = match.group("tail") if match else ""
    if match and len(match.group("who").split()) <= 12 and not re.search(r"\bthat\b", match.group("who")) \
            and (len(tail.split()) <= 6 or re.match(r"\W*(?:late|early|on|in|after|citing)\b", tail)):
        citing = re.search(r"\bciting ([^,.]{3,80})", tail, re.I)
        found.append(Clause(match.group("who").strip(), match.group("core").strip(" ,\"”“"),
                            citing.group(1).strip() if citing else None))
    match = _TRAILING_INVERTED_EN.match(body)
    if match and len(match.group("who").split()) <= 10:
        found.append(Clause(match.group("who").strip(), match.group("core").strip(" ,\"”“")))
    match = _LEADING_EN.match(body)
    if match:
        who = match.group("who").split(",")[-1].strip()
        if who and len(who.split()) <= 12 and not re.search(r"\b(?:that|which|if|when|what)\b", who, re.I):
            found.append(Clause(who, match.group("core").strip()))
    # "X, officials said the ministry could accept": of the readings, the one leaving the most claim is the sentence's.
    return max(found, key=lambda clause: len(clause.core)) if found else Clause(None, body)


def _split_zh(body: str) -> Clause:
    match = _REPORTEDLY_ZH.match(body)
    if match:
        return Clause(None, match.group("core").strip("，,"))
    match = _ACCORDING_ZH.match(body)
    if match:
        return Clause(match.group("who"), match.group("core").strip("，,"))
    match = _CITING_ZH.match(body)
    if match:
        return Clause(match.group("source"), match.group("core").strip("，,"), relayed_via=match.group("who"))
    match = _TRAILING_ZH.match(body)
    if match:
        return Clause(match.group("who"), match.group("core").strip("，,“”「」"))
    match = _LEADING_ZH.match(body)
    if match and not re.search(r"[的了]$", match.group("who")):
        who = _ZH_WHEN.sub("", match.group("who")) or match.group("who")
        return Clause(who, match.group("core").strip("，,"))
    return Clause(None, body)


_CONNECTIVE = re.compile(r"^(?:however|but|and|nevertheless|meanwhile|still|also|yet|so|moreover|in addition)\s*,?\s+(?=\S)", re.I)


def shorten(core: str, keep: tuple[str, ...] = (), limit: int = 22) -> str:
    """The claim cut to its main clause when it runs long (about ``limit`` words, or twice that in characters for
    Chinese), never cutting off a word in ``keep`` (what the question asks about)."""
    core = _CONNECTIVE.sub("", core)
    cjk = textnorm.is_cjk(core)
    size = len(core) / 2 if cjk else len(core.split())
    if size <= limit:
        return core
    pattern = _CUT_ZH if cjk else _CUT_EN
    folded = textnorm.fold(core)
    needed = max((folded.find(textnorm.fold(k)) + len(k) for k in keep if k and textnorm.fold(k) in folded), default=0)
    for match in pattern.finditer(core):
        if match.start() >= needed and (match.start() / 2 if cjk else len(core[:match.start()].split())) >= 3:
            return core[:match.start()].rstrip(" ,，") + ("…" if cjk else " …")
    return core


def starts_with_pronoun(core: str) -> bool:
    """The claim opens with a pronoun ("he would not…"): it needs its speaker named before it."""
    return bool(_SUBJECT_PRONOUN.match(core)) or core.startswith(("他", "她", "他们", "他們"))


_SEGMENT_END = re.compile(r"[,;:，；：。!?！？]\s*|\s[—–-]\s")


def excerpt(text: str, spans: list[tuple[int, int]], limit: int = 30) -> str:
    """The verbatim part of a long sentence that holds its important ``spans`` (what the question asks about and the
    answer): whole clauses, at most about ``limit`` words (twice that in characters for Chinese), "…" where cut."""
    cjk = textnorm.is_cjk(text)
    size = (lambda s: len(s) / 2) if cjk else (lambda s: len(s.split()))
    if size(text) <= limit:
        return text
    cuts = [0] + [m.end() for m in _SEGMENT_END.finditer(text) if 0 < m.end() < len(text)] + [len(text)]
    segments = list(zip(cuts, cuts[1:]))
    best, best_key = (0, len(text)), None
    for i in range(len(segments)):
        for j in range(i, len(segments)):
            start, end = segments[i][0], segments[j][1]
            if size(text[start:end]) > limit and j > i:
                break
            covered = sum(1 for s, e in spans if start <= s and e <= end)
            key = (covered, -i, -(end - start))
            if best_key is None or key > best_key:
                best, best_key = (start, end), key
    start, end = best
    piece = text[start:end].strip()
    if not piece:
        return text
    return ("…" if start > 0 else "") + piece.rstrip(",;:，；：") + ("…" if end < len(text.rstrip()) - 1 else "")
