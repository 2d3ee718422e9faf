"""The chat commands: one small async function per command, and the registry adapters read."""
from __future__ import annotations

import importlib
from dataclasses import replace

from bot.text import i18n
from bot.chat.dispatch import Bot, CommandSpec
from bot.chat.followups import in_context
from bot.errors import BadArguments
from bot.messages import Reply, Request

MAX_QUESTION_CHARS = 1000


def _d(en: str, hans: str, hant: str) -> dict[str, str]:
    return {"en": en, "zh-Hans": hans, "zh-Hant": hant}


async def start(bot: Bot, request: Request, language: str) -> Reply:
    """/start and /help: what Parley is and what it can do."""
    lines = [i18n.t("help.intro", language), "", i18n.t("help.commands", language)]
    for spec in bot.commands.values():
        if spec.name == "start" or (spec.admin_only and not request.sender.is_bot_admin):
            continue
        usage = f" {spec.usage}" if spec.usage else ""
        lines.append(f"/{spec.name}{usage} — {spec.description.get(language, spec.description['en'])}")
    return Reply(lead="\n".join(lines), language=language, kind="info")


async def ask(bot: Bot, request: Request, language: str) -> Reply:
    """/ask QUESTION (and any plain message in a private chat)."""
    question = request.text.strip()
    if not question:
        raise BadArguments(i18n.t("error.empty_question", language))
    if len(question) > MAX_QUESTION_CHARS:
        raise BadArguments(i18n.t("error.question_too_long", language, length=len(question), limit=MAX_QUESTION_CHARS))
    if request.follows:
        question = in_context(question, request.follows, bot.services.profile)
    return await bot.run_blocking(bot.services.answerer.ask, question, fallback_language=language)


async def parity(bot: Bot, request: Request, language: str) -> Reply:
    """/parity QUESTION: the question answered from the English and from the Chinese sources, side by side."""
    from bot.answering.parity import parity as parity_view

    question = request.text.strip()
    if not question:
        raise BadArguments(i18n.t("error.empty_question", language))
    if len(question) > MAX_QUESTION_CHARS:
        raise BadArguments(i18n.t("error.question_too_long", language, length=len(question), limit=MAX_QUESTION_CHARS))
    view = await bot.run_blocking(parity_view, bot.services.answerer, question, fallback_language=language)
    return view.reply


async def positions(bot: Bot, request: Request, language: str) -> Reply:
    """/positions [party]: the latest stance of each party on each issue."""
    party = bot.services.resolve("party", request.text) if request.text.strip() else None
    return await bot.run_blocking(bot.services.answerer.positions, party, language)


async def timeline(bot: Bot, request: Request, language: str) -> Reply:
    """/timeline PARTY ISSUE | PARTY | ISSUE: stances over time; without arguments, how to use it."""
    text = request.text.strip()
    party = bot.services.resolve("party", text) if text else None
    issue = bot.services.resolve("issue", text) if text else None
    if party is None and issue is None:
        if text:  # something was named, but nothing the profile knows
            bot.services.resolve_pair(text, ("party", "issue"), language)
        return Reply(lead=_timeline_usage(bot, language), language=language, kind="info")
    reply = await bot.run_blocking(bot.services.answerer.timeline, party, issue, language)
    if reply.abstained:
        return reply
    picture = await bot.run_blocking(bot.services.answerer.timeline_picture, party, issue, language)
    return replace(reply, attachment=picture)


def _timeline_usage(bot: Bot, language: str) -> str:
    parties, issues = bot.services.examples("party", language), bot.services.examples("issue", language)
    return i18n.t("ledger.timeline.usage", language, party=parties.split(", ")[0], issue=issues.split(", ")[0],
                  parties=parties, issues=issues)


async def matrix(bot: Bot, request: Request, language: str) -> Reply:
    """/matrix [ISSUE...]: issues x parties, each party's latest stance, "silent" cells, and where the gap is; with a picture."""
    issues = _issues_named(bot, request.text)
    if request.text.strip() and not issues:
        bot.services.resolve_pair(request.text, ("issue", "issue"), language)  # names nothing: say what is known
    return await bot.run_blocking(bot.services.answerer.matrix, issues, language)


def _issues_named(bot: Bot, text: str) -> list[str]:
    """Every issue named in ``text``, in order, once."""
    profile = bot.services.profile
    keys = [m.key if m.kind == "issue" else profile.issue_of(m.key) for m in profile.find(text) if m.kind in ("issue", "place")]
    return list(dict.fromkeys(k for k in keys if k))


