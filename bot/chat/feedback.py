"""Feedback on answers: each answer given in a chat is kept with its question and citations, and 👍/👎 votes on it
are stored once per user (pressing again changes the vote); ``report`` shows where the engine fails."""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import case, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.messages import Reply
from storage.db import session_scope
from storage.models import AnsweredQuestion, Vote, utcnow

log = logging.getLogger(__name__)

UP, DOWN = 1, -1


def record_answer(engine: Engine, chat: str, question: str, reply: Reply) -> str:
    """Keep an answer given in ``chat``; returns the id its feedback buttons carry (12 URL-safe characters)."""
    answer_id = secrets.token_urlsafe(9)
    with session_scope(engine) as session:
        session.add(AnsweredQuestion(id=answer_id, chat=chat, question=question, answer=reply.text,
                                     citations=[c.to_json() for c in reply.citations], language=reply.language,
                                     abstained=reply.abstained))
    return answer_id


def vote(engine: Engine, answer_id: str, voter: str, value: int) -> str:
    """Store ``voter``'s vote on an answer: "new", "changed", "same" (pressed twice), or "unknown" (no such answer)."""
    if value not in (UP, DOWN):
        raise ValueError(f"a vote is +1 or -1, not {value!r}")
    try:
        return _vote(engine, answer_id, voter, value)
    except IntegrityError:  # two presses at once: the other one inserted the row first, so this one updates it
        return _vote(engine, answer_id, voter, value)


def _vote(engine: Engine, answer_id: str, voter: str, value: int) -> str:
    with session_scope(engine) as session:
        if session.get(AnsweredQuestion, answer_id) is None:
            return "unknown"
        existing = session.exec(select(Vote).where(Vote.answer_id == answer_id, Vote.voter == voter)).first()
        if existing is None:
            session.add(Vote(answer_id=answer_id, voter=voter, value=value))
            return "new"
        if existing.value == value:
            return "same"
        existing.value, existing.updated_at = value, utcnow()
        session.add(existing)
        return "changed"


@dataclass(frozen=True)
class Rated:
    """One answered question with its votes."""

    question: str
    answer_id: str
    up: int
    down: int
    abstained: bool

    @property
    def score(self) -> int:
        return self.up - self.down


@dataclass(frozen=True)
class Report:
    answers: int
    voted: int
    up: int
    down: int
    worst: list[Rated]


def report(engine: Engine, limit: int = 10) -> Report:
    """Vote counts over every kept answer, and the ``limit`` worst-rated answers (most net 👎 first)."""
    ups = func.sum(case((Vote.value > 0, 1), else_=0))
    downs = func.sum(case((Vote.value < 0, 1), else_=0))
    with Session(engine) as session:
        answers = session.exec(select(func.count(AnsweredQuestion.id))).one()
        rows = session.exec(
            select(AnsweredQuestion.id, AnsweredQuestion.question, AnsweredQuestion.abstained, ups, downs)
            .join(Vote, Vote.answer_id == AnsweredQuestion.id)
            .group_by(AnsweredQuestion.id, AnsweredQuestion.question, AnsweredQuestion.abstained)
        ).all()
    rated = [Rated(question, answer_id, int(up or 0), int(down or 0), bool(abstained))
             for answer_id, question, abstained, up, down in rows]
    worst = sorted((r for r in rated if r.down), key=lambda r: (r.score, -r.down, r.question))[:limit]
    return Report(answers=answers, voted=len(rated), up=sum(r.up for r in rated), down=sum(r.down for r in rated),
                  worst=worst)
