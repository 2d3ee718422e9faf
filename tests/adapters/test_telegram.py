"""The Telegram adapter: pure to_request/render tests, then the real PTB Application against the fake Bot API."""
from __future__ import annotations

import asyncio
import html
import logging
import re
import socket
from datetime import date

import pytest
from telegram import Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TimedOut

from adapters.telegram_bot import (MAX_MESSAGE_CHARS, SOURCES_PREFIX, EvidenceCache, Identity, RedactToken,
                                   TelegramAdapter, TelegramConfig, _delivery_error, render, render_evidence,
                                   split_html, to_plain, to_request)
from bot.text import i18n
from bot.chat.commands import COMMANDS
from bot.chat.dispatch import Bot, CommandSpec
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.messages import Bullet, ChatRef, Citation, Reply, cite
from tests.conftest import SEEDS, build_services, make_settings
from tests.fakes.telegram_api import (DATA, DEFAULT_TOKEN, GROUP_ID, USER, ApiCall, FakeTelegramAPI, HtmlError,
                                      callback_update, edited_update, load, message_update, parse_html, utf16_len)

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
    reply = Reply(lead="Ceasefire: A < B & C > D " + cite(1), bullets=(Bullet("Withdraw >5 km & <verify>", (1, 2)),),
                  citations=(citation(1), citation(2, url=None, origin="/srv/parley/seeds/002.txt")), as_of=date(2025, 3, 19))
    [part] = render(reply)
    visible = parse_html(part)
    assert "Ceasefire: A < B & C > D [1]" in visible
    assert "• Withdraw >5 km & <verify> [1][2]" in visible
    assert '<a href="https://news.example/a?id=1&amp;x=&lt;y&gt;">[1]</a>' in part
    assert "[2]</a>" not in part  # no URL, no link
    assert "[1] R&D <Wire>, 2025-03-19" in visible
    assert "[2] R&D <Wire>, 2025-03-19" in visible
    assert "seeds/002.txt" not in part  # a file origin never leaves the server
    assert visible.rstrip().endswith("As of 2025-03-19")

CITATION_LINK = r'<a href="([^"]*)">\[(\d+)\]</a>'


@pytest.mark.hostile
def test_citation_markers_inside_document_text_never_become_links():
    quote = 'Officials said the plan was "endorsed by Reuters [1][2]" and [3] others.'
    reply = Reply(lead=f"Headline quoting [2] of a wire. The sources say so {cite(1)}.",
                  bullets=(Bullet(quote, (1,)),),
                  citations=(citation(1, url="https://small.example/blog"), citation(2, url="https://reuters.example/x")))
    [part] = render(reply)
    links = re.findall(CITATION_LINK, part)
    assert links == [("https://small.example/blog", "1"), ("https://small.example/blog", "1")]  # the lead's, the bullet's
    visible = parse_html(part)
    assert quote in visible and "Headline quoting [2] of a wire" in visible  # shown as written, unlinked
    assert "\ufdd0" not in visible and "\ufdd0" not in to_plain(part)



def test_a_document_cited_three_times_is_one_source_and_server_paths_never_show():
    path = "/srv/parley/seeds/002_58a5281f7ed52c9a.txt"
    same = dict(document_id="d9", url=None, origin=path, outlet=None, title="特朗普透露他已經與普京談論了烏克蘭的戰爭")
    reply = Reply(lead=f"Russia demands {cite(1, 2, 3)} and more {cite(4)}.",
                  bullets=(Bullet("first", (1, 2)), Bullet("second", (3, 4))),
                  citations=(citation(1, quote="one", **same), citation(2, quote="two", **same),
                             citation(3, quote="three", **same), citation(4)))
    rendered = render(reply) + render_evidence(reply)
    visible = assert_valid_parts(rendered)
    assert "/srv/" not in "".join(rendered) and "002_58a5" not in "".join(rendered)
    assert "Russia demands [1] and more" in visible
    assert "• first [1]" in visible and "• second [1][2]" in visible
    assert "[1] “特朗普透露他已經與普京談論了烏克蘭的戰爭” (outlet unknown), 2025-03-19" in visible
    assert "[3]" not in visible
    assert "“one”" in visible and "“three”" in visible  # the evidence keeps every quote


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
    assert cache.put(["a"]) == first  # the same evidence pushed to many chats shares one entry


