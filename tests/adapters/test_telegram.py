"""The Telegram adapter: pure to_request/render tests, then the real PTB Application against the fake Bot API."""
from __future__ import annotations

import logging
import re
from datetime import date

import pytest
from telegram import Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TimedOut

from adapters.telegram_bot import (MAX_MESSAGE_CHARS, SOURCES_PREFIX, EvidenceCache, Identity, RedactToken,
                                   _delivery_error, render, render_evidence, split_html, to_plain, to_request)
from bot.commands import COMMANDS
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.messages import Bullet, ChatRef, Citation, Reply
from tests.fakes.telegram_api import DEFAULT_TOKEN, HtmlError, load, parse_html, utf16_len

ME = Identity("ParleyTestBot", 7000001, frozenset({"111"}), frozenset(spec.name for spec in COMMANDS))


def update(name: str, **message_changes) -> Update:
    data = load(name)
    key = "message" if "message" in data else next(k for k in data if k != "update_id")
    data[key].update(message_changes)
    return Update.de_json(data, None)


def assert_valid_parts(parts: list[str]) -> str:
    """Every part is HTML Telegram accepts, within the limit; returns the visible text joined."""
    visible = []
    for part in parts:
        text = parse_html(part)  # raises HtmlError on unbalanced tags or stray <, >, &
        assert 0 < utf16_len(text) <= MAX_MESSAGE_CHARS
        assert utf16_len(part) <= MAX_MESSAGE_CHARS
        visible.append(text)
    return "\n".join(visible)


# to_request --------------------------------------------------------------------------------------------

def test_private_text_is_a_question_with_the_users_language_and_admin_right():
    request = to_request(update("private_text"), ME)
    assert request.command == "ask"
    assert request.text == "What does Russia demand on NATO?"
    assert request.chat == ChatRef("telegram", "111")
    assert request.is_private and request.language == "zh-hans"
    assert request.sender.user_id == "111" and request.sender.is_bot_admin
    assert request.sender.name == "Ada Lovelace"


def test_private_command_keeps_its_arguments():
    request = to_request(update("private_command"), ME)
    assert (request.command, request.text, request.args) == ("timeline", "Russia ceasefire", ("Russia", "ceasefire"))


def test_group_message_without_mention_is_ignored():
    assert to_request(update("group_plain"), ME) is None


def test_group_mention_becomes_a_question_without_the_mention():
    request = to_request(update("group_mention"), ME)
    assert request.command == "ask" and not request.is_private
    assert request.text == "who proposed the 30-day ceasefire?"
    assert request.chat == ChatRef("telegram", "-1001234567890")
    assert not request.sender.is_bot_admin


def test_group_text_mention_of_the_bot_counts_as_a_mention():
    assert to_request(update("group_text_mention"), ME).text == "what is the latest?"


def test_group_command_addressed_to_this_bot_is_taken():
    request = to_request(update("group_command_at_us"), ME)
    assert request.command == "subscribe"
    assert request.args == ("daily", "08:30", "Ukraine")
    assert request.language == "zh-TW"
    assert not request.sender.can_manage_chat  # checked later with getChatMember


def test_group_command_for_another_bot_is_ignored():
    assert to_request(update("group_command_other_bot"), ME) is None


def test_bare_unknown_group_command_is_left_to_other_bots_but_answered_in_private():
    group = update("group_plain", text="/weather Kyiv", entities=[{"type": "bot_command", "offset": 0, "length": 8}])
    assert to_request(group, ME) is None
    private = update("private_text", text="/weather Kyiv")
    assert to_request(private, ME).command == "weather"


def test_mention_followed_by_a_command_runs_the_command():
    message = update("group_mention", text="@ParleyTestBot /latest",
                     entities=[{"type": "mention", "offset": 0, "length": 14}])
    assert to_request(message, ME).command == "latest"


def test_mention_of_another_user_is_not_a_mention_of_the_bot():
    message = update("group_mention", text="@SomebodyElse what now?",
                     entities=[{"type": "mention", "offset": 0, "length": 13}])
    assert to_request(message, ME) is None


def test_reply_to_the_bot_in_a_group_is_a_question():
    request = to_request(update("group_reply_to_bot"), ME)
    assert (request.command, request.text) == ("ask", "And what did Ukraine say?")


def test_edited_message_is_ignored():
    assert to_request(update("edited_message"), ME) is None


def test_anonymous_group_admin_may_manage_the_chat():
    request = to_request(update("anonymous_admin_command"), ME)
    assert request.command == "unsubscribe" and request.sender.can_manage_chat


def test_messages_from_other_bots_are_ignored():
    bot_user = {"id": 999, "is_bot": True, "first_name": "Echo"}
    assert to_request(update("private_text", **{"from": bot_user}), ME) is None


# render ----------------------------------------------------------------------------------------------------

def citation(n: int, **changes) -> Citation:
    values = dict(n=n, document_id=f"d{n}", origin=f"https://news.example/{n}", url=f"https://news.example/a?id={n}&x=<y>",
                  title="Talks <resume> & stall", outlet="R&D <Wire>", published=date(2025, 3, 19),
                  quote='Troops must withdraw >5 km & "verify" <now>.')
    values.update(changes)
    return Citation(**values)


