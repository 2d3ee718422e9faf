"""A small news site on 127.0.0.1 (aiohttp): an RSS feed with ETags, article pages, a page with Last-Modified, hostile XML.

Everything it serves is mutable from the test (``entries``, ``page``, ``status``), and it
records every request with its conditional headers, so tests can check what was fetched.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email.utils import format_datetime
from datetime import datetime, timezone
from html import escape

from aiohttp import web

ARTICLES = {
    "prisoner-exchange": dict(
        title="Russia and Ukraine agree to exchange 175 prisoners each",
        date=datetime(2025, 3, 18, 9, 30, tzinfo=timezone.utc),
        paragraphs=[
            "ISTANBUL, March 18 (Example Wire) - Russia and Ukraine agreed on Tuesday to exchange 175 prisoners of war each, "
            "negotiators said after a day of talks in Istanbul.",
            "The exchange will take place on Wednesday at the border with Belarus, the Ukrainian delegation said.",
            "Russia also offered to hand over 23 severely wounded soldiers as a goodwill gesture, according to its defence ministry.",
            "Ukraine demanded that civilians held in Russian prisons be included in the next exchange.",
        ]),
    "energy-truce": dict(
        title="Ukraine proposes a 30-day halt to strikes on energy facilities",
        date=datetime(2025, 3, 20, 14, 0, tzinfo=timezone.utc),
        paragraphs=[
            "KYIV, March 20 (Example Wire) - Ukraine proposed on Thursday a 30-day halt to strikes on power plants and "
            "other energy facilities, President Volodymyr Zelensky said.",
            "Zelensky said Kyiv was ready to stop attacking Russian oil refineries if Moscow stopped hitting Ukrainian power stations.",
            "The proposal would be monitored by the United States, he told reporters in Kyiv.",
            "The Kremlin said it would study the proposal but gave no timetable for an answer.",
        ]),
    "peacekeepers": dict(
        title="Kremlin rejects any European peacekeepers in Ukraine",
        date=datetime(2025, 3, 22, 8, 15, tzinfo=timezone.utc),
        paragraphs=[
            "MOSCOW, March 22 (Example Wire) - The Kremlin on Saturday rejected any deployment of European peacekeeping "
            "troops in Ukraine, calling it unacceptable under any flag.",
            "Kremlin spokesman Dmitry Peskov said troops from NATO countries would be treated as parties to the conflict.",
            "Britain and France have said they are ready to send forces to guarantee a ceasefire.",
            "Peskov said Russia would only discuss security guarantees that also covered its own security.",
        ]),
}


def article_html(slug: str) -> str:
    """The full article page, as a news site would serve it."""
    article = ARTICLES[slug]
    body = "".join(f"<p>{escape(p)}</p>" for p in article["paragraphs"])
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(article['title'])}</title>"
            f"<meta property='og:site_name' content='Example Wire'>"
            f"<meta property='article:published_time' content='{article['date'].isoformat()}'></head>"
            f"<body><nav>Home | World | Europe</nav><article><h1>{escape(article['title'])}</h1>{body}</article>"
            f"<footer>Copyright Example Wire</footer></body></html>")


@dataclass
class Entry:
    """One feed item: the full text in content:encoded, or only a teaser and a link."""

    slug: str
    teaser_only: bool = False
    pub_date: str | None = None  # the <pubDate> text as served; None: the article's date, well formed


@dataclass
class Hit:
    path: str
    if_none_match: str | None
    if_modified_since: str | None
    status: int = 200


@dataclass
class NewsSite:
    """The site. ``base`` is its URL once started."""

    entries: list[Entry] = field(default_factory=list)
    page: str = "<html><body><article><p>Nothing yet.</p></article></body></html>"
    page_modified: datetime = datetime(2025, 3, 1, tzinfo=timezone.utc)
    page_validators: bool = True  # send Last-Modified and honour If-Modified-Since
    status: dict[str, int] = field(default_factory=dict)  # path -> forced error status (the feed and articles)
    raw_items: list[str] = field(default_factory=list)  # <item> XML served after the entries, as written
    hits: list[Hit] = field(default_factory=list)
    base: str = ""

    async def __aenter__(self) -> "NewsSite":
        app = web.Application()
        app.router.add_get("/feed.xml", self._feed)
        app.router.add_get("/articles/{slug}", self._article)
        app.router.add_get("/page.html", self._page)
        app.router.add_get("/bomb.xml", self._static(BILLION_LAUGHS, "application/rss+xml"))
        app.router.add_get("/xxe.xml", self._static(EXTERNAL_ENTITY, "application/rss+xml"))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc) -> None:
        await self._runner.cleanup()

    def requests_to(self, path: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.path == path]

    def _record(self, request: web.Request) -> Hit:
        hit = Hit(request.path, request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since"))
        self.hits.append(hit)
        return hit

    def _answer(self, hit: Hit, response: web.Response) -> web.Response:
        hit.status = response.status
        return response

    async def _feed(self, request: web.Request) -> web.Response:
        hit = self._record(request)
        if request.path in self.status:
            return self._answer(hit, web.Response(status=self.status[request.path], text="broken"))
        body = self.feed_xml().encode("utf-8")
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if hit.if_none_match == etag:
            return self._answer(hit, web.Response(status=304, headers={"ETag": etag}))
        return self._answer(hit, web.Response(body=body, content_type="application/rss+xml", headers={"ETag": etag}))

    async def _article(self, request: web.Request) -> web.Response:
        hit = self._record(request)
        slug = request.match_info["slug"]
        if request.path in self.status:
            return self._answer(hit, web.Response(status=self.status[request.path], text="broken"))
        if slug not in ARTICLES:
            return self._answer(hit, web.Response(status=404))
        return self._answer(hit, web.Response(text=article_html(slug), content_type="text/html"))

    async def _page(self, request: web.Request) -> web.Response:
        hit = self._record(request)
        headers = {}
        if self.page_validators:
            stamp = format_datetime(self.page_modified, usegmt=True)
            headers["Last-Modified"] = stamp
            if hit.if_modified_since == stamp:
                return self._answer(hit, web.Response(status=304, headers=headers))
        return self._answer(hit, web.Response(text=self.page, content_type="text/html", headers=headers))

    def _static(self, text: str, content_type: str):
        async def serve(request: web.Request) -> web.Response:
            return self._answer(self._record(request), web.Response(text=text, content_type=content_type))
        return serve

    def feed_xml(self) -> str:
        """RSS 2.0, newest first, like real feeds."""
        items = []
        for entry in reversed(self.entries):
            article = ARTICLES[entry.slug]
            link = f"{self.base}/articles/{entry.slug}"
            teaser = escape(article["paragraphs"][0][:160] + "...")
            full = "" if entry.teaser_only else (
                "<content:encoded><![CDATA[" + "".join(f"<p>{p}</p>" for p in article["paragraphs"]) + "]]></content:encoded>")
            items.append(f"<item><title>{escape(article['title'])}</title><link>{link}</link>"
                         f"<guid isPermaLink='true'>{link}</guid>"
                         f"<pubDate>{entry.pub_date or format_datetime(article['date'])}</pubDate>"
                         f"<description>{teaser}</description>{full}</item>")
        return ("<?xml version='1.0' encoding='UTF-8'?>"
                "<rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel>"
                f"<title>Example Wire</title><link>{self.base}/</link><description>World news</description>"
                + "".join(items) + "".join(self.raw_items) + "</channel></rss>")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>Laughs</title>
<item><title>&lol9;</title><link>http://example.org/a</link><description>&lol9;</description></item>
</channel></rss>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>Leak</title>
<item><title>&secret;</title><link>http://example.org/b</link><description>&secret;</description></item>
</channel></rss>"""