def test_config_takes_the_telegram_part_of_the_settings():
    settings = make_settings("sqlite://", telegram_token="42:tok-XYZ", admin_ids="telegram:111, discord:222,telegram:333",
                             telegram_api_url="http://127.0.0.1:8081/bot", telegram_webhook_secret="hunter2")
    config = TelegramConfig.from_settings(settings)
    assert config.token == "42:tok-XYZ" and config.admin_ids == {"111", "333"}
    assert config.file_url == "http://127.0.0.1:8081/file/bot"
    assert config.webhook_url is None and config.webhook_secret == "hunter2"
    assert "tok-XYZ" not in repr(config) and "hunter2" not in repr(config)
    with pytest.raises(ValueError):
        TelegramConfig.from_settings(make_settings("sqlite://"))


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


# the real PTB Application against the fake Bot API --------------------------------------------------------

DOCUMENT = DATA / "new_document.txt"
DOCUMENT_URL = "https://news.example/geneva?src=tg&lang=en"
USER_CHAT = str(USER["id"])


@pytest.fixture
async def telegram_api():
    async with FakeTelegramAPI() as api:
        yield api


@pytest.fixture
async def make_adapter(telegram_api):
    """Start a TelegramAdapter for a core Bot against the fake API; all are stopped after the test."""
    adapters = []

    async def make(core: Bot, **changes) -> TelegramAdapter:
        config = TelegramConfig(token=telegram_api.token, api_url=telegram_api.base_url, poll_timeout=1,
                                backoff_seconds=0.01, **changes)
        adapter = TelegramAdapter(core, config)
        await adapter.start()
        adapters.append(adapter)
        return adapter

    yield make
    for adapter in adapters:
        await adapter.stop()


@pytest.fixture(scope="module")
def plain_services(tmp_path_factory):
    """Services on an empty database, shared by the tests here that store nothing."""
    built = build_services(make_settings(f"sqlite:///{tmp_path_factory.mktemp('plain') / 'parley.db'}"), seed=False)
    yield built
    built.engine.dispose()


@pytest.fixture
def plain_bot(plain_services):
    """The real Bot and commands over an empty database (enough for /help, /sources, pushes)."""
    return Bot(plain_services.settings, plain_services, COMMANDS)


def answers(api: FakeTelegramAPI, chat_id: str | int) -> list[ApiCall]:
    return [c for c in api.calls_to("sendMessage", ok=True) if c.chat_id == str(chat_id)]


async def answer_for(api: FakeTelegramAPI, chat_id: str | int, count: int = 1) -> list[ApiCall]:
    return await api.wait_for("sendMessage", count, timeout=60, where=lambda c: c.ok and c.chat_id == str(chat_id))


async def ingest_new_document(services) -> dict:
    """A new article arrives (the real ingest pipeline: store, embed, story, summary, outbox rows)."""
    from bot.ingestion.pipeline import Ingestor

    result = await asyncio.to_thread(Ingestor(services).ingest_bytes, DOCUMENT.read_bytes(),
                                     origin=DOCUMENT_URL, url=DOCUMENT_URL)
    assert result.status == "new"
    return result.to_json()


async def deliver(services, adapter: TelegramAdapter) -> int:
    from bot.delivery.outbox import Outbox, deliver_due

    return await deliver_due(services, Outbox({"telegram": adapter}), worker_id="telegram-test")


def subscription_of(services, chat: str):
    from sqlmodel import Session, select

    from storage.models import Subscription

    with Session(services.engine) as session:
        return session.exec(select(Subscription).where(Subscription.chat == chat)).first()


