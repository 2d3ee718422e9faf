"""Document extraction: bytes, text and HTML to a titled, dated, attributed, sentence-split document.

Design notes
- Kept lines keep their characters exactly: answers quote sentences verbatim, so the only
  edits are removing inline HTML tags left in plain text (``<u>reported</u>`` reads
  "reported"; quotes are verbatim against this cleaned text), normalising line endings,
  dropping whole lines (boilerplate, the title, the "Original url:" and date lines) and
  collapsing runs of blank lines. ``Sentence.text`` is
  always ``Extracted.text[start:end]`` and never spans a paragraph.
- The title is not part of ``text`` and not a sentence; it lives in ``Extracted.title``.
  When the first line reads like a paragraph rather than a headline (e.g. a dateline
  paragraph), it stays in the body and the title is its shortened first sentence.
- Patterns that vary by site (boilerplate lines, URL labels, outlet domains, footer
  signatures, agency names) are data in ``bot/text/data/*.yaml``.
- ``published`` is never invented: it comes from page metadata, a date line in the header,
  a dated dateline, or a date in the URL. A year-less date ("Nov 23") is resolved only
  against anchors: profile events (``context_events``) whose keyword and month-day are both
  mentioned in one paragraph and, failing those, explicit full dates in the document; the
  date then takes the year that puts it on/after the latest anchor, within a year.
- Work is bounded for hostile input: regexes are linear or run on bounded slices, giant
  sentences are cut, and oversized input is refused with ``BadDocument``.
"""
from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from bot.errors import BadDocument
from bot.ingestion.dates import _anchors, _date_in_url, _date_line, _date_mentions, _DateMention, _resolve_year
from bot.ingestion.decoding import _HAN, LANG_EN, LANG_HANS, _han_variants, _Script, _script, strip_noncharacters
from bot.ingestion.sentences import _paragraph_spans, _split_paragraph

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent / "text" / "data"
MAX_INPUT_CHARS = 10_000_000
# Sentences stored (and embedded) per document; the rest of a longer text is kept but not split.
# Real articles have a few dozen, long reports a few hundred: this bounds the work a hostile page
# can cause (each sentence is embedded, read by the ledger and scored for the summary).
MAX_SENTENCES = 2_000
MAX_SPLIT_CHARS = 200_000  # and the characters split into them: 1 MB of 1,000-character lines is still too much to embed
# Letters among the non-space characters below which a "text" is not prose ("&&&&...", tables of symbols).
MIN_LETTER_SHARE = 0.15
# HTML longer than this is read in trafilatura's fast mode (no second, fallback extraction to compare).
FAST_HTML_CHARS = 1_000_000
TITLE_MAX_CHARS = 200
HEADER_LINES = 6  # date lines are looked for among the first non-empty lines only



@dataclass(frozen=True)
class Sentence:
    """One sentence of ``Extracted.text``: ``text == Extracted.text[start:end]``."""

    start: int
    end: int
    text: str
    language: str
    paragraph: int


@dataclass(frozen=True)
class Extracted:
    """A document ready to store: metadata plus the cleaned body and its sentences."""

    title: str
    url: str | None
    outlet: str | None
    cited_agency: str | None
    published: date | None
    language: str
    text: str
    sentences: list[Sentence]


# --------------------------------------------------------------------------- rules (data)


@dataclass(frozen=True)
class _Rules:
    """The compiled contents of ``bot/data/outlets.yaml`` and ``boilerplate.yaml``."""

    max_line_chars: int
    url_label: re.Pattern
    boilerplate: re.Pattern  # every boilerplate line pattern, as one alternation
    signatures: tuple[tuple[re.Pattern, str | None], ...]
    domains: dict[str, str]
    agency_alias: dict[str, str]  # spelling (casefolded) -> canonical name
    agency_pattern: re.Pattern  # any known spelling, as a whole word
    not_agencies: frozenset[str]


