"""Arrival summaries pushed to a chat in another language get a marked machine translation beside each quoted
bullet when a model is configured (the real client against a loopback fake), and none without one."""
from __future__ import annotations

import json
import re
import shutil

from sqlmodel import Session, select

from bot.delivery.outbox import render_document
from storage.models import Document, Translation
from tests.conftest import build_services, make_settings
from tests.fakes.openai_api import FakeOpenAI, Scripted


def numbered_translations(body: dict) -> Scripted:
    """Translate each numbered line as a plain English sentence that adds nothing (no figure, date or name)."""
    lines = [line for line in body["messages"][1]["content"].splitlines() if re.match(r"\d+\. ", line)]
    return Scripted(content=json.dumps({"translations": ["English rendering of the quoted sentence."] * len(lines)}))


def chinese_document(services) -> Document:
    with Session(services.engine) as session:
        return next(d for d in session.exec(select(Document)).all() if d.origin.endswith("000_377aca2267faf8de.txt"))


def test_a_chinese_summary_for_an_english_chat_carries_translations(seeded_template, tmp_path):
    path = tmp_path / "summary.db"
    shutil.copyfile(seeded_template, path)
    with FakeOpenAI(default=numbered_translations) as api:
        services = build_services(make_settings(f"sqlite:///{path}", llm_url=api.base_url, llm_model="fake"), seed=False)
        document = chinese_document(services)
        reply = render_document(services, document, "en")
        assert len(api.calls("Translate")) == 1
        render_document(services, document, "en")  # cached: no second request
        assert len(api.calls("Translate")) == 1
        services.writer.client.close()
    chinese = [b for b in reply.bullets if b.cites and re.search(r"[\u4e00-\u9fff]{10}", b.text)]
    english = [b for b in reply.bullets if b.cites and not re.search(r"[\u4e00-\u9fff]", b.text)]
    # Each Chinese bullet stays verbatim, with its translation beside it; an English one needs none.
    assert chinese and all(b.translation and b.translation.startswith("English rendering of the quoted sentence.") for b in chinese)
    assert all(b.translation is None for b in english)
    assert "↳ machine translation: English rendering of the quoted sentence." in reply.text
    with Session(services.engine) as session:
        assert session.exec(select(Translation)).first().language == "en"
    services.engine.dispose()


def test_without_a_model_the_summary_is_unchanged(seeded_services):
    document = chinese_document(seeded_services)
    reply = render_document(seeded_services, document, "en")
    assert all(b.translation is None for b in reply.bullets) and "machine translation" not in reply.text
