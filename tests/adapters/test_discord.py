"""The Discord adapter: pure request/render functions, and the real discord.py client driven against a loopback fake."""
from __future__ import annotations

import asyncio
import dataclasses
import re
from contextlib import asynccontextmanager
from datetime import date

import discord
import pytest
from pydantic import SecretStr
from sqlmodel import Session, select

from adapters.discord_bot import (
    DiscordAdapter, Option, build_client, command_options, render, render_evidence, request_text,
    suggest_entities, suggest_timezones, sync_commands, to_request,
)
from bot.text import i18n
from bot.chat.commands import COMMANDS
from bot.config import REPO_ROOT
from bot.chat.dispatch import Bot, CommandSpec
from bot.delivery.outbox import Outbox, deliver_due
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.ingestion.pipeline import Ingestor
from bot.messages import Bullet, ChatRef, Citation, Reply, Request, Sender, cite
from storage.models import Subscription
from tests.fakes.discord_api import (
    ADMINISTRATOR, EPHEMERAL, MANAGE_CHANNELS, TOKEN, Call, FakeDiscord, embed_length, load, message_problems,
)

SPECS = {spec.name: spec for spec in COMMANDS}
CHANNEL = load("interaction")["channel_id"]
WEBHOOK = r"^/webhooks/\d+/[^/]+$"
CALLBACK = r"/callback$"


# -- fixtures -------------------------------------------------------------------------------

@pytest.fixture
async def fake():
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    async with FakeDiscord() as server:
        yield server
    # The adapter aims discord.py's class-level endpoints at the fake; leave them as found.
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


def discord_settings(settings, fake: FakeDiscord, **extra):
    return settings.model_copy(update=dict(discord_token=SecretStr(TOKEN), discord_api_url=fake.api_url,
                                           discord_gateway_url=fake.gateway_url, **extra))


@asynccontextmanager
async def running(bot: Bot, settings, fake: FakeDiscord):
    adapter = DiscordAdapter(bot, discord_settings(settings, fake))
    await adapter.start()
    await fake.wait_identified()
    try:
        yield adapter
    finally:
        await adapter.stop()


def citation(n: int, quote: str = "Both sides agreed to ensure safe navigation in the Black Sea.", **extra) -> Citation:
    values = dict(document_id=f"doc{n}", origin=f"seeds/{n}.txt", url=f"https://news.example/{n}", title=f"Black Sea talks {n}",
                  outlet="Reuters", published=date(2025, 3, 25), quote=quote, language="en")
    values.update(extra)
    return Citation(n=n, **values)


def long_reply() -> Reply:
    """An answer far beyond one Discord message: long lead, long bullets, 40 sources with long quotes."""
    lead = "\n".join(f"Paragraph {i}: " + "the delegations discussed the grain corridor *again* " * 12 for i in range(15))
    bullets = tuple(Bullet("A quoted claim about shipping, ceasefire monitoring and ports. " * 6, (i, i + 1)) for i in range(1, 40))
    citations = tuple(citation(n, quote="Verbatim words from the statement. " * 80, title="T" * 400, outlet="O" * 300)
                      for n in range(1, 41))
    return Reply(lead=lead, bullets=bullets, citations=citations, as_of=date(2025, 3, 26), labels=i18n.labels("en"))


async def echo_long(bot: Bot, request, language) -> Reply:
    return long_reply()


# -- commands and requests ------------------------------------------------------------------

def test_options_follow_each_commands_usage_line():
    assert command_options(SPECS["ask"]) == (Option("question", True, False),)
    assert command_options(SPECS["positions"]) == (Option("party", False, False),)
    assert command_options(SPECS["compare"]) == (Option("party", True, False), Option("other_party", True, False),
                                                 Option("issue", False, False))
    assert command_options(SPECS["settings"]) == (Option("language", False, True), Option("timezone", False, True))
    assert [o.required for o in command_options(SPECS["subscribe"])] == [False, False]


