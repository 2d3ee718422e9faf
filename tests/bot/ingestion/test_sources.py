"""Sources against a real news site on 127.0.0.1: feeds end to end to a fake Telegram, 304s, teasers, pages, folders, failures, SSRF and XML bombs."""
from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.chat.commands import COMMANDS
from bot.chat.dispatch import Bot
from bot.delivery.outbox import Outbox, deliver_due
from bot.errors import BadArguments, BadDocument, BlockedAddress, NotAllowed
from bot.text import i18n
from bot.messages import ChatRef, Request, Sender
from bot.ingestion.sources import (add_source, list_sources, parse_feed, parse_interval, pause_source, poll_due, poll_source,
                         remove_source)
from storage.db import session_scope
from storage.models import Document, Source, utcnow
from tests.bot.support.site import ARTICLES, BILLION_LAUGHS, EXTERNAL_ENTITY, Entry, NewsSite, article_html
from tests.conftest import build_services, make_settings


@pytest.fixture
def services(tmp_path):
    """Services on an empty database that may fetch from loopback (the test site) and read folders under tmp_path."""
    built = build_services(make_settings(f"sqlite:///{tmp_path / 'sources.db'}", allow_private_urls=True,
                                         telegram_rate_per_second=1000, source_folders=str(tmp_path)), seed=False)
    yield built
    built.engine.dispose()


def documents(services) -> list[Document]:
    with Session(services.engine) as session:
        return list(session.exec(select(Document).order_by(Document.ingested_at)).all())


def source_row(services, source_id: int) -> Source:
    with Session(services.engine) as session:
        return session.get(Source, source_id)


def make_due(services, source_id: int) -> None:
    """Let time pass: the source's next poll is now."""
    with session_scope(services.engine) as session:
        row = session.get(Source, source_id)
        row.next_poll_at = utcnow()
        session.add(row)


async def add(services, location: str, **kw) -> Source:
    return await asyncio.to_thread(add_source, services.engine, location, interval=kw.get("interval"),
                                   settings=kw.get("settings", services.settings))


async def poll(services, source_id: int) -> list:
    return await asyncio.to_thread(poll_source, services, source_id)


# -- the whole way: a feed gains an entry and a Telegram chat gets its summary --------------------------

async def test_a_new_feed_entry_reaches_a_subscribed_telegram_chat_within_one_poll(services):
    from adapters.telegram_bot import TelegramAdapter, TelegramConfig
    from tests.fakes.telegram_api import FakeTelegramAPI, message_update

    async with NewsSite(entries=[Entry("prisoner-exchange")]) as site, FakeTelegramAPI() as api:
        source = await add(services, f"{site.base}/feed.xml")
        assert source.kind == "feed"
        backlog = await poll(services, source.id)  # what the feed held before anyone subscribed
        assert [r.status for r in backlog] == ["new"]

        bot = Bot(services.settings, services, COMMANDS)
        adapter = TelegramAdapter(bot, TelegramConfig(token=api.token, api_url=api.base_url, poll_timeout=1))
        await adapter.start()
        try:
            api.add_update(message_update("/subscribe", chat_id=4242))
            confirmed = await api.wait_for("sendMessage", where=lambda c: c.chat_id == "4242")
            assert "Subscribed" in confirmed[0].text

            site.entries.append(Entry("energy-truce"))
            fresh = await poll(services, source.id)
            assert [r.title for r in fresh] == [ARTICLES["energy-truce"]["title"]]

            outbox = Outbox({"telegram": adapter})
            assert await deliver_due(services, outbox, worker_id="test") == 1
        finally:
            await adapter.stop()

    pushed = [c.text for c in api.calls_to("sendMessage", ok=True) if c.chat_id == "4242"][1:]
    assert len(pushed) == 1
    assert "30-day halt to strikes on energy facilities" in pushed[0]
    assert f"{site.base}/articles/energy-truce" in pushed[0]  # the citation links the article
    assert "175 prisoners" not in pushed[0]  # the backlog stays out of a later subscriber's chat


# -- feeds --------------------------------------------------------------------------------------------

