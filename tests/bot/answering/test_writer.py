"""The LLM writer end to end: the real ``openai`` client against a fake OpenAI-compatible server on 127.0.0.1,
over the seeded corpus. The model words the lead; the guard decides what reaches the reader; every failure
leaves the extractive answer, in time."""
from __future__ import annotations

import json
import logging
import re
import shutil
import time

import pytest

from bot.answering.contract import to_contract_json
from bot.messages import ChatRef, Request, Sender
from tests.conftest import build_services, make_settings
from tests.fakes.openai_api import FakeOpenAI, Scripted

PERCENT = "What percentage of Ukraine's territory does Russia occupy?"
WITHDRAW = "Which areas might Russia withdraw its troops from?"
AREA_ZH = "俄罗斯控制了多少乌克兰领土?"
SECRET = "sk-test-SECRET-key-do-not-log-42"


@pytest.fixture
def fake():
    with FakeOpenAI() as api:
        yield api


def llm_services(seeded_template, tmp_path, url: str, **overrides):
    path = tmp_path / "llm.db"
    shutil.copyfile(seeded_template, path)
    values = dict(llm_url=url, llm_model="fake-model", llm_api_key=SECRET, llm_timeout=3.0, llm_translate=False)
    values.update(overrides)
    return build_services(make_settings(f"sqlite:///{path}", **values), seed=False)


@pytest.fixture
def services(seeded_template, tmp_path, fake):
    built = llm_services(seeded_template, tmp_path, fake.base_url)
    yield built
    built.writer.client.close()
    built.engine.dispose()


@pytest.fixture
def extractive(seeded_services):
    """Replies without a model, to compare against."""
    return lambda question: seeded_services.answerer.ask(question, fallback_language="en")


def lead(reply) -> str:
    return reply.text.splitlines()[0]


def test_a_faithful_answer_is_used_and_the_evidence_stays(services, fake, extractive):
    answer = "Russia occupies roughly 18% of Ukraine's territory, including Crimea and parts of Donetsk, Luhansk, Zaporizhzhia and Kherson [1]."
    fake.reply_answer(answer)
    reply = services.answerer.ask(PERCENT)
    assert reply.lead == answer
    before = extractive(PERCENT)
    assert reply.bullets == before.bullets and reply.citations == before.citations  # the verbatim quotes stay
    assert services.writer.stats["used"] == 1
    prompt = fake.requests[0]["messages"]
    assert "18% of Ukraine's territory" in prompt[1]["content"] and "[1]" in prompt[1]["content"]
    assert "English" in prompt[0]["content"]
    assert fake.requests[0]["model"] == "fake-model"
    assert fake.auth_headers[0] == f"Bearer {SECRET}"


def test_an_invented_figure_is_dropped_and_the_extractive_answer_stands(services, fake, extractive):
    fake.reply_answer("Russia occupies roughly 25% of Ukraine's territory [1].")
    reply = services.answerer.ask(PERCENT)
    assert "25%" not in reply.text
    assert reply.text == extractive(PERCENT).text
    assert services.writer.stats["figure"] == 1 and services.writer.stats["fallback"] == 1


def test_a_wrong_negation_is_dropped(services, fake, extractive):
    fake.reply_answer("Russia refused to withdraw troops from Kharkiv and Mykolaiv [1][2].")
    reply = services.answerer.ask(WITHDRAW)
    assert "refused" not in reply.text and reply.text == extractive(WITHDRAW).text
    assert services.writer.stats["stance"] == 1


def test_later_failing_sentences_are_dropped_and_the_rest_is_shown(services, fake):
    fake.reply_answer("Two Russian officials said Russia might be open to withdrawing troops from Kharkiv and Mykolaiv [1]. "
                      "Putin hinted at withdrawing from smaller areas as part of an agreement [2]. "
                      "Russia will also withdraw from Kherson.")
    reply = services.answerer.ask(WITHDRAW)
    assert lead(reply) == ("Two Russian officials said Russia might be open to withdrawing troops from Kharkiv and Mykolaiv [1]. "
                           "Putin hinted at withdrawing from smaller areas as part of an agreement [2].")
    assert "Kherson" not in lead(reply)
    assert services.writer.stats["no_citation"] == 1 and services.writer.stats["used"] == 1


def test_a_citation_to_a_quote_that_does_not_exist_is_rejected(services, fake, extractive):
    fake.reply_answer("Russia occupies roughly 18% of Ukraine's territory [3].")
    reply = services.answerer.ask(PERCENT)
    assert reply.text == extractive(PERCENT).text
    assert services.writer.stats["unknown_citation"] == 1


def test_a_sentence_without_citation_is_rejected(services, fake, extractive):
    fake.reply_answer("Russia occupies roughly 18% of Ukraine's territory.")
    assert services.answerer.ask(PERCENT).text == extractive(PERCENT).text
    assert services.writer.stats["no_citation"] == 1