def test_option_values_become_the_text_a_chat_user_would_type():
    settings_options = command_options(SPECS["settings"])
    assert request_text(settings_options, {"timezone": "Asia/Taipei", "language": "zh-Hant"}) == "language zh-Hant timezone Asia/Taipei"
    subscribe = command_options(SPECS["subscribe"])
    assert request_text(subscribe, {"mode": "daily 08:00", "filters": "Russia NATO"}) == "daily 08:00 Russia NATO"
    assert request_text(subscribe, {"mode": None, "filters": " "}) == ""


async def echo(bot: Bot, request, language) -> Reply:
    return Reply(lead=f"/{request.command} {request.text}", language=language)


async def test_to_request_maps_guild_and_direct_interactions(services, settings, fake):
    # The real command layout, with handlers that only echo: this test is about the Request.
    bot = Bot(settings, services, [dataclasses.replace(spec, handler=echo) for spec in COMMANDS])
    admin = "1600000000000000042"
    async with running(bot, settings.model_copy(update={"admin_ids": f"telegram:1,discord:{admin}"}), fake) as adapter:

        async def request_for(payload):
            seen = asyncio.ensure_future(adapter.client.wait_for("interaction"))
            await fake.send_interaction(payload)
            return to_request(await asyncio.wait_for(seen, 10), adapter.admins)

        chosen = await request_for(fake.slash("settings", permissions=MANAGE_CHANNELS, locale="zh-TW", user_id=admin,
                                              timezone="Asia/Taipei", language="zh-Hant"))
        member = await request_for(fake.slash("subscribe", permissions=0, mode="instant"))
        owner = await request_for(fake.slash("subscribe", permissions=ADMINISTRATOR))
        direct = await request_for(fake.slash("ask", guild=False, question="What about ports?"))

    assert chosen.chat == ChatRef("discord", CHANNEL)
    assert (chosen.command, chosen.text, chosen.args) == ("settings", "language zh-Hant timezone Asia/Taipei",
                                                          ("language", "zh-Hant", "timezone", "Asia/Taipei"))
    assert chosen.language == "zh-TW" and chosen.is_private is False
    assert chosen.sender.user_id == admin and chosen.sender.name == "Mei"
    assert chosen.sender.is_bot_admin and chosen.sender.can_manage_chat
    assert member.text == "instant" and not member.sender.can_manage_chat and not member.sender.is_bot_admin
    assert owner.sender.can_manage_chat and owner.text == ""
    assert direct.is_private and direct.chat == ChatRef("discord", load("dm_channel")["id"])
    assert direct.text == "What about ports?" and direct.language == "en-US"


def test_every_option_has_a_description_in_each_language():
    for spec in COMMANDS:
        for name in spec.options:
            texts = {language: i18n.t(f"discord.option.{name}", language) for language in i18n.LANGUAGES}
            assert all(0 < len(text) <= 100 for text in texts.values()), name
            assert texts["zh-Hans"] != texts["en"] and texts["zh-Hant"] != texts["en"], name


def test_start_is_left_to_telegram_and_every_other_command_is_a_slash_command(services, settings):
    names = [command.name for command in DiscordAdapter(Bot(settings, services, COMMANDS), settings).commands()]
    assert names == [spec.name for spec in COMMANDS if spec.name != "start"]


def test_shards_use_the_auto_sharded_client(settings):
    assert type(build_client(settings)) is discord.Client
    sharded = build_client(settings.model_copy(update={"discord_shard_count": 4}))
    assert isinstance(sharded, discord.AutoShardedClient) and sharded.shard_count == 4


# -- rendering ------------------------------------------------------------------------------

def test_an_answer_is_an_embed_with_its_sources_as_fields():
    reply = Reply(lead="They agreed on safe navigation.", bullets=(Bullet("Safe navigation in the Black Sea", (1,)),),
                  citations=(citation(1), citation(2, url=None)), as_of=date(2025, 3, 26), labels=i18n.labels("en"))
    [message] = render(reply)
    [embed] = message.embeds
    assert message.content is None
    assert embed.description == "They agreed on safe navigation.\n• Safe navigation in the Black Sea [1]"
    assert [f.name for f in embed.fields] == ["[1] Reuters", "[2] Reuters"]
    assert "[Black Sea talks 1](https://news.example/1)" in embed.fields[0].value
    assert "2025-03-25" in embed.fields[0].value and "> Both sides agreed" in embed.fields[0].value
    assert "2.txt" not in embed.fields[1].value and "seeds/" not in embed.fields[1].value and "](" not in embed.fields[1].value
    assert "Black Sea talks 2" in embed.fields[1].value  # the title, unlinked
    assert embed.footer.text == "As of 2025-03-26"