async def test_a_new_feeds_backlog_is_stored_but_not_pushed_and_later_entries_are(services):
    from bot.delivery.subscriptions import subscribe_command
    from storage.models import Delivery

    request = Request(ChatRef("telegram", "77"), Sender("1"), "subscribe", "", (), "en", is_private=True)
    await asyncio.to_thread(subscribe_command, services, request, "en")
    async with NewsSite(entries=[Entry("prisoner-exchange")]) as site:
        source = await add(services, f"{site.base}/feed.xml")
        assert [r.status for r in await poll(services, source.id)] == ["new"]
        with Session(services.engine) as session:
            assert session.exec(select(Delivery)).all() == []
        site.entries.append(Entry("energy-truce"))
        make_due(services, source.id)
        assert len(await poll(services, source.id)) == 1
    with Session(services.engine) as session:
        (delivery,) = session.exec(select(Delivery)).all()
        assert delivery.chat == "telegram:77"

async def test_an_unchanged_feed_answered_304_does_no_work(services):
    async with NewsSite(entries=[Entry("prisoner-exchange")]) as site:
        source = await add(services, f"{site.base}/feed.xml")
        await poll(services, source.id)
        stored, before = documents(services), source_row(services, source.id)
        hits_before = len(site.hits)

        assert await poll(services, source.id) == []

        new_hits = site.hits[hits_before:]
        assert [(h.path, h.status) for h in new_hits] == [("/feed.xml", 304)]  # no article was fetched
        assert new_hits[0].if_none_match == before.etag
        assert [d.id for d in documents(services)] == [d.id for d in stored]
        after = source_row(services, source.id)
        assert after.seen == before.seen and after.last_polled_at > before.last_polled_at


async def test_a_teaser_entry_is_read_from_its_linked_article(services):
    async with NewsSite(entries=[Entry("peacekeepers", teaser_only=True)]) as site:
        source = await add(services, f"{site.base}/feed.xml")
        results = await poll(services, source.id)

        assert [h.status for h in site.requests_to("/articles/peacekeepers")] == [200]
    document = documents(services)[0]
    assert [r.status for r in results] == ["new"]
    assert "Peskov said Russia would only discuss security guarantees" in document.text  # beyond the teaser
    assert document.url == f"{site.base}/articles/peacekeepers" and document.source_id == source.id


async def test_full_text_entries_are_not_fetched_again_and_each_is_ingested_once(services):
    async with NewsSite(entries=[Entry("prisoner-exchange"), Entry("energy-truce")]) as site:
        source = await add(services, f"{site.base}/feed.xml")
        first = await poll(services, source.id)
        site.entries.append(Entry("peacekeepers"))
        second = await poll(services, source.id)
        assert not any(h.path.startswith("/articles/") for h in site.hits)
    assert [r.title for r in first] == [ARTICLES["prisoner-exchange"]["title"], ARTICLES["energy-truce"]["title"]]  # oldest first
    assert [r.title for r in second] == [ARTICLES["peacekeepers"]["title"]]
    assert {d.outlet for d in documents(services)} == {"Example Wire"}
    assert {d.published.isoformat() for d in documents(services)} == {"2025-03-18", "2025-03-20", "2025-03-22"}


@pytest.mark.hostile
async def test_one_malformed_feed_date_costs_only_its_entry(services):
    entries = [Entry("prisoner-exchange"), Entry("energy-truce", pub_date="0000-00-00"), Entry("peacekeepers")]
    async with NewsSite(entries=entries) as site:
        source = await add(services, f"{site.base}/feed.xml")
        results = await poll(services, source.id)
    assert sorted(r.title for r in results) == sorted(ARTICLES[slug]["title"] for slug in ARTICLES)
    row = source_row(services, source.id)
    assert (row.error_count, row.last_error) == (0, None) and len(row.seen) == 3
    undated = next(d for d in documents(services) if d.title == ARTICLES["energy-truce"]["title"])
    assert undated.published is None or undated.published.year == 2025  # never year 0 or 1


def short_item(guid: str, text: str, link: str | None = None, permalink: str = "") -> str:
    """An RSS item of a few lines, with a guid and optionally a link."""
    return (f"<item><title>{text[:40]}</title><guid{permalink}>{guid}</guid>" + (f"<link>{link}</link>" if link else "")
            + f"<pubDate>Wed, 19 Mar 2025 10:00:00 GMT</pubDate><description>{text}</description></item>")


