"""What a chat user sees, through the fake Telegram and Discord servers: other outlets under a bullet, "as of" and
staleness, pushes in the chat's language, feedback buttons, follow-ups and forum topics (issue 17)."""
from __future__ import annotations

from datetime import date

from bot.chat.dispatch import Bot, CommandSpec
from bot.messages import Bullet, Reply
from tests.adapters.test_telegram import USER_CHAT, answer_for, make_adapter, telegram_api  # noqa: F401 (fixtures)
from tests.fakes.telegram_api import message_update, parse_html


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