@functools.cache
def _rules() -> _Rules:
    outlets = yaml.safe_load((DATA_DIR / "outlets.yaml").read_text("utf-8"))
    boiler = yaml.safe_load((DATA_DIR / "boilerplate.yaml").read_text("utf-8"))
    labels = "|".join(re.escape(label) for label in boiler["url_labels"])
    alias = {spelling.casefold(): name for name, spellings in outlets["agencies"].items() for spelling in spellings}
    spellings = sorted({s for ss in outlets["agencies"].values() for s in ss}, key=len, reverse=True)
    return _Rules(
        max_line_chars=int(boiler["max_line_chars"]),
        url_label=re.compile(rf"^\s*(?:{labels})\s*[:：]?\s*(?P<url>https?://\S+)?\s*$", re.I),
        boilerplate=re.compile("|".join(f"(?:{p})" for p in boiler["lines"]), re.I),
        signatures=tuple((re.compile(s["pattern"], re.I), s.get("outlet")) for s in outlets["signatures"]),
        domains={d.lower(): name for d, name in outlets["domains"].items()},
        agency_alias=alias,
        agency_pattern=re.compile("|".join(map(_whole_word, spellings))),
        not_agencies=frozenset(w.casefold() for w in outlets["not_agencies"]),
    )


def _whole_word(spelling: str) -> str:
    """A regex for a spelling; Latin ones must stand as whole words, Chinese has no word gaps."""
    escaped = re.escape(spelling)
    return rf"(?<![\w-]){escaped}(?![\w-])" if spelling.isascii() else escaped


# --------------------------------------------------------------------------- attribution

_DATELINE = re.compile(
    r"^(?P<place>[A-Z][\w.'’ ]{1,40}(?:,\s*[\w.'’ ]{1,40}?)?)\s*"
    r"(?:\((?P<agency>[A-Za-z][\w.&/ -]{0,30}?)\)\s*)?[—–-]{1,2}\s"
)
_ZH_DATELINE = re.compile(
    r"^[【\[]?(?P<agency>[\u4e00-\u9fff]{2,6}?(?:社|网|網|报|報|台))(?:记者|記者)?[\u4e00-\u9fff ]{0,12}?"
    r"(?:(?P<year>\d{4})年)?(?P<month>\d{1,2})月(?P<day>\d{1,2})日(?:电|電|讯|訊)"
)
_TITLE_SUFFIX = re.compile(r"^(?P<title>.*\S)\s+[–—-]{1,2}\s+(?P<name>[^–—]{2,40})$")
_GENERIC_NAME = re.compile(r"(?:[A-Z][\w.&'’-]*|of|the|and|de)(?: (?:[A-Z][\w.&'’-]*|of|the|and|de)){0,3}")
_SOURCE_LINE = re.compile(r"^\s*(?:Source|Sources|来源|來源|消息来源|消息來源)\s*[:：]\s*(?P<name>[^,，;；(（\n]{2,60})", re.I | re.M)


def _agency_name(raw: str, *, generic: bool) -> str | None:
    """Canonical name for a source named in a relay; unknown names only when ``generic``."""
    name = raw.strip().strip("\"'“”‘’.")
    rules = _rules()
    if name.casefold() in rules.agency_alias:
        return rules.agency_alias[name.casefold()]
    if not generic or name.casefold() in rules.not_agencies or any(c.isdigit() for c in name):
        return None
    return name if _GENERIC_NAME.fullmatch(name) and name[0].isupper() else None


def _dateline_agency(raw: str) -> str | None:
    """The agency in a dateline's parentheses: "(Reuters)", "(V7N)"; digits are fine here."""
    known = _agency_name(raw, generic=False)
    if known:
        return known
    name = raw.strip()
    if name.casefold() in _rules().not_agencies or not re.fullmatch(r"[A-Z][\w.&/-]*(?: [A-Z][\w.&/-]*){0,3}", name):
        return None
    return name


def _split_title_suffix(title: str) -> tuple[str, str | None]:
    """"Headline – Reuters" -> ("Headline", "Reuters"); other titles are returned unchanged."""
    match = _TITLE_SUFFIX.match(title)
    if not match:
        return title, None
    name = _agency_name(match["name"], generic=True)
    return (match["title"], name) if name else (title, None)


def _relayed_agency(text: str) -> str | None:
    """The first known agency the body relays: "according to X", "X reported", "据X报道"..."""
    rules = _rules()
    for match in rules.agency_pattern.finditer(text):
        if _is_relay_context(text, match.start(), match.end()):
            return rules.agency_alias[match.group().casefold()]
    return None


