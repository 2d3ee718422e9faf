"""The tables: what Parley knows (sources, documents, passages, positions, stories) and whom it tells (chats, subscriptions, deliveries)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Column, Index, JSON, LargeBinary, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now (SQLModel stores datetimes as UTC and returns them aware)."""
    return datetime.now(timezone.utc)


class Source(SQLModel, table=True):
    """A feed, web page or local folder that Parley polls for new documents."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # feed | page | folder | file
    location: str = Field(max_length=2048, unique=True)  # URL or absolute folder path
    interval_seconds: int = 900
    paused: bool = False
    etag: str | None = Field(default=None, max_length=512)
    last_modified: str | None = Field(default=None, max_length=128)
    content_hash: str | None = Field(default=None, max_length=64)  # pages: hash of the last extracted text
    seen: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # feed entry ids / folder files already taken
    last_polled_at: datetime | None = None
    next_poll_at: datetime | None = Field(default=None, index=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    error_count: int = 0
    added_by: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow)


class Document(SQLModel, table=True):
    """One ingested article with its metadata and normalised body."""

    id: str = Field(primary_key=True, max_length=32)
    content_hash: str = Field(max_length=64, unique=True)
    origin: str = Field(max_length=2048)  # the path or URL it was ingested from
    url: str | None = Field(default=None, max_length=2048)  # canonical article URL
    title: str = Field(default="", sa_column=Column(Text, nullable=False))
    outlet: str | None = Field(default=None, max_length=256)
    cited_agency: str | None = Field(default=None, max_length=256)
    published: date | None = Field(default=None, index=True)
    language: str = Field(default="en", max_length=8)
    text: str = Field(sa_column=Column(Text, nullable=False))
    source_id: int | None = Field(default=None, foreign_key="source.id", index=True)
    story_id: str | None = Field(default=None, foreign_key="story.id", index=True, max_length=32)
    duplicate_of: str | None = Field(default=None, max_length=32)
    summary: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    ingested_at: datetime = Field(default_factory=utcnow, index=True)
    announced_at: datetime | None = Field(default=None, index=True)  # set once its story, summary and deliveries are stored


class Passage(SQLModel, table=True):
    """A sentence of a document, with character offsets into ``Document.text`` so quotes stay verbatim."""

    __table_args__ = (
        UniqueConstraint("document_id", "seq"),
        # Only the few passages still waiting for a vector: counting them stays instant at any corpus size.
        Index("ix_passage_unembedded", "id", sqlite_where=sql_text("embedding IS NULL"),
              postgresql_where=sql_text("embedding IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="document.id", index=True, max_length=32)
    seq: int
    paragraph: int = 0
    start: int
    end: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    language: str = Field(default="en", max_length=8)
    embedding: bytes | None = Field(default=None, sa_column=Column(LargeBinary))  # float32 vector; None until embedded


class Party(SQLModel, table=True):
    """A party of the loaded profile (kept in the database so filters and positions can refer to it)."""

    key: str = Field(primary_key=True, max_length=64)
    names: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    aliases: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Issue(SQLModel, table=True):
    """An issue of the loaded profile."""

    key: str = Field(primary_key=True, max_length=64)
    names: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    aliases: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Position(SQLModel, table=True):
    """One entry of the position ledger: a party's stance on an issue, quoted from a document."""

    # A new document's stance is compared with the latest earlier report on the same party and issue.
    __table_args__ = (Index("ix_position_party_issue_published", "party", "issue", "published"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="document.id", index=True, max_length=32)
    passage_id: int | None = Field(default=None, foreign_key="passage.id")
    party: str = Field(index=True, max_length=64)
    issue: str = Field(index=True, max_length=64)
    stance: str = Field(max_length=16)  # demands | offers | rejects | accepts | conditions | denies
    quote: str = Field(sa_column=Column(Text, nullable=False))
    speaker: str | None = Field(default=None, max_length=256)
    attribution: str = Field(default="on_record", max_length=16)  # on_record | anonymous | relayed
    relayed_from: str | None = Field(default=None, max_length=256)
    places: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    published: date | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Story(SQLModel, table=True):
    """Documents that report the same event."""

    id: str = Field(primary_key=True, max_length=32)
    title: str = Field(default="", sa_column=Column(Text, nullable=False))
    first_document_id: str | None = Field(default=None, max_length=32)
    independent_sources: int = 1
    centroid: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class Chat(SQLModel, table=True):
    """Per-chat preferences: answer language and time zone."""

    chat: str = Field(primary_key=True, max_length=128)  # str(ChatRef)
    language: str | None = Field(default=None, max_length=8)
    timezone: str | None = Field(default=None, max_length=64)
    active: bool = True
    updated_at: datetime = Field(default_factory=utcnow)


class Subscription(SQLModel, table=True):
    """A chat that wants summaries: instantly or as a daily digest, optionally filtered."""

    id: int | None = Field(default=None, primary_key=True)
    chat: str = Field(index=True, max_length=128)
    mode: str = Field(default="instant", max_length=16)  # instant | daily
    daily_time: str | None = Field(default=None, max_length=5)  # "HH:MM" in the chat's time zone
    parties: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    issues: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    languages: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = Field(default=True, index=True)
    deactivated_reason: str | None = Field(default=None, sa_column=Column(Text))
    last_digest_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """The outbox: one row per subscription and item, marked sent only after the platform accepted it."""

    __table_args__ = (
        UniqueConstraint("subscription_id", "item_kind", "item_id"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id", index=True)
    chat: str = Field(max_length=128)
    item_kind: str = Field(max_length=16)  # document | digest
    item_id: str = Field(max_length=64)
    status: str = Field(default="pending", max_length=16)  # pending | sending | sent | failed | cancelled
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    claimed_by: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class Lease(SQLModel, table=True):
    """A named lease (the scheduler leader) held by one process until it expires."""

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=128)
    expires_at: datetime


class AnsweredQuestion(SQLModel, table=True):
    """An answer Parley gave in a chat, kept so that votes on it say what was asked, answered and cited."""

    id: str = Field(primary_key=True, max_length=16)
    chat: str = Field(max_length=128)
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    citations: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    language: str = Field(default="en", max_length=8)
    abstained: bool = False
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Vote(SQLModel, table=True):
    """One user's 👍 (+1) or 👎 (-1) on one answer; pressing again changes it."""

    __table_args__ = (UniqueConstraint("answer_id", "voter"),)

    id: int | None = Field(default=None, primary_key=True)
    answer_id: str = Field(foreign_key="answeredquestion.id", index=True, max_length=16)
    voter: str = Field(max_length=160)  # platform:user_id
    value: int
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Translation(SQLModel, table=True):
    """A machine translation of one source sentence into one language: a cache, safe to empty at any time."""

    __table_args__ = (UniqueConstraint("source_hash", "language", name="uq_translation_source_language"),)

    id: int | None = Field(default=None, primary_key=True)
    source_hash: str = Field(max_length=64)  # sha256 of the sentence as quoted
    language: str = Field(max_length=16)  # en | zh-Hans | zh-Hant
    text: str = Field(sa_column=Column(Text, nullable=False))
    model: str = Field(default="", max_length=256)  # the model that wrote it, for operators
    created_at: datetime = Field(default_factory=utcnow)


class Evidence(SQLModel, table=True):
    """What a "Show sources" button expands to: a reply's citations, kept so the button outlives the process."""

    key: str = Field(primary_key=True, max_length=32)  # the button's id, from its callback data
    reply: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # language, labels, citations
    created_at: datetime = Field(default_factory=utcnow, index=True)