@pytest.mark.hostile
async def test_entries_whose_guid_is_not_a_url_are_read_from_their_own_text_once(services):
    texts = [f"Negotiators met for round {n} of talks on a ceasefire in Istanbul on Wednesday." for n in range(1, 4)]
    async with NewsSite() as site:
        site.raw_items = [short_item(str(12345 + n), text) for n, text in enumerate(texts)]
        site.raw_items.append(short_item("abc-1", texts[0].replace("round 1", "round 9"), permalink=" isPermaLink='false'"))
        source = await add(services, f"{site.base}/feed.xml")
        first = await poll(services, source.id)
        assert [r.status for r in first] == ["new"] * 4
        assert not any(h.path != "/feed.xml" for h in site.hits)  # "12345" was never taken for a URL to fetch
        site.raw_items.append(short_item("99", "A new round of talks on prisoner exchanges opened in Geneva on Thursday."))
        make_due(services, source.id)
        second = await poll(services, source.id)
    assert [r.status for r in second] == ["new"]  # only the new entry: nothing is retried
    row = source_row(services, source.id)
    assert (row.error_count, row.last_error) == (0, None)
    assert {d.origin for d in documents(services)} >= {f"{site.base}/feed.xml#12345", f"{site.base}/feed.xml#99"}
    assert all(d.url is None for d in documents(services))


@pytest.mark.hostile
async def test_a_teaser_whose_article_is_gone_is_read_from_its_own_text_and_one_whose_server_fails_is_retried(services):
    async with NewsSite(entries=[Entry("peacekeepers", teaser_only=True), Entry("energy-truce", teaser_only=True)]) as site:
        site.status["/articles/peacekeepers"] = 404  # gone for good: the teaser is all there is
        site.status["/articles/energy-truce"] = 503  # the server is down: the article may come back
        source = await add(services, f"{site.base}/feed.xml")
        first = await poll(services, source.id)
        assert [r.title for r in first] == [ARTICLES["peacekeepers"]["title"]]
        assert "HTTP 503" in source_row(services, source.id).last_error

        make_due(services, source.id)
        assert await poll(services, source.id) == []  # still down: tried again, not given up
        del site.status["/articles/energy-truce"]
        site.entries.append(Entry("prisoner-exchange"))  # a changed feed, so it is not answered 304
        make_due(services, source.id)
        third = await poll(services, source.id)
        assert len(site.requests_to("/articles/peacekeepers")) == 1  # the 404 is never asked again
        assert len(site.requests_to("/articles/energy-truce")) == 3
    assert sorted(r.title for r in third) == sorted([ARTICLES["energy-truce"]["title"], ARTICLES["prisoner-exchange"]["title"]])
    energy = next(d for d in documents(services) if d.title == ARTICLES["energy-truce"]["title"])
    assert "monitored by the United States" in energy.text  # the whole article, not the teaser
    assert source_row(services, source.id).last_error is None


# -- pages and folders ----------------------------------------------------------------------------------

async def test_a_page_is_rechecked_and_ingested_again_only_when_it_changed(services):
    async with NewsSite() as site:
        site.page = article = article_html("energy-truce")
        source = await add(services, f"{site.base}/page.html")
        assert source.kind == "page"
        assert len(await poll(services, source.id)) == 1

        assert await poll(services, source.id) == []  # If-Modified-Since -> 304
        assert site.requests_to("/page.html")[-1].status == 304

        site.page_validators = False  # a server without validators: the same bytes do no work either
        assert await poll(services, source.id) == []

        site.page = article.replace("30-day", "60-day")
        changed = await poll(services, source.id)
    assert len(changed) == 1 and len(documents(services)) == 2
    assert "60-day" in documents(services)[-1].text