async def test_start_registers_the_command_menu_in_english_and_chinese(plain_bot, telegram_api, make_adapter):
    await make_adapter(plain_bot, admin_ids=frozenset({"999"}))
    menus = {(c.params.get("language_code"), (c.json("scope") or {}).get("chat_id")): c.json("commands")
             for c in telegram_api.calls_to("setMyCommands", ok=True)}
    english, chinese, admin = menus[(None, None)], menus[("zh", None)], menus[(None, 999)]
    names = [command["command"] for command in english]
    assert "ask" in names and "subscribe" in names and "addsource" not in names
    assert [command["command"] for command in chinese] == names
    assert any("显示帮助" in command["description"] for command in chinese)
    assert "addsource" in [command["command"] for command in admin]
    assert telegram_api.calls_to("getMe") and telegram_api.calls_to("deleteWebhook")  # polling mode


async def test_a_refused_token_fails_start_and_leaves_no_log_filters(plain_bot, telegram_api):
    adapter = TelegramAdapter(plain_bot, TelegramConfig(token="1:not-the-token", api_url=telegram_api.base_url))
    with pytest.raises(InvalidToken):
        await adapter.start()
    assert not any(isinstance(f, RedactToken) for f in logging.getLogger("telegram.Bot").filters)
    with pytest.raises(TransientDeliveryError):
        await adapter.send(ChatRef("telegram", USER_CHAT), Reply(lead="nobody home"))


async def test_private_question_gets_a_cited_answer_with_markup_characters_escaped(bot, seeded_services, telegram_api,
                                                                                 make_adapter):
    await ingest_new_document(seeded_services)
    await make_adapter(bot)
    telegram_api.add_update(message_update("How far from the contact line must heavy weapons be kept under the Geneva protocol?"))
    [answer] = await answer_for(telegram_api, USER_CHAT)
    visible = parse_html(answer.text)
    assert "> 15 km & < 30 km" in visible
    assert "&gt; 15 km &amp; &lt; 30 km" in answer.text
    assert f'href="{html.escape(DOCUMENT_URL)}">[' in answer.text  # a numbered citation link
    typing = telegram_api.calls_to("sendChatAction")
    assert typing and typing[0].params["action"] == "typing" and typing[0].at <= answer.at


async def test_group_message_is_answered_only_when_it_mentions_the_bot(bot, seeded_services, telegram_api, make_adapter):
    await make_adapter(bot)
    question = "who agreed to talks in Saudi Arabia?"
    telegram_api.add_update(message_update(question, chat_id=GROUP_ID))
    mention = telegram_api.add_update(message_update(f"@ParleyTestBot {question}", chat_id=GROUP_ID))
    [answer] = await answer_for(telegram_api, GROUP_ID)
    assert answer.json("reply_parameters")["message_id"] == mention["message"]["message_id"]
    await asyncio.sleep(0.2)
    assert len(answers(telegram_api, GROUP_ID)) == 1


async def test_edited_message_does_not_trigger_a_second_answer(plain_bot, telegram_api, make_adapter):
    await make_adapter(plain_bot)
    first = telegram_api.add_update(message_update("/help"))
    await answer_for(telegram_api, USER_CHAT)
    telegram_api.add_update(edited_update("/start", message_id=first["message"]["message_id"]))
    telegram_api.add_update(message_update("/sources"))
    await answer_for(telegram_api, USER_CHAT, 2)
    await asyncio.sleep(0.2)
    assert len(answers(telegram_api, USER_CHAT)) == 2


