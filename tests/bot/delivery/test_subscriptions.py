"""/subscribe, /unsubscribe and /settings through the real Bot, and deactivating and migrating chats."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.chat.commands import COMMANDS
from bot.chat.dispatch import Bot
from bot.messages import ChatRef, Request, Sender
from bot.delivery.subscriptions import deactivate, migrate
from storage.models import Chat, Subscription
from tests.bot.support.rows import add_document, add_subscription, deliveries, queue, subscription_of

PRIVATE = ChatRef("telegram", "4242")
GROUP = ChatRef("telegram", "-1001234")
MEMBER = Sender("7", "Member")
GROUP_ADMIN = Sender("8", "Admin", can_manage_chat=True)


@pytest.fixture
def bot(services):
    return Bot(services.settings, services, COMMANDS)


def ask(bot, command: str, text: str = "", *, chat: ChatRef = PRIVATE, sender: Sender = MEMBER, language: str | None = None):
    request = Request(chat, sender, command, text, tuple(text.split()), language, is_private=not chat.chat_id.startswith("-"))
    return bot.handle(request)


def chat_prefs(services, chat: ChatRef) -> Chat | None:
    with Session(services.engine) as session:
        return session.get(Chat, str(chat))


async def test_subscribe_with_chinese_filters_stores_keys_and_confirms_in_chinese(bot, services):
    reply = await ask(bot, "subscribe", "俄罗斯 和 北约 中文", language="zh-CN")

    row = subscription_of(services.engine, str(PRIVATE))
    assert (row.mode, row.parties, row.languages, row.active) == ("instant", ["russia", "nato"], ["zh-Hans", "zh-Hant"], True)
    assert reply.kind == "info" and reply.language == "zh-Hans"
    assert "俄罗斯" in reply.lead and "北约" in reply.lead and "已订阅" in reply.lead
    assert chat_prefs(services, PRIVATE).language == "zh-Hans"  # pushes will be written in Chinese


async def test_resubscribing_replaces_the_one_subscription(bot, services):
    await ask(bot, "subscribe", "Ukraine ceasefire")
    reply = await ask(bot, "subscribe", "daily 7:30")

    row = subscription_of(services.engine, str(PRIVATE))
    assert (row.mode, row.daily_time, row.parties, row.issues) == ("daily", "07:30", [], [])
    assert "07:30" in reply.lead and "UTC" in reply.lead and "all documents" in reply.lead
    with Session(services.engine) as session:
        assert len(session.exec(select(Subscription)).all()) == 1


async def test_a_party_and_an_issue_are_told_apart(bot, services):
    await ask(bot, "subscribe", "instant Ukraine, ceasefire en")
    row = subscription_of(services.engine, str(PRIVATE))
    assert (row.parties, row.issues, row.languages) == (["ukraine"], ["ceasefire"], ["en"])


async def test_unknown_filter_is_refused_and_named(bot, services):
    reply = await ask(bot, "subscribe", "Russia Narnia")
    assert reply.kind == "error" and "Narnia" in reply.lead
    assert subscription_of(services.engine, str(PRIVATE)) is None


async def test_group_subscription_needs_a_chat_admin(bot, services):
    refused = await ask(bot, "subscribe", "", chat=GROUP, sender=MEMBER)
    assert refused.kind == "error" and subscription_of(services.engine, str(GROUP)) is None

    accepted = await ask(bot, "subscribe", "", chat=GROUP, sender=GROUP_ADMIN)
    assert accepted.kind == "info" and subscription_of(services.engine, str(GROUP)).active


async def test_unsubscribe_stops_and_cancels_what_was_queued(bot, services):
    await ask(bot, "subscribe")
    row = subscription_of(services.engine, str(PRIVATE))
    add_document(services.engine, "doc1")
    queue(services.engine, row, "doc1")

    reply = await ask(bot, "unsubscribe")
    assert "Unsubscribed" in reply.lead
    assert not subscription_of(services.engine, str(PRIVATE)).active
    assert [d.status for d in deliveries(services.engine)] == ["cancelled"]

    again = await ask(bot, "unsubscribe")
    assert "no subscription" in again.lead


async def test_settings_show_then_change_language_and_timezone(bot, services):
    shown = await ask(bot, "settings")
    assert "automatic" in shown.lead and "UTC" in shown.lead and "no subscription" in shown.lead

    changed = await ask(bot, "settings", "language zh-TW timezone Asia/Taipei")
    prefs = chat_prefs(services, PRIVATE)
    assert (prefs.language, prefs.timezone) == ("zh-Hant", "Asia/Taipei")
    assert changed.language == "zh-Hant" and "Asia/Taipei" in changed.lead and "已儲存" in changed.lead

    await ask(bot, "subscribe", "daily 08:15")
    daily = await ask(bot, "settings")
    assert "08:15" in daily.lead and "Asia/Taipei" in daily.lead

    reset = await ask(bot, "settings", "language auto")
    assert chat_prefs(services, PRIVATE).language is None and reset.kind == "info"


@pytest.mark.parametrize("text, word", [("timezone Mars/Olympus", "Mars/Olympus"), ("language klingon", "klingon"),
                                        ("timezone ../../etc/passwd", "../../etc/passwd"), ("colour blue", "/settings")])
async def test_settings_refuse_bad_values(bot, services, text, word):
    reply = await ask(bot, "settings", text)
    assert reply.kind == "error" and word in reply.lead
    assert chat_prefs(services, PRIVATE) is None


async def test_in_groups_only_admins_change_settings_but_anyone_sees_them(bot, services):
    refused = await ask(bot, "settings", "timezone Europe/Kyiv", chat=GROUP, sender=MEMBER)
    assert refused.kind == "error" and chat_prefs(services, GROUP) is None
    assert (await ask(bot, "settings", chat=GROUP, sender=MEMBER)).kind == "info"

    await ask(bot, "settings", "timezone Europe/Kyiv", chat=GROUP, sender=GROUP_ADMIN)
    assert chat_prefs(services, GROUP).timezone == "Europe/Kyiv"


def test_deactivate_cancels_pending_but_keeps_sent(services):
    row = add_subscription(services.engine, "telegram:1")
    add_document(services.engine, "doc1")
    add_document(services.engine, "doc2")
    queue(services.engine, row, "doc1", status="sent")
    queue(services.engine, row, "doc2")

    deactivate(services.engine, "telegram:1", "Forbidden: bot was blocked by the user")

    after = subscription_of(services.engine, "telegram:1")
    assert not after.active and "blocked" in after.deactivated_reason
    assert [d.status for d in deliveries(services.engine)] == ["sent", "cancelled"]


def test_migrate_moves_subscription_preferences_and_queue(services):
    row = add_subscription(services.engine, "telegram:-555", parties=["russia"], language="zh-Hans", timezone="Asia/Shanghai")
    add_document(services.engine, "doc1")
    queue(services.engine, row, "doc1")

    migrate(services.engine, "telegram:-555", "telegram:-100555")

    moved = subscription_of(services.engine, "telegram:-100555")
    assert moved.id == row.id and moved.parties == ["russia"] and moved.active
    assert subscription_of(services.engine, "telegram:-555") is None
    assert [d.chat for d in deliveries(services.engine)] == ["telegram:-100555"]
    prefs = chat_prefs(services, ChatRef.parse("telegram:-100555"))
    assert (prefs.language, prefs.timezone) == ("zh-Hans", "Asia/Shanghai")


def test_migrate_onto_an_already_subscribed_chat_keeps_that_one(services):
    old = add_subscription(services.engine, "telegram:-555")
    new = add_subscription(services.engine, "telegram:-100555", parties=["ukraine"])

    migrate(services.engine, "telegram:-555", "telegram:-100555")

    assert subscription_of(services.engine, "telegram:-100555").id == new.id
    assert not subscription_of(services.engine, "telegram:-555").active
    assert old.id != new.id