def write_old(path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stamp = time.time() - 60
    os.utime(path, (stamp, stamp))


async def test_a_folder_yields_each_new_file_once_and_waits_for_files_still_being_written(services, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    write_old(folder / "one.txt", "Prisoner swap agreed\n\n" + " ".join(ARTICLES["prisoner-exchange"]["paragraphs"]))
    source = await add(services, str(folder))
    assert source.kind == "folder" and source.location == str(folder.resolve())

    assert len(await poll(services, source.id)) == 1
    assert await poll(services, source.id) == []

    (folder / "two.txt").write_text("Energy truce proposed\n\n" + " ".join(ARTICLES["energy-truce"]["paragraphs"]))
    assert await poll(services, source.id) == []  # just written: it may not be complete yet
    write_old(folder / "two.txt", (folder / "two.txt").read_text())
    assert [r.title for r in await poll(services, source.id)] == ["Energy truce proposed"]
    assert len(documents(services)) == 2


# -- failures and backoff -------------------------------------------------------------------------------

async def test_a_broken_source_backs_off_and_never_stops_the_others(services, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    write_old(folder / "one.txt", "Peacekeepers rejected\n\n" + " ".join(ARTICLES["peacekeepers"]["paragraphs"]))
    async with NewsSite(entries=[Entry("prisoner-exchange")]) as site:
        feed = await add(services, f"{site.base}/feed.xml", interval="1m")
        inbox = await add(services, str(folder))
        site.status["/feed.xml"] = 503

        started = utcnow()
        assert await asyncio.to_thread(poll_due, services) == 2
        broken = source_row(services, feed.id)
        assert broken.error_count == 1 and "HTTP 503" in broken.last_error
        assert timedelta(seconds=115) <= broken.next_poll_at - started <= timedelta(seconds=125)  # 2 x 1m
        assert [d.source_id for d in documents(services)] == [inbox.id]

        make_due(services, feed.id)
        await poll(services, feed.id)
        again = source_row(services, feed.id)
        assert again.error_count == 2 and again.next_poll_at - utcnow() > timedelta(seconds=230)  # 4 x 1m

        del site.status["/feed.xml"]
        make_due(services, feed.id)
        assert len(await poll(services, feed.id)) == 1
    healed = source_row(services, feed.id)
    assert (healed.error_count, healed.last_error) == (0, None)
    assert [s.last_error for s in list_sources(services.engine)] == [None, None]


@pytest.mark.hostile
async def test_a_dripping_source_does_not_hold_up_a_fast_one_polled_with_it(tmp_path):
    from tests.bot.support.hostile import DrippingServer

    built = build_services(make_settings(f"sqlite:///{tmp_path / 'drip.db'}", allow_private_urls=True,
                                         fetch_timeout=8.0, poll_workers=2), seed=False)
    try:
        with DrippingServer() as drip:
            async with NewsSite(entries=[Entry("prisoner-exchange")]) as site:
                with session_scope(built.engine) as session:  # the dripping one is due first
                    session.add(Source(kind="feed", location=drip.url, interval_seconds=900,
                                       next_poll_at=utcnow() - timedelta(minutes=5)))
                    session.add(Source(kind="feed", location=f"{site.base}/feed.xml", interval_seconds=900,
                                       next_poll_at=utcnow()))
                started = time.monotonic()
                polling = asyncio.create_task(asyncio.to_thread(poll_due, built))
                while not documents(built) and not polling.done():
                    await asyncio.sleep(0.05)
                fast_done = time.monotonic() - started
                assert not polling.done(), "the fast source was only ingested after the dripping one gave up"
                assert await polling == 2
                both_done = time.monotonic() - started
        print(f"fast source ingested after {fast_done:.1f}s; the dripping one abandoned after {both_done:.1f}s")
        assert [d.title for d in documents(built)] == [ARTICLES["prisoner-exchange"]["title"]]
        rows = list_sources(built.engine)
        assert "timed out after 8s" in rows[0].last_error and rows[1].last_error is None
        assert both_done < 8.0 + 2.0  # the whole request is bounded, headers included
        assert drip.connections == 1
    finally:
        built.engine.dispose()


# -- safety ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/bomb.xml", "/xxe.xml"])
async def test_xml_bombs_and_external_entities_are_refused(services, path):
    async with NewsSite() as site:
        with pytest.raises(BadDocument, match="refused"):
            await add(services, f"{site.base}{path}")
    assert list_sources(services.engine) == []


def test_hostile_xml_is_refused_before_feedparser_sees_it():
    with pytest.raises(BadDocument, match="refused"):
        parse_feed(BILLION_LAUGHS.encode(), "bomb")
    with pytest.raises(BadDocument, match="refused"):
        parse_feed(EXTERNAL_ENTITY.encode(), "xxe")
    # A DOCTYPE written to slip past the quick pattern meets the XML parser's entity check...
    sneaky = EXTERNAL_ENTITY.replace('<!DOCTYPE rss [', '<!DOCTYPE rss PUBLIC "-//a//EN" "x>.dtd" [')
    with pytest.raises(BadDocument, match="EntitiesForbidden"):
        parse_feed(sneaky.encode(), "sneaky")
    # ...and one that is not even well-formed XML never reaches feedparser's lenient parser.
    malformed = EXTERNAL_ENTITY.replace('<!DOCTYPE rss [', '<!DOCTYPE rss PUBLIC "-//a>b//EN" "x.dtd" [')
    with pytest.raises(BadDocument, match="malformed XML that declares entities"):
        parse_feed(malformed.encode(), "malformed")
    with pytest.raises(BadDocument, match="refused"):
        parse_feed(BILLION_LAUGHS.encode("utf-16"), "utf-16 bomb")
    assert parse_feed(b"<html><body><p>Just a page</p></body></html>", "page") is None


async def test_a_feed_that_turns_hostile_is_recorded_as_failing(services):
    async with NewsSite(entries=[Entry("prisoner-exchange")]) as site:
        source = await add(services, f"{site.base}/feed.xml")
        with session_scope(services.engine) as session:  # the feed moved to where the bomb is
            row = session.get(Source, source.id)
            row.location = f"{site.base}/bomb.xml"
            session.add(row)
        assert await poll(services, source.id) == []
    failing = source_row(services, source.id)
    assert failing.error_count == 1 and "refused" in failing.last_error and documents(services) == []


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "169.254.169.254",
                                  "10.0.0.7", "[::ffff:127.0.0.1]:{port}"])
async def test_private_loopback_link_local_and_metadata_addresses_are_refused(services, host):
    strict = make_settings(services.settings.database_url, allow_private_urls=False)
    async with NewsSite(entries=[Entry("prisoner-exchange")]) as site:
        port = site.base.rsplit(":", 1)[1]
        with pytest.raises(BlockedAddress, match="not a public address"):
            await add(services, f"http://{host.format(port=port)}/feed.xml", settings=strict)
        assert site.hits == []  # refused before any request left
    assert list_sources(services.engine) == []


async def test_a_source_added_while_allowed_is_refused_when_polled_under_strict_settings(services, tmp_path):
    async with NewsSite(entries=[Entry("prisoner-exchange")]) as site:
        source = await add(services, f"{site.base}/feed.xml")
        strict = build_services(make_settings(services.settings.database_url, allow_private_urls=False), seed=False)
        assert await poll(strict, source.id) == []
        assert len(site.hits) == 1  # only the detection fetch while it was allowed
    assert "BlockedAddress" in source_row(services, source.id).last_error
    strict.engine.dispose()


# -- the registry and the chat commands -----------------------------------------------------------------

async def test_registry_refuses_bad_input_and_pauses_and_removes(services, tmp_path):
    with pytest.raises(BadArguments, match="neither"):
        await add(services, str(tmp_path / "missing"))
    with pytest.raises(BadArguments, match="not an interval"):
        await add(services, str(tmp_path), interval="soon")
    source = await add(services, str(tmp_path), interval="30s")
    assert source.interval_seconds == 30
    with pytest.raises(BadArguments, match="already source"):
        await add(services, str(tmp_path))

    assert pause_source(services.engine, str(source.id))
    assert await asyncio.to_thread(poll_due, services) == 0  # paused
    assert pause_source(services.engine, f"#{source.id}", paused=False)
    assert await asyncio.to_thread(poll_due, services) == 1
    assert remove_source(services.engine, str(tmp_path)) and list_sources(services.engine) == []
    assert not remove_source(services.engine, "12345")


@pytest.mark.hostile
async def test_local_paths_are_refused_unless_under_an_operators_folder_and_never_shown_in_chat(tmp_path):
    allowed, private = tmp_path / "allowed", tmp_path / "private"
    (allowed / "inbox").mkdir(parents=True)
    private.mkdir()
    write_old(private / "secret.txt", "Launch codes\n\nThe vault code is 7741-9921 and nobody may read it aloud.")
    write_old(allowed / "inbox" / "talks.txt", "Talks resume\n\n" + " ".join(ARTICLES["energy-truce"]["paragraphs"]))
    (allowed / "inbox" / "leak.txt").symlink_to(private / "secret.txt")
    built = build_services(make_settings(f"sqlite:///{tmp_path / 'local.db'}"), seed=False)
    bot = Bot(built.settings, built, COMMANDS)
    chat = ChatRef("telegram", "-1001")
    admin, member = Sender("1", is_bot_admin=True), Sender("2")

    def request(command: str, text: str = "", sender: Sender = admin) -> Request:
        return Request(chat, sender, command, text, tuple(text.split()), is_private=False)

    # By default no local path may be added by anyone, existing or not, and the answer does not say which exist.
    refusals = [await bot.handle(request("addsource", path)) for path in ("/etc", "/etc/passwd", "/root", str(allowed),
                                                                          "/no/such/folder")]
    assert {r.lead for r in refusals} == {i18n.t("sources.local_refused", "en")}
    with pytest.raises(NotAllowed):
        add_source(built.engine, str(allowed), interval=None, settings=built.settings, added_by="cli")

    built.settings = make_settings(built.settings.database_url, source_folders=str(allowed))
    for outside in (private, allowed / ".." / "private", "/etc"):
        assert (await bot.handle(request("addsource", str(outside)))).lead == i18n.t("sources.local_refused", "en")
    added = await bot.handle(request("addsource", str(allowed / "inbox")))
    assert added.kind == "info" and str(allowed) not in added.lead and "inbox (local)" in added.lead

    source = list_sources(built.engine)[0]
    results = await asyncio.to_thread(poll_source, built, source.id)
    assert [r.title for r in results] == ["Talks resume"]  # the symbolic link out of the folder is not followed
    assert "7741" not in " ".join(d.text for d in documents(built))
    listed = (await bot.handle(request("sources", sender=member))).lead
    assert "folder inbox (local)" in listed and "leak.txt" in listed  # the refusal is reported, by file name only
    assert str(tmp_path) not in listed and "/" not in listed.split("inbox (local)", 1)[1]
    built.engine.dispose()


def test_intervals():
    assert [parse_interval(text) for text in ("30s", "5m", "1h", "2d", "90")] == [30, 300, 3600, 172800, 90]
    for bad in ("1s", "5 minutes", "-1m", "soon"):
        with pytest.raises(BadArguments):
            parse_interval(bad)


async def test_chat_commands_list_add_and_remove_sources_for_admins_only(services, tmp_path):
    bot = Bot(services.settings, services, COMMANDS)
    chat = ChatRef("telegram", "1")
    admin, member = Sender("1", is_bot_admin=True), Sender("2")

    def request(command: str, text: str = "", sender: Sender = admin) -> Request:
        return Request(chat, sender, command, text, tuple(text.split()))

    assert "No sources" in (await bot.handle(request("sources"))).lead
    refused = await bot.handle(request("addsource", str(tmp_path), member))
    assert refused.kind == "error" and list_sources(services.engine) == []

    added = await bot.handle(request("addsource", f"{tmp_path} 5m"))
    assert added.kind == "info" and "folder" in added.lead and "every 5m" in added.lead
    unreachable = await bot.handle(request("addsource", "http://127.0.0.1:1/feed.xml"))
    assert unreachable.kind == "error" and "connection failed" in unreachable.lead  # the admin is told why
    listed = await bot.handle(request("sources", sender=member))
    assert f"{tmp_path.name} (local)" in listed.lead and "#1" in listed.lead
    assert str(tmp_path) not in listed.lead  # chat users never see server paths

    source_id = list_sources(services.engine)[0].id
    assert "Removed" in (await bot.handle(request("removesource", str(source_id)))).lead
    assert (await bot.handle(request("removesource", "99"))).kind == "error"