async def test_subscribe_then_a_new_document_pushes_its_summary(bot, seeded_services, telegram_api, make_adapter):
    adapter = await make_adapter(bot)
    telegram_api.add_update(message_update("/subscribe"))
    await answer_for(telegram_api, USER_CHAT)
    assert subscription_of(seeded_services, f"telegram:{USER_CHAT}").active
    document = await ingest_new_document(seeded_services)
    assert await deliver(seeded_services, adapter) == 1
    push = answers(telegram_api, USER_CHAT)[-1]
    visible = parse_html(push.text)
    assert html.unescape(document["summary"]["headline"]).split()[0] in visible
    assert push.json("reply_markup")["inline_keyboard"][0][0]["callback_data"].startswith(SOURCES_PREFIX)


async def test_group_subscription_needs_a_group_admin(services, telegram_api, make_adapter):
    await make_adapter(Bot(services.settings, services, COMMANDS))
    telegram_api.add_update(message_update("/subscribe@ParleyTestBot", chat_id=GROUP_ID))
    [refusal] = await answer_for(telegram_api, GROUP_ID)
    assert parse_html(refusal.text) == i18n.t("error.manage_only", "en")
    assert subscription_of(services, f"telegram:{GROUP_ID}") is None
    telegram_api.set_member_status(GROUP_ID, USER["id"], "administrator")
    telegram_api.add_update(message_update("/subscribe@ParleyTestBot", chat_id=GROUP_ID))
    await answer_for(telegram_api, GROUP_ID, 2)
    assert subscription_of(services, f"telegram:{GROUP_ID}").active
    checks = telegram_api.calls_to("getChatMember")
    assert [c.params["user_id"] for c in checks] == [USER_CHAT, USER_CHAT]


@pytest.mark.hostile
async def test_group_admins_can_change_settings_and_members_only_see_them(services, telegram_api, make_adapter):
    await make_adapter(Bot(services.settings, services, COMMANDS))
    telegram_api.add_update(message_update("/settings@ParleyTestBot language zh-Hant", chat_id=GROUP_ID))
    [refusal] = await answer_for(telegram_api, GROUP_ID)
    assert parse_html(refusal.text) == i18n.t("error.manage_only", "en")
    assert "settings" in parse_html(refusal.text) and "subscription." not in parse_html(refusal.text)
    telegram_api.add_update(message_update("/settings@ParleyTestBot", chat_id=GROUP_ID))  # looking is for everyone
    shown = (await answer_for(telegram_api, GROUP_ID, 2))[-1]
    assert i18n.t("settings.title", "en") in parse_html(shown.text)

    telegram_api.set_member_status(GROUP_ID, USER["id"], "administrator")
    telegram_api.add_update(message_update("/settings@ParleyTestBot language zh-Hant", chat_id=GROUP_ID))
    saved = (await answer_for(telegram_api, GROUP_ID, 3))[-1]
    assert i18n.t("settings.saved", "zh-Hant") in parse_html(saved.text)
    assert services.chat_language(f"telegram:{GROUP_ID}") == "zh-Hant"
    assert len(telegram_api.calls_to("getChatMember")) == 3  # Telegram was asked each time


@pytest.mark.hostile
async def test_a_pushed_document_quoting_citation_markers_links_only_parleys_own(services, telegram_api, make_adapter):
    from bot.ingestion.pipeline import Ingestor

    adapter = await make_adapter(Bot(services.settings, services, COMMANDS))
    telegram_api.add_update(message_update("/subscribe"))
    await answer_for(telegram_api, USER_CHAT)
    text = ("Geneva talks endorsed by three wires\n\nMarch 20, 2025\n\n"
            'The plan was "endorsed by Reuters [1][2] and the Associated Press [3]", a small blog claimed on Thursday in Geneva.\n\n'
            "Russian and Ukrainian negotiators agreed to exchange 175 prisoners each, Swiss mediators said.\n\n"
            "Ukraine demanded that heavy weapons be pulled back 15 kilometres from the contact line [2].")
    result = await asyncio.to_thread(Ingestor(services).ingest_bytes, text.encode(), origin="https://small.example/blog",
                                     url="https://small.example/blog")
    assert result.status == "new"
    assert await deliver(services, adapter) == 1
    push = answers(telegram_api, USER_CHAT)[-1]
    visible = parse_html(push.text)
    assert "Reuters [1][2]" in visible  # the document's words, verbatim
    labels = [int(n) for _, n in re.findall(CITATION_LINK, push.text)]
    assert "Reuters <a" not in push.text and "Press <a" not in push.text and "line <a" not in push.text
    assert labels == parleys_own_links(services, result.document_id)  # one per marker Parley wrote, none from the text


