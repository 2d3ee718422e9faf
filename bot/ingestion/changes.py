"""Position changes: how a new document moves each party's stance on each issue against the ledger's latest earlier
report of it (the rule is in bot/ingestion/stories.py's docstring, under "Position changes")."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import col, select

from storage.models import Document, Position

# (before, after) pairs whose direction is defined: moving towards rejection hardens a position, the reverse softens it.
# Stances outside a pair (demands vs offers, offers vs accepts, anything vs denies) have no order: they "changed".
HARDER = frozenset({("accepts", "conditions"), ("accepts", "rejects"), ("offers", "conditions"), ("offers", "rejects"),
                    ("conditions", "rejects")})


@dataclass
class Change:
    """A party's stance on an issue that differs from the ledger's latest earlier report of it."""

    party: str
    issue: str
    stance: str
    kind: str  # hardened | softened | denial | changed
    quote: str
    passage_id: int | None
    previous: dict | None = None  # {stance, published, document_id, outlet, quote}
    names: dict = field(default_factory=dict)  # {"party": {lang: name}, "issue": {lang: name}}, for rendering without a profile

    def to_json(self) -> dict:
        return {"party": self.party, "issue": self.issue, "stance": self.stance, "kind": self.kind,
                "quote": self.quote, "passage_id": self.passage_id, "previous": self.previous, "names": self.names}


def position_changes(session, document: Document, findings) -> list[Change]:
    """How the document moves each party's stance on each issue against the ledger's latest earlier report of it.

    One change at most per (party, issue). No change when any of the document's stances on it
    was already in the latest earlier report (a restatement, whatever nuance it adds); a
    denial is a change when the latest earlier report stated a position and no denial. An
    undated document cannot be placed on the ledger's timeline, so it changes nothing, and an
    undated report is not known to be earlier, so nothing is a change against it.
    """
    if document.published is None:
        return []
    grouped: dict[tuple[str, str], list] = {}
    for finding in findings:
        grouped.setdefault((finding.party, finding.issue), []).append(finding)
    changes = []
    for (party, issue), group in grouped.items():
        found = _stance_change(session, document, group) or _denial(session, document, group)
        if found is not None:
            current, before = found
            changes.append(Change(party, issue, current.stance, change_kind(before.stance, current.stance), current.quote,
                                  getattr(current, "passage_id", None), _describe_previous(session, first_report(session, before))))
    return changes


def _stance_change(session, document: Document, group):
    """(the finding, the earlier position) when none of the document's stated stances was in the latest earlier report."""
    stated = [f for f in group if f.stance != "denies"]
    if not stated:
        return None
    previous = _latest_report(session, document, stated[0].party, stated[0].issue, denials=False)
    if not previous or {f.stance for f in stated} & {p.stance for p in previous}:
        return None
    return stated[0], _most_common_position(previous)


def _denial(session, document: Document, group):
    """(the denial, the earlier position) when the latest earlier report stated a position and did not deny it."""
    denial = next((f for f in group if f.stance == "denies"), None)
    if denial is None:
        return None
    previous = _latest_report(session, document, denial.party, denial.issue, denials=True)
    if not previous or any(p.stance == "denies" for p in previous):
        return None
    return denial, _most_common_position(previous)


def change_kind(previous: str, current: str) -> str:
    """hardened, softened, denial or changed, for a stance that differs from the one on record."""
    if current == "denies":
        return "denial"
    if (previous, current) in HARDER:
        return "hardened"
    if (current, previous) in HARDER:
        return "softened"
    return "changed"


def _latest_report(session, document: Document, party: str, issue: str, *, denials: bool) -> list[Position]:
    """The party's positions on the issue in the latest earlier dated document reporting one (denials included or not).

    Only that one document's rows are read: the ledger of a large corpus holds thousands of earlier positions
    on a common party and issue, and reading them all for every new document made ingestion quadratic.
    """
    earlier = [Position.party == party, Position.issue == issue, Position.document_id != document.id,
               Position.published.is_not(None), col(Position.published) < document.published]
    if not denials:
        earlier.append(Position.stance != "denies")
    latest = session.exec(select(Position.document_id).where(*earlier)
                          .order_by(col(Position.published).desc(), col(Position.created_at).desc(), col(Position.id).desc()).limit(1)).first()
    if latest is None:
        return []
    return list(session.exec(select(Position).where(*earlier, Position.document_id == latest)).all())


def _most_common_position(positions: list[Position]) -> Position:
    counts = Counter(p.stance for p in positions)
    stance = counts.most_common(1)[0][0]
    return next(p for p in positions if p.stance == stance)


def first_report(session, position: Position) -> Position:
    """The same stance as first reported in its story: reprints and relays repeat a report, they do not date it."""
    source = session.get(Document, position.document_id)
    if source is None or source.story_id is None or position.published is None:
        return position
    earliest = session.exec(
        select(Position).join(Document, Document.id == Position.document_id)
        .where(Document.story_id == source.story_id, Position.party == position.party,
               Position.issue == position.issue, Position.stance == position.stance,
               Position.published.is_not(None), col(Position.published) <= position.published)
        .order_by(Position.published, Position.created_at, Position.id)
    ).first()
    return earliest or position


def _describe_previous(session, previous: Position) -> dict:
    source = session.get(Document, previous.document_id)
    outlet = (source.outlet or source.title) if source else None
    if previous.relayed_from and outlet and previous.relayed_from.casefold() != outlet.casefold():
        outlet = f"{outlet} ({previous.relayed_from})"
    return {
        "stance": previous.stance,
        "published": previous.published.isoformat() if previous.published else None,
        "document_id": previous.document_id,
        "outlet": outlet,
        "quote": previous.quote,
    }
