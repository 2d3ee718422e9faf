"""Who gets summaries: /subscribe, /unsubscribe and /settings, plus deactivating and migrating chats."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import update
from sqlmodel import Session, select, col

from bot.text import i18n
from bot.errors import BadArguments, NotAllowed
from bot.messages import Reply, Request
from storage.db import session_scope
from storage.models import Chat, Delivery, Subscription, utcnow

log = logging.getLogger(__name__)

DEFAULT_DAILY_TIME = "08:00"
_MODES = {"instant": "instant", "即时": "instant", "即時": "instant",
          "daily": "daily", "每日": "daily", "每天": "daily",
          # only position changes, with the before and after quotes (issue 15)
          "changes": "changes", "change": "changes", "变化": "changes", "變化": "changes", "立场变化": "changes",
          "立場變化": "changes"}
# Filter words for the documents' language; "zh" means Chinese in either script.
_LANGUAGE_FILTERS = {
    "en": ("en",), "english": ("en",), "英文": ("en",), "英语": ("en",), "英語": ("en",),
    "zh": ("zh-Hans", "zh-Hant"), "chinese": ("zh-Hans", "zh-Hant"), "中文": ("zh-Hans", "zh-Hant"),
    "zh-hans": ("zh-Hans",), "zh-cn": ("zh-Hans",), "简体": ("zh-Hans",), "簡體": ("zh-Hans",),
    "zh-hant": ("zh-Hant",), "zh-tw": ("zh-Hant",), "zh-hk": ("zh-Hant",), "繁体": ("zh-Hant",), "繁體": ("zh-Hant",),
}
_TIME = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")
# What may sit between filter names without naming anything: separators and "and"/"or".
_FILLER = re.compile(r"(?:[\s,，、;；/&+|]|\b(?:and|or|all|everything)\b|和|与|與|及|或|全部|所有)+", re.IGNORECASE)
_SETTING_KEYS = {"language": "language", "lang": "language", "语言": "language", "語言": "language",
                 "timezone": "timezone", "tz": "timezone", "time_zone": "timezone", "时区": "timezone", "時區": "timezone"}
_CLEAR_WORDS = {"auto", "default", "reset", "自动", "自動", "默认", "默認"}


@dataclass
class SubscribeRequest:
    """What /subscribe asked for, once parsed."""

    mode: str = "instant"
    daily_time: str | None = None
    parties: list[str] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


def parse_subscribe(text: str, profile, language: str) -> SubscribeRequest:
    """Parse ``[instant|daily HH:MM] [party/issue names] [en|zh|zh-Hans|zh-Hant]`` in any order.

    Raises BadArguments naming whatever part of the text it could not understand.
    """
    wanted = SubscribeRequest()
    rest: list[str] = []
    for token in text.split():
        word = token.strip(",，、;；").lower()
        if word in _MODES:
            wanted.mode = _MODES[word]
        elif _TIME.match(word):
            hours, minutes = _TIME.match(word).groups()
            wanted.daily_time = f"{int(hours):02d}:{minutes}"
        elif word in _LANGUAGE_FILTERS:
            _extend_unique(wanted.languages, _LANGUAGE_FILTERS[word])
        else:
            rest.append(token)
    if wanted.daily_time and wanted.mode != "daily":
        wanted.mode = "daily"  # "/subscribe 08:00" can only mean a daily digest
    if wanted.mode == "daily" and not wanted.daily_time:
        wanted.daily_time = DEFAULT_DAILY_TIME
    _parse_filters(" ".join(rest), profile, language, wanted)
    return wanted


def _parse_filters(text: str, profile, language: str, wanted: SubscribeRequest) -> None:
    leftover, cursor = [], 0
    for mention in profile.find(text):
        leftover.append(text[cursor:mention.start])
        cursor = mention.end
        party, issue = profile.party_of(mention.key), profile.issue_of(mention.key)
        if party:
            _extend_unique(wanted.parties, (party,))
        elif issue:
            _extend_unique(wanted.issues, (issue,))
    leftover.append(text[cursor:])
    unknown = _FILLER.sub(" ", " ".join(leftover)).strip()
    if unknown:
        examples = ", ".join(profile.display(key, language) for key in [*list(profile.parties)[:3], *list(profile.issues)[:3]])
        raise BadArguments(i18n.t("subscribe.unknown_filter", language, text=unknown, examples=examples))


def _extend_unique(target: list[str], values) -> None:
    for value in values:
        if value not in target:
            target.append(value)


def subscribe_command(services, request: Request, language: str) -> Reply:
    """/subscribe: create or replace this chat's one subscription, and confirm it in ``language``."""
    wanted = parse_subscribe(request.text, services.profile, language)
    chat = str(request.chat)
    with session_scope(services.engine) as session:
        row = _subscription_of(session, chat) or Subscription(chat=chat)
        row.mode, row.daily_time = wanted.mode, wanted.daily_time
        row.parties, row.issues, row.languages = wanted.parties, wanted.issues, wanted.languages
        row.active, row.deactivated_reason = True, None
        session.add(row)
        prefs = _chat_row(session, chat)
        prefs.active = True
        # Pushes have no question to take a language from: remember the one this chat subscribed in.
        prefs.language = prefs.language or language
        session.add(prefs)
        timezone = prefs.timezone or services.settings.default_timezone
    log.info("%s subscribed: %s %s parties=%s issues=%s languages=%s", chat, wanted.mode,
             wanted.daily_time or "", wanted.parties, wanted.issues, wanted.languages)
    return Reply(lead=describe_subscription(row, services.profile, language, timezone, confirm=True),
                 language=language, kind="info")


