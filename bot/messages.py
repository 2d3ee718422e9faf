"""The platform-free messages that flow between adapters and the core."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlparse

# Parley's own citation markers in a reply's text are "[n]" preceded by this Unicode noncharacter
# (meant for a program's internal use; extraction removes it from every document), so a "[1][2]"
# that a document itself contains can never be rendered as a link to another source.
CITE_MARK = "\ufdd0"
_MARKED = re.compile(CITE_MARK + r"\[(\d+)\]")


def cite(*numbers: int) -> str:
    """Parley's citation markers for ``numbers``, as a lead writer puts them in a reply's text: "[1][3]"."""
    return "".join(f"{CITE_MARK}[{n}]" for n in numbers)


def unmarked(text: str) -> str:
    """``text`` as readers see it: Parley's markers stay "[n]", the invisible mark goes."""
    return text.replace(CITE_MARK, "")


def cite_segments(text: str) -> Iterator[str | int]:
    """``text`` split into plain strings and the citation numbers of Parley's own markers, in order.

    A "[n]" without the mark (quoted from a document) stays part of the plain text.
    """
    position = 0
    for match in _MARKED.finditer(text):
        if match.start() > position:
            yield unmarked(text[position:match.start()])
        yield int(match.group(1))
        position = match.end()
    if position < len(text):
        yield unmarked(text[position:])


@dataclass(frozen=True)
class ChatRef:
    """One chat on one platform. ``str()`` gives ``"telegram:-100123"``; ``parse`` reverses it."""

    platform: str
    chat_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.chat_id}"

    @classmethod
    def parse(cls, text: str) -> "ChatRef":
        platform, sep, chat_id = text.partition(":")
        if not sep or not platform or not chat_id:
            raise ValueError(f"not a chat reference: {text!r}")
        return cls(platform, chat_id)


@dataclass(frozen=True)
class Sender:
    """Who sent a request, with the rights the adapter could verify on its platform."""

    user_id: str
    name: str = ""
    is_bot_admin: bool = False  # listed in PARLEY_ADMIN_IDS for this platform
    can_manage_chat: bool = False  # group admin (Telegram) or Manage Channels (Discord)


@dataclass(frozen=True)
class Request:
    """A command from a chat. ``command`` is e.g. ``"ask"``; ``text`` is the rest of the message."""

    chat: ChatRef
    sender: Sender
    command: str
    text: str = ""
    args: tuple[str, ...] = ()
    language: str | None = None  # the platform's locale hint, e.g. "zh-TW"
    is_private: bool = True
    follows: str = ""  # the earlier question this message follows up (a reply to Parley's answer), if any


@dataclass(frozen=True)
class Citation:
    """One numbered source of a reply: a verbatim quote from a stored document."""

    n: int
    document_id: str
    origin: str
    url: str | None
    title: str
    outlet: str | None
    published: date | None
    quote: str
    language: str = "en"
    translation: str | None = None  # a machine translation of ``quote`` into the reader's language, if any

    def to_json(self) -> dict:
        data = {
            "document_id": self.document_id,
            "origin": self.origin,
            "url": self.url,
            "title": self.title,
            "outlet": self.outlet,
            "published": self.published.isoformat() if self.published else None,
            "quote": self.quote,
        }
        if self.translation:  # optional: the contract's fields stay as they were
            data["translation"] = self.translation
        return data


@dataclass(frozen=True)
class Bullet:
    """One line of evidence; ``cites`` are citation numbers (``Citation.n``).

    ``note`` is a localized line shown under the bullet, e.g. which other outlets reported it.
    """

    text: str
    cites: tuple[int, ...] = ()
    note: str = ""
    translation: str | None = None  # a machine translation of ``text``, shown beside it and marked as such


@dataclass(frozen=True)
class Source:
    """One document as the reader sees it in a reply: listed once, however many of its quotes are cited."""

    number: int
    citation: Citation  # the document's first citation: outlet, title, date, link
    quotes: tuple[str, ...]

    @property
    def name(self) -> str:
        """The outlet, else the title (``named_by_title`` then says so), never the server's file path."""
        return (self.citation.outlet or self.citation.title or "").strip()

    @property
    def named_by_title(self) -> bool:
        return not (self.citation.outlet or "").strip()

    @property
    def link(self) -> str | None:
        """The article's web address, if it has one; a local origin is never shown."""
        return web_link(self.citation.url)


def web_link(url: str | None) -> str | None:
    """``url`` when it is an http(s) address, else None."""
    if url and urlparse(url.strip()).scheme in ("http", "https") and " " not in url.strip():
        return url.strip()
    return None


_MARKER_RUN = re.compile(rf"(?:{CITE_MARK}\[\d+\])+")


