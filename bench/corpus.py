"""The bench's synthetic corpus: seeded, profile-driven news documents in three scripts, with questions whose answer is known.

Every party, speaker, issue, place and outlet comes from the loaded profile; only the sentence
shapes (news phrasing in English and Chinese) live here. A fact sentence names a speaker, an
issue and a place and carries a number or a date; a question asks for that fact, possibly in
another language. The fact's (kind, party, issue, place) is unique in the corpus whenever a
question is asked about it, so its sentence is the one known answer.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from bot.text import normalize as textnorm

LANGUAGES = ("en", "zh-Hans", "zh-Hant")
DOC_LANGUAGE_WEIGHTS = (0.5, 0.3, 0.2)
SAME_LANGUAGE_SHARE = 0.4  # the rest of the questions cross languages, in both directions
DEFAULT_SEED = 20250318
FALLBACK_START = date(2025, 1, 6)  # used only when the profile has no dated events

# Fact sentences and their questions: {speaker} {issue} {place} {n} {date}. Each kind has several
# phrasings, so shared sentence shapes don't decide the ranking. Chinese templates are written in
# Simplified; the Traditional ones are converted from them.
FACTS = {
    "demand": {
        "en": (("{speaker} demanded that any agreement on {issue} cover {place}, with a deadline of {n} days.",
                "Any deal on {issue} must include {place} and be settled within {n} days, {speaker} insisted.",
                "{speaker} set a {n}-day deadline for an agreement on {issue} that covers {place}."),
               ("What deadline did {speaker} set for an agreement on {issue} covering {place}?",
                "How long did {speaker} give for a deal on {issue} that includes {place}?")),
        "zh": (("{speaker}要求任何关于{issue}的协议必须涵盖{place}，期限为{n}天。",
                "{speaker}坚持认为，有关{issue}的任何协议都必须包括{place}，并在{n}天内达成。",
                "{speaker}为涵盖{place}的{issue}协议设定了{n}天的期限。"),
               ("{speaker}为涵盖{place}的{issue}协议设定了什么期限？",
                "{speaker}给包括{place}在内的{issue}协议多长时间？")),
    },
    "reject": {
        "en": (("{speaker} rejected the latest proposal on {issue} for {place}, saying {n} of its points were unacceptable.",
                "Calling {n} of its points unacceptable, {speaker} turned down the new plan on {issue} for {place}.",
                "The proposal on {issue} in {place} was rejected by {speaker}, which objected to {n} of its clauses."),
               ("Why did {speaker} reject the proposal on {issue} for {place}?",
                "What did {speaker} object to in the plan on {issue} for {place}?")),
        "zh": (("{speaker}拒绝了关于{place}{issue}问题的最新提议，称其中{n}点无法接受。",
                "{speaker}以其中{n}点无法接受为由，否决了有关{place}{issue}的新方案。",
                "关于{place}{issue}的提议遭到{speaker}拒绝，对方反对其中的{n}项条款。"),
               ("{speaker}为什么拒绝关于{place}{issue}问题的提议？",
                "{speaker}反对关于{place}{issue}的方案中的什么内容？")),
    },
    "offer": {
        "en": (("{speaker} offered to discuss {issue} in {place} if attacks stopped for {n} days.",
                "If attacks stop for {n} days, {speaker} is ready to negotiate on {issue} in {place}.",
                "{speaker} proposed talks on {issue} for {place} after a {n}-day halt to attacks."),
               ("What did {speaker} offer on {issue} in {place}?",
                "Under what condition would {speaker} negotiate on {issue} in {place}?")),
        "zh": (("{speaker}提出，如果袭击停止{n}天，愿意讨论{place}的{issue}问题。",
                "{speaker}表示，只要袭击停止{n}天，就准备就{place}的{issue}进行谈判。",
                "{speaker}提议在袭击暂停{n}天后就{place}的{issue}举行会谈。"),
               ("{speaker}就{place}的{issue}问题提出了什么条件？",
                "{speaker}在什么条件下愿意就{place}的{issue}谈判？")),
    },
    "figure": {
        "en": (("{speaker} said {n} monitors would oversee {issue} arrangements around {place} starting {date}.",
                "Starting {date}, {n} observers will watch over {issue} around {place}, according to {speaker}.",
                "A team of {n} monitors is to supervise {issue} near {place} from {date}, {speaker} announced."),
               ("How many monitors would oversee {issue} around {place}, according to {speaker}?",
                "How many observers did {speaker} say would watch {issue} near {place}?")),
        "zh": (("{speaker}表示，自{date}起将有{n}名监察员监督{place}周边的{issue}安排。",
                "据{speaker}称，从{date}开始，{n}名观察员将在{place}附近监督{issue}。",
                "{speaker}宣布，一支{n}人的监察小组将从{date}起在{place}一带监督{issue}。"),
               ("据{speaker}说，将有多少名监察员监督{place}周边的{issue}？",
                "{speaker}说将有多少名观察员在{place}附近监督{issue}？")),
    },
    "meeting": {
        "en": (("Envoys of {speaker} met in {place} on {date} for {n} hours of talks on {issue}.",
                "On {date}, envoys of {speaker} held {n} hours of talks on {issue} in {place}.",
                "{speaker} sent envoys to {place}, where they discussed {issue} for {n} hours on {date}."),
               ("When did envoys of {speaker} meet in {place} for talks on {issue}?",
                "On what date did envoys of {speaker} discuss {issue} in {place}?")),
        "zh": (("{speaker}的特使于{date}在{place}就{issue}举行了{n}小时的会谈。",
                "{date}，{speaker}的特使在{place}就{issue}进行了长达{n}小时的会谈。",
                "{speaker}派特使前往{place}，于{date}就{issue}讨论了{n}个小时。"),
               ("{speaker}的特使何时在{place}就{issue}举行会谈？",
                "{speaker}的特使哪一天在{place}讨论了{issue}？")),
    },
    "deny": {
        "en": (("{speaker} denied reports that it had agreed to {n} concessions on {issue} in {place}.",
                "Reports of {n} concessions on {issue} in {place} were false, {speaker} said.",
                "{speaker} dismissed claims that it had accepted {n} concessions over {issue} in {place}."),
               ("What did {speaker} deny about {issue} in {place}?",
                "Which reports about {issue} in {place} did {speaker} call false?")),
        "zh": (("{speaker}否认了已就{place}的{issue}作出{n}项让步的报道。",
                "{speaker}称，有关其在{place}的{issue}问题上作出{n}项让步的报道不实。",
                "{speaker}驳斥了已在{place}{issue}问题上接受{n}项让步的说法。"),
               ("{speaker}否认了关于{place}{issue}的什么说法？",
                "{speaker}称哪些关于{place}{issue}的报道不实？")),
    },
}
FILLERS = {
    "en": ("The talks are expected to resume next week, according to {outlet}.",
           "{speaker} and {other} have traded accusations over {issue} for months.",
           "Officials did not give further details.",
           "Analysts said a breakthrough on {issue} remained unlikely before {date}.",
           "Neither side commented on the report, {outlet} said.",
           "Diplomats from {other} said they were studying the text."),
    "zh": ("据{outlet}报道，会谈预计下周恢复。",
           "{speaker}和{other}数月来一直就{issue}相互指责。",
           "官员们没有透露更多细节。",
           "分析人士表示，{date}之前在{issue}问题上取得突破的可能性不大。",
           "{outlet}称，双方均未对该报道发表评论。",
           "{other}的外交官表示，他们正在研究相关文本。"),
}
GENERIC = {  # the latency mix's other kinds of question
    "position": {"en": "What is {a}'s position on {issue}?", "zh": "{a}在{issue}问题上的立场是什么？"},
    "compare": {"en": "How do {a} and {b} differ on {issue}?", "zh": "{a}和{b}在{issue}问题上有何分歧？"},
    "latest": {"en": "What's the latest news?", "zh": "最新消息是什么？"},
    "off_topic": {"en": "Write me a poem about autumn.", "zh": "给我写一首关于秋天的诗。"},
}
TITLES = {"en": "{speaker} and {other} at odds over {issue}", "zh": "{speaker}与{other}在{issue}问题上分歧明显"}
URL_LABEL = {"en": "Original url:", "zh-Hans": "原始链接:", "zh-Hant": "原始連結:"}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


@dataclass(frozen=True)
class Fact:
    """One generated fact sentence, as written in its document."""

    kind: str
    party: str
    speaker: str
    issue: str
    place: str
    number: int
    day: date
    sentence: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.kind, self.party, self.issue, self.place


@dataclass(frozen=True)
class BenchDocument:
    """A synthetic news document: raw text as a file would hold it, and the facts it states."""

    name: str
    language: str
    outlet: str
    published: date
    text: str
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class BenchQuestion:
    """A question with one known answering sentence in one document."""

    id: str
    text: str
    language: str
    document: str  # BenchDocument.name
    document_language: str
    answer: str  # the fact sentence, verbatim
    kind: str

    @property
    def direction(self) -> str:
        """en->zh, zh->en or same (Simplified and Traditional count as one language)."""
        asked, answered = _family(self.language), _family(self.document_language)
        return "same" if asked == answered else f"{asked}->{answered}"


@dataclass
class Corpus:
    """N documents and their questions, generated from a profile with a seed."""

    documents: list[BenchDocument]
    questions: list[BenchQuestion]
    seed: int
    profile_name: str
    languages: Counter = field(default_factory=Counter)

    def mix(self, profile, size: int, seed: int | None = None) -> list[tuple[str, str]]:
        """A fixed latency mix of (question, language): 60% generated fact questions (each asked once), then
        positions, comparisons, latest news and off-topic requests in every language, shuffled."""
        rng = random.Random((seed if seed is not None else self.seed) + 1)
        facts = [(q.text, q.language) for q in rng.sample(self.questions, min(len(self.questions), size * 6 // 10))]
        shares = (("position", 0.55), ("compare", 0.3), ("latest", 0.08), ("off_topic", 0.07))
        rest = size - len(facts)
        kinds = [kind for kind, share in shares for _ in range(round(rest * share))]
        kinds = (kinds + ["position"] * rest)[:rest]
        mixed = facts + [self._generic(rng, profile, kind) for kind in kinds]
        rng.shuffle(mixed)
        return mixed

    @staticmethod
    def _generic(rng: random.Random, profile, kind: str) -> tuple[str, str]:
        language = rng.choice(LANGUAGES)
        template = _template(GENERIC[kind]["en" if language == "en" else "zh"], language)
        parties = list(profile.parties)
        a, b = rng.sample(parties, 2) if len(parties) > 1 else (parties[0], parties[0])
        return template.format(a=profile.display(a, language), b=profile.display(b, language),
                               issue=profile.display(rng.choice(list(profile.issues)), language)), language


def _family(language: str) -> str:
    return "zh" if language.startswith("zh") else language


@lru_cache(maxsize=None)
def _template(text: str, language: str) -> str:
    return textnorm.to_traditional(text) if language == "zh-Hant" else text


def _pattern(table: dict, language: str):
    return table["en"] if language == "en" else table["zh"]


def format_day(day: date, language: str, with_year: bool = False) -> str:
    """A date as news in that language writes it: "March 5" / "3月5日", optionally with the year."""
    if language == "en":
        return f"{MONTHS[day.month - 1]} {day.day}, {day.year}" if with_year else f"{MONTHS[day.month - 1]} {day.day}"
    return f"{day.year}年{day.month}月{day.day}日" if with_year else f"{day.month}月{day.day}日"


class _Vocabulary:
    """The profile's entities, drawn at random: speakers (actors and parties), issues, places, outlets."""

    def __init__(self, profile):
        self.profile = profile
        self.parties = list(profile.parties)
        if not self.parties or not profile.issues:
            raise ValueError(f"profile {profile.name!r} needs at least one party and one issue for a bench corpus")
        self.speakers = [(key, key) for key in self.parties]
        self.speakers += [(key, actor.party) for key, actor in profile.actors.items() if actor.party]
        self.issues = list(profile.issues)
        self.places = list(profile.places) or list(self.parties)  # a profile without places still gets "where"
        self.outlets = list(profile.outlets)

    def name(self, key: str, language: str) -> str:
        return self.profile.display(key, language)

    def outlet(self, key: str | None, language: str) -> str:
        """An outlet's name; a profile without outlets gets a neutral wire name."""
        return self.profile.display(key, language) if key else ("Bench Wire" if language == "en" else "通讯社")