def test_an_answer_in_the_wrong_language_is_rejected(services, fake, extractive):
    fake.reply_answer("俄罗斯占领了乌克兰约18%的领土[1]。")
    assert services.answerer.ask(PERCENT).text == extractive(PERCENT).text
    assert services.writer.stats["wrong_language"] == 1


def test_a_chinese_question_gets_a_chinese_answer_from_english_quotes(services, fake):
    fake.reply_answer("俄罗斯控制了超过10万平方公里的乌克兰领土[1]。")
    reply = services.answerer.ask(AREA_ZH)
    assert reply.language == "zh-Hans" and reply.citations[0].quote.startswith("Russia controls over 100,000")
    assert lead(reply) == "俄罗斯控制了超过10万平方公里的乌克兰领土[1]。"
    assert "Simplified Chinese" in fake.requests[0]["messages"][0]["content"]


def test_a_chinese_answer_with_an_invented_figure_is_rejected(services, fake, extractive):
    fake.reply_answer("俄罗斯控制了约20万平方公里的乌克兰领土[1]。")
    reply = services.answerer.ask(AREA_ZH)
    assert "20万" not in reply.text and reply.text == extractive(AREA_ZH).text


@pytest.mark.parametrize("content", ['{"answer": "Russia occupies roughly 18% [1].', "Russia occupies roughly 18% [1].",
                                     '{"text": "Russia occupies roughly 18% [1]."}', '{"answer": 18}'])
def test_malformed_output_leaves_the_extractive_answer(services, fake, extractive, content):
    fake.reply_raw(content)
    assert services.answerer.ask(PERCENT).text == extractive(PERCENT).text
    assert services.writer.stats["malformed"] == 1


def test_a_refusal_leaves_the_extractive_answer(services, fake, extractive):
    fake.reply_answer("")
    assert services.answerer.ask(PERCENT).text == extractive(PERCENT).text
    assert services.writer.stats["fallback"] == 1 and services.writer.stats["empty"] == 1


def test_http_500_is_retried_once_then_the_extractive_answer_stands(services, fake, extractive):
    fake.fail(500)
    fake.fail(500)
    assert services.answerer.ask(PERCENT).text == extractive(PERCENT).text
    assert len(fake.requests) == 2  # one retry with jitter, then give up
    assert services.writer.stats["model_error"] == 1


def test_a_500_then_a_good_answer_is_used(services, fake):
    fake.fail(503)
    fake.reply_answer("Russia occupies roughly 18% of Ukraine's territory [1].")
    assert lead(services.answerer.ask(PERCENT)) == "Russia occupies roughly 18% of Ukraine's territory [1]."


def test_a_slow_model_does_not_delay_the_answer_past_the_timeout(seeded_template, tmp_path, fake, extractive):
    services = llm_services(seeded_template, tmp_path, fake.base_url, llm_timeout=1.0)
    services.answerer.ask(PERCENT)  # warm the engine (the reply runs out of script: HTTP 500, extractive)
    fake.reply_answer("Russia occupies roughly 18% of Ukraine's territory [1].", delay=6.0)
    started = time.monotonic()
    reply = services.answerer.ask(PERCENT)
    elapsed = time.monotonic() - started
    assert reply.text == extractive(PERCENT).text
    assert elapsed < 1.0 + 2.5, elapsed  # the timeout plus a generous margin, far below the model's 6 s
    services.writer.client.close()
    services.engine.dispose()


def test_a_dead_server_is_paused_instead_of_slowing_every_question(seeded_template, tmp_path, extractive):
    with FakeOpenAI() as api:
        dead_url = api.base_url  # nothing listens here once the fake is gone
    services = llm_services(seeded_template, tmp_path, dead_url)
    for _ in range(3):
        assert services.answerer.ask(PERCENT).text == extractive(PERCENT).text
    assert services.writer.client.breaker.is_open
    started = time.monotonic()
    services.writer.improve(PERCENT, extractive(PERCENT))
    assert time.monotonic() - started < 0.5  # paused: no connection attempt at all
    assert services.writer.stats["model_error"] == 4
    services.writer.client.close()
    services.engine.dispose()


def test_without_a_url_there_is_no_writer(seeded_services):
    assert seeded_services.writer is None and seeded_services.answerer.writer is None


def test_abstentions_do_not_call_the_model(services, fake):
    reply = services.answerer.ask("What is the capital of Australia?")
    assert reply.abstained and fake.requests == []


def test_the_api_key_is_never_logged(services, fake, caplog):
    caplog.set_level(logging.DEBUG)
    fake.reply_answer("Russia occupies roughly 25% of Ukraine's territory [1].")
    services.answerer.ask(PERCENT)
    assert SECRET not in caplog.text
    assert any("guard dropped a sentence (figure" in r.getMessage() and r.levelno == logging.INFO for r in caplog.records)