@pytest.mark.hostile
def test_brackets_inside_document_text_never_become_links_or_markers():
    quote = "As reported [1](https://evil.example/a) and [2](https://evil.example/b), endorsed by Reuters [1][2]."
    reply = Reply(lead=f"They agreed {cite(1)}.", bullets=(Bullet(quote, (1,)),), citations=(citation(1),),
                  labels=i18n.labels("en"))
    [embed] = render(reply)[0].embeds
    assert "\ufdd0" not in embed.description and embed.description.startswith("They agreed [1].\n")
    assert not re.search(r"(?<!\\)\[[^\]]*\]\(", embed.description)  # no masked link can open anywhere
    assert embed.description.replace("\\", "").endswith(quote + " [1]")  # the quote reads as written


def test_no_server_path_and_one_field_per_document():
    same = dict(document_id="d9", url=None, origin="/srv/parley/seeds/002_58a5.txt", outlet=None, title="Peace plan")
    reply = Reply(lead=f"Russia demands {cite(1, 2, 3)}.", bullets=(Bullet("x", (1, 2, 3)),),
                  citations=(citation(1, quote="one", **same), citation(2, quote="two", **same), citation(3, quote="three", **same)),
                  labels=i18n.labels("en"))
    messages = render(reply) + render_evidence(reply)
    dumped = str([e.to_dict() for m in messages for e in m.embeds])
    assert "/srv/" not in dumped and "002_58a5" not in dumped
    [embed] = messages[0].embeds
    assert embed.description == "Russia demands [1].\n• x [1]"
    assert [f.name for f in embed.fields] == ["[1] “Peace plan” (outlet unknown)"]
    assert all(q in messages[1].embeds[0].description for q in ("one", "two", "three"))


def test_a_summary_whose_bullets_are_the_quotes_does_not_repeat_them_in_its_fields():
    quote = citation(1).quote
    reply = Reply(lead="New report: Black Sea talks", bullets=(Bullet(quote, (1,)), Bullet("Other words.", (2,))),
                  citations=(citation(1), citation(2)), kind="summary", labels=i18n.labels("en"))
    [embed] = render(reply)[0].embeds
    assert embed.description.count(quote) == 1
    assert "> " not in embed.fields[0].value and f"> {quote}" in embed.fields[1].value


def test_a_long_answer_is_split_within_discords_limits():
    reply = long_reply()
    messages = render(reply)
    assert len(messages) > 1
    for message in messages:
        assert message_problems({"content": message.content, "embeds": [e.to_dict() for e in message.embeds]}) == []
    embeds = [e for m in messages for e in m.embeds]
    fields = [f for e in embeds for f in e.fields]
    assert [f.name.split("]")[0] for f in fields] == [f"[{n}" for n in range(1, 41)]
    text = "".join(e.description or "" for e in embeds)
    written = "\n".join([reply.lead] + [f"• {b.text} " + "".join(f"[{n}]" for n in b.cites) for b in reply.bullets])
    # Nothing of the answer is lost by splitting; only markdown escapes are added.
    assert "".join(text.replace("\\", "").split()) == "".join(written.split())
    assert "\\*again\\*" in text


def test_evidence_shows_each_full_quote_within_limits():
    reply = long_reply()
    pages = render_evidence(reply)
    embeds = [e for page in pages for e in page.embeds]
    assert len(embeds) == 40
    for page in pages:
        assert message_problems({"embeds": [e.to_dict() for e in page.embeds]}) == []
    short = render_evidence(Reply(lead="x", citations=(citation(1, quote="Ports *must* reopen."),)))
    [embed] = short[0].embeds
    assert embed.description.startswith("> Ports \\*must\\* reopen.") and embed.url == "https://news.example/1"