def test_render_escapes_every_piece_of_text_and_links_citations():
    reply = Reply(lead="Ceasefire: A < B & C > D [1]", bullets=(Bullet("Withdraw >5 km & <verify>", (1, 2)),),
                  citations=(citation(1), citation(2, url=None, origin="seeds/002.txt")), as_of=date(2025, 3, 19))
    [part] = render(reply)
    visible = parse_html(part)
    assert "Ceasefire: A < B & C > D [1]" in visible
    assert "• Withdraw >5 km & <verify> [1][2]" in visible
    assert '<a href="https://news.example/a?id=1&amp;x=&lt;y&gt;">[1]</a>' in part
    assert "[2]</a>" not in part  # no URL, no link
    assert "[1] R&D <Wire>, 2025-03-19" in visible
    assert "[2] R&D <Wire>, 2025-03-19: seeds/002.txt" in visible
    assert visible.rstrip().endswith("As of 2025-03-19")


def test_render_uses_the_replys_language_for_its_chrome():
    reply = Reply(lead="俄方要求[1]", citations=(citation(1, published=None),), language="zh-Hans", as_of=date(2025, 3, 1))
    visible = parse_html(render(reply)[0])
    assert "来源" in visible and "截至 2025-03-01" in visible and "日期不详" in visible


def test_render_never_links_non_web_urls():
    part = render(Reply(lead="x [1]", citations=(citation(1, url="javascript:alert(1)"),)))[0]
    assert "href" not in part


def test_evidence_lists_verbatim_quotes_escaped():
    visible = assert_valid_parts(render_evidence(Reply(lead="x", citations=(citation(1),))))
    assert '“Troops must withdraw >5 km & "verify" <now>.”' in visible


def test_a_6000_character_answer_is_split_into_valid_messages():
    bullets = tuple(Bullet(f"Point {i}: the <delegation> & its aides said more than {i} > {i - 1} things.", (1,))
                    for i in range(80))
    reply = Reply(lead="Summary & <context>", bullets=bullets, citations=(citation(1),), as_of=date(2025, 3, 19))
    assert len(reply.text) > 6000
    parts = render(reply)
    assert len(parts) >= 2
    visible = assert_valid_parts(parts)
    for i in range(80):
        assert f"Point {i}: the <delegation> & its aides" in visible
    assert all(part.count("<a ") == part.count("</a>") for part in parts)


def test_a_single_over_long_line_is_cut_outside_tags_and_entities():
    cjk = "俄方要求&承认<四个州>[1]。" * 600  # no spaces at all, entities and links throughout
    parts = render(Reply(lead=cjk, citations=(citation(1),)))
    visible = assert_valid_parts(parts)
    assert visible.replace("\n", "").startswith(cjk)
    assert len(parts) >= 3
    assert all(parse_html(part).endswith("。") for part in parts[:-1])  # cut after punctuation


def test_split_keeps_astral_characters_within_telegrams_utf16_limit():
    parts = split_html(["🕊" * 3000])
    assert len(parts) == 2
    assert_valid_parts(parts)


def test_plain_fallback_keeps_source_links_readable():
    part = render(Reply(lead="A & B [1]", citations=(citation(1),)))[0]
    plain = to_plain(part)
    assert plain.startswith("A & B [1]")
    assert "R&D <Wire> (https://news.example/a?id=1&x=<y>), 2025-03-19" in plain


def test_fake_server_rejects_what_telegram_rejects():
    with pytest.raises(HtmlError):
        parse_html("<b>unclosed")
    with pytest.raises(HtmlError):
        parse_html("a < b")
    with pytest.raises(HtmlError):
        parse_html("<b><i>crossed</b></i>")


# buttons, logs, errors --------------------------------------------------------------------------------------

def test_evidence_cache_is_bounded_and_keys_fit_callback_data():
    cache = EvidenceCache(size=2)
    first, second = cache.put(["a"]), cache.put(["b"])
    assert cache.get(first) == ["a"]  # now most recently used
    third = cache.put(["c"])
    assert cache.get(second) is None and cache.get(first) == ["a"] and cache.get(third) == ["c"]
    assert len((SOURCES_PREFIX + third).encode()) <= 64


def test_token_is_redacted_from_messages_arguments_and_tracebacks(caplog):
    logger = logging.getLogger("telegram.Bot")
    redactor = RedactToken(DEFAULT_TOKEN)
    logger.addFilter(redactor)
    try:
        with caplog.at_level(logging.DEBUG, logger="telegram"):
            logger.debug("Set Bot API URL: %s", f"https://api.telegram.org/bot{DEFAULT_TOKEN}")
            try:
                raise RuntimeError(f"POST /bot{DEFAULT_TOKEN}/getMe failed")
            except RuntimeError:
                logger.exception("request failed")
    finally:
        logger.removeFilter(redactor)
    assert "api.telegram.org/bot<token>" in caplog.text
    assert "/bot<token>/getMe failed" in caplog.text
    assert DEFAULT_TOKEN not in caplog.text


@pytest.mark.parametrize("error, expected, detail", [
    (Forbidden("Forbidden: bot was blocked by the user"), PermanentDeliveryError, None),
    (ChatMigrated(-100777), PermanentDeliveryError, "-100777"),
    (BadRequest("Bad Request: chat not found"), PermanentDeliveryError, None),
    (RetryAfter(120), TransientDeliveryError, 120.0),
    (TimedOut("Timed out"), TransientDeliveryError, None),
    (BadRequest("Bad Request: message to reply not found"), TransientDeliveryError, None),
])
def test_platform_errors_map_to_delivery_errors(error, expected, detail):
    mapped = _delivery_error(error)
    assert type(mapped) is expected
    if expected is PermanentDeliveryError:
        assert mapped.migrate_to == detail
    else:
        assert mapped.retry_after == detail


def test_formatting_errors_pass_through_for_the_plain_text_fallback():
    error = BadRequest("Bad Request: can't parse entities: unsupported start tag")
    assert _delivery_error(error) is error
