"""The Discord adapter: slash commands in, embeds out, summaries pushed to channels (discord.py 2)."""
from __future__ import annotations

import asyncio
import io
import functools
import inspect
import logging
import re
import textwrap
import zoneinfo
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field, replace
from typing import Any, Optional

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext.commands import Paginator

from bot.text import i18n
from bot.config import Settings
from bot.chat.dispatch import Bot, CommandSpec
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.messages import (Attachment, ChatRef, Reply, Request, Sender, Source, cite_segments, renumber_markers,
                          unmarked)

log = logging.getLogger(__name__)

PLATFORM = "discord"

# Discord's message limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
CONTENT_LIMIT = 2000
DESCRIPTION_LIMIT = 4096
EMBED_TOTAL_LIMIT = 6000  # summed over every embed of one message
EMBEDS_PER_MESSAGE = 10
FIELDS_PER_EMBED = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
TITLE_LIMIT = 256
FOOTER_LIMIT = 256  # Discord allows 2048; an "As of" line never needs more
CHOICES_LIMIT = 25
CHOICE_LIMIT = 100
BUTTON_LABEL_LIMIT = 80
QUOTE_PREVIEW = 300  # characters of a quote shown in an answer; the Sources button shows all of it
LINK_TEXT_LIMIT = 150
URL_LIMIT = 512  # longer links are shown as the document's origin instead of being cut in half

SOURCES_BUTTON_TIMEOUT = 15 * 60.0  # an interaction token lives 15 minutes, the button as long
LAYOUT = "parley_options"  # key in app_commands.Command.extras
ANSWERED = "parley_answered"  # key in Interaction.extras: a message already went out, so never delete the original
TELEGRAM_ONLY = {"start"}  # Telegram sends /start when a chat opens the bot; Discord has /help for it

KIND_COLOURS = {
    "answer": discord.Colour.blurple(),
    "summary": discord.Colour.green(),
    "digest": discord.Colour.green(),
    "info": discord.Colour.light_grey(),
    "error": discord.Colour.red(),
}
ABSTAINED_COLOUR = discord.Colour.dark_grey()

# The Discord locales whose translations we ship; English is the default text itself.
DISCORD_LOCALES = {discord.Locale.chinese: "zh-Hans", discord.Locale.taiwan_chinese: "zh-Hant"}

NO_MENTIONS = discord.AllowedMentions.none()


# -- endpoints and client -------------------------------------------------------------------

def configure_endpoints(settings: Settings) -> None:
    """Aim discord.py's REST and gateway at the configured URLs (REST/gateway proxies, tests).

    discord.py keeps both as class attributes, so this is process-wide, like the library's own
    ``discord.http._set_api_version``.
    """
    discord.http.Route.BASE = settings.discord_api_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def build_client(settings: Settings) -> discord.Client:
    """A Client, or an AutoShardedClient when shards are configured; interactions need no privileged intents."""
    # Parley has no voice features: without this, every start warns that PyNaCl and davey are missing.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    options: dict[str, Any] = dict(
        # Guild messages (not privileged) bring the messages of a thread started from an answer: follow-up questions.
        intents=discord.Intents(guilds=True, guild_messages=True),
        max_ratelimit_timeout=settings.discord_max_ratelimit_timeout,
        allowed_mentions=NO_MENTIONS,
    )
    if settings.discord_shard_count > 0:
        return discord.AutoShardedClient(shard_count=settings.discord_shard_count, **options)
    return discord.Client(**options)


# -- slash commands -------------------------------------------------------------------------

@dataclass(frozen=True)
class Option:
    """One slash-command option of a core command, and how its value joins the request text."""

    name: str
    required: bool
    keyword: bool  # sent as "name value", the way /settings reads "language zh-Hant"


