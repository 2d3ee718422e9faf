"""Claims with their sources, for the lead: who says so (person, party, on the record or not, outlet) and how to say it."""
from __future__ import annotations

import re

from bot.text import clauses, i18n
from bot.text import normalize as textnorm

ANONYMOUS = re.compile(r"\b(?:sources?|officials?|insiders?|people familiar|diplomats?|aides?)\b|消息人士|知情人士|官员|官員|人士", re.I)
_ONLY_PRONOUN = re.compile(r"^(?:he|she|they|it|we|i|他|她|他们|他們|她们|她們)$", re.I)


class Source:
    """Who stands behind one evidence sentence, for the reader: the person or unnamed source, their party, how it
    reaches us (on the record, anonymous, relayed) and the outlet that printed it."""

    def __init__(self, speaker: str | None, party: str | None, kind: str, outlet: str | None, relayed_from: str | None,
                 named: bool):
        self.speaker = speaker  # display text, already in the reader's language where the profile knows the name
        self.party = party
        self.kind = kind  # on_record | anonymous | relayed | narrator
        self.outlet = outlet
        self.relayed_from = relayed_from
        self.named = named
        self.printer = outlet  # the outlet that printed it, "Ukrainska Pravda, citing Reuters" when it relays an agency

    def phrase(self, language: str, with_party: bool = False, party_name: str | None = None) -> str:
        """"Steve Witkoff", "Ukrainska Pravda, citing five Russian officials", "路透社" ..."""
        who = _lower_first(self.speaker) if self.speaker and language == "en" else self.speaker
        if who and with_party and party_name and party_name not in who:
            who = i18n.t("lead.who_party", language, who=who, party=party_name)
        if self.kind == "anonymous" and who:
            return i18n.t("lead.citing", language, outlet=self.outlet, who=who) if self.outlet else who
        if self.kind == "relayed" and self.relayed_from and who:
            return i18n.t("lead.via", language, who=who, source=self.relayed_from)
        if self.kind == "relayed" and self.relayed_from:
            return i18n.t("lead.citing", language, outlet=self.outlet or "", who=self.relayed_from) if self.outlet else self.relayed_from
        return who or self.outlet or ""


def claim(text: str, language: str, keep: tuple[str, ...] = (), limit: int = 22) -> tuple[str | None, str]:
    """(who, claim) of a sentence when it is in the reader's script; the claim shortened to its main clause."""
    clause = clauses.split(text)
    return clause.who, clauses.shorten(clause.core, keep, limit)


def said(source: Source, core: str, language: str, refs: str) -> str:
    """One sentence stating a claim with its source: "Steve Witkoff said talks will continue in Saudi Arabia [1]"."""
    core = core.rstrip(" .。")
    if language.startswith("zh"):
        if source.kind == "on_record" and source.speaker:
            return f"{source.speaker}表示,{core} {refs}".strip()
        who = source.phrase(language)
        return (f"据{who},{core} {refs}" if who else f"{core} {refs}").strip()
    if source.kind == "on_record" and source.speaker:
        return f"{source.speaker[:1].upper()}{source.speaker[1:]} said {_lower_first(core)} {refs}".strip()
    who = source.phrase(language)
    return (f"According to {who}, {_lower_first(core)} {refs}" if who else f"{core} {refs}").strip()


def _lower_first(text: str) -> str:
    """Lowercase a sentence's first word when it is an ordinary word ("The talks", "Two sources"), not a name."""
    first = text.split(" ", 1)[0]
    if first[:1].isupper() and first[1:].islower() and (first.lower() in textnorm.ENGLISH_STOPWORDS or first.lower() in _COUNTS):
        return first.lower() + text[len(first):]
    return text


_COUNTS = frozenset("one two three four five six seven eight nine ten several many some most all both senior".split())
REPORT_WORDS = re.compile(r"\b(?:reports?|media|press|newspapers?|publications?)\b|报道|報導|媒体|媒體", re.I)


def is_pronoun(who: str | None) -> bool:
    return bool(who) and bool(_ONLY_PRONOUN.match(who.strip()))


def same_script(text: str, language: str) -> bool:
    return textnorm.is_cjk(text) == language.startswith("zh")
