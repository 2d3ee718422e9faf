"""Grounded answers on the seed corpus: every kind of question, both language directions, abstention, the overview
commands, documents arriving after start-up, and a second conflict's profile."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date

import pytest
from sqlmodel import Session

from bot.text import normalize as textnorm
from bot.answering.contract import to_contract_json
from bot.answering.engine import Answerer
from bot.answering.figures import asked_units, extract_figures, render_figure
from bot.embedding.embedder import Embedder
from bot.ingestion.extract import strip_inline_html
from bot.messages import cite_segments, unmarked
from bot.text.profile import Profile
from storage.db import open_database
from storage.models import Document, Passage, Position
from tests.bot.answering.test_index import CHINESE, ENGLISH, PROFILE as CAUCASUS, store
from tests.conftest import SEEDS, build_services, make_settings


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def answerer(seeded_template, tmp_path_factory):
    """One answer engine over a private copy of the seeded database, shared by the read-only tests here."""
    path = tmp_path_factory.mktemp("answers") / "seeded.db"
    shutil.copyfile(seeded_template, path)
    services = build_services(make_settings(f"sqlite:///{path}"), seed=False)
    yield Answerer(services.engine, services.profile, services.settings, embedder=services.embedder)
    services.engine.dispose()


def check_grounded(reply, language: str) -> None:
    """An answer (not an abstention) in ``language``, every quote verbatim in its seed file, as-of the newest cited date."""
    assert not reply.abstained and reply.citations
    # Evidence is quoted in the bullets, or (when the lead states a sentence's whole claim) cited by the lead itself.
    assert reply.bullets or "[1]" in reply.lead
    assert reply.language == language
    assert textnorm.is_cjk(reply.lead) == language.startswith("zh"), reply.lead
    for citation in reply.citations:
        # Verbatim against the document as stored: inline HTML tags left in a plain-text file are removed at ingest.
        source = squash(strip_inline_html((SEEDS / citation.origin.rsplit("/", 1)[-1]).read_text(encoding="utf-8")))
        assert squash(citation.quote) in source, citation.quote
    dates = [c.published for c in reply.citations if c.published]
    assert reply.as_of == (max(dates) if dates else None)
    assert reply.text.splitlines()[0] == unmarked(reply.lead)
    for number in (part for part in cite_segments(reply.lead) if isinstance(part, int)):
        assert 1 <= number <= len(reply.citations)  # the lead's own markers cite real sources


def cited_files(reply) -> set[str]:
    return {c.origin.rsplit("/", 1)[-1][:3] for c in reply.citations}


def has_any(text: str, *words: str) -> bool:
    return any(word.lower() in text.lower() for word in words)


# -- kinds of question ---------------------------------------------------------------------------

def test_position(answerer):
    reply = answerer.ask("What does Russia demand regarding Ukraine's NATO bid?")
    check_grounded(reply, "en")
    assert has_any(reply.lead, "demands") and "NATO" in reply.lead
    assert has_any(reply.text, "halted", "abandon")
    assert cited_files(reply) & {"002", "004"}


def test_factual_how_much_gives_each_figure_with_its_source(answerer):
    reply = answerer.ask("How much Russian territory does Ukraine hold?")
    check_grounded(reply, "en")
    assert "650 square kilometres" in reply.lead
    assert reply.bullets[0].text.startswith("Ukraine holds")
    assert len(reply.bullets[0].cites) == 2  # the same fact from V7N and Ukrainska Pravda, merged


def test_disagreement_shows_both_figures(answerer):
    reply = answerer.ask("Do the sources disagree on how much Ukrainian territory Russia controls?")
    check_grounded(reply, "en")
    assert "100,000" in reply.lead and "110,000" in reply.lead
    assert cited_files(reply) == {"002", "004"}


def test_disagreement_keeps_only_the_asked_partys_figures(answerer):
    # "Ukraine holds 650 km2 of Kursk" is another quantity, though it shares the unit and matches the words well.
    reply = answerer.ask("Sources give different numbers for how many square kilometres Russia holds: which?")
    check_grounded(reply, "en")
    assert "100,000" in reply.lead and "110,000" in reply.lead and "650" not in reply.text


def test_disagreement_finds_the_other_figure_when_the_question_is_worded_unlike_it(answerer):
    reply = answerer.ask("关于俄罗斯占领的乌克兰领土面积,各来源说法一致吗?")
    check_grounded(reply, "zh-Hans")
    assert "10万" in reply.lead and "11万" in reply.lead


def test_attribution_in_chinese_names_outlets_and_anonymous_sources_in_chinese(answerer):
    reply = answerer.ask("据谁说,克里姆林宫可以大致同意沿接触线停火?")
    check_grounded(reply, "zh-Hans")
    assert "路透社" in reply.lead and "匿名" in reply.lead
    assert "officials" not in reply.lead  # the ledger's English wording stays out of a Chinese lead


def test_yes_no_question_gets_no_when_the_party_rejects_it_for_the_named_place(answerer):
    reply = answerer.ask("Would Russia agree to return Crimea to Ukraine?")
    check_grounded(reply, "en")
    assert reply.lead.startswith("No.")
    assert any("not up for discussion" in c.quote for c in reply.citations)  # the sentence that decides it is shown


def test_yes_no_question_gets_yes_when_the_party_takes_the_asked_stance(answerer):
    reply = answerer.ask("普京是否要求乌克兰放弃加入北约?")
    check_grounded(reply, "zh-Hans")
    assert reply.lead.startswith("是。")


def test_yes_no_question_asking_about_a_rejection(answerer):
    reply = answerer.ask("Does the Kremlin rule out freezing the conflict?")
    check_grounded(reply, "en")
    # Peskov rules it out; anonymous officials say the Kremlin could accept a ceasefire along the line of contact:
    # the sources differ, so the lead says who says what and gives no verdict, and never "No".
    assert not reply.lead.startswith("No") and "will not work" in reply.lead


def test_a_why_question_presupposing_a_rejection_the_sources_contradict_says_so(answerer):
    reply = answerer.ask("Why did Putin refuse the 30-day pause on strikes against energy infrastructure?")
    check_grounded(reply, "en")
    assert reply.lead.startswith("The sources contradict")
    assert any("agreed to a 30-day pause" in c.quote for c in reply.citations)


def test_abstains_when_no_source_states_a_name_the_question_gives(answerer):
    # The sources cover the US election; a question about another country's election is out of scope.
    reply = answerer.ask("Who won the French presidential election?")
    assert reply.abstained


def test_no_verdict_when_the_asked_word_only_reads_as_a_stance(answerer):
    reply = answerer.ask("Does Russia consider Crimea negotiable?")  # "negotiable" searches like "rejects"
    check_grounded(reply, "en")
    assert not reply.lead.startswith(("Yes", "No"))


def test_a_reaction_is_answered_first_by_the_partys_own_words_on_it(answerer):
    reply = answerer.ask("How did Moscow respond to the authorisation of the missiles?")
    check_grounded(reply, "en")
    assert "dangerous escalation" in reply.citations[0].quote  # Peskov, not the Kremlin's stances on other matters


def test_the_party_acting_on_another_matter_is_not_the_answer(answerer):
    reply = answerer.ask("How did Moscow react to the missile authorisation?")
    assert not any("future of Crimea" in c.quote for c in reply.citations)


def test_where_in_simplified_chinese(answerer):
    reply = answerer.ask("下一轮美俄谈判在哪里举行?")
    check_grounded(reply, "zh-Hans")
    assert "沙特阿拉伯" in reply.lead


def test_who_names_the_person_behind_a_role(answerer):
    reply = answerer.ask("Who is Putin's press secretary?")
    check_grounded(reply, "en")
    assert reply.lead.startswith("Dmitry Peskov")
    assert not has_any(reply.lead, "Trump", "Musk")  # the person behind the role, not everyone the evidence names


def test_attribution_names_the_anonymous_officials_and_the_agency(answerer):
    reply = answerer.ask("Who says the Kremlin could accept a ceasefire along the line of contact?")
    check_grounded(reply, "en")
    assert "officials" in reply.lead and "Reuters" in reply.lead
    assert cited_files(reply) == {"004"}


def test_comparison_shows_both_parties(answerer):
    reply = answerer.ask("Compare Russia and Ukraine on the ceasefire.")
    check_grounded(reply, "en")
    assert has_any(reply.lead, "Russia", "Putin", "Kremlin") and has_any(reply.lead, "Ukrain", "Zelensky", "Kyiv")
    mentioned = " ".join(c.quote for c in reply.citations)
    assert has_any(mentioned, "Russia", "Putin") and has_any(mentioned, "Ukrainian", "Zelensky")


def test_timeline_lists_ledger_stances_in_date_order(answerer):
    reply = answerer.ask("How has Russia's position on territory changed over time?")
    check_grounded(reply, "en")
    assert len(reply.bullets) >= 3
    dates = [c.published or date.max for c in reply.citations]
    assert dates == sorted(dates)


def test_aggregation_gathers_conditions_across_documents(answerer):
    reply = answerer.ask("What are all of Russia's conditions?")
    check_grounded(reply, "en")
    assert len(reply.bullets) >= 3 and len({c.document_id for c in reply.citations}) >= 2
    assert all(has_any(b.text, "demands", "sets conditions") for b in reply.bullets)


def test_false_premise_is_corrected_with_citations(answerer):
    reply = answerer.ask("Why did Ukraine agree to abandon its NATO bid?")
    check_grounded(reply, "en")
    assert reply.lead.startswith("No: the sources do not say that Ukraine agreed")
    assert "Russia" in reply.lead and cited_files(reply) & {"002", "004"}


def test_false_premise_in_traditional_chinese(answerer):
    reply = answerer.ask("烏克蘭為什麼同意放棄克里米亞?")
    check_grounded(reply, "zh-Hant")
    assert reply.lead.startswith("不:來源並未顯示烏克蘭同意了此事") and "俄羅斯" in reply.lead


def test_when_answers_with_the_year(answerer):
    reply = answerer.ask("When did Russia annex Crimea?")
    check_grounded(reply, "en")
    assert "2014" in reply.lead.split("[")[0]


def test_latest_lists_the_newest_documents(answerer):
    reply = answerer.ask("What's the latest news?")
    assert not reply.abstained and len(reply.bullets) == len(reply.citations) >= 3
    assert reply.citations[0].published == date(2025, 3, 19) == reply.as_of


# -- languages -----------------------------------------------------------------------------------

def test_english_question_answered_from_a_chinese_source(answerer):
    reply = answerer.ask("What did Peskov say about the Trump-Putin phone call?")
    check_grounded(reply, "en")
    assert "既不能確認也不能否認" in reply.text and cited_files(reply) & {"003"}


def test_chinese_question_answered_from_an_english_source(answerer):
    reply = answerer.ask("普京同意暂停攻击什么?")
    check_grounded(reply, "zh-Hans")
    assert "30-day pause on attacks against energy infrastructure" in reply.text
    assert "引文保留原文" in reply.lead  # the reader is told the quotes are in their original language


def test_traditional_chinese_question_gets_a_traditional_lead(answerer):
    reply = answerer.ask("俄羅斯控制了多少烏克蘭領土?")
    check_grounded(reply, "zh-Hant")
    assert "萬平方公里" in reply.lead and "據" in reply.lead and has_any(reply.text, "100,000", "110,000")


# -- abstention ----------------------------------------------------------------------------------

@pytest.mark.parametrize("question, language", [
    ("What is the capital of Australia?", "en"),
    ("Write me a poem about peace", "en"),
    ("What did Putin say about Bitcoin?", "en"),
    ("What is the population of Brazil?", "en"),
    ("What did Medvedev say about NATO?", "en"),  # a profile name the corpus never mentions
    ("明天基辅天气如何?", "zh-Hans"),
    ("明天基輔天氣如何?", "zh-Hant"),
])
def test_abstains_in_the_questions_language_and_says_what_it_covers(answerer, question, language):
    reply = answerer.ask(question)
    assert reply.abstained and not reply.citations and not reply.bullets
    assert reply.language == language
    if language == "en":
        assert reply.lead.startswith("I don't know") and "Russia" in reply.lead and "2024-11-23" in reply.lead
    else:
        assert reply.lead.startswith("我不知道") and ("俄罗斯" in reply.lead or "俄羅斯" in reply.lead)


def test_abstains_on_an_empty_corpus(services):
    reply = Answerer(services.engine, services.profile, services.settings, embedder=services.embedder).ask("What does Russia want?")
    assert reply.abstained and "no documents" in reply.lead


# -- the contract and the overview commands -----------------------------------------------------

def test_contract_json_follows_the_evaluation_readme(answerer):
    reply = answerer.ask("Does Russia consider Crimea negotiable?")
    data = to_contract_json("Does Russia consider Crimea negotiable?", reply)
    assert list(data) == ["question", "language", "answer", "abstained", "as_of", "citations"]
    assert data["answer"] == reply.text and data["abstained"] is False and data["language"] == "en"
    assert "not up for discussion" in data["answer"]
    assert set(data["citations"][0]) == {"document_id", "origin", "url", "title", "outlet", "published", "quote"}
    json.dumps(data, ensure_ascii=False)


def test_positions_matrix_has_the_latest_stance_per_party_and_issue(answerer):
    reply = answerer.positions(None, "en")
    assert not reply.abstained
    lines = [b.text for b in reply.bullets]
    assert any(line.startswith("Russia · territory:") for line in lines)
    pairs = [line.split(":")[0] for line in lines]
    assert len(pairs) == len(set(pairs))  # one line per party and issue
    chinese = answerer.positions("russia", "zh-Hans")
    assert chinese.lead.startswith("俄罗斯") and all(not b.text.startswith("俄罗斯 ·") for b in chinese.bullets)


def test_timeline_and_compare_commands(answerer):
    timeline = answerer.timeline("russia", "territory", "en")
    assert len(timeline.bullets) >= 3 and timeline.lead.startswith("Russia on territory")
    empty = answerer.timeline("china", "prisoners", "zh-Hant")
    assert empty.abstained and "中國" in empty.lead
    compared = answerer.compare("russia", "ukraine", "ceasefire", "en")
    assert {b.text.split(":")[0] for b in compared.bullets} == {"Russia", "Ukraine"}
    latest = answerer.latest("zh-Hant", limit=2)
    assert latest.lead.startswith("最新文獻") and len(latest.bullets) == 2


# -- a corpus that grows, and another conflict ---------------------------------------------------

def test_a_new_document_is_answerable_before_it_is_embedded(seeded_services):
    answerer = Answerer(seeded_services.engine, seeded_services.profile, seeded_services.settings,
                        embedder=seeded_services.embedder)
    assert answerer.ask("Where will the prisoner exchange talks be held?").abstained
    sentence = "Negotiators agreed to hold talks on a prisoner exchange in Istanbul on April 9."
    with Session(seeded_services.engine) as session:
        session.add(Document(id="late1", content_hash="late1", origin="late/istanbul.txt", title="Istanbul talks",
                             outlet="Test Wire", published=date(2025, 4, 1), text=sentence))
        session.add(Passage(document_id="late1", seq=0, start=0, end=len(sentence), text=sentence))
        session.commit()
    reply = answerer.ask("Where will the prisoner exchange talks be held?")
    assert not reply.abstained and "Istanbul" in reply.lead
    assert reply.citations[0].document_id == "late1" and reply.as_of == date(2025, 4, 1)


def test_another_conflicts_profile(tmp_path):
    profile = Profile.load(CAUCASUS)
    engine = open_database(f"sqlite:///{tmp_path / 'caucasus.db'}")
    ids = store(engine, "en1", ENGLISH, "en", date(2025, 8, 1))
    store(engine, "zh1", CHINESE, "zh-Hans", date(2025, 8, 2))
    with Session(engine) as session:
        session.add(Position(document_id="en1", passage_id=ids[0], party="azerbaijan", issue="constitution",
                             stance="demands", quote=ENGLISH[0], speaker="aliyev", published=date(2025, 8, 1)))
        session.commit()
    answerer = Answerer(engine, profile, make_settings(f"sqlite:///{tmp_path / 'caucasus.db'}"), embedder=Embedder(threads=1))

    reply = answerer.ask("What does Azerbaijan demand on the constitution?")
    assert not reply.abstained and reply.citations[0].quote == ENGLISH[0]
    assert "constitution" in reply.lead and "[1]" in reply.lead
    chinese = answerer.ask("帕希尼扬同意了什么?")
    assert not chinese.abstained and CHINESE[1] in [c.quote for c in chinese.citations] and textnorm.is_cjk(chinese.lead)
    assert CHINESE[1].rstrip("。") in chinese.lead  # the whole claim, stated first (so no bullet repeats it)
    assert answerer.ask("What is Russia's position on NATO?").abstained  # not a party of this profile
    assert answerer.positions(None, "en").bullets[0].text.startswith("Azerbaijan · Armenia's constitution: demands (2025-08-01")
    engine.dispose()


# -- figures -------------------------------------------------------------------------------------

def test_figures_are_read_and_rendered_per_language():
    figures = extract_figures("Russia has seized more than 110,000 square kilometres, roughly 18% of the land, in 2022.")
    assert [(f.value, f.unit, f.qualifier) for f in figures] == [(110000, "square_km", "more"), (18, "percent", "about")]
    assert render_figure(figures[0], "en") == "more than 110,000 square kilometres"
    assert render_figure(figures[0], "zh-Hans") == "超过11万平方公里"
    assert render_figure(figures[0], "zh-Hant").endswith("11萬平方公里")
    assert [(f.value, f.unit) for f in extract_figures("俄军控制了约10万平方公里")] == [(100000, "square_km")]
    words = extract_figures("After more than eight hours of talks, two officials said the 30-day truce held.")
    assert [(f.value, f.unit) for f in words] == [(8, "hour"), (30, "day")]  # "two officials" is no figure
    assert "hour" in asked_units("How many hours did the talks last?") and "percent" not in asked_units("How many hours?")
    assert asked_units("俄罗斯控制了百分之多少的领土?") == {"percent"}


def test_a_sentence_closing_a_quotation_refers_back_to_the_speaker_who_opened_it(answerer):
    answerer.index.sync()
    closing = next(p for p in answerer.index.passages if p.text.startswith("And the missile authorisation"))
    opener = answerer._antecedent(closing)
    assert opener is not None and "Peskov" in opener.text
    unrelated = next(p for p in answerer.index.passages if p.text.startswith("Both sources stated"))
    assert answerer._antecedent(unrelated) is None


def test_the_asked_stance_counts_as_on_issue_when_its_article_is_about_the_issue(answerer):
    from bot.answering.question import parse_question

    answerer.index.sync()
    q = parse_question("What does Russia offer on a ceasefire?", answerer.profile, None)
    assert "ceasefire" in q.issues
    in_ceasefire_article = [p for p in answerer.index.passages if p.text.startswith("All those Russian officials claimed")]
    assert in_ceasefire_article and "ceasefire" not in in_ceasefire_article[0].issues
    assert answerer._on_issue(q, in_ceasefire_article[0])
    assert not answerer._on_issue(replace(q, issues=("no_such_issue",)), in_ceasefire_article[0])


def test_rank_orders_evidence_as_the_answer_weighs_it(answerer):
    ranked = answerer.rank("What does Russia demand on NATO?", limit=10)
    assert 0 < len(ranked) <= 10 and len(set(ranked)) == len(ranked)
    top = answerer.index.by_id[ranked[0]]
    assert "NATO" in top.text or "北约" in top.text or "北約" in top.text
    reply = answerer.ask("What does Russia demand on NATO?")
    first_cited = reply.citations[0].quote
    assert any(answerer.index.by_id[pid].text in first_cited for pid in ranked[:3])


def test_rank_on_an_empty_corpus_is_empty(services):
    assert services.answerer.rank("What does Russia demand on NATO?") == []


@pytest.mark.parametrize("question", ["What does Russia demand on NATO?", "普京愿意从哪些地区撤军?",
                                      "Which regions does Putin want recognized as Russian?", "俄罗斯对北约有什么要求?"])
def test_the_original_language_note_only_when_every_quote_is_in_the_other_script(answerer, question):
    reply = answerer.ask(question)
    note = "(quoted in the original language)" if reply.language == "en" else "(引文保留原文)"
    other_script_only = bool(reply.citations) and all(c.language.startswith("zh") != reply.language.startswith("zh")
                                                      for c in reply.citations)
    assert (note in reply.lead) == other_script_only, (reply.lead, [c.language for c in reply.citations])