def test_errors_are_plain_text_within_2000_characters():
    messages = render(Reply(lead="Sorry. " * 500, kind="error", ephemeral=True))
    assert all(m.embeds == [] and 0 < len(m.content) <= 2000 for m in messages)
    assert " ".join(m.content for m in messages).split() == ("Sorry. " * 500).split()


# -- autocomplete ---------------------------------------------------------------------------

def test_party_suggestions_match_aliases_in_any_script(services):
    profile = services.profile
    bot = Bot(services.settings, services, COMMANDS)
    for typed in ("puti", "普京", "俄羅", "Russ"):
        labels = [label for label, _ in suggest_entities(bot, "party", typed, "en")]
        assert labels and labels[0].startswith("Russia"), typed
    everything = suggest_entities(bot, "party", "", "zh-Hans")
    assert len(everything) == min(25, len(profile.parties)) and everything[0][0] == profile.display("russia", "zh-Hans")
    for label, value in everything:
        key = profile.find(value)[0].key
        assert profile.party_of(key) and len(label) <= 100 and len(value) <= 100
    assert suggest_entities(bot, "party", "zzzz-no-such-party", "en") == []
    assert suggest_timezones("taipei") == [("Asia/Taipei", "Asia/Taipei")]


# -- the real client against the fake -------------------------------------------------------

async def test_answers_too_long_for_one_message_arrive_whole_and_within_limits(services, settings, fake):
    bot = Bot(settings, services, [CommandSpec("ask", "QUESTION", {"en": "Ask"}, echo_long, options=("question",))])
    expected = len(render(long_reply()))
    async with running(bot, settings, fake):
        await fake.send_interaction(fake.slash("ask", question="Tell me everything"))
        await fake.wait_for("POST", WEBHOOK, count=expected)
        followups = fake.find("POST", WEBHOOK)
        # The Sources button under the last message shows every full quote, to the presser only.
        last = fake.messages[followups[-1].response["id"]]
        button = last["components"][0]["components"][0]
        await fake.send_interaction(fake.press(last, button["custom_id"]))
        shown = await fake.wait_for("POST", CALLBACK, count=2)
        pages = len(render_evidence(long_reply()))
        await fake.wait_for("POST", WEBHOOK, count=expected + pages - 1)
    assert [c.status for c in followups] == [200] * expected
    assert all(sum(embed_length(e) for e in c.embeds) <= 6000 and len(c.embeds) <= 10 for c in followups)
    assert expected > 1 and not any(c.json.get("components") for c in followups[:-1])
    assert button["label"] == i18n.t("label.more", "en")
    evidence = [shown] + fake.find("POST", WEBHOOK)[expected:]
    assert shown.status == 200 and shown.json["type"] == 4
    assert all(c.status == 200 and c.flags & EPHEMERAL for c in evidence)
    quotes = [e["description"] for c in evidence for e in c.embeds]
    assert len(quotes) == 40 and all(q.startswith("> Verbatim words") and q.count("Verbatim") == 80 for q in quotes)


async def test_autocomplete_returns_profile_entries(services, settings, fake):
    async with running(Bot(settings, services, COMMANDS), settings, fake):
        await fake.send_interaction(fake.slash("timeline", focused="party", party="普京", issue=""))
        call = await fake.wait_for("POST", CALLBACK)
    assert call.status == 200 and call.json["type"] == 8
    choices = call.json["data"]["choices"]
    assert choices[0]["name"].startswith("Russia") and services.profile.find(choices[0]["value"])[0].key == "russia"
    assert len(choices) <= 25


async def test_a_command_discord_knows_but_parley_does_not_gets_a_private_apology(services, settings, fake):
    async with running(Bot(settings, services, COMMANDS), settings, fake):
        await fake.send_interaction(fake.slash("retired", locale="zh-CN"))
        call = await fake.wait_for("POST", CALLBACK)
    assert call.status == 200 and call.json["type"] == 4
    assert call.json["data"]["flags"] & EPHEMERAL
    assert call.json["data"]["content"] == i18n.t("error.internal", "zh-Hans")


