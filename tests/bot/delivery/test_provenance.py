"""As of, staleness and "also reported by": computed from the stored documents and their story, for any reply."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.delivery.provenance import annotate, month_label
from bot.messages import Bullet, Citation, Reply
from storage.db import session_scope
from storage.models import Document, Story

TODAY = date(2025, 6, 1)


def store_story(engine, *members: dict, independent: int) -> None:
    with session_scope(engine) as session:
        session.add(Story(id="s1", title="Black Sea talks", independent_sources=independent))
        session.flush()
        for i, values in enumerate(members):
            session.add(Document(id=values["id"], content_hash=f"h{i}", origin=f"/srv/parley/inbox/{values['id']}.txt",
                                 text="Talks resumed.", story_id="s1", title=values.get("title", "Talks"),
                                 outlet=values.get("outlet"), url=values.get("url"), cited_agency=values.get("agency"),
                                 published=values.get("published"),
                                 ingested_at=values.get("arrived", datetime(2025, 5, 30, 12, tzinfo=timezone.utc))))


def cite(n: int, document_id: str, published: date | None) -> Citation:
    return Citation(n, document_id, f"/srv/parley/inbox/{document_id}.txt", None, "Talks", None, published, "Talks resumed.")


@pytest.fixture
def wire_story(services):
    store_story(services.engine,
                {"id": "a", "outlet": "Interfax", "published": date(2025, 3, 1)},
                {"id": "b", "outlet": "TASS", "agency": "Interfax", "published": date(2025, 3, 1)},
                {"id": "c", "url": "https://www.reuters.com/world/x", "agency": "Interfax", "published": date(2025, 3, 2)},
                independent=1)
    return services


def test_also_reported_by_goes_under_the_bullet_it_applies_to(wire_story):
    reply = Reply(lead="Talks resumed [1].", bullets=(Bullet("Talks resumed.", (1,)), Bullet("Other.", ())),
                  citations=(cite(1, "a", date(2025, 3, 1)),), as_of=date(2025, 3, 1))
    annotated = annotate(wire_story.engine, reply, stale_after_days=30, today=TODAY)
    assert annotated.bullets[0].note == "also reported by TASS, reuters.com (1 independent source: wire reprints)"
    assert annotated.bullets[1].note == ""
    assert "  also reported by TASS, reuters.com" in annotated.plain()


def test_chinese_readers_get_the_note_in_chinese(wire_story):
    reply = Reply(lead="会谈恢复 [1]。", bullets=(Bullet("Talks resumed.", (1,)),),
                  citations=(cite(1, "b", date(2025, 3, 1)),), language="zh-Hans", as_of=date(2025, 3, 1))
    annotated = annotate(wire_story.engine, reply, stale_after_days=30, today=TODAY)
    assert annotated.bullets[0].note == "另有 Interfax、reuters.com 报道（1 个独立来源：转载通讯社稿件）"
    assert annotated.notes == ("最新的来源是2025年3月的；各方立场可能已经变化。",)


def test_old_evidence_gets_a_staleness_note_and_fresh_evidence_none(wire_story):
    reply = Reply(lead="x [1]", citations=(cite(1, "c", date(2025, 3, 2)),), as_of=date(2025, 3, 2))
    old = annotate(wire_story.engine, reply, stale_after_days=30, today=TODAY)
    assert old.notes[-1] == "The newest source is from March 2025; positions may have changed."
    lines = old.plain().splitlines()
    assert "As of 2025-03-02" in lines and lines[-1] == old.notes[-1]
    # The lead cites the document and no bullet does: the other outlets are named in a note on its number.
    assert "[1] also reported by Interfax, TASS (1 independent source: wire reprints)" in lines
    stale = "positions may have changed"
    assert not any(stale in n for n in annotate(wire_story.engine, reply, stale_after_days=30, today=date(2025, 3, 20)).notes)
    assert not any(stale in n for n in annotate(wire_story.engine, reply, stale_after_days=0, today=TODAY).notes)  # 0: off


def test_undated_sources_are_dated_by_arrival_and_labelled_as_such(services):
    store_story(services.engine, {"id": "u", "outlet": "V7N", "arrived": datetime(2025, 5, 20, 9, tzinfo=timezone.utc)},
                independent=1)
    reply = Reply(lead="x [1]", citations=(cite(1, "u", None),))
    annotated = annotate(services.engine, reply, stale_after_days=30, today=TODAY)
    assert annotated.as_of == date(2025, 5, 20) and annotated.as_of_arrived
    assert annotated.as_of_line() == "As of 2025-05-20 (the date Parley received them; the sources are undated)"
    assert not annotated.notes  # arrived 12 days ago: not stale
    assert "also reported" not in annotated.plain()  # a story of one outlet has nobody else to name


def test_month_labels():
    assert month_label(date(2025, 3, 19), "en") == "March 2025"
    assert month_label(date(2025, 3, 19), "zh-Hant") == "2025年3月"
