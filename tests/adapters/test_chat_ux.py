"""What a chat user sees, through the fake Telegram and Discord servers: other outlets under a bullet, "as of" and
staleness, pushes in the chat's language, feedback buttons, follow-ups and forum topics (issue 17)."""
from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from bot.chat.dispatch import Bot, CommandSpec
from bot.messages import Bullet, Reply
from bot.messages import cite as markers
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
        return Reply(lead=f"Talks resumed {markers(1, 2)}.", bullets=(Bullet("Talks resumed.", (1, 2)), Bullet("More.", ())),
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


# -- feedback buttons -------------------------------------------------------------------------

def _feedback_buttons(call) -> dict[str, str]:
    markup = call.json("reply_markup") or {"inline_keyboard": []}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row
            if b["callback_data"].startswith("fb:")}


async def test_votes_under_a_telegram_answer_are_stored_once_per_user_and_reported(services, telegram_api, make_adapter,
                                                                                   tmp_path):
    from typer.testing import CliRunner

    import cli
    from bot.chat.commands import COMMANDS
    from tests.fakes.telegram_api import callback_update

    services.__dict__["answerer"] = RecordingAnswerer()
    await make_adapter(Bot(services.settings, services, COMMANDS))
    telegram_api.add_update(message_update("Who proposed the 30-day ceasefire?"))
    [answer] = await answer_for(telegram_api, USER_CHAT)
    buttons = _feedback_buttons(answer)
    assert set(buttons) == {"👍", "👎"}
    other = {"id": 222, "is_bot": False, "first_name": "Bob", "language_code": "zh-hans"}
    presses = [(buttons["👎"], None), (buttons["👎"], None), (buttons["👍"], None), (buttons["👎"], other)]
    for count, (data, user) in enumerate(presses, 1):
        telegram_api.add_update(callback_update(data, message=answer.response, user=user))
        acks = await telegram_api.wait_for("answerCallbackQuery", count, timeout=30)
    assert [a.params.get("text") for a in acks] == ["Thanks, noted.", "Already noted.", "Vote changed.", "谢谢，已记录。"]

    from bot.chat.feedback import report

    figures = report(services.engine)
    assert (figures.answers, figures.voted, figures.up, figures.down) == (1, 1, 1, 1)
    assert figures.worst[0].question == "Who proposed the 30-day ceasefire?"
    result = CliRunner().invoke(cli.app, ["feedback"], env={"PARLEY_DATABASE_URL": services.settings.database_url,
                                                            "PARLEY_SEEDS_DIR": str(tmp_path), "COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "1 answers kept, 1 rated: 1 👍, 1 👎" in result.output
    assert "Who proposed the 30-day ceasefire?" in result.output


async def test_feedback_buttons_can_be_turned_off(settings, services, telegram_api, make_adapter):
    from bot.chat.commands import COMMANDS

    services.__dict__["answerer"] = RecordingAnswerer()
    quiet = settings.model_copy(update={"feedback_buttons": False})
    await make_adapter(Bot(quiet, services, COMMANDS))
    telegram_api.add_update(message_update("Who proposed the 30-day ceasefire?"))
    [answer] = await answer_for(telegram_api, USER_CHAT)
    assert _feedback_buttons(answer) == {}


async def test_votes_under_a_discord_answer_are_stored_once_per_user(services, settings):
    from bot.chat.commands import COMMANDS
    from bot.chat.feedback import report
    from tests.adapters.test_discord import CALLBACK, WEBHOOK, running
    from tests.fakes.discord_api import EPHEMERAL, FakeDiscord

    services.__dict__["answerer"] = RecordingAnswerer()
    async with FakeDiscord() as fake:
        async with running(Bot(settings, services, COMMANDS), settings, fake):
            await fake.send_interaction(fake.slash("ask", question="Who proposed the 30-day ceasefire?"))
            answer = await fake.wait_for("POST", WEBHOOK)
            message = fake.messages[answer.response["id"]]
            buttons = {b.get("emoji", {}).get("name"): b["custom_id"] for row in message["components"]
                       for b in row["components"]}
            assert {"👍", "👎"} <= set(buttons)
            for count, (emoji, user) in enumerate((("👎", "501"), ("👍", "501"), ("👎", "502")), 1):
                await fake.send_interaction(fake.press(message, buttons[emoji], user_id=user))
                await fake.wait_for("POST", CALLBACK, count=count + 1)  # the slash command's defer came first
    acks = fake.find("POST", CALLBACK)[1:]
    assert [a.json["data"]["content"] for a in acks] == ["Thanks, noted.", "Vote changed.", "Thanks, noted."]
    assert all(a.json["data"]["flags"] & EPHEMERAL for a in acks)
    figures = report(services.engine)
    assert (figures.voted, figures.up, figures.down) == (1, 1, 1)


async def test_a_message_in_a_discord_thread_started_from_an_answer_is_a_follow_up(services, settings):
    from bot.chat.commands import COMMANDS
    from tests.adapters.test_discord import WEBHOOK, running
    from tests.fakes.discord_api import FakeDiscord, load

    answerer = services.__dict__["answerer"] = RecordingAnswerer()
    async with FakeDiscord() as fake:
        async with running(Bot(settings, services, COMMANDS), settings, fake):
            await fake.send_interaction(fake.slash("ask", question="What does Russia demand about the NATO pledge?"))
            answer = await fake.wait_for("POST", WEBHOOK)
            thread = answer.response["id"]  # a thread started from a message takes that message's id
            bot_id = load("message")["author"]["id"]
            for content in (f"<@{bot_id}> And what did Ukraine say about it?", "unrelated chatter"):
                message = {**load("message"), "id": str(9000 + len(content)), "channel_id": thread, "content": content,
                           "guild_id": "1300000000000000001",
                           "author": {"id": "501", "username": "ada", "discriminator": "0", "avatar": None}}
                await fake.dispatch("MESSAGE_CREATE", message)
            elsewhere = {**message, "id": "9999", "channel_id": "1234567", "content": "And what did Ukraine say?"}
            await fake.dispatch("MESSAGE_CREATE", elsewhere)  # not in a thread of an answer: ignored
            reply = await fake.wait_for("POST", rf"^/channels/{thread}/messages$", count=2)
    assert reply.status == 200
    assert answerer.questions == ["What does Russia demand about the NATO pledge?",
                                  "And what did Ukraine say about it? (NATO)", "unrelated chatter (Russia, NATO)"]
    assert not fake.find("POST", r"^/channels/1234567/messages$")