def parleys_own_links(services, document_id: str) -> list[int]:
    """The source numbers of the links the pushed summary should carry: each bullet's own citations, renumbered."""
    from sqlmodel import Session

    from bot.delivery.digest import render_summary
    from storage.models import Document

    with Session(services.engine) as session:
        document = session.get(Document, document_id)
    reply = render_summary(document, "en", profile=services.profile)
    _, numbers = reply.sources()
    return [n for bullet in reply.bullets for n in dict.fromkeys(numbers.get(c, c) for c in bullet.cites)]


async def test_a_6000_character_answer_arrives_as_several_valid_messages(plain_services, telegram_api, make_adapter):
    seeds = sorted(SEEDS.glob("*.txt"))
    paragraphs = [line for path in seeds for line in path.read_text(encoding="utf-8").splitlines() if len(line) > 80]

    async def report(core, request, language):
        bullets = tuple(Bullet(f"{text} <{i}> & more", (i % 2 + 1,)) for i, text in enumerate(paragraphs[:40]))
        citations = (citation(1), citation(2, url="https://news.example/other"))
        return Reply(lead="A long report", bullets=bullets, citations=citations, as_of=date(2025, 3, 19))

    core = Bot(plain_services.settings, plain_services, [*COMMANDS, CommandSpec("report", "", {"en": "A long report"}, report)])
    await make_adapter(core)
    expected = await report(core, None, "en")
    assert len(expected.text) > 6000
    telegram_api.add_update(message_update("/report"))
    await telegram_api.wait_for("sendMessage", where=lambda c: c.ok and "As of" in c.text, timeout=30)
    parts = answers(telegram_api, USER_CHAT)
    assert len(parts) >= 2
    visible = assert_valid_parts([c.text for c in parts])
    for bullet in expected.bullets:
        assert bullet.text in visible
    assert [("reply_markup" in c.params) for c in parts] == [False] * (len(parts) - 1) + [True]


async def test_a_429_is_waited_out_and_the_message_sent(plain_bot, telegram_api, make_adapter):
    await make_adapter(plain_bot)
    telegram_api.fail_retry_after("sendMessage", 1)
    telegram_api.add_update(message_update("/help"))
    await answer_for(telegram_api, USER_CHAT)
    refused, accepted = telegram_api.calls_to("sendMessage")
    assert not refused.ok and refused.response["error_code"] == 429 and accepted.ok
    assert accepted.at - refused.at >= 0.95
    assert accepted.text == refused.text


async def test_a_blocked_user_is_deactivated(bot, seeded_services, telegram_api, make_adapter):
    adapter = await make_adapter(bot)
    telegram_api.add_update(message_update("/subscribe"))
    await answer_for(telegram_api, USER_CHAT)
    telegram_api.fail_forbidden("sendMessage", chat_id=USER_CHAT)
    await ingest_new_document(seeded_services)
    assert await deliver(seeded_services, adapter) == 0
    subscription = subscription_of(seeded_services, f"telegram:{USER_CHAT}")
    assert not subscription.active and "blocked" in subscription.deactivated_reason
    assert telegram_api.calls_to("sendMessage", ok=False)[-1].response["error_code"] == 403