async def compare(bot: Bot, request: Request, language: str) -> Reply:
    """/compare PARTY PARTY [ISSUE]: two parties side by side."""
    first, second, issue = bot.services.resolve_compare(request.text, language)
    return await bot.run_blocking(bot.services.answerer.compare, first, second, issue, language)


async def latest(bot: Bot, request: Request, language: str) -> Reply:
    """/latest: the newest documents and what they added."""
    return await bot.run_blocking(bot.services.answerer.latest, language)


def delegated(module: str, function: str, doc: str):
    """A handler that runs ``module.function(services, request, language)`` off the event loop.

    Subscriptions and sources own their replies; importing them lazily keeps start-up light.
    """

    async def handler(bot: Bot, request: Request, language: str) -> Reply:
        implementation = getattr(importlib.import_module(module), function)
        return await bot.run_blocking(implementation, bot.services, request, language)

    handler.__doc__ = doc
    return handler


subscribe = delegated("bot.delivery.subscriptions", "subscribe_command", "/subscribe [instant|daily HH:MM] [filters].")
unsubscribe = delegated("bot.delivery.subscriptions", "unsubscribe_command", "/unsubscribe: stop this chat's summaries.")
settings = delegated("bot.delivery.subscriptions", "settings_command", "/settings [language LANG] [timezone TZ]: show or change this chat's preferences.")
sources = delegated("bot.ingestion.sources", "sources_command", "/sources: what Parley reads.")
addsource = delegated("bot.ingestion.sources", "addsource_command", "/addsource URL [interval]: admin-only.")
removesource = delegated("bot.ingestion.sources", "removesource_command", "/removesource ID|URL: admin-only.")


COMMANDS: list[CommandSpec] = [
    CommandSpec("start", "", _d("Start: what Parley does", "开始:Parley 能做什么", "開始:Parley 能做什麼"), start),
    CommandSpec("help", "", _d("Show help", "显示帮助", "顯示說明"), start),
    CommandSpec("ask", "QUESTION", _d("Ask about the negotiations", "询问谈判情况", "詢問談判情況"), ask, rate_limited=True, options=("question",)),
    CommandSpec("parity", "QUESTION", _d("English vs Chinese sources, side by side", "英文与中文来源对照", "英文與中文來源對照"), parity, rate_limited=True, options=("question",)),
    CommandSpec("positions", "[PARTY]", _d("Each party's latest stance by issue", "各方在各议题上的最新立场", "各方在各議題上的最新立場"), positions, rate_limited=True, options=("party",)),
    CommandSpec("timeline", "PARTY ISSUE", _d("How a party's stance changed", "某方立场的变化", "某方立場的變化"), timeline, rate_limited=True, options=("party", "issue")),
    CommandSpec("matrix", "[ISSUE...]", _d("Who stands where: issues x parties", "各方立场矩阵:议题×各方", "各方立場矩陣:議題×各方"), matrix, rate_limited=True, options=("issue",)),
    CommandSpec("compare", "PARTY PARTY [ISSUE]", _d("Compare two parties", "比较两方立场", "比較兩方立場"), compare, rate_limited=True, options=("party", "other_party", "issue")),
    CommandSpec("latest", "", _d("Newest documents", "最新文献", "最新文獻"), latest, rate_limited=True),
    CommandSpec("sources", "", _d("What Parley reads", "Parley 的信息来源", "Parley 的資訊來源"), sources),
    CommandSpec("subscribe", "[instant|daily HH:MM] [FILTERS]", _d("Get summaries of new documents here", "在此接收新文献摘要", "在此接收新文獻摘要"), subscribe, needs_manage=True, options=("mode", "filters")),
    CommandSpec("unsubscribe", "", _d("Stop summaries here", "停止在此接收摘要", "停止在此接收摘要"), unsubscribe, needs_manage=True),
    CommandSpec("settings", "[language LANG] [timezone TZ]", _d("Answer language and time zone", "回答语言和时区", "回答語言和時區"), settings, checks_manage=True, options=("language", "timezone")),
    CommandSpec("addsource", "URL [INTERVAL]", _d("Add a feed, page or folder (admins)", "添加来源(管理员)", "新增來源(管理員)"), addsource, admin_only=True, options=("location", "interval")),
    CommandSpec("removesource", "ID|URL", _d("Remove a source (admins)", "删除来源(管理员)", "刪除來源(管理員)"), removesource, admin_only=True, options=("source",)),
]