def command_options(spec: CommandSpec) -> tuple[Option, ...]:
    """Options of a core command, read from its usage line: "[...]" groups are optional.

    A group that starts with the option's own name ("[language LANG]") is a keyword option.
    """
    groups = re.findall(r"\[[^\]]*\]|\S+", spec.usage)
    if len(groups) != len(spec.options):
        groups = ["[]"] * len(spec.options)  # usage and options disagree: ask for nothing
    result = []
    for name, group in zip(spec.options, groups):
        words = group.strip("[]").split()
        result.append(Option(name, required=not group.startswith("["), keyword=bool(words) and words[0] == name))
    return tuple(result)


def request_text(options: Collection[Option], values: dict[str, Any]) -> str:
    """The command's argument text as a chat user would have typed it after /command."""
    parts = []
    for option in options:
        value = str(values.get(option.name) or "").strip()
        if value:
            parts.append(f"{option.name} {value}" if option.keyword else value)
    return " ".join(parts)


def localized(texts: dict[str, str]) -> app_commands.locale_str:
    """An English string that carries its Chinese translations for the Translator."""
    return app_commands.locale_str(texts["en"], texts=texts)


def option_description(name: str) -> app_commands.locale_str:
    """An option's description in every language, from bot/text/locales/discord.yaml (its name when it has none)."""
    try:
        return localized({language: i18n.t(f"discord.option.{name}", language) for language in i18n.LANGUAGES})
    except KeyError:
        log.warning("no description of the option %r in bot/text/locales/discord.yaml", name)
        return app_commands.locale_str(name)


class DescriptionTranslator(app_commands.Translator):
    """Gives Discord the zh-CN and zh-TW texts of command and option descriptions when commands are synced."""

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContext) -> str | None:
        language = DISCORD_LOCALES.get(locale)
        texts = string.extras.get("texts")
        if language is None or not texts:
            return None
        return texts.get(language)


Run = Callable[[discord.Interaction], Awaitable[None]]
Suggest = Callable[[discord.Interaction, str], Awaitable[list[app_commands.Choice[str]]]]


def build_command(spec: CommandSpec, run: Run, autocompleters: dict[str, Suggest]) -> app_commands.Command:
    """A slash command for one core command: string options, localized descriptions, autocomplete.

    discord.py reads options from the callback's signature, so the callback gets a
    signature made from the core command's option names.
    """
    options = command_options(spec)

    async def callback(interaction: discord.Interaction, **values: str) -> None:
        await run(interaction)

    parameters = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction)]
    parameters += [
        inspect.Parameter(option.name, inspect.Parameter.KEYWORD_ONLY,
                          annotation=str if option.required else Optional[str],
                          default=inspect.Parameter.empty if option.required else None)
        for option in options
    ]
    callback.__signature__ = inspect.Signature(parameters)
    callback.__name__ = callback.__qualname__ = f"slash_{spec.name}"
    if options:
        callback = app_commands.describe(**{o.name: option_description(o.name) for o in options})(callback)
    wanted = {o.name: autocompleters[o.name] for o in options if o.name in autocompleters}
    if wanted:
        callback = app_commands.autocomplete(**wanted)(callback)
    if spec.needs_manage:
        # Only a hint for server admins; the core checks Manage Channels itself (Sender.can_manage_chat).
        callback = app_commands.default_permissions(manage_channels=True)(callback)
    return app_commands.Command(name=spec.name, description=localized(spec.description), callback=callback,
                                extras={LAYOUT: options})


# -- autocomplete ---------------------------------------------------------------------------

def suggest_entities(bot: Bot, kind: str, typed: str, language: str) -> list[tuple[str, str]]:
    """The core's suggestions of parties or issues for what was typed, within Discord's limits on choices."""
    return [(_clip(label, CHOICE_LIMIT), _clip(value, CHOICE_LIMIT))
            for label, value in bot.suggest(kind, typed, language, CHOICES_LIMIT)]


def suggest_languages(typed: str) -> list[tuple[str, str]]:
    """Parley's answer languages that contain what was typed."""
    needle = typed.strip().lower()
    return [(code, code) for code in i18n.LANGUAGES if needle in code.lower()]


