"""Autocomplete for the chat contract: profile parties and issues whose aliases, in any script, contain what was typed."""
from __future__ import annotations

from bot.text import normalize as textnorm
from bot.text.profile import Profile


def suggest_entities(profile: Profile, kind: str, typed: str, language: str, limit: int) -> list[tuple[str, str]]:
    """``(label, value)`` pairs for profile parties or issues whose aliases, in any script, contain ``typed``.

    Actors count for their party and places for their issue, so "Putin" suggests Russia.
    ``value`` is a name ``profile.find`` resolves back to the same entry.
    """
    members = {"party": ("party", "actor"), "issue": ("issue", "place")}[kind]
    owner_of = profile.party_of if kind == "party" else profile.issue_of
    needle = textnorm.fold(typed.strip())
    prefix_hits: dict[str, str] = {}
    other_hits: dict[str, str] = {}
    for entity in profile.entities():
        owner = owner_of(entity.key) if entity.kind in members else None
        if owner is None or owner in prefix_hits:
            continue
        if not needle:
            if entity.kind == kind:
                prefix_hits[owner] = ""
            continue
        for alias in entity.aliases:
            folded = textnorm.fold(alias)
            if folded.startswith(needle):
                prefix_hits[owner] = alias
                other_hits.pop(owner, None)
                break
            if needle in folded and owner not in other_hits:
                other_hits[owner] = alias
    ranked = list(prefix_hits.items()) + [(k, a) for k, a in other_hits.items() if k not in prefix_hits]
    return [_choice(profile, key, alias, language) for key, alias in ranked[:limit]]


def _choice(profile: Profile, key: str, alias: str, language: str) -> tuple[str, str]:
    name = profile.display(key, language)
    label = name if not alias or textnorm.fold(alias) == textnorm.fold(name) else f"{name} ({alias})"
    return label, _resolvable_name(profile, key, name)


def _resolvable_name(profile: Profile, key: str, preferred: str) -> str:
    """``preferred`` if the profile reads it back as ``key``, else the first alias that it does."""
    for candidate in (preferred, *profile.entity(key).aliases):
        mentions = profile.find(candidate)
        if mentions and key in (mentions[0].key, profile.party_of(mentions[0].key), profile.issue_of(mentions[0].key)):
            return candidate
    return preferred