async def test_a_migrated_group_keeps_its_subscription_under_the_new_id(bot, seeded_services, telegram_api, make_adapter):
    adapter = await make_adapter(bot)
    telegram_api.set_member_status(GROUP_ID, USER["id"], "creator")
    telegram_api.add_update(message_update("/subscribe@ParleyTestBot", chat_id=GROUP_ID))
    await answer_for(telegram_api, GROUP_ID)
    telegram_api.fail_migrated("sendMessage", -1009999, chat_id=GROUP_ID)
    await ingest_new_document(seeded_services)
    assert await deliver(seeded_services, adapter) == 1
    assert answers(telegram_api, -1009999)
    assert subscription_of(seeded_services, "telegram:-1009999").active


async def test_a_formatting_refusal_is_resent_as_plain_text(plain_bot, telegram_api, make_adapter):
    adapter = await make_adapter(plain_bot)
    telegram_api.fail_parse_entities("sendMessage")
    reply = Reply(lead="Talks & <terms> [1]", citations=(citation(1),), as_of=date(2025, 3, 19))
    await adapter.send(ChatRef("telegram", USER_CHAT), reply)
    refused, plain = telegram_api.calls_to("sendMessage")
    assert refused.params["parse_mode"] == "HTML" and not refused.ok
    assert "parse_mode" not in plain.params and plain.ok
    assert plain.text == to_plain(render(reply)[0])
    assert "Talks & <terms> [1]" in plain.text


async def test_network_errors_are_retried_with_backoff_then_reported(plain_bot, telegram_api, make_adapter):
    adapter = await make_adapter(plain_bot, send_attempts=3)
    chat = ChatRef("telegram", USER_CHAT)
    telegram_api.fail_server("sendMessage", times=2)
    await adapter.send(chat, Reply(lead="third time lucky"))
    assert [c.ok for c in telegram_api.calls_to("sendMessage")] == [False, False, True]
    telegram_api.fail_server("sendMessage", times=3)
    with pytest.raises(TransientDeliveryError):
        await adapter.send(chat, Reply(lead="never arrives"))


async def test_long_flood_waits_are_handed_back_to_the_outbox(plain_bot, telegram_api, make_adapter):
    adapter = await make_adapter(plain_bot, max_retry_after=5)
    telegram_api.fail_retry_after("sendMessage", 300)
    with pytest.raises(TransientDeliveryError) as raised:
        await adapter.send(ChatRef("telegram", USER_CHAT), Reply(lead="later"))
    assert raised.value.retry_after == 300
    assert len(telegram_api.calls_to("sendMessage")) == 1


async def test_sources_button_expands_the_evidence_and_every_callback_is_answered(plain_bot, telegram_api, make_adapter):
    adapter = await make_adapter(plain_bot)
    await adapter.send(ChatRef("telegram", USER_CHAT), Reply(lead="Withdrawal terms [1]", citations=(citation(1),)))
    [pushed] = answers(telegram_api, USER_CHAT)
    data = pushed.json("reply_markup")["inline_keyboard"][0][0]["callback_data"]
    telegram_api.add_update(callback_update(data, message=pushed.response))
    telegram_api.add_update(callback_update(SOURCES_PREFIX + "expired0", message=pushed.response))
    telegram_api.add_update(callback_update("something-else", message=pushed.response))
    answered = await telegram_api.wait_for("answerCallbackQuery", 3)
    [evidence] = (await answer_for(telegram_api, USER_CHAT, 2))[1:]
    assert '“Troops must withdraw >5 km & "verify" <now>.”' in parse_html(evidence.text)
    assert evidence.json("reply_parameters")["message_id"] == pushed.response["message_id"]
    notices = [c.params.get("text") for c in answered]
    assert notices.count(i18n.t("telegram.sources_expired", "en")) == 1