_RELAY_BEFORE = re.compile(r"(?:[Aa]ccording to(?: the)?|[Cc]iting(?: the)?|[Rr]eported by(?: the)?|据|據|援引|引述)\s*(?:[^\s，。]{0,10}《)?\s*$")
_RELAY_AFTER = re.compile(
    r"^(?:'s)?\s*(?:[\w-]+ ){0,3}?(?:reported|reports|writes|wrote|says|said|cited|quoted|newspaper|news agency)\b"
    r"|^[^，。]{0,12}(?:报道|報道|报导|報導|称|稱|说|說)"
)


def _is_relay_context(text: str, start: int, end: int) -> bool:
    return bool(_RELAY_BEFORE.search(text[max(0, start - 25):start]) or _RELAY_AFTER.match(text[end:end + 40]))


def _domain_outlet(url: str | None) -> str | None:
    """The outlet a URL belongs to per outlets.yaml, else None."""
    host = _host(url)
    if not host:
        return None
    domains = _rules().domains
    parts = host.split(".")
    for i in range(len(parts) - 1):
        if ".".join(parts[i:]) in domains:
            return domains[".".join(parts[i:])]
    return None


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower().removeprefix("www.") if host else None


def registrable_domain(url: str | None) -> str | None:
    """The registrable domain of a URL ("https://news.example.org/x" -> "example.org")."""
    host = _host(url)
    if not host:
        return None
    from tld import get_fld

    return get_fld(host, fix_protocol=True, fail_silently=True) or host


def outlet_for_url(url: str | None) -> str | None:
    """The outlet named in outlets.yaml for a URL's domain, else its registrable domain."""
    return _domain_outlet(url) or registrable_domain(url)


# --------------------------------------------------------------------------- line cleaning


@dataclass
class _Lines:
    """The document's lines with a keep flag each, plus what was learnt from dropped lines."""

    lines: list[str]
    keep: list[bool]
    stated_url: str | None = None
    signature_outlet: str | None = None
    date_line: _DateMention | None = None

    def kept(self) -> Iterator[int]:
        return (i for i, line in enumerate(self.lines) if self.keep[i] and line.strip())


