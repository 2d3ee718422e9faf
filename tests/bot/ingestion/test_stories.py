"""Story clustering and "what's new", through the real ingest pipeline: embeddings, ledger, outbox."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session, select

from bot.ingestion.pipeline import Ingestor
from bot.ingestion.changes import Change, change_kind, first_report, position_changes
from bot.ingestion.stories import (ALIGN, ALIGN_ACROSS, NOVEL, RESTATED, STRONG, LanguageSpace, Sentences, aligned_pairs,
                                   changes_in_new_sentences, compare, covered_sentences, language_group, source_key)
from storage.db import session_scope
from storage.models import Delivery, Document, Passage, Position, Story, Subscription
from tests.conftest import build_services, make_settings

STORIES = Path(__file__).resolve().parents[2] / "data" / "stories"


def short_name(origin: str) -> str:
    return Path(origin).name.split("_")[0]


@pytest.fixture(scope="module")
def arrived(seeded_template, tmp_path_factory):
    """The seed corpus plus every document of tests/data/stories, ingested in name order once for this module.

    A chat subscribed to everything shows which arrivals are pushed.
    """
    path = tmp_path_factory.mktemp("stories") / "stories.db"
    shutil.copyfile(seeded_template, path)
    services = build_services(make_settings(f"sqlite:///{path}"), seed=False)
    with session_scope(services.engine) as session:
        session.add(Subscription(chat="console:watcher", mode="instant"))
    results = {short_name(r.origin): r for r in Ingestor(services).ingest_paths([str(STORIES)])}
    assert all(r.status in ("new", "duplicate") for r in results.values()), results
    yield services, results
    services.engine.dispose()


def story(services, story_id: str) -> Story:
    with Session(services.engine) as session:
        return session.get(Story, story_id)


def pushed(services, document_id: str) -> bool:
    with Session(services.engine) as session:
        return session.exec(select(Delivery).where(Delivery.item_id == document_id)).first() is not None


# -- clustering within and across languages -------------------------------------------------------


def test_english_report_opens_a_story_and_is_pushed(arrived):
    services, results = arrived
    a1 = results["a1"]
    assert a1.status == "new" and a1.duplicate_of is None
    assert a1.story_id == a1.document_id
    assert pushed(services, a1.document_id)


def test_chinese_summary_of_an_english_report_joins_its_story(arrived):
    _, results = arrived
    a2 = results["a2"]  # Simplified Chinese, the next day, another outlet
    assert a2.status == "duplicate"
    assert a2.story_id == results["a1"].story_id
    assert a2.duplicate_of == results["a1"].document_id


def test_english_recap_joins_within_a_language(arrived):
    _, results = arrived
    assert results["a4"].status == "duplicate"
    assert results["a4"].story_id == results["a1"].story_id


def test_same_topic_but_another_event_is_a_new_story(arrived):
    _, results = arrived
    black_sea = results["a1"].story_id
    # The Mykolaiv strike is reported the next day and is about the Black Sea deal; the UN-administration
    # idea comes three days later from Putin. Neither retells the deal itself.
    for name in ("b1", "b2"):
        assert results[name].status == "new", name
        assert results[name].story_id not in (black_sea, None)
    assert results["b1"].story_id != results["b2"].story_id


def test_relays_of_one_wire_report_are_one_story_and_one_source(arrived):
    services, results = arrived
    c1, c2 = results["c1"], results["c2"]  # English and Traditional Chinese retellings of one Reuters report
    assert c2.status == "duplicate" and c2.story_id == c1.story_id
    assert story(services, c1.story_id).independent_sources == 1
    # Four outlets reporting the Black Sea deal themselves are four independent sources.
    assert story(services, results["a1"].story_id).independent_sources == 4


def test_seed_relays_of_the_kommersant_report_share_a_story(arrived):
    services, _ = arrived
    with Session(services.engine) as session:
        seeds = {short_name(d.origin): d for d in session.exec(select(Document)).all() if "/seeds/" in d.origin}
    # 000 (ZeroHedge) and 001 (The Moscow Times) both retell Kommersant's report of Putin's terms.
    assert seeds["001"].story_id == seeds["000"].story_id
    assert seeds["001"].duplicate_of == seeds["000"].id
    assert story(services, seeds["000"].story_id).independent_sources == 1
    # 003, on Trump's first call with Putin weeks earlier, is another event.
    assert seeds["003"].story_id not in (seeds["000"].story_id, seeds["002"].story_id)


# -- what a duplicate adds -------------------------------------------------------------------------


def test_duplicate_that_adds_one_fact_lists_only_that_fact(arrived):
    services, results = arrived
    a3 = results["a3"]  # Traditional Chinese retelling that adds the Kremlin's sanctions condition
    assert a3.status == "duplicate" and a3.story_id == results["a1"].story_id
    new_points = a3.summary["new_points"]
    assert len(new_points) == 1
    assert "Rosselkhozbank" in new_points[0] and "SWIFT" in new_points[0]
    assert a3.summary["new_items"][0]["quote"] == new_points[0]
    assert pushed(services, a3.document_id)


def test_duplicate_that_adds_nothing_is_not_pushed(arrived):
    services, results = arrived
    for name in ("a2", "a4"):
        assert results[name].status == "duplicate"
        assert results[name].summary["new_points"] == [], name
        assert not pushed(services, results[name].document_id), name


def test_the_json_contract_carries_story_and_duplicate(arrived):
    _, results = arrived
    row = results["a3"].to_json()
    assert row["status"] == "duplicate"
    assert row["story_id"] == results["a1"].story_id
    assert row["duplicate_of"] == results["a1"].document_id
    assert row["summary"]["headline"].startswith("黑海航行協議達成")
    assert row["summary"]["bullets"] and row["summary"]["new_points"]


def test_reversed_order_makes_the_english_report_the_duplicate(seeded_services):
    results = list(Ingestor(seeded_services).ingest_paths(
        [str(STORIES / "a3_black_sea_deal_zh_hant.txt"), str(STORIES / "a1_black_sea_deal.txt")]))
    a3, a1 = results
    assert a1.status == "duplicate" and a1.duplicate_of == a3.document_id
    # What the English report adds over the Chinese one: the energy-strike measures and the export pledge.
    added = " ".join(a1.summary["new_points"])
    assert "energy facilities" in added and "fertilizer" in added
    assert "Umerov" not in added  # the Chinese report already said it


# -- position changes against the ledger ---------------------------------------------------------


def test_position_change_names_the_earlier_stance_and_its_date(arrived):
    _, results = arrived
    p2 = results["p2"]  # Peskov: Russia would accept a peacekeeping mission of unarmed monitors once a deal is signed
    assert p2.status == "new"
    change = next(c for c in p2.summary["changes"] if c["issue"] == "security_guarantees")
    # an acceptance with a timing condition is a conditional position; rejects -> conditions softens
    assert (change["party"], change["stance"], change["kind"]) == ("russia", "conditions", "softened")
    assert change["previous"]["stance"] == "rejects"
    assert change["previous"]["published"] == "2025-04-08"
    assert change["previous"]["document_id"] == results["p1"].document_id
    line = next(p for p in p2.summary["new_points"] if "peacekeepers" in p)
    assert line.startswith("Russia softened its stance on security guarantees and peacekeepers")
    assert "rejects" in line and "2025-04-08" in line
    assert "security_guarantees" in p2.summary["issues"] and "russia" in p2.summary["parties"]


def test_denial_of_an_earlier_report_is_a_change(arrived):
    _, results = arrived
    p3 = results["p3"]  # the Kremlin denies the Reuters report relayed in c1/c2
    assert p3.status == "new"  # a denial is a new event, not a retelling
    denial = next(c for c in p3.summary["changes"] if c["kind"] == "denial")
    assert (denial["party"], denial["issue"]) == ("russia", "territory")
    assert denial["previous"]["published"] == "2025-04-02"
    assert any("now denies" in p and "2025-04-02" in p for p in p3.summary["new_points"])


def test_restating_a_stance_is_not_a_change(arrived):
    _, results = arrived
    # c2 repeats c1's Reuters report: the same stances, so no change lines.
    assert not results["c2"].summary["changes"]


# -- the rule's building blocks, on constructed vectors ----------------------------------------------


def unit(seed: int, dim: int = 384) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=dim)
    return vector / np.linalg.norm(vector)


def sentences(vectors: list[np.ndarray], group: str = "en") -> Sentences:
    return Sentences(np.vstack(vectors).astype(np.float32), tuple(group for _ in vectors))


def test_aligned_pairs_are_mutual_best_matches_above_the_threshold():
    similarity = np.array([[0.9, 0.1, 0.0],
                           [0.8, 0.2, 0.1],   # its best (column 0) prefers row 0
                           [0.0, 0.1, 0.3]])  # mutual, but below the threshold
    assert aligned_pairs(similarity, ALIGN) == [(0, 0)]


def test_compare_needs_half_of_the_shorter_document_aligned():
    shared = [unit(i) for i in range(3)]
    short = sentences(shared[:2] + [unit(10)])
    covering = sentences(shared + [unit(20), unit(21)])
    one_shared = sentences([shared[0], unit(30), unit(31)])
    earlier = Document(id="e", content_hash="e", origin="e", text="")
    later = Document(id="l", content_hash="l", origin="l", text="")
    assert compare(later, short, earlier, covering) is not None  # 2 of 3 sentences aligned
    assert compare(later, one_shared, earlier, covering) is None  # 1 of 3 is not enough


def test_a_shared_agency_lowers_the_bar_for_long_relays():
    shared = [unit(i) for i in range(2)]
    first = sentences(shared + [unit(100 + i) for i in range(8)])
    second = sentences(shared + [unit(200 + i) for i in range(8)])
    plain = [Document(id=x, content_hash=x, origin=x, text="") for x in "ab"]
    relays = [Document(id=x, content_hash=x, origin=x, text="", cited_agency="Reuters") for x in "cd"]
    assert compare(plain[0], first, plain[1], second) is None
    assert compare(relays[0], first, relays[1], second) is not None


def test_centring_removes_what_a_language_shares():
    topic, english, chinese = unit(1), unit(2), unit(3)
    space = LanguageSpace({"en": topic + english, "zh": topic + chinese}, None)
    statement = unit(4)
    centred = space.centre(np.vstack([statement + topic + english, statement + topic + chinese]), ["en", "zh-Hant"])
    assert float(centred[0] @ centred[1]) == pytest.approx(1.0, abs=1e-5)
    assert language_group("zh-Hans") == language_group("zh-Hant") == "zh"


def test_change_kinds():
    assert change_kind("rejects", "accepts") == "softened"
    assert change_kind("rejects", "conditions") == "softened"
    assert change_kind("accepts", "rejects") == "hardened"
    assert change_kind("accepts", "conditions") == "hardened"
    # no order between these: a proposal is not "harder" than an acceptance, a demand not "softer" than an offer
    assert change_kind("accepts", "offers") == "changed"
    assert change_kind("offers", "accepts") == "changed"
    assert change_kind("offers", "demands") == "changed"
    assert change_kind("demands", "denies") == "denial"
    assert change_kind("denies", "accepts") == "changed"


def test_relays_are_keyed_by_their_agency():
    relay = Document(id="a", content_hash="a", origin="a", text="", outlet="ZeroHedge", cited_agency="Kommersant")
    own = Document(id="b", content_hash="b", origin="b", text="", outlet="The Moscow Times")
    assert source_key(relay) == "kommersant"
    assert source_key(own) == "the moscow times"
    assert source_key(own, relayed_from="Kommersant") == "kommersant"


# -- what a story member restates, on constructed rows ------------------------------------------------


@pytest.fixture
def rows(tmp_path):
    """A session on a fresh, migrated database, for hand-built documents and positions."""
    from storage.db import open_database

    engine = open_database(f"sqlite:///{tmp_path / 'rows.db'}")
    with Session(engine) as session:
        yield session
    engine.dispose()


def add_document(session, doc_id: str, story_id: str, published: date | None, vectors=()) -> Document:
    """A document in story ``story_id`` (created on first use) with one embedded passage per vector."""
    document = Document(id=doc_id, content_hash=doc_id, origin=doc_id, text="", published=published)
    session.add(document)
    session.flush()
    if session.get(Story, story_id) is None:
        session.add(Story(id=story_id, title="", first_document_id=doc_id, independent_sources=1))
        session.flush()
    document.story_id = story_id
    for seq, vector in enumerate(vectors):
        session.add(Passage(document_id=doc_id, seq=seq, start=0, end=0, text=f"sentence {seq}",
                            embedding=np.asarray(vector, dtype="<f4").tobytes()))
    session.flush()
    return document


def test_a_sentence_is_restated_only_by_its_mutual_best_match_unless_very_close(rows):
    people, meeting, other = unit(1), unit(2), unit(3)
    add_document(rows, "first", "s", date(2025, 5, 16), [people])
    later = Document(id="later", content_hash="later", origin="later", text="")
    space = LanguageSpace({}, None)

    def covered(vectors):
        return covered_sentences(rows, "s", later, space.sentences(np.vstack(vectors), ["en"] * len(vectors)), space).tolist()

    # The second sentence names the same people but says something else: the earlier sentence's
    # best match is the first one, and the second is not close enough to be a restatement anyway.
    leaning = people * 0.45 + meeting
    assert NOVEL <= float(space.centre(leaning[None], ["en"])[0] @ people) < RESTATED
    assert covered([people + 0.3 * other, leaning]) == [True, False]
    # Closer than RESTATED, it restates the earlier sentence even when it is not the best match.
    close = people + meeting * 0.4
    assert float(space.centre(close[None], ["en"])[0] @ people) >= RESTATED
    assert covered([people, close]) == [True, True]


def test_a_stance_read_from_a_restated_sentence_is_not_a_change():
    passages = [Passage(id=10, document_id="d", seq=0, start=0, end=0, text="restated"),
                Passage(id=11, document_id="d", seq=1, start=0, end=0, text="new")]
    restated = Change("russia", "nato_membership", "offers", "softened", "restated", 10)
    fresh = Change("russia", "sanctions", "demands", "hardened", "new", 11)
    unplaced = Change("russia", "talks", "offers", "softened", "quote", None)
    kept = changes_in_new_sentences([restated, fresh, unplaced], passages, np.array([True, False]))
    assert kept == [fresh, unplaced]


def test_the_earlier_stance_is_dated_by_its_first_report_in_its_story(rows):
    for doc_id, story_id, day in (("wire", "s", 28), ("reprint", "s", 29), ("other", "t", 20)):
        add_document(rows, doc_id, story_id, date(2025, 5, day))
        rows.add(Position(document_id=doc_id, party="russia", issue="nato_membership", stance="demands",
                          quote="q", published=date(2025, 5, day)))
    rows.flush()
    by_document = {p.document_id: p for p in rows.exec(select(Position)).all()}
    assert first_report(rows, by_document["reprint"]).document_id == "wire"
    assert first_report(rows, by_document["other"]).document_id == "other"


def test_a_stance_changes_only_against_a_dated_earlier_report(rows):
    def position(doc_id, stance, published):
        found = Position(document_id=doc_id, party="ukraine", issue="talks", stance=stance, quote=stance,
                         published=published)
        rows.add(found)
        rows.flush()
        return found

    add_document(rows, "undated", "u", None)
    position("undated", "rejects", None)
    now = add_document(rows, "now", "n", date(2025, 6, 1))
    finding = position("now", "demands", date(2025, 6, 1))
    assert position_changes(rows, now, [finding]) == []
    add_document(rows, "dated", "d", date(2025, 5, 20))
    position("dated", "rejects", date(2025, 5, 20))
    [change] = position_changes(rows, now, [finding])
    # rejects -> demands: two stances without an order between them, so "changed", not "softened"
    assert (change.kind, change.previous["published"]) == ("changed", "2025-05-20")
    same_day = add_document(rows, "same", "s", date(2025, 6, 1))
    position("same", "offers", date(2025, 6, 1))
    assert [c.previous["published"] for c in position_changes(rows, same_day, [finding])] == ["2025-05-20"]


def test_a_one_sentence_brief_joins_when_its_aligned_sentence_shares_a_day_or_figure():
    lead, other = unit(1), unit(2)
    translated = lead + 2 * other  # aligned, but well below STRONG, as translations often are
    report = Sentences(np.vstack([lead, unit(3), unit(4)]).astype(np.float32), ("en",) * 3,
                       ("The Kremlin proposed a third round in Istanbul on June 20.", "b", "c"))
    vector = (translated / np.linalg.norm(translated)).astype(np.float32)[None]
    same_day = Sentences(vector, ("zh",), ("克宮提議6月20日在伊斯坦堡舉行第三輪談判。",))
    other_day = Sentences(vector, ("zh",), ("克宮提議7月1日在伊斯坦堡舉行第三輪談判。",))
    earlier = Document(id="e", content_hash="e", origin="e", text="")
    brief = Document(id="b", content_hash="b", origin="b", text="")
    assert ALIGN_ACROSS <= float(vector[0] @ lead) < STRONG
    assert compare(brief, same_day, earlier, report) is not None
    assert compare(brief, other_day, earlier, report) is None


def test_a_report_recalling_a_brief_in_background_is_another_event():
    fact, lead = unit(1), unit(5)
    brief = Sentences(fact[None].astype(np.float32), ("zh",), ("克宮提議6月20日在伊斯坦堡舉行第三輪談判。",))
    # A longer, later report whose second sentence recalls the brief's fact, same day and all.
    recalled = fact * 0.5 + unit(6)
    recalled /= np.linalg.norm(recalled)
    assert ALIGN_ACROSS <= float(recalled @ fact) < STRONG
    reaction = Sentences(np.vstack([lead, recalled, unit(7)]).astype(np.float32), ("en",) * 3,
                         ("Ukraine sets a condition for the third round.",
                          "The Kremlin proposed that the third round take place in Istanbul on June 20.", "c"))
    later = Document(id="l", content_hash="l", origin="l", text="")
    earlier = Document(id="e", content_hash="e", origin="e", text="")
    assert compare(later, reaction, earlier, brief) is None