@pytest.mark.hostile
async def test_sources_buttons_still_expand_after_a_restart(tmp_path, telegram_api):
    settings = make_settings(f"sqlite:///{tmp_path / 'restart.db'}")
    before = build_services(settings, seed=False)
    first = TelegramAdapter(Bot(settings, before, COMMANDS), TelegramConfig(token=telegram_api.token,
                                                                           api_url=telegram_api.base_url, poll_timeout=1))
    await first.start()
    await first.send(ChatRef("telegram", USER_CHAT), Reply(lead="Withdrawal terms " + cite(1), citations=(citation(1),)))
    await first.stop()
    before.engine.dispose()
    [pushed] = answers(telegram_api, USER_CHAT)
    data = pushed.json("reply_markup")["inline_keyboard"][0][0]["callback_data"]

    after = build_services(settings, seed=False)  # a new process: nothing of the first one's memory is left
    second = TelegramAdapter(Bot(settings, after, COMMANDS), TelegramConfig(token=telegram_api.token,
                                                                           api_url=telegram_api.base_url, poll_timeout=1))
    await second.start()
    try:
        telegram_api.add_update(callback_update(data, message=pushed.response))
        [answered] = await telegram_api.wait_for("answerCallbackQuery")
        [evidence] = (await answer_for(telegram_api, USER_CHAT, 2))[1:]
    finally:
        await second.stop()
        after.engine.dispose()
    assert answered.params.get("text") != i18n.t("telegram.sources_expired", "en")
    assert '“Troops must withdraw >5 km & "verify" <now>.”' in parse_html(evidence.text)
    assert evidence.text == render_evidence(Reply(lead="", citations=(citation(1),)))[0]


async def test_one_slow_question_does_not_stall_other_chats(plain_services, telegram_api, make_adapter):
    release = asyncio.Event()

    async def slow(core, request, language):
        await release.wait()
        return Reply(lead="finally")

    core = Bot(plain_services.settings, plain_services, [*COMMANDS, CommandSpec("slow", "", {"en": "Slow"}, slow)])
    await make_adapter(core)
    telegram_api.add_update(message_update("/slow"))
    telegram_api.add_update(message_update("/help", chat_id=GROUP_ID))
    await answer_for(telegram_api, GROUP_ID)
    assert not answers(telegram_api, USER_CHAT)
    release.set()
    [late] = await answer_for(telegram_api, USER_CHAT)
    assert parse_html(late.text) == "finally"


async def test_the_token_never_appears_in_logs(plain_bot, telegram_api, make_adapter, caplog):
    httpx_logger = logging.getLogger("httpx")
    httpx_logger.setLevel(logging.DEBUG)  # httpx logs every request URL, token included
    try:
        with caplog.at_level(logging.DEBUG):
            adapter = await make_adapter(plain_bot)
            telegram_api.add_update(message_update("/help"))
            await answer_for(telegram_api, USER_CHAT)
            await adapter.stop()
    finally:
        httpx_logger.setLevel(logging.NOTSET)
    assert "/bot<token>/sendMessage" in caplog.text  # the URLs were logged, redacted
    assert telegram_api.token not in caplog.text
    assert telegram_api.token.split(":")[1] not in caplog.text


async def test_webhook_mode_serves_updates_posted_with_the_secret(plain_bot, telegram_api, make_adapter):
    import aiohttp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    await make_adapter(plain_bot, webhook_url="https://parley.example/telegram-hook",
                       webhook_listen=f"127.0.0.1:{port}", webhook_secret="s3cret-hook")
    [registered] = telegram_api.calls_to("setWebhook")
    assert registered.params["url"] == "https://parley.example/telegram-hook"
    assert registered.params["secret_token"] == "s3cret-hook"
    hook = f"http://127.0.0.1:{port}/telegram-hook"
    async with aiohttp.ClientSession() as client:
        forged = await client.post(hook, json={"update_id": 1, **message_update("/help")},
                                   headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
        assert forged.status == 403
        genuine = await client.post(hook, json={"update_id": 2, **message_update("/help")},
                                    headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-hook"})
        assert genuine.status == 200
    await answer_for(telegram_api, USER_CHAT)
    assert len(answers(telegram_api, USER_CHAT)) == 1
