"""Cold start, measured in a fresh process: imports, services on the bench database, the first answer, then serving RSS.

Run by the bench as ``python -m bench.coldstart '<json job>'``; prints one JSON line.
"""
from __future__ import annotations

import json
import sys
import time

STARTED = time.perf_counter()


def main(argv: list[str]) -> dict:
    """Answer the job's first question from a cold process, then the rest warm; report timings and peak RSS."""
    # Imported here, after STARTED: importing Parley is part of the cold start this measures.
    job = json.loads(argv[0])
    from bench.parley import attach_engine
    from bench.stats import peak_rss_mb
    from bot.config import Settings
    from bot.services import build_services

    imported = time.perf_counter()
    settings = Settings(_env_file=None, database_url=job["database_url"], profile=job.get("profile"),
                        embed_threads=job.get("embed_threads", 0), telegram_token=None, discord_token=None,
                        scheduler_enabled=False, **({"cache_dir": job["cache_dir"]} if job.get("cache_dir") else {}))
    services = build_services(settings)
    attach_engine(services, job["engine"])
    built = time.perf_counter()
    first, *rest = job["questions"]
    reply = services.answerer.ask(first[0], fallback_language=first[1])
    answered = time.perf_counter()
    for question, language in rest:
        services.answerer.ask(question, fallback_language=language)
    finished = time.perf_counter()
    return {"rest_seconds": round(finished - answered, 3), "import_seconds": round(imported - STARTED, 3), "services_seconds": round(built - imported, 3),
            "first_answer_seconds": round(answered - built, 3), "in_process_seconds": round(answered - STARTED, 3),
            "first_answer_abstained": reply.abstained, "answers": len(job["questions"]),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])), flush=True)