@functools.lru_cache(maxsize=1)
def _timezones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def suggest_timezones(typed: str, limit: int = CHOICES_LIMIT) -> list[tuple[str, str]]:
    """IANA time zones that contain what was typed, e.g. "taipei" -> Asia/Taipei."""
    needle = typed.strip().lower().replace(" ", "_")
    return [(zone, zone) for zone in _timezones() if needle in zone.lower()][:limit]


# -- requests -------------------------------------------------------------------------------

def to_request(interaction: discord.Interaction, admins: Collection[str] = ()) -> Request:
    """A slash-command interaction as a core Request. ``admins`` are ``platform:user_id`` strings."""
    command = interaction.command
    options = command.extras.get(LAYOUT, ()) if command is not None else ()
    name = command.name if command is not None else (interaction.data or {}).get("name", "")
    text = request_text(options, {name: value for name, value in interaction.namespace})
    user = interaction.user
    permissions = interaction.permissions
    sender = Sender(
        user_id=str(user.id),
        name=user.display_name,
        is_bot_admin=f"{PLATFORM}:{user.id}" in admins,
        can_manage_chat=permissions.manage_channels or permissions.administrator,
    )
    return Request(
        chat=ChatRef(PLATFORM, str(interaction.channel_id)),
        sender=sender,
        command=name,
        text=text,
        args=tuple(text.split()),
        language=interaction.locale.value,
        is_private=interaction.guild_id is None,
    )


# -- rendering ------------------------------------------------------------------------------

@dataclass
class Outgoing:
    """One Discord message: plain content and/or embeds, each within Discord's limits."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    attachment: Attachment | None = None  # a picture uploaded with the message (the gap matrix, a timeline)

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``send``/``send_message``."""
        values: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        if self.attachment is not None:  # a discord.File is read once, so each send gets its own
            values["file"] = discord.File(io.BytesIO(self.attachment.data), filename=self.attachment.filename,
                                          description=self.attachment.alt[:1024])
        if self.content:
            values["content"] = self.content
        if self.embeds:
            values["embeds"] = self.embeds
        return values


def render(reply: Reply) -> list[Outgoing]:
    """A Reply as Discord messages: errors as plain text, everything else as embeds with sources as fields.

    Each cited document is one field (outlet or marked title, date, link); a server path never appears.
    """
    if reply.kind == "error":
        return [Outgoing(content=page) for page in split_text(unmarked(reply.lead) or "…", CONTENT_LIMIT)]
    reply = replace(reply, labels={**i18n.labels(reply.language), **reply.labels})
    sources, numbers = reply.sources()
    colour = ABSTAINED_COLOUR if reply.abstained else KIND_COLOURS.get(reply.kind, discord.Colour.blurple())
    embeds = [discord.Embed(description=page, colour=colour) for page in split_text(_body(reply, numbers), DESCRIPTION_LIMIT)]
    footer = " · ".join(line for line in (reply.as_of_line(), *reply.notes) if line)
    if footer:
        embeds[0].set_footer(text=_clip(footer, FOOTER_LIMIT))
    sources_title = _clip(reply.labels.get("sources", "Sources"), TITLE_LIMIT)
    for source in sources:
        # A summary's bullets are the quotes themselves; its fields then only say where they come from.
        name, value = _source_field(reply, source, preview=not _quoted_in_bullets(reply, source, numbers))
        target = embeds[-1]
        if len(target.fields) >= FIELDS_PER_EMBED or len(target) + len(name) + len(value) > EMBED_TOTAL_LIMIT:
            target = discord.Embed(title=sources_title, colour=colour)
            embeds.append(target)
        target.add_field(name=name, value=value, inline=False)
    if reply.attachment is not None:
        embeds[0].set_image(url=f"attachment://{reply.attachment.filename}")
    messages = [Outgoing(embeds=group) for group in pack_embeds(embeds)]
    if reply.attachment is not None:
        messages[0] = replace(messages[0], attachment=reply.attachment)
    return messages


