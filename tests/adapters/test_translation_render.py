"""A machine translation is rendered beside its verbatim quote, marked as such, on every platform."""
from __future__ import annotations

from datetime import date

from adapters import console
from adapters.discord_bot import _body
from adapters.telegram_bot import render
from bot.messages import Bullet, Citation, Reply
from bot.text import i18n

QUOTE = "据报道,普京总统正寻求美国承认俄罗斯吞并顿涅茨克。"
TRANSLATION = "Reportedly, President Putin seeks US recognition of Russia's annexation of Donetsk."


def reply(language: str) -> Reply:
    citation = Citation(1, "d1", "seeds/000.txt", None, "t", "ZeroHedge", date(2025, 3, 19), QUOTE, "zh-Hans", TRANSLATION)
    return Reply(lead="Russia demands recognition [1].", bullets=(Bullet(QUOTE, (1,), translation=TRANSLATION),), citations=(citation,),
                 language=language, labels=i18n.labels(language))


def test_console_telegram_and_discord_show_the_quote_and_its_marked_translation():
    text = console.render(reply("en"))
    assert f"• {QUOTE} [1]\n  ↳ machine translation: {TRANSLATION}" in text
    html = "\n".join(render(reply("en")))
    assert QUOTE in html and "<i>machine translation: Reportedly, President Putin seeks US recognition of Russia&#x27;s" in html
    body = _body(reply("en"), {})
    assert QUOTE in body and "*machine translation*: Reportedly" in body


def test_the_mark_is_in_the_readers_language():
    assert "↳ 译文(机器翻译): " in console.render(reply("zh-Hans"))
    assert "↳ 譯文(機器翻譯): " in console.render(reply("zh-Hant"))