def generate(profile, documents: int, seed: int = DEFAULT_SEED) -> Corpus:
    """``documents`` synthetic documents from ``profile``; the same seed and profile give the same corpus."""
    rng = random.Random(seed)
    vocabulary = _Vocabulary(profile)
    start = max((day for day, _ in profile.events), default=FALLBACK_START)
    docs = [_document(rng, vocabulary, index, start) for index in range(documents)]
    askable = Counter(fact.key for doc in docs for fact in doc.facts)
    questions = []
    for doc in docs:
        candidates = [fact for fact in doc.facts if askable[fact.key] == 1]
        if candidates:
            fact = rng.choice(candidates)
            questions.append(_question(rng, vocabulary, doc, fact, len(questions)))
    return Corpus(docs, questions, seed, profile.name, Counter(doc.language for doc in docs))


def _document(rng: random.Random, vocabulary: _Vocabulary, index: int, start: date) -> BenchDocument:
    language = rng.choices(LANGUAGES, weights=DOC_LANGUAGE_WEIGHTS)[0]
    published = start + timedelta(days=index * 3 // 2 % 400, hours=0)
    outlet_key = rng.choice(vocabulary.outlets) if vocabulary.outlets else None
    outlet = vocabulary.outlet(outlet_key, "en")
    facts = [_fact(rng, vocabulary, language, published) for _ in range(rng.randint(3, 4))]
    lead = facts[0]
    fill = _fillers(rng, vocabulary, language, published, vocabulary.outlet(outlet_key, language), lead)
    title = _template(_pattern(TITLES, language), language).format(
        speaker=vocabulary.name(lead.speaker, language), other=vocabulary.name(_other(rng, vocabulary, lead.party), language),
        issue=vocabulary.name(lead.issue, language))
    joiner = " " if language == "en" else ""
    first = joiner.join(fact.sentence for fact in facts[:2])
    second = joiner.join([fact.sentence for fact in facts[2:]] + fill)
    slug = "".join(ch for ch in outlet.lower() if ch.isascii() and ch.isalnum()) or "wire"
    url = f"https://{slug}.example/{published:%Y/%m/%d}/bench-{index:05d}"
    text = "\n\n".join([title, format_day(published, language, with_year=True), first, second,
                        f"{URL_LABEL[language]} {url}"]) + "\n"
    return BenchDocument(f"bench-{index:05d}.txt", language, outlet, published, text, tuple(facts))


def _fact(rng: random.Random, vocabulary: _Vocabulary, language: str, published: date) -> Fact:
    kind = rng.choice(list(FACTS))
    speaker, party = rng.choice(vocabulary.speakers)
    issue, place = rng.choice(vocabulary.issues), rng.choice(vocabulary.places)
    number = rng.randint(2, 99)
    day = published + timedelta(days=rng.randint(1, 40))
    template = _template(rng.choice(_pattern(FACTS[kind], language)[0]), language)
    sentence = template.format(speaker=vocabulary.name(speaker, language), issue=vocabulary.name(issue, language),
                               place=vocabulary.name(place, language), n=number, date=format_day(day, language))
    return Fact(kind, party, speaker, issue, place, number, day, sentence)


def _fillers(rng, vocabulary: _Vocabulary, language: str, published: date, outlet: str, lead: Fact) -> list[str]:
    templates = rng.sample(_pattern(FILLERS, language), 2)
    return [_template(template, language).format(
        outlet=outlet, speaker=vocabulary.name(lead.party, language),
        other=vocabulary.name(_other(rng, vocabulary, lead.party), language),
        issue=vocabulary.name(rng.choice(vocabulary.issues), language),
        date=format_day(published + timedelta(days=rng.randint(20, 90)), language)) for template in templates]


def _other(rng: random.Random, vocabulary: _Vocabulary, party: str) -> str:
    others = [key for key in vocabulary.parties if key != party]
    return rng.choice(others) if others else party


def _question(rng: random.Random, vocabulary: _Vocabulary, doc: BenchDocument, fact: Fact, number: int) -> BenchQuestion:
    if rng.random() < SAME_LANGUAGE_SHARE:
        language = doc.language
    elif doc.language == "en":
        language = rng.choice(("zh-Hans", "zh-Hant"))
    else:
        language = "en"
    template = _template(rng.choice(_pattern(FACTS[fact.kind], language)[1]), language)
    text = template.format(speaker=vocabulary.name(fact.speaker, language), issue=vocabulary.name(fact.issue, language),
                           place=vocabulary.name(fact.place, language))
    return BenchQuestion(f"q{number:05d}", text, language, doc.name, doc.language, fact.sentence, fact.kind)