async def test_commands_are_synced_only_when_asked(services, settings, fake):
    bot = Bot(settings, services, COMMANDS)
    async with running(bot, settings, fake):
        pass
    assert fake.find("PUT", "commands") == []
    count = await sync_commands(discord_settings(settings, fake), bot, guild_id=1400000000000000001)
    [call] = fake.find("PUT", r"/applications/\d+/guilds/1400000000000000001/commands$")
    by_name = {c["name"]: c for c in call.json}
    assert count == len(by_name) == len(COMMANDS) - 1
    assert by_name["ask"]["description_localizations"] == {"zh-CN": "询问谈判情况", "zh-TW": "詢問談判情況"}
    assert by_name["ask"]["options"][0]["description_localizations"]["zh-TW"] == i18n.t("discord.option.question", "zh-Hant")
    assert int(by_name["subscribe"]["default_member_permissions"]) == MANAGE_CHANNELS
    assert [o["autocomplete"] for o in by_name["compare"]["options"]] == [True, True, True]


@pytest.mark.parametrize("status, body, headers, error, retry_after", [
    (404, {"code": 10003, "message": "Unknown Channel"}, {}, PermanentDeliveryError, None),
    (403, {"code": 50001, "message": "Missing Access"}, {}, PermanentDeliveryError, None),
    (429, {"code": 0, "message": "You are being rate limited.", "retry_after": 120.0, "global": False},
     {"Via": "1.1 google", "Retry-After": "120"}, TransientDeliveryError, 120.0),
    (503, {"code": 0, "message": "upstream overloaded"}, {"Retry-After": "7"}, TransientDeliveryError, 7.0),
])
async def test_push_failures_become_delivery_errors(services, settings, fake, status, body, headers, error, retry_after):
    fake.fail_channel(CHANNEL, status, headers=headers, **body)
    reply = Reply(lead="New: ports reopen.", citations=(citation(1),), kind="summary", labels=i18n.labels("en"))
    async with running(Bot(settings, services, COMMANDS), settings, fake) as adapter:
        with pytest.raises(error) as raised:
            await asyncio.wait_for(adapter.send(ChatRef("discord", CHANNEL), reply), 20)
        await adapter.send(ChatRef("discord", "1500000000000000099"), reply)
    if retry_after is not None:
        assert raised.value.retry_after == retry_after
    [delivered] = fake.find("POST", r"/channels/1500000000000000099/messages$")
    assert delivered.status == 200 and delivered.embeds[0]["fields"][0]["name"] == "[1] Reuters"


# -- subscriptions and pushes, through the core ---------------------------------------------

STORY = REPO_ROOT / "tests" / "data" / "stories" / "b2_mykolaiv_strike.txt"


def channel_subscription(services) -> Subscription | None:
    with Session(services.engine) as session:
        return session.exec(select(Subscription).where(Subscription.chat == f"discord:{CHANNEL}")).first()


async def subscribe(fake: FakeDiscord, permissions: int) -> Call:
    await fake.send_interaction(fake.slash("subscribe", permissions=permissions, mode="instant"))
    return await fake.wait_for("POST", WEBHOOK)


async def arrive_and_deliver(bot: Bot, adapter: DiscordAdapter) -> int:
    """A new document is ingested, then one delivery pass runs, as the scheduler would do."""
    [result] = await asyncio.to_thread(lambda: list(Ingestor(bot.services).ingest_paths([str(STORY)])))
    assert result.status == "new"
    outbox = Outbox({"discord": adapter})
    return await deliver_due(bot.services, outbox, worker_id="test-discord")


async def test_subscribe_by_a_member_without_manage_channels_is_refused(bot, fake):
    async with running(bot, bot.settings, fake):
        followup = await subscribe(fake, permissions=0)
    [callback] = fake.find("POST", CALLBACK)
    assert callback.json["type"] == 5 and callback.query == {"with_response": "1"}  # deferred first
    assert fake.find("DELETE", r"/messages/@original$")  # the public "thinking…" gives way
    assert followup.status == 200 and followup.flags & EPHEMERAL
    assert followup.json["content"] == i18n.t("error.manage_only", "en")
    assert channel_subscription(bot.services) is None


