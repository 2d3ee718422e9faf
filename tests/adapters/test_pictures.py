"""Pictures in chats (issue 15): /matrix and /timeline send their PNG as a Telegram photo and a Discord attachment."""
from __future__ import annotations

from bot.chat.commands import COMMANDS
from bot.chat.dispatch import Bot
from bot.messages import Attachment, ChatRef, Reply
from tests.adapters.test_discord import CHANNEL, WEBHOOK, fake, running  # noqa: F401  (fixtures)
from tests.adapters.test_telegram import USER_CHAT, make_adapter, telegram_api  # noqa: F401  (fixtures)
from tests.fakes.telegram_api import message_update

PNG = b"\x89PNG\r\n\x1a\n"


async def test_matrix_arrives_as_a_photo_then_its_text_in_telegram(bot, telegram_api, make_adapter):  # noqa: F811
    await make_adapter(bot)
    telegram_api.add_update(message_update("/matrix"))
    [photo] = await telegram_api.wait_for("sendPhoto", timeout=60)
    [text] = await telegram_api.wait_for("sendMessage", timeout=60)
    assert photo.ok and photo.files["photo"].startswith(PNG) and photo.params["chat_id"] == USER_CHAT
    assert photo.params["caption"] == "Issue × party matrix of the latest stances"
    assert "Russia" in text.text and "territory" in text.text and photo.at <= text.at


async def test_timeline_without_arguments_explains_itself(bot, telegram_api, make_adapter):  # noqa: F811
    await make_adapter(bot)
    telegram_api.add_update(message_update("/timeline"))
    [text] = await telegram_api.wait_for("sendMessage", timeout=30)
    assert text.text.startswith("Usage: /timeline PARTY ISSUE") and "“-”" not in text.text
    assert not telegram_api.calls_to("sendPhoto")


async def test_a_timeline_comes_with_its_picture(bot, telegram_api, make_adapter):  # noqa: F811
    await make_adapter(bot)
    telegram_api.add_update(message_update("/timeline russia territory"))
    [photo] = await telegram_api.wait_for("sendPhoto", timeout=60)
    assert photo.files["photo"].startswith(PNG)


async def test_a_pushed_picture_is_a_discord_attachment(services, settings, fake):  # noqa: F811
    picture = Attachment(PNG + b"rest of the picture", "matrix.png", "Issue × party matrix")
    reply = Reply(lead="Who stands where", kind="info", attachment=picture)
    async with running(Bot(settings, services, COMMANDS), settings, fake) as adapter:
        await adapter.send(ChatRef("discord", CHANNEL), reply)
    [message] = fake.find("POST", rf"/channels/{CHANNEL}/messages$")
    assert message.status == 200 and message.files == [("matrix.png", picture.data)]
    assert message.embeds[0]["image"]["url"] == "attachment://matrix.png"


async def test_matrix_slash_command_answers_with_an_attachment(bot, fake):  # noqa: F811
    async with running(bot, bot.settings, fake):
        await fake.send_interaction(fake.slash("matrix", issue="ceasefire"))
        answer = await fake.wait_for("POST", WEBHOOK)
    assert answer.status == 200
    assert [name for name, _ in answer.files] == ["matrix.png"] and answer.files[0][1].startswith(PNG)
    assert "ceasefire" in answer.embeds[0]["description"]