def unsubscribe_command(services, request: Request, language: str) -> Reply:
    """/unsubscribe: stop this chat's summaries and drop whatever was still queued for it."""
    chat = str(request.chat)
    with session_scope(services.engine) as session:
        row = _subscription_of(session, chat)
        if row is None or not row.active:
            return Reply(lead=i18n.t("subscribe.not_subscribed", language), language=language, kind="info")
        _deactivate_rows(session, [row], "unsubscribed")
    log.info("%s unsubscribed", chat)
    return Reply(lead=i18n.t("subscribe.stopped", language), language=language, kind="info")


def settings_command(services, request: Request, language: str) -> Reply:
    """/settings: show this chat's language, time zone and subscription, or change them.

    ``language zh-Hant`` and ``timezone Asia/Taipei`` change them (``auto`` clears);
    in groups only the chat's admins (or bot admins) may change anything.
    """
    changes = _parse_settings(request.text, language)
    chat = str(request.chat)
    if changes and not (request.is_private or request.sender.can_manage_chat or request.sender.is_bot_admin):
        raise NotAllowed(i18n.t("error.manage_only", language))
    with session_scope(services.engine) as session:
        prefs = _chat_row(session, chat)
        for name, value in changes.items():
            setattr(prefs, name, value)
        if changes:
            prefs.updated_at = utcnow()
            session.add(prefs)
        subscription = _subscription_of(session, chat)
    if changes:
        log.info("%s changed settings: %s", chat, changes)
    language = prefs.language or language  # answer in the language just chosen
    return Reply(lead=_describe_settings(services, prefs, subscription, language, changed=bool(changes)),
                 language=language, kind="info")


def _parse_settings(text: str, language: str) -> dict[str, str | None]:
    tokens = text.split()
    if len(tokens) % 2:
        raise BadArguments(i18n.t("settings.usage", language))
    changes: dict[str, str | None] = {}
    for key, value in zip(tokens[::2], tokens[1::2]):
        name = _SETTING_KEYS.get(key.lower())
        if name is None:
            raise BadArguments(i18n.t("settings.usage", language))
        changes[name] = None if value.lower() in _CLEAR_WORDS else _validate_setting(name, value, language)
    return changes


def _validate_setting(name: str, value: str, language: str) -> str:
    if name == "language":
        chosen = i18n.normalize_language(value)
        if chosen is None:
            raise BadArguments(i18n.t("settings.bad_language", language, value=value, choices=", ".join(i18n.LANGUAGES)))
        return chosen
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadArguments(i18n.t("settings.bad_timezone", language, value=value)) from None
    return value


def _describe_settings(services, prefs: Chat, subscription: Subscription | None, language: str, changed: bool) -> str:
    timezone = prefs.timezone or services.settings.default_timezone
    lines = [i18n.t("settings.saved" if changed else "settings.title", language),
             i18n.t("settings.language_line", language,
                    value=language_name(prefs.language, language) if prefs.language else i18n.t("settings.automatic", language)),
             i18n.t("settings.timezone_line", language, value=timezone)]
    if subscription is not None and subscription.active:
        lines.append(describe_subscription(subscription, services.profile, language, timezone, confirm=False))
    else:
        lines.append(i18n.t("subscribe.not_subscribed", language))
    return "\n".join(lines)