def renumber_markers(text: str, numbers: dict[int, int]) -> str:
    """Rewrite runs of Parley's citation markers ("[1][2][3]") to source numbers, each once ("[1][2]").

    A "[1][2]" that came with a document's words has no citation mark and is left as written.
    """
    def run(match: re.Match) -> str:
        cited = [numbers.get(int(n), int(n)) for n in re.findall(r"\d+", match.group())]
        return cite(*dict.fromkeys(cited))

    return _MARKER_RUN.sub(run, text) if numbers else text


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply (a chart): its bytes, a file name, and the text that stands in for it."""

    data: bytes
    filename: str
    alt: str
    mime: str = "image/png"


@dataclass(frozen=True)
class Reply:
    """What the core answers. Adapters format it; text and citations stay apart.

    ``lead`` is the sentence written for the reader, ``bullets`` the evidence,
    ``citations`` the numbered sources. ``labels`` carries the localized words an
    adapter needs for its chrome ("Sources", "As of"), so adapters hold no translations.
    """

    lead: str
    bullets: tuple[Bullet, ...] = ()
    citations: tuple[Citation, ...] = ()
    language: str = "en"
    abstained: bool = False
    as_of: date | None = None
    kind: str = "answer"  # answer | summary | digest | info | error
    labels: dict[str, str] = field(default_factory=dict)
    ephemeral: bool = False  # only the sender should see it, where the platform allows
    attachment: Attachment | None = None  # a picture sent with the text (a photo in Telegram, a file in Discord)
    as_of_arrived: bool = False  # ``as_of`` is the date the (undated) sources arrived, not a publication date
    notes: tuple[str, ...] = ()  # localized lines after the sources, e.g. that the evidence is old
    feedback_id: str = ""  # set on answers users may rate: adapters show 👍/👎 buttons that carry it

    def sources(self) -> tuple[tuple[Source, ...], dict[int, int]]:
        """The cited documents, each once and numbered in order of first use, and citation number -> source number."""
        order: dict[str, int] = {}
        firsts: list[Citation] = []
        quotes: list[list[str]] = []
        numbers: dict[int, int] = {}
        for citation in self.citations:
            key = citation.document_id or f"#{citation.n}"
            if key not in order:
                order[key] = len(firsts) + 1
                firsts.append(citation)
                quotes.append([])
            numbers[citation.n] = order[key]
            if citation.quote.strip() and citation.quote not in quotes[order[key] - 1]:
                quotes[order[key] - 1].append(citation.quote)
        sources = tuple(Source(i + 1, c, tuple(q)) for i, (c, q) in enumerate(zip(firsts, quotes)))
        return sources, numbers

    def label(self, name: str, default: str) -> str:
        return self.labels.get(name) or default

    def as_of_line(self) -> str:
        """"As of 2025-03-19", or the arrival date labelled as such; "" when there is no date at all."""
        if not self.as_of:
            return ""
        if self.as_of_arrived:
            return self.label("as_of_arrived", "As of {date} (date received; the sources are undated)").format(
                date=self.as_of.isoformat())
        return f"{self.label('as_of', 'As of')} {self.as_of.isoformat()}"

    def source_name(self, source: Source) -> str:
        """The outlet, or the title marked as a title when the outlet is unknown."""
        if source.named_by_title and source.name:
            return self.label("title_only", "“{title}” (outlet unknown)").format(title=source.name)
        return source.name or self.label("unknown_source", "unknown source")

    @property
    def text(self) -> str:
        """The reply as plain text with one source line per citation, numbered as ``citations`` are (``ask --json``).

        Server paths never appear; ``plain()`` is what a reader sees, each document listed once.
        """
        return self._plain(merged=False)

    def plain(self) -> str:
        """The reply as a reader sees it in plain text (the console): each cited document listed once."""
        return self._plain(merged=True)

    def _plain(self, merged: bool) -> str:
        if merged:
            sources, numbers = self.sources()
        else:
            sources, numbers = tuple(Source(c.n, c, (c.quote,)) for c in self.citations), {}
        lines = [unmarked(renumber_markers(self.lead, numbers))]
        for b in self.bullets:
            lines.append(f"• {unmarked(b.text)} " + "".join(f"[{n}]" for n in dict.fromkeys(numbers.get(c, c) for c in b.cites)))
            if b.note:
                lines.append(f"  {b.note}")
            if b.translation:
                lines.append(f"  ↳ {self.label('machine_translation', 'machine translation')}: {b.translation}")
        if sources:
            lines.append(self.label("sources", "Sources") + ("：" if self.language.startswith("zh") else ":"))
            for s in sources:
                when = s.citation.published.isoformat() if s.citation.published else self.label("undated", "undated")
                lines.append(f"[{s.number}] {self.source_name(s)}, {when}" + (f": {s.link}" if s.link else ""))
        if self.as_of_line():
            lines.append(self.as_of_line())
        lines += list(self.notes)
        return "\n".join(line.rstrip() for line in lines)


@dataclass(frozen=True)
class Pacing:
    """How fast a platform lets a bot push, as its adapter declares it: messages per second overall and per minute
    to one group chat (0: no limit), and which chats are groups. The outbox keeps to it."""

    per_second: float = 0.0
    group_per_minute: int = 0
    is_group: Callable[[ChatRef], bool] = field(default=lambda chat: False, compare=False)


def evidence_to_json(reply: Reply) -> dict:
    """What a reply's "Show sources" button needs (its language, labels and citations), as JSON."""
    return {
        "language": reply.language,
        "labels": dict(reply.labels),
        "citations": [{"n": c.n, "language": c.language, **c.to_json()} for c in reply.citations],
    }


def evidence_from_json(data: dict) -> Reply:
    """The reply ``evidence_to_json`` described (citations only: the button shows nothing else)."""
    citations = tuple(
        Citation(n=int(c["n"]), document_id=c["document_id"], origin=c["origin"], url=c.get("url"),
                 title=c.get("title") or "", outlet=c.get("outlet"),
                 published=date.fromisoformat(c["published"]) if c.get("published") else None,
                 quote=c.get("quote") or "", language=c.get("language") or "en")
        for c in data.get("citations", []))
    return Reply(lead="", citations=citations, language=data.get("language") or "en", labels=dict(data.get("labels") or {}))