async def test_subscribe_by_an_admin_then_a_new_document_posts_its_summary_in_the_channel(bot, fake):
    async with running(bot, bot.settings, fake) as adapter:
        confirmation = await subscribe(fake, permissions=MANAGE_CHANNELS)
        assert confirmation.status == 200 and not confirmation.flags & EPHEMERAL and confirmation.embeds
        assert channel_subscription(bot.services).active
        sent = await arrive_and_deliver(bot, adapter)
    assert sent == 1
    [push] = fake.find("POST", rf"^/channels/{CHANNEL}/messages$")
    assert push.status == 200
    [embed] = push.embeds
    assert "Mykolaiv" in embed["description"]
    assert embed["fields"] and all(f["name"].startswith("[") for f in embed["fields"])
    # The summary's bullets are quotes; the fields cite them (link, date) without repeating them.
    assert all("https://" in f["value"] and "\n> " not in f["value"] for f in embed["fields"])


async def test_a_channel_discord_no_longer_has_deactivates_its_subscription(bot, fake):
    async with running(bot, bot.settings, fake) as adapter:
        await subscribe(fake, permissions=MANAGE_CHANNELS)
        fake.fail_channel(CHANNEL, 404, code=10003, message="Unknown Channel")
        assert await arrive_and_deliver(bot, adapter) == 0
    subscription = channel_subscription(bot.services)
    assert not subscription.active and "Unknown Channel" in subscription.deactivated_reason


# -- questions, through the core ------------------------------------------------------------

async def test_ask_is_deferred_then_answered_with_a_cited_embed(bot, fake):
    question = "What is Putin asking Trump to recognize?"
    async with running(bot, bot.settings, fake):
        await fake.send_interaction(fake.slash("ask", question=question, locale="en-GB"))
        answer = await fake.wait_for("POST", WEBHOOK)
    [callback] = fake.find("POST", CALLBACK)
    assert callback.json["type"] == 5 and callback.query == {"with_response": "1"}
    assert answer.status == 200 and not answer.flags & EPHEMERAL
    assert fake.find("DELETE", "@original") == []
    [embed, *_] = answer.embeds
    # The regions may stand in the cited Chinese report's own words (as the eval kit's aliases allow).
    assert any(name in embed["description"] for name in ("Donetsk", "Luhansk", "顿涅茨克", "卢甘斯克"))
    cited = [f for f in embed["fields"] if f["name"].startswith("[1] ")]
    assert cited and "Putin" in cited[0]["value"]
    assert answer.json["components"][0]["components"][0]["label"] == i18n.t("label.more", "en")
    # What Discord shows is exactly the core's answer to the same request, rendered.
    reply = await bot.handle(Request(ChatRef("discord", CHANNEL), Sender("1"), "ask", question, language="en-GB",
                                     is_private=False))
    assert [e.to_dict()["description"] for e in render(reply)[0].embeds] == [e["description"] for e in answer.embeds]


@pytest.mark.parametrize("failing, deletes_thinking", [(1, True), (2, False)])
async def test_a_failed_followup_ends_in_a_private_apology_and_keeps_what_went_out(services, settings, fake,
                                                                                   failing, deletes_thinking):
    bot = Bot(settings, services, [CommandSpec("ask", "QUESTION", {"en": "Ask"}, echo_long, options=("question",))])
    fake.fail_next("POST", WEBHOOK, 400, code=50035, message="Invalid Form Body", after=failing - 1)
    async with running(bot, settings, fake):
        await fake.send_interaction(fake.slash("ask", question="Tell me everything", locale="zh-TW"))
        apology = await fake.wait_for("POST", WEBHOOK, count=failing + 1)
    followups = fake.find("POST", WEBHOOK)
    assert [c.status for c in followups] == [200] * (failing - 1) + [400, 200]
    assert apology.flags & EPHEMERAL and apology.json["content"] == i18n.t("error.internal", "zh-Hant")
    # Only a still-pending "thinking…" message is removed; an answer already shown stays.
    assert bool(fake.find("DELETE", "@original")) is deletes_thinking