def render_evidence(reply: Reply) -> list[Outgoing]:
    """What the Sources button shows: each document once, its full verbatim quotes, outlet, date and link."""
    reply = replace(reply, labels={**i18n.labels(reply.language), **reply.labels})
    sources, _ = reply.sources()
    colour = KIND_COLOURS["info"]
    embeds = []
    for source in sources:
        quote = "\n\n".join("> " + _escape(q).replace("\n", "\n> ") for q in source.quotes) or "…"
        footer = f"{_when(reply, source)} · {_link(reply, source)}"
        description = _clip(quote, DESCRIPTION_LIMIT - len(footer) - 2) + "\n\n" + footer
        embed = discord.Embed(title=_clip(f"[{source.number}] {reply.source_name(source)}", TITLE_LIMIT),
                              description=description, colour=colour)
        if _linkable(source.link):
            embed.url = source.link
        embeds.append(embed)
    return [Outgoing(embeds=group) for group in pack_embeds(embeds)]


def pack_embeds(embeds: list[discord.Embed]) -> list[list[discord.Embed]]:
    """Group embeds into messages of at most 10 embeds and 6000 characters."""
    messages: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    size = 0
    for embed in embeds:
        if current and (len(current) == EMBEDS_PER_MESSAGE or size + len(embed) > EMBED_TOTAL_LIMIT):
            messages.append(current)
            current, size = [], 0
        current.append(embed)
        size += len(embed)
    if current:
        messages.append(current)
    return messages


def split_text(text: str, limit: int) -> list[str]:
    """Pages of at most ``limit`` characters, broken between lines, or inside a line only when it is too long."""
    paginator = Paginator(prefix=None, suffix=None, max_size=limit)
    widest = limit - 2  # the paginator keeps room for two line separators
    for line in text.splitlines() or [""]:
        pieces = textwrap.wrap(line, widest, break_long_words=True, replace_whitespace=False) if len(line) > widest else [line]
        for piece in pieces:
            paginator.add_line(piece)
    return paginator.pages or [text[:limit]]


def _body(reply: Reply, numbers: dict[int, int]) -> str:
    lines = [_escape_marked(renumber_markers(reply.lead, numbers))]
    for bullet in reply.bullets:
        marks = "".join(f"[{n}]" for n in dict.fromkeys(numbers.get(c, c) for c in bullet.cites))
        lines.append(f"• {_escape(unmarked(bullet.text))} {marks}".rstrip())
        if bullet.note:
            lines.append(f"   *{_escape(bullet.note)}*")
        if bullet.translation:  # beside the verbatim quote, never instead of it
            label = reply.labels.get("machine_translation") or i18n.t("label.machine_translation", reply.language)
            lines.append(f"  *{_escape(label)}*: {_escape(bullet.translation)}")
    return "\n".join(lines).strip() or "…"


def _quoted_in_bullets(reply: Reply, source: Source, numbers: dict[int, int]) -> bool:
    quotes = [" ".join(q.split()) for q in source.quotes]
    return bool(quotes) and all(
        any(source.number in {numbers.get(c, c) for c in b.cites} and q in " ".join(b.text.split()) for b in reply.bullets)
        for q in quotes)


def _source_field(reply: Reply, source: Source, preview: bool = True) -> tuple[str, str]:
    name = _clip(f"[{source.number}] {reply.source_name(source)}", FIELD_NAME_LIMIT)
    # The title, linked when the document has a web address; named by its title already, only the date.
    shows_title = source.link or not source.named_by_title
    head = f"{_when(reply, source)} · {_link(reply, source)}" if shows_title else _when(reply, source)
    room = FIELD_VALUE_LIMIT - len(head) - 3
    first = source.quotes[0] if source.quotes else ""
    quote = _clip(_escape(_clip(" ".join(first.split()), QUOTE_PREVIEW)), room) if preview and room > 10 else ""
    value = f"{head}\n> {quote}" if quote else head
    return name, _clip(value, FIELD_VALUE_LIMIT)


def _when(reply: Reply, source: Source) -> str:
    published = source.citation.published
    return published.isoformat() if published else reply.labels.get("undated", "undated")


