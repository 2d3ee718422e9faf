"""What a chat user sees, through the fake Telegram and Discord servers: other outlets under a bullet, "as of" and
staleness, pushes in the chat's language, feedback buttons, follow-ups and forum topics (issue 17)."""
from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from bot.chat.dispatch import Bot, CommandSpec
from bot.messages import Bullet, Reply
from bot.text.normalize import is_cjk
from tests.adapters.test_telegram import (USER_CHAT, answer_for, deliver, make_adapter,  # noqa: F401 (fixtures)
                                          telegram_api)
from tests.fakes.telegram_api import USER, message_update, parse_html


async def test_an_answer_names_other_outlets_under_its_bullet_and_says_how_old_it_is(services, telegram_api, make_adapter):
    from tests.bot.delivery.test_provenance import cite, store_story

    store_story(services.engine, {"id": "a", "outlet": "Interfax", "published": date(2025, 3, 1)},
                {"id": "b", "outlet": "TASS", "agency": "Interfax", "published": date(2025, 3, 1)},
                {"id": "c", "url": "https://www.reuters.com/world/x", "agency": "Interfax", "published": date(2025, 3, 2)},
                independent=1)

    async def answer(bot: Bot, request, language) -> Reply:
        return Reply(lead="Talks resumed [1][2].", bullets=(Bullet("Talks resumed.", (1, 2)), Bullet("More.", ())),
                     citations=(cite(1, "a", date(2025, 3, 1)), cite(2, "a", date(2025, 3, 1))), as_of=date(2025, 3, 1))

    await make_adapter(Bot(services.settings, services, [CommandSpec("ask", "QUESTION", {"en": "Ask"}, answer)]))
    telegram_api.add_update(message_update("Did talks resume?"))
    [message] = await answer_for(telegram_api, USER_CHAT)
    visible = parse_html(message.text)
    lines = visible.splitlines()
    bullet = lines.index("• Talks resumed. [1]")
    assert lines[bullet + 1].strip() == "also reported by TASS, reuters.com (1 independent source: wire reprints)"
    assert "Talks resumed [1]." in visible  # one document cited twice is one source
    assert "As of 2025-03-01" in visible
    assert "The newest source is from March 2025; positions may have changed." in visible
    assert "/srv/" not in message.text


# -- pushes in the chat's language ------------------------------------------------------------

STORIES = Path(__file__).resolve().parents[1] / "data" / "stories"
ZH_CHAT = "-100777"


async def _ingest(services, name: str):
    from bot.ingestion.pipeline import Ingestor

    path = STORIES / name
    return await asyncio.to_thread(Ingestor(services).ingest_bytes, path.read_bytes(), origin=str(path))


async def _subscribe_two_chats(services, telegram_api, make_adapter):
    """An English private chat and a Chinese group (its language set to zh-Hans), both subscribed to everything."""
    from bot.chat.commands import COMMANDS
    from storage.db import session_scope
    from storage.models import Chat

    with session_scope(services.engine) as session:
        session.add(Chat(chat=f"telegram:{ZH_CHAT}", language="zh-Hans"))
    bot = Bot(services.settings, services, COMMANDS)
    adapter = await make_adapter(bot)
    telegram_api.set_member_status(ZH_CHAT, USER["id"], "administrator")
    for text, chat in (("/subscribe", None), ("/subscribe", ZH_CHAT)):
        telegram_api.add_update(message_update(text, chat_id=chat) if chat else message_update(text))
        await telegram_api.wait_for("sendMessage", len(telegram_api.calls_to("sendMessage", ok=True)) + 1, timeout=30)
    return adapter


async def test_a_push_prefers_the_storys_report_in_the_chats_language(seeded_services, telegram_api, make_adapter):
    services = seeded_services  # the story decision compares languages against a corpus
    adapter = await _subscribe_two_chats(services, telegram_api, make_adapter)
    english, chinese = await _ingest(services, "a1_black_sea_deal.txt"), await _ingest(services, "a2_black_sea_deal_zh_hans.txt")
    assert english.story_id == chinese.story_id  # a translation joins the story of the original
    sent_before = len(telegram_api.calls_to("sendMessage", ok=True))
    assert await deliver(services, adapter) >= 2
    pushes = telegram_api.calls_to("sendMessage", ok=True)[sent_before:]
    [to_english] = [parse_html(c.text) for c in pushes if c.chat_id == USER_CHAT]
    [to_chinese] = [parse_html(c.text) for c in pushes if c.chat_id == ZH_CHAT]
    assert not is_cjk(to_english.split("来源")[0].split("Sources")[0].replace("新报道", ""))
    assert is_cjk("".join(line for line in to_chinese.splitlines() if line.startswith("•")))  # Chinese bullets
    assert "原文为" not in to_chinese and "The original is in" not in to_english