async def test_the_chat_ask_command_uses_the_writer(services, fake):
    from bot.chat.commands import COMMANDS
    from bot.chat.dispatch import Bot

    bot = Bot(services.settings, services, COMMANDS)
    fake.reply_answer("Russia occupies roughly 18% of Ukraine's territory [1].")
    reply = await bot.handle(Request(ChatRef("console", "local"), Sender("u1"), "ask", PERCENT))
    assert reply.lead == "Russia occupies roughly 18% of Ukraine's territory [1]."


ZH_TRANSLATIONS = {"Russia controls over 100,000 square kilometres of Ukrainian territory, including:": "俄罗斯控制着超过10万平方公里的乌克兰领土,包括:",
                   "More details: In total, Russia has seized more than 110,000 square kilometres of Ukrainian territory.":
                       "更多细节:俄罗斯总共占领了超过11万平方公里的乌克兰领土。"}


def translate_known(wrong: dict[str, str] | None = None):
    """A fake model translating the quotes it knows (``wrong`` overrides some), and any other as a neutral sentence."""
    def reply(body: dict) -> Scripted:
        if "Translate" not in body["messages"][0]["content"]:
            return Scripted(content=json.dumps({"answer": ""}))
        lines = [re.sub(r"^\d+\. ", "", line) for line in body["messages"][1]["content"].splitlines() if re.match(r"\d+\. ", line)]
        table = {**ZH_TRANSLATIONS, **(wrong or {})}
        return Scripted(content=json.dumps({"translations": [table.get(line, "这是一句引文。") for line in lines]}, ensure_ascii=False))
    return reply


def test_translations_sit_beside_foreign_quotes_and_are_cached(seeded_template, tmp_path):
    with FakeOpenAI(default=translate_known()) as fake:
        services = llm_services(seeded_template, tmp_path, fake.base_url, llm_translate=True)
        reply = services.answerer.ask(AREA_ZH)
        first = reply.citations[0]
        assert first.quote.startswith("Russia controls over 100,000") and first.translation == ZH_TRANSLATIONS[first.quote]
        assert all(c.translation for c in reply.citations if not c.language.startswith("zh"))
        assert f"↳ 译文(机器翻译): {ZH_TRANSLATIONS[first.quote]}" in reply.text
        contract = to_contract_json(AREA_ZH, reply)
        assert contract["citations"][0]["quote"] == first.quote and contract["citations"][0]["translation"] == first.translation
        # The second time the translations come from the table: no second translation request.
        services.writer.translator._memory.clear()
        again = services.answerer.ask(AREA_ZH)
        assert [c.translation for c in again.citations] == [c.translation for c in reply.citations]
        assert len(fake.calls("Translate")) == 1
        services.writer.client.close()
    services.engine.dispose()


def test_a_translation_that_adds_a_figure_is_not_shown(seeded_template, tmp_path):
    quote = "Russia controls over 100,000 square kilometres of Ukrainian territory, including:"
    with FakeOpenAI(default=translate_known({quote: "俄罗斯控制着超过20万平方公里的乌克兰领土,包括:"})) as fake:
        services = llm_services(seeded_template, tmp_path, fake.base_url, llm_translate=True)
        reply = services.answerer.ask(AREA_ZH)
        services.writer.client.close()
    assert reply.citations[0].quote == quote and reply.citations[0].translation is None
    assert services.writer.translator.rejected == 1
    services.engine.dispose()


def test_the_contract_without_translations_is_unchanged(extractive):
    contract = to_contract_json(PERCENT, extractive(PERCENT))
    assert set(contract["citations"][0]) == {"document_id", "origin", "url", "title", "outlet", "published", "quote"}
    json.dumps(contract)


def test_the_breaker_pauses_then_tries_once_and_doubles_the_pause_on_failure():
    from bot.answering.writer import Breaker

    now = [0.0]
    breaker = Breaker(threshold=3, pause=10.0, max_pause=25.0, clock=lambda: now[0])
    for _ in range(2):
        breaker.failure()
    assert breaker.allow() and not breaker.is_open
    breaker.failure()
    assert breaker.is_open and not breaker.allow()
    now[0] = 12.0  # past the pause (10 s, +-10 % jitter): one trial call, no second one meanwhile
    assert breaker.allow() and not breaker.allow()
    breaker.failure()  # the trial failed: the pause doubles to 20 s, jittered to 18..22 s
    now[0] = 12.0 + 17.5
    assert not breaker.allow()
    now[0] = 12.0 + 22.5
    assert breaker.allow()
    breaker.success()
    assert not breaker.is_open and breaker.allow() and breaker.pause == 10.0
