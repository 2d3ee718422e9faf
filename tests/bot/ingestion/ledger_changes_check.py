"""How many stance-change lines in arrival summaries are right (issue 15): run from the repository root with
``PYTHONPATH=. .venv/bin/python tests/bot/ingestion/ledger_changes_check.py``.

Ingests the gold set's documents (tests/data/ledger_gold, both splits, the default profile) in date order
with the real pipeline into a temporary SQLite database, then judges every change line.

A line is correct when the new stance is a gold position of its sentence, the earlier stance is a gold position
of the earlier quote (same party and issue), the two dates differ, and the kind follows change_kind's order.
"""
import collections
import json
import re
import tempfile
from datetime import date
from pathlib import Path
from tests.conftest import make_settings, build_services
from bot.ingestion.pipeline import Ingestor
from bot.ingestion.extract import extract_text
from bot.ingestion.changes import change_kind
from sqlmodel import Session
from storage.models import Document

REPO = Path(__file__).resolve().parents[3]
GOLD = REPO / "tests" / "data" / "ledger_gold"
DIRS = [GOLD / "docs", REPO / "tests" / "data" / "heldout_docs", REPO.parent / "shared" / "seeds",
        REPO.parent / "shared" / "eval" / "dev_docs"]
rows = [json.loads(l) for l in open(GOLD / "gold.jsonl")]
norm = lambda s: re.sub(r"\s+", "", s or "")
gold = collections.defaultdict(set)
for r in rows:
    for p in r["positions"]:
        for st in [p["stance"], *(p.get("stance_alt") or [])]:
            gold[norm(r["sentence"])].add((p["party"], p["issue"], st))
docs = sorted({r["doc"] for r in rows if r.get("profile") != "caucasus"})
paths = [next(d / doc for d in DIRS if (d / doc).exists()) for doc in docs]
dated = sorted(paths, key=lambda p: (extract_text(p.read_text(encoding="utf-8"), origin=str(p)).published or date.min, p.name))
tmp = tempfile.mkdtemp()
services = build_services(make_settings(f"sqlite:///{tmp}/g.db"), seed=False)
ingestor = Ingestor(services)
lines, right = [], 0
for path in dated:
    result = ingestor.ingest_file(path).to_json()
    with Session(services.engine) as session:
        result["summary"] = dict(session.get(Document, result["document_id"]).summary or {})
    for change in (result.get("summary") or {}).get("changes") or []:
        prev = change.get("previous") or {}
        ok_now = (change["party"], change["issue"], change["stance"]) in gold.get(norm(change["quote"]), set())
        ok_before = (change["party"], change["issue"], prev.get("stance")) in gold.get(norm(prev.get("quote")), set())
        ok_dates = prev.get("published") and prev.get("published") != result.get("published")
        ok_kind = change["kind"] == change_kind(prev.get("stance"), change["stance"])
        ok = bool(ok_now and ok_before and ok_dates and ok_kind)
        right += ok
        lines.append((ok, path.name, change["party"], change["issue"], prev.get("stance"), change["stance"], change["kind"],
                      prev.get("published"), result.get("published"), ok_now, ok_before))
for line in lines:
    print(("OK   " if line[0] else "WRONG"), *line[1:])
print(f"change lines: {len(lines)}, correct: {right} ({100 * right / max(1, len(lines)):.1f}%)")
