"""Follow-up questions: a reply to Parley's answer is read with the earlier question's parties and issues as context."""
from __future__ import annotations

from bot.text.normalize import language_of


def topics(text: str, profile) -> tuple[list[str], list[str]]:
    """The parties and the issues ``text`` names (directly, or through their people and places), in order."""
    parties: list[str] = []
    issues: list[str] = []
    for mention in profile.find(text):
        party = profile.party_of(mention.key)
        issue = None if party else profile.issue_of(mention.key)
        if party and party not in parties:
            parties.append(party)
        elif issue and issue not in issues:
            issues.append(issue)
    return parties, issues


def in_context(question: str, earlier: str, profile) -> str:
    """``question`` with what it leaves out of ``earlier`` made explicit.

    "And what did Ukraine say about it?" after a question on the NATO pledge names a party but no issue: the
    earlier question's topic is added, so it is read as a question about Ukraine on NATO. A party the follow-up
    names takes the place of the earlier question's first party (its subject: "what did Ukraine say" instead of
    "what does Russia demand"), and the other parties it named (what it was about: "the NATO pledge") carry over;
    an issue the follow-up names replaces the earlier issues.
    """
    parties, issues = topics(question, profile)
    earlier_parties, earlier_issues = topics(earlier, profile)
    kept_parties = earlier_parties if not parties else [p for p in earlier_parties[1:] if p not in parties]
    carried = kept_parties + ([] if issues else earlier_issues)
    if not carried:
        return question
    language = language_of(question)
    names = [profile.display(key, language) for key in carried]
    if language.startswith("zh"):
        return f"{question.rstrip()}（{'、'.join(names)}）"
    return f"{question.rstrip()} ({', '.join(names)})"
