"""The ``parley ask --json`` contract: a Reply as the evaluation kit's JSON object."""
from __future__ import annotations

from bot.messages import Reply


def to_contract_json(question: str, reply: Reply) -> dict:
    """The ``parley ask --json`` object of the evaluation contract (question, language, answer, abstained, as_of, citations)."""
    return {
        "question": question,
        "language": reply.language,
        "answer": reply.text,
        "abstained": reply.abstained,
        "as_of": reply.as_of.isoformat() if reply.as_of else None,
        "citations": [c.to_json() for c in reply.citations],
    }