def _link(reply: Reply, source: Source) -> str:
    """A markdown link to the article, titled; without a web address, only the title (never a file path)."""
    citation = source.citation
    text = _clip((citation.title or citation.outlet or reply.source_name(source)).replace("[", "(").replace("]", ")"),
                 LINK_TEXT_LIMIT)
    if _linkable(source.link):
        return f"[{_escape(text)}]({source.link})"
    return _escape(text)


def _linkable(url: str | None) -> bool:
    return bool(url) and url.startswith(("https://", "http://")) and len(url) <= URL_LIMIT and " " not in url


def _escape_marked(text: str) -> str:
    """Escaped text whose citation markers are Parley's own "[n]", shown as such; any other bracket is escaped."""
    return "".join(f"[{part}]" if isinstance(part, int) else _escape(part) for part in cite_segments(text))


def _escape(text: str) -> str:
    """Markdown-escaped text in which no bracket can open a masked link.

    discord.py escapes only the first of several ``[text](url)`` in a line, so a document quoting
    "[1](https://a) [2](https://b)" would still link the second: every bracket not already escaped
    (after an even run of backslashes) is escaped here.
    """
    return _BRACKET.sub(lambda m: m.group(1) + "\\" + m.group(2), discord.utils.escape_markdown(text))


_BRACKET = re.compile(r"(?<!\\)((?:\\\\)*)([\[\]])")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- the Sources button ---------------------------------------------------------------------

Vote = Callable[[discord.Interaction, int], Awaitable[str]]


class SourcesView(discord.ui.View):
    """Buttons under an answer: "Sources" shows the full quotes to whoever pressed it; 👍/👎 (when the answer may
    be rated and ``vote`` is given) store that user's vote and acknowledge it to them only."""

    def __init__(self, reply: Reply, timeout: float = SOURCES_BUTTON_TIMEOUT, vote: Vote | None = None):
        super().__init__(timeout=timeout)
        self.pages = render_evidence(reply) if reply.citations else []
        if self.pages:
            button = discord.ui.Button(label=_clip(reply.labels.get("more") or reply.labels.get("sources") or "Sources",
                                                   BUTTON_LABEL_LIMIT),
                                       style=discord.ButtonStyle.secondary)
            button.callback = self.show
            self.add_item(button)
        if reply.feedback_id and vote is not None:
            for emoji, value in (("👍", 1), ("👎", -1)):
                rate = discord.ui.Button(emoji=emoji, style=discord.ButtonStyle.secondary,
                                         custom_id=f"parley:fb:{'+' if value > 0 else '-'}:{reply.feedback_id}")
                rate.callback = functools.partial(self._rate, vote=vote, value=value)
                self.add_item(rate)

    async def show(self, interaction: discord.Interaction) -> None:
        """Answer the button press with the evidence, visible only to the presser."""
        first, *rest = self.pages
        await interaction.response.send_message(ephemeral=True, **first.kwargs())
        for page in rest:
            await interaction.followup.send(ephemeral=True, **page.kwargs())

    @staticmethod
    async def _rate(interaction: discord.Interaction, *, vote: Vote, value: int) -> None:
        await interaction.response.send_message(await vote(interaction, value), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)


# -- the adapter ----------------------------------------------------------------------------