async def test_a_push_without_a_report_in_the_chats_language_says_the_original_is_in_another(seeded_services,
                                                                                          telegram_api, make_adapter):
    services = seeded_services
    adapter = await _subscribe_two_chats(services, telegram_api, make_adapter)
    await _ingest(services, "c2_wire_relay_zh_hant.txt")
    sent_before = len(telegram_api.calls_to("sendMessage", ok=True))
    assert await deliver(services, adapter) == 2
    pushes = telegram_api.calls_to("sendMessage", ok=True)[sent_before:]
    [to_english] = [parse_html(c.text) for c in pushes if c.chat_id == USER_CHAT]
    [to_chinese] = [parse_html(c.text) for c in pushes if c.chat_id == ZH_CHAT]
    assert "The original is in Chinese; the points above quote it verbatim." in to_english
    assert "原文为" not in to_chinese


# -- forum topics -----------------------------------------------------------------------------

FORUM = "-1009876543210"
TOPIC = 42


async def test_subscribe_in_a_forum_topic_pushes_to_that_topic(services, telegram_api, make_adapter):
    from bot.chat.commands import COMMANDS
    from tests.adapters.test_telegram import ingest_new_document, subscription_of

    adapter = await make_adapter(Bot(services.settings, services, COMMANDS))
    telegram_api.set_member_status(FORUM, USER["id"], "administrator")
    telegram_api.add_update(message_update("/subscribe", chat_id=FORUM, thread_id=TOPIC))
    [confirmation] = await answer_for(telegram_api, FORUM)
    assert confirmation.params.get("message_thread_id") == str(TOPIC)  # answered inside the topic
    assert subscription_of(services, f"telegram:{FORUM}/{TOPIC}").active
    assert subscription_of(services, f"telegram:{FORUM}") is None  # the topic, not the whole group
    await ingest_new_document(services)
    assert await deliver(services, adapter) == 1
    push = [c for c in telegram_api.calls_to("sendMessage", ok=True) if c.chat_id == FORUM][-1]
    assert push is not confirmation and push.params.get("message_thread_id") == str(TOPIC)


# -- follow-up questions ------------------------------------------------------------------------

class RecordingAnswerer:
    """Stands in for the answer engine (tested on its own): records the questions it is asked."""

    def __init__(self):
        self.questions: list[str] = []

    def ask(self, question: str, *, fallback_language: str | None = None) -> Reply:
        self.questions.append(question)
        return Reply(lead=f"Answer {len(self.questions)}.", language=fallback_language or "en")


async def test_a_reply_to_an_answer_is_read_with_the_earlier_questions_topic(services, telegram_api, make_adapter):
    from bot.chat.commands import COMMANDS

    answerer = services.__dict__["answerer"] = RecordingAnswerer()
    await make_adapter(Bot(services.settings, services, COMMANDS))
    telegram_api.add_update(message_update("What does Russia demand about the NATO pledge?"))
    [answer] = await answer_for(telegram_api, USER_CHAT)
    telegram_api.add_update(message_update("And what did Ukraine say about it?", reply_to=answer.response))
    await answer_for(telegram_api, USER_CHAT, 2)
    telegram_api.add_update(message_update("那乌克兰怎么说？", reply_to=answer.response))
    await answer_for(telegram_api, USER_CHAT, 3)
    telegram_api.add_update(message_update("And what did Ukraine say?"))  # not a reply: no context
    await answer_for(telegram_api, USER_CHAT, 4)
    assert answerer.questions == ["What does Russia demand about the NATO pledge?",
                                  "And what did Ukraine say about it? (NATO)", "那乌克兰怎么说？（北约）",
                                  "And what did Ukraine say?"]
