"""The platform-free messages that flow between adapters and the core."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Iterator

# Parley's own citation markers in a reply's text are "[n]" preceded by this Unicode noncharacter
# (meant for a program's internal use; extraction removes it from every document), so a "[1][2]"
# that a document itself contains can never be rendered as a link to another source.
CITE_MARK = "\ufdd0"
_MARKED = re.compile(CITE_MARK + r"\[(\d+)\]")


def cite(*numbers: int) -> str:
    """Parley's citation markers for ``numbers``, as a lead writer puts them in a reply's text: "[1][3]"."""
    return "".join(f"{CITE_MARK}[{n}]" for n in numbers)


def plain(text: str) -> str:
    """``text`` as readers see it: Parley's markers stay "[n]", the invisible mark goes."""
    return text.replace(CITE_MARK, "")


def cite_segments(text: str) -> Iterator[str | int]:
    """``text`` split into plain strings and the citation numbers of Parley's own markers, in order.

    A "[n]" without the mark (quoted from a document) stays part of the plain text.
    """
    position = 0
    for match in _MARKED.finditer(text):
        if match.start() > position:
            yield plain(text[position:match.start()])
        yield int(match.group(1))
        position = match.end()
    if position < len(text):
        yield plain(text[position:])


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

    def to_json(self) -> dict:
        return {
            "document_id": self.document_id,
            "origin": self.origin,
            "url": self.url,
            "title": self.title,
            "outlet": self.outlet,
            "published": self.published.isoformat() if self.published else None,
            "quote": self.quote,
        }


@dataclass(frozen=True)
class Bullet:
    """One line of evidence; ``cites`` are citation numbers (``Citation.n``)."""

    text: str
    cites: tuple[int, ...] = ()


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

    @property
    def text(self) -> str:
        """The reply as plain text, the way the console and ``ask --json`` show it."""
        lines = [plain(self.lead)]
        lines += [f"• {plain(b.text)} " + "".join(f"[{n}]" for n in b.cites) for b in self.bullets]
        if self.citations:
            lines.append(self.labels.get("sources", "Sources") + ":")
            for c in self.citations:
                when = c.published.isoformat() if c.published else self.labels.get("undated", "undated")
                where = c.url or c.origin
                lines.append(f"[{c.n}] {c.outlet or c.title}, {when}: {where}")
        if self.as_of:
            lines.append(f"{self.labels.get('as_of', 'As of')} {self.as_of.isoformat()}")
        return "\n".join(line.rstrip() for line in lines)


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