def _normalise_lines(raw: str) -> list[str]:
    return [line.rstrip() for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def _take_url_lines(doc: _Lines) -> None:
    rules = _rules()
    for i in list(doc.kept()):
        line = doc.lines[i]
        if len(line) > rules.max_line_chars + 2000 or not (match := rules.url_label.match(line)):
            continue
        doc.keep[i] = False
        url = match["url"] or _url_on_next_line(doc, i)
        if url and doc.stated_url is None:
            doc.stated_url = url.rstrip(".,;)>]")


def _url_on_next_line(doc: _Lines, index: int) -> str | None:
    for j in range(index + 1, min(len(doc.lines), index + 4)):
        candidate = doc.lines[j].strip()
        if not candidate:
            continue
        if re.fullmatch(r"<?https?://\S+>?", candidate):
            doc.keep[j] = False
            return candidate.strip("<>")
        return None
    return None


def _take_signatures(doc: _Lines) -> None:
    rules = _rules()
    for i in doc.kept():
        line = doc.lines[i].strip()
        if len(line) > rules.max_line_chars:
            continue
        for pattern, outlet in rules.signatures:
            match = pattern.fullmatch(line)
            if match:
                doc.keep[i] = False
                named = outlet or (match.groupdict().get("name") or "").strip() or None
                doc.signature_outlet = named or doc.signature_outlet
                break


def _drop_boilerplate(doc: _Lines) -> None:
    rules = _rules()
    for i in doc.kept():
        line = doc.lines[i].strip()
        if len(line) <= rules.max_line_chars and rules.boilerplate.fullmatch(line):
            log.debug("dropping boilerplate line %r", line[:80])
            doc.keep[i] = False


def _take_date_lines(doc: _Lines, skip: int | None) -> None:
    """Drop date-only lines among the first non-empty lines; remember the first date."""
    for count, i in enumerate(doc.kept()):
        if count >= HEADER_LINES:
            break
        if i == skip:
            continue
        mention = _date_line(doc.lines[i].strip())
        if mention:
            doc.keep[i] = False
            doc.date_line = doc.date_line or mention


def _looks_like_title(line: str) -> bool:
    line = line.strip()
    if len(line) > TITLE_MAX_CHARS or line[-1] in ".。":
        return False
    return len(list(_split_paragraph(line, 0, len(line)))) <= 1


def _assemble(doc: _Lines) -> str:
    """Kept lines joined by newlines; runs of blank lines become one blank line."""
    out: list[str] = []
    for i, line in enumerate(doc.lines):
        if not doc.keep[i]:
            continue
        if line.strip() or (out and out[-1].strip()):
            out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


# --------------------------------------------------------------------------- pipeline


@dataclass(frozen=True)
class _Hints:
    """Metadata known before reading the text (page metadata, the URL it came from)."""

    title: str | None = None
    url: str | None = None
    published: date | None = None
    sitename: str | None = None


def extract_text(raw: str, *, url: str | None = None, origin: str | None = None,
                 context_events: Sequence[tuple[date, Sequence[str]]] = ()) -> Extracted:
    """Extract a plain-text article: title (first line), metadata, cleaned body and sentences.

    ``url`` is where the text came from, if anywhere; a URL stated in the text ("Original
    url:", "原始链接:") takes precedence. ``context_events`` are (date, keywords) pairs from the
    profile, used only to give a year-less dateline its year. Raises ``BadDocument``.
    """
    return _extract(strip_inline_html(strip_noncharacters(raw)), _Hints(url=url), origin, context_events)


# Inline HTML that copy-pasted or exported plain text keeps. Only these element names count, so text
# such as "A < B", "<verify>" or "<30 km>" is left alone.
_INLINE_TAG = re.compile(
    r"</?(?:a|abbr|b|big|br|cite|code|del|div|em|font|h[1-6]|i|ins|kbd|li|mark|ol|p|q|s|small|span|strike|strong"
    r"|sub|sup|time|u|ul)(?:\s[^<>]{0,500})?\s*/?>", re.IGNORECASE)
_BLOCK_END = re.compile(r"<br\s*/?>|</(?:p|div|h[1-6]|li)\s*>", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")


def strip_inline_html(raw: str) -> str:
    """Plain text without the inline HTML tags it carries; entities are decoded only when tags were found."""
    if not _INLINE_TAG.search(raw):
        return raw
    import html

    text = _INLINE_TAG.sub("", _BLOCK_END.sub("\n", raw))
    return _ENTITY.sub(lambda m: html.unescape(m.group()), text)


def extract_html(html: str, *, url: str | None = None, origin: str | None = None,
                 context_events: Sequence[tuple[date, Sequence[str]]] = ()) -> Extracted:
    """Extract an HTML page: trafilatura finds the main text and metadata, then as extract_text."""
    _check_size(html, origin)
    hints, body = _trafilatura(strip_noncharacters(html), url, origin)
    return _extract(body, hints, origin, context_events)


def _check_readable(text: str, origin: str | None) -> None:
    """Refuse a "text" that is hardly letters at all (a page of ``&amp;``): it says nothing and costs much."""
    sample = "".join(text[:200_000].split())
    letters = sum(1 for char in sample if char.isalpha())
    if sample and letters < MIN_LETTER_SHARE * len(sample):
        raise BadDocument(f"{origin or 'document'}: no readable text ({letters / len(sample):.0%} letters)", origin=origin)


def _check_size(raw: str, origin: str | None) -> None:
    if len(raw) > MAX_INPUT_CHARS:
        raise BadDocument(f"{origin or 'document'}: too large ({len(raw)} characters)", origin=origin)


def _trafilatura(html: str, url: str | None, origin: str | None) -> tuple[_Hints, str]:
    import trafilatura

    try:
        found = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True,
            fast=len(html) > FAST_HTML_CHARS,  # the fallback extractors' second pass costs most on huge pages
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except (RecursionError, ValueError, TypeError, MemoryError) as exc:
        raise BadDocument(f"{origin or url or 'document'}: unreadable HTML ({type(exc).__name__})", origin=origin) from exc
    if found is None or not (found.text or "").strip():
        raise BadDocument(f"{origin or url or 'document'}: no main text found in the HTML", origin=origin)
    if "\n" not in found.text.strip() and len(_PARAGRAPH_TAG.findall(html)) >= 2:
        found = _paragraphs_kept(html, url) or found
    page_url = found.url if found.url and found.url.startswith(("http://", "https://")) else url
    published = _iso_date(found.date)
    return _Hints(title=(found.title or "").strip() or None, url=page_url, published=published,
                  sitename=(found.sitename or "").strip() or None), _one_paragraph_per_line(found.text)


_PARAGRAPH_TAG = re.compile(r"<p[\s>]", re.IGNORECASE)


def _paragraphs_kept(html: str, url: str | None):
    """A short page's main text with its paragraphs apart, or None.

    Below trafilatura's minimum size (250 characters: a short wire item, most Chinese briefs) its fallback
    extraction joins the headline, the byline, the paragraphs and "related" links into one line, so the first
    sentence starts with the headline and byline. Asking again with a small minimum keeps the main extraction,
    which has one paragraph per line and leaves bylines and link lists out.
    """
    import trafilatura
    from trafilatura.settings import use_config

    config = use_config()
    config["DEFAULT"]["MIN_EXTRACTED_SIZE"] = "25"
    try:
        found = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True, config=config,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except (RecursionError, ValueError, TypeError, MemoryError):
        return None
    if found is None or len([line for line in (found.text or "").split("\n") if line.strip()]) < 2:
        return None
    return found


def _one_paragraph_per_line(text: str) -> str:
    """trafilatura puts one paragraph per line; blank lines keep them from looking hard-wrapped."""
    return "\n\n".join(line for line in text.split("\n") if line.strip())


def _iso_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _extract(raw: str, hints: _Hints, origin: str | None, events: Sequence[tuple[date, Sequence[str]]]) -> Extracted:
    _check_size(raw, origin)
    doc = _Lines(_normalise_lines(raw), [])
    doc.keep = [True] * len(doc.lines)
    _take_url_lines(doc)
    _take_signatures(doc)
    _drop_boilerplate(doc)
    title, title_index = _choose_title(doc, hints.title)
    _take_date_lines(doc, skip=title_index)
    if title_index is not None:
        doc.keep[title_index] = False
    text = _assemble(doc)
    if not text.strip():
        text = title  # a one-line document: its only line is both title and body
    if not text.strip():
        raise BadDocument(f"{origin or 'document'}: no text", origin=origin)
    _check_readable(text, origin)
    return _describe(doc, text, title, hints, events)


def _choose_title(doc: _Lines, given: str | None) -> tuple[str, int | None]:
    """The title and the index of its line: the first non-date line, or the given title."""
    for count, i in enumerate(doc.kept()):
        line = doc.lines[i].strip()
        if count < HEADER_LINES and _date_line(line):
            continue
        if given:
            return given, (i if line == given.strip() else None)
        if _looks_like_title(line):
            return line, i
        return _title_from_paragraph(line), None
    return (given or ""), None


def _title_from_paragraph(line: str) -> str:
    """A title for a document that starts with a paragraph: its first sentence, shortened."""
    line = line[:5000]
    dateline = _DATELINE.match(line)
    if dateline and (dateline["agency"] or _date_mentions(dateline["place"])):
        line = line[dateline.end():]
    first = next(iter(_split_paragraph(line, 0, len(line))), (0, len(line)))
    sentence = line[first[0]:first[1]]
    if len(sentence) <= TITLE_MAX_CHARS:
        return sentence
    cut = sentence.rfind(" ", 0, TITLE_MAX_CHARS)
    return sentence[:cut if cut > TITLE_MAX_CHARS // 2 else TITLE_MAX_CHARS].rstrip(" ,;:") + "…"


def _describe(doc: _Lines, text: str, title: str, hints: _Hints,
              events: Sequence[tuple[date, Sequence[str]]]) -> Extracted:
    url = doc.stated_url or hints.url
    clean_title, title_agency = _split_title_suffix(title)
    dateline_agency, dateline_date = _dateline(text)
    outlet = _choose_outlet(url, hints.sitename, doc.signature_outlet, dateline_agency)
    source_line = _SOURCE_LINE.search(text[:20_000])
    candidates = (title_agency, _agency_name(source_line["name"], generic=True) if source_line else None,
                  dateline_agency, _relayed_agency(text[:50_000]))
    cited = next((c for c in candidates if c and c != outlet), None)
    paragraphs = _paragraph_spans(text)
    published = _choose_published(doc, url, hints.published, dateline_date, [text[s:e] for s, e in paragraphs], events)
    language, sentences = _sentences(text, paragraphs)
    return Extracted(title=clean_title, url=url, outlet=outlet, cited_agency=cited, published=published,
                     language=language, text=text, sentences=sentences)


def _dateline(text: str) -> tuple[str | None, _DateMention | None]:
    """Agency and date of a dateline opening the body: "Moscow, Nov 23 (V7N) —", "新华社莫斯科3月13日电"."""
    head = text[:300]
    first_line = head.split("\n", 1)[0]
    match = _DATELINE.match(first_line)
    if match:
        agency = _dateline_agency(match["agency"]) if match["agency"] else None
        mentions = _date_mentions(match["place"])
        return agency, (mentions[0] if mentions else None)
    zh = _ZH_DATELINE.match(first_line)
    if zh:
        year = int(zh["year"]) if zh["year"] else None
        return _agency_name(zh["agency"], generic=False) or zh["agency"], _DateMention(0, int(zh["month"]), int(zh["day"]), year)
    return None, None


def _choose_outlet(url: str | None, sitename: str | None, signature: str | None, dateline_agency: str | None) -> str | None:
    """Known domain, then page site name, then footer signature, then the domain, then the dateline."""
    return _domain_outlet(url) or sitename or signature or registrable_domain(url) or dateline_agency


def _choose_published(doc: _Lines, url: str | None, meta: date | None, dateline: _DateMention | None,
                      paragraphs: Sequence[str], events: Sequence[tuple[date, Sequence[str]]]) -> date | None:
    """Publication date from evidence only; see the module docstring for the order."""
    if meta:
        return meta
    for mention in (doc.date_line, dateline):
        if mention and mention.year and (full := mention.as_date()):
            return full
    if from_url := _date_in_url(url):
        return from_url
    yearless = next((m for m in (doc.date_line, dateline) if m and m.year is None), None)
    if yearless is None:
        return None
    anchors = _anchors(paragraphs, events)
    if not anchors:
        anchors = [d for p in paragraphs for m in _date_mentions(p) if m.year and (d := m.as_date())]
    return _resolve_year(yearless.month, yearless.day, anchors)


def _sentences(text: str, paragraphs: Sequence[tuple[int, int]]) -> tuple[str, list[Sentence]]:
    """The document's language and its sentences, each tagged with its own language."""
    variants = _han_variants(_HAN.findall(text[:2_000_000]))
    doc_script = _script(text, variants)
    doc_variant = doc_script.zh_variant(LANG_HANS)
    language = doc_script.language(doc_variant)
    sentences: list[Sentence] = []
    for index, (p_start, p_end) in enumerate(paragraphs):
        p_lang = _passage_language(_script(text[p_start:p_end], variants), doc_variant)
        for start, end in _split_paragraph(text, p_start, p_end):
            if len(sentences) >= MAX_SENTENCES or start >= MAX_SPLIT_CHARS:
                log.warning("stopped at %s sentences (character %s); the rest of the text is kept but not split",
                            len(sentences), start)
                return language, sentences
            s_lang = _sentence_language(_script(text[start:end], variants), p_lang, doc_variant)
            sentences.append(Sentence(start, end, text[start:end], s_lang, index))
    return language, sentences


def _passage_language(script: _Script, doc_variant: str) -> str:
    language = script.language(doc_variant)
    return script.zh_variant(doc_variant, clear=True) if language != LANG_EN else language


def _sentence_language(script: _Script, paragraph: str, doc_variant: str) -> str:
    """A sentence keeps its paragraph's language unless its own letters clearly say otherwise."""
    if paragraph == LANG_EN:
        return _passage_language(script, doc_variant) if script.han else LANG_EN
    if script.han == 0:
        return LANG_EN if script.latin else paragraph
    return script.zh_variant(paragraph, clear=True)
