"""What the chat says back: subscription confirmations that read naturally, Chinese with full-width punctuation."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from adapters.console import to_request
from bot.chat.commands import COMMANDS
from bot.chat.dispatch import Bot
from bot.messages import ChatRef

LOCALES = Path(__file__).resolve().parents[3] / "bot" / "text" / "locales"
CHAT_FILES = ("core", "subscriptions", "sources", "telegram", "discord", "provenance")
CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef《》“”「」"
ASCII_NEXT_TO_CJK = re.compile(rf"[{CJK}][,:;!?()]|[,;!?()][{CJK}]")


@pytest.mark.parametrize("name", CHAT_FILES)
def test_chinese_chat_texts_use_full_width_punctuation(name):
    texts = yaml.safe_load((LOCALES / f"{name}.yaml").read_text(encoding="utf-8"))
    wrong = [(key, lang, value) for key, value_by_lang in texts.items() for lang, value in value_by_lang.items()
             if lang.startswith("zh") and ASCII_NEXT_TO_CJK.search(value)]
    assert wrong == []


async def test_subscription_confirmations_name_the_filters_plainly(services):
    bot = Bot(services.settings, services, COMMANDS)
    english = await bot.handle(to_request("/subscribe Russia Ukraine ceasefire"))
    assert "Only documents about Russia or Ukraine, on ceasefire" in english.lead, english.lead
    assert "parties" not in english.lead
    # Another terminal chat (a chat remembers the language it first subscribed in).
    chinese = await bot.handle(replace(to_request("/subscribe 俄罗斯"), chat=ChatRef("console", "zh")))
    assert chinese.lead.startswith("已订阅："), chinese.lead
    assert "仅推送关于俄罗斯的文献。" in chinese.lead and "," not in chinese.lead and ":" not in chinese.lead