class DiscordAdapter:
    """Runs Parley's slash commands on Discord and pushes summaries to channels. It has a Bot; it is not one."""

    platform = PLATFORM
    pacing = None  # discord.py paces sends from Discord's rate-limit headers

    def __init__(self, bot: Bot, settings: Settings):
        self.bot = bot
        self.settings = settings
        self.admins = frozenset(a for a in settings.admins() if a.startswith(f"{PLATFORM}:"))
        self.client: discord.Client | None = None
        self.asked = _Recent(2048)  # answer message id (= id of a thread started from it) -> the question
        self.tree: app_commands.CommandTree | None = None
        self._gateway: asyncio.Task | None = None

    async def start(self) -> None:
        """Log in over REST, then keep the gateway connection in a task on the running loop."""
        await self._login()
        self._gateway = asyncio.create_task(self.client.connect(reconnect=True), name="discord-gateway")
        self._gateway.add_done_callback(_gateway_ended)

    async def stop(self) -> None:
        """Close the gateway and the HTTP session."""
        if self.client is not None:
            await self.client.close()
        if self._gateway is not None:
            try:
                await self._gateway
            except Exception:  # already logged by _gateway_ended
                pass

    async def sync(self, guild_id: int | None = None) -> list[str]:
        """Register the slash commands with Discord (globally, or in one guild at once); returns their names."""
        await self._login()
        try:
            guild = discord.Object(guild_id) if guild_id else None
            if guild is not None:
                self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            return [command.name for command in synced]
        finally:
            await self.client.close()

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        """Push a reply to a channel; raises Transient/PermanentDeliveryError when Discord refuses."""
        if self.client is None or self.client.is_closed():
            raise TransientDeliveryError("the Discord client is not running")
        if not chat.chat_id.isdigit():
            raise PermanentDeliveryError(f"{chat} is not a Discord channel id")
        channel = self.client.get_partial_messageable(int(chat.chat_id))
        try:
            for message in render(reply):
                await channel.send(**message.kwargs())
        except (discord.NotFound, discord.Forbidden) as exc:
            raise PermanentDeliveryError(f"{chat}: {exc}") from exc
        except discord.RateLimited as exc:
            raise TransientDeliveryError(f"{chat}: rate limited for {exc.retry_after:.0f}s", exc.retry_after) from exc
        except discord.HTTPException as exc:
            # 429s without the proxy's Via header, 5xx after discord.py's own retries, and other refusals:
            # none says the channel is gone, so the outbox tries again later.
            raise TransientDeliveryError(f"{chat}: HTTP {exc.status} {exc.text}", _retry_after(exc)) from exc
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            raise TransientDeliveryError(f"{chat}: {exc!r}") from exc

    async def _login(self) -> None:
        configure_endpoints(self.settings)
        self.client = build_client(self.settings)
        self.tree = app_commands.CommandTree(self.client)
        self.tree.error(self._on_error)
        self.client.on_message = self._on_thread_message  # type: ignore[method-assign]  # events go to on_<event>
        await self.tree.set_translator(DescriptionTranslator())
        for command in self.commands():
            self.tree.add_command(command)
        await self.client.login(self.settings.discord_token.get_secret_value())

    def commands(self) -> list[app_commands.Command]:
        """The Bot's commands as slash commands."""
        autocompleters = {"party": self._suggest_party, "other_party": self._suggest_party,
                          "issue": self._suggest_issue, "language": self._suggest_language,
                          "timezone": self._suggest_timezone}
        return [build_command(spec, self._on_command, autocompleters)
                for name, spec in self.bot.commands.items() if name not in TELEGRAM_ONLY]

    async def _on_command(self, interaction: discord.Interaction) -> None:
        # Discord drops an interaction not acknowledged within 3 seconds; the answer follows up.
        await interaction.response.defer(thinking=True)
        request = to_request(interaction, self.admins)
        reply = await self.bot.handle(request)
        await self._deliver(interaction, reply, question=request.text if request.command == "ask" else None)

    async def _on_thread_message(self, message: discord.Message) -> None:
        """A message in a thread started from one of Parley's answers is a follow-up question on that answer.

        A thread started from a message has that message's id, so the thread's id finds the question answered.
        Without the privileged Message Content intent Discord sends the text only of messages that mention Parley.
        """
        question = self.asked.get(message.channel.id)
        if question is None or message.author.bot or self.client is None or self.client.user is None:
            return
        text = re.sub(rf"<@!?{self.client.user.id}>", " ", message.content or "").strip()
        if not text:
            return
        author = message.author
        request = Request(chat=ChatRef(PLATFORM, str(message.channel.id)),
                          sender=Sender(str(author.id), author.display_name, f"{PLATFORM}:{author.id}" in self.admins),
                          command="ask", text=text, args=tuple(text.split()), is_private=False, follows=question)
        reply = await self.bot.handle(request)
        try:
            for outgoing in render(reply):
                await message.channel.send(**outgoing.kwargs())
        except discord.HTTPException as exc:
            log.warning("could not answer a follow-up in thread %s: %s", message.channel.id, exc)

    async def _deliver(self, interaction: discord.Interaction, reply: Reply, question: str | None = None) -> None:
        if interaction.response.is_done() and reply.ephemeral and not interaction.extras.get(ANSWERED):
            # A public "thinking…" message cannot turn private; it gives way to an ephemeral followup.
            await interaction.delete_original_response()
        rateable = reply.feedback_id and not reply.ephemeral
        view = SourcesView(reply, vote=self._vote_on(reply.feedback_id)) if (reply.citations or rateable) \
            and not reply.ephemeral else None
        messages = render(reply)
        for index, message in enumerate(messages):
            # The button goes under the last part, where the reader's eye ends, as on Telegram.
            extra = {"view": view} if view is not None and index == len(messages) - 1 else {}
            if interaction.response.is_done():
                sent = await interaction.followup.send(ephemeral=reply.ephemeral, wait=True, **message.kwargs(), **extra)
                if question and not reply.ephemeral and sent is not None:
                    self.asked.put(sent.id, question)  # a thread started from this message follows it up
            else:
                await interaction.response.send_message(ephemeral=reply.ephemeral, **message.kwargs(), **extra)
            interaction.extras[ANSWERED] = True

    def _vote_on(self, answer_id: str) -> Vote:
        async def vote(interaction: discord.Interaction, value: int) -> str:
            return await self.bot.vote(answer_id, PLATFORM, str(interaction.user.id), value, interaction.locale.value)

        return vote

    async def _on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """CommandTree.on_error: log, then tell the user in a message only they see."""
        name = interaction.command.name if interaction.command else (interaction.data or {}).get("name")
        log.error("Discord command /%s failed in channel %s: %s", name, interaction.channel_id, error, exc_info=error)
        language = i18n.normalize_language(interaction.locale.value) or self.settings.default_language
        reply = Reply(lead=i18n.t("error.internal", language), language=language, kind="error", ephemeral=True)
        try:
            await self._deliver(interaction, reply)
        except discord.HTTPException as exc:
            log.warning("could not tell the user about the failure of /%s: %s", name, exc)

    async def _suggest_party(self, interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
        return _choices(suggest_entities(self.bot, "party", typed, self._language(interaction)))

    async def _suggest_issue(self, interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
        return _choices(suggest_entities(self.bot, "issue", typed, self._language(interaction)))

    async def _suggest_language(self, interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
        return _choices(suggest_languages(typed))

    async def _suggest_timezone(self, interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
        return _choices(suggest_timezones(typed))

    def _language(self, interaction: discord.Interaction) -> str:
        return i18n.normalize_language(interaction.locale.value) or self.settings.default_language


class _Recent:
    """A bounded LRU mapping."""

    def __init__(self, size: int):
        self.size = size
        self._items: dict = {}

    def put(self, key, value) -> None:
        self._items.pop(key, None)
        self._items[key] = value
        while len(self._items) > self.size:
            self._items.pop(next(iter(self._items)))

    def get(self, key):
        return self._items.get(key)


def _choices(pairs: list[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=label, value=value) for label, value in pairs[:CHOICES_LIMIT]]


def _retry_after(exc: discord.HTTPException) -> float | None:
    header = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return float(header) if header else None
    except ValueError:
        return None


def _gateway_ended(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the Discord gateway connection ended: %s", task.exception(), exc_info=task.exception())


async def sync_commands(settings: Settings, bot: Bot, guild_id: int | None = None) -> int:
    """``parley discord sync [--guild ID]``: log in over REST, register the slash commands, log out; returns how many.

    Runs only when asked, never on start: Discord rate-limits command registration.
    """
    return len(await DiscordAdapter(bot, settings).sync(guild_id))