def describe_subscription(row: Subscription, profile, language: str, timezone: str, *, confirm: bool) -> str:
    """One localized sentence: the mode (with its time and time zone) and the filters."""
    prefix = "subscribe.done" if confirm else "subscribe.current"
    if row.mode == "daily":
        head = i18n.t(f"{prefix}_daily", language, time=row.daily_time, timezone=timezone)
    elif row.mode == "changes":
        head = i18n.t(f"{prefix}_changes", language)
    else:
        head = i18n.t(f"{prefix}_instant", language)
    return f"{head} {describe_filters(row, profile, language)}"


def describe_filters(row: Subscription, profile, language: str) -> str:
    """The subscription's filters in words, or "everything" when it has none."""
    parts = []
    if row.parties:
        parts.append(i18n.t("subscribe.filter_parties", language, names=_names(profile, row.parties, language)))
    if row.issues:
        parts.append(i18n.t("subscribe.filter_issues", language, names=_names(profile, row.issues, language)))
    if row.languages:
        names = i18n.t("subscribe.filter_or", language).join(language_name(code, language) for code in row.languages)
        parts.append(i18n.t("subscribe.filter_languages", language, names=names))
    if not parts:
        return i18n.t("subscribe.no_filters", language)
    return i18n.t("subscribe.filters", language, filters=i18n.t("subscribe.filter_sep", language).join(parts))


def _names(profile, keys: list[str], language: str) -> str:
    shown = []
    for key in keys:
        try:
            shown.append(profile.display(key, language))
        except KeyError:  # a filter from an earlier profile: show it rather than fail
            shown.append(key)
    # Filters of one kind are alternatives: "about Russia or Ukraine".
    return i18n.t("subscribe.filter_or", language).join(shown)


def language_name(code: str, language: str) -> str:
    """A language code's name for readers of ``language`` ("zh-Hant" -> "Traditional Chinese")."""
    return i18n.t(f"subscribe.language_name.{code}", language)


def deactivate(engine, chat: str, reason: str) -> None:
    """Stop pushing to ``chat`` (blocked, kicked, deleted) and cancel what was queued for it."""
    with session_scope(engine) as session:
        rows = list(session.exec(select(Subscription).where(Subscription.chat == chat, Subscription.active)).all())
        _deactivate_rows(session, rows, reason)
        prefs = session.get(Chat, chat)
        if prefs is not None:
            prefs.active, prefs.updated_at = False, utcnow()
            session.add(prefs)
    log.warning("deactivated %s: %s (%d subscription(s))", chat, reason, len(rows))


def _deactivate_rows(session: Session, rows: list[Subscription], reason: str) -> None:
    for row in rows:
        row.active, row.deactivated_reason = False, reason
        session.add(row)
    if rows:
        session.execute(update(Delivery)
                        .where(col(Delivery.subscription_id).in_([r.id for r in rows]), Delivery.status == "pending")
                        .values(status="cancelled", last_error=reason, claimed_by=None))


def migrate(engine, old_chat: str, new_chat: str) -> None:
    """Move a chat's preferences, subscription and queued deliveries to its new id (Telegram group -> supergroup)."""
    with session_scope(engine) as session:
        _migrate_preferences(session, old_chat, new_chat)
        target = _subscription_of(session, new_chat)
        for row in session.exec(select(Subscription).where(Subscription.chat == old_chat)).all():
            if target is None:
                row.chat = new_chat
                session.add(row)
                session.execute(update(Delivery).where(Delivery.subscription_id == row.id, Delivery.status != "sent")
                                .values(chat=new_chat))
            else:  # the new chat already subscribed on its own: keep that one
                _deactivate_rows(session, [row], f"migrated to {new_chat}")
    log.warning("chat %s moved to %s; its subscription follows", old_chat, new_chat)


def _migrate_preferences(session: Session, old_chat: str, new_chat: str) -> None:
    old = session.get(Chat, old_chat)
    if old is None:
        return
    new = session.get(Chat, new_chat)
    if new is None:
        session.add(Chat(chat=new_chat, language=old.language, timezone=old.timezone, active=True))
    old.active, old.updated_at = False, utcnow()
    session.add(old)


def _subscription_of(session: Session, chat: str) -> Subscription | None:
    return session.exec(select(Subscription).where(Subscription.chat == chat).order_by(Subscription.id)).first()


def _chat_row(session: Session, chat: str) -> Chat:
    row = session.get(Chat, chat)
    return row if row is not None else Chat(chat=chat)
