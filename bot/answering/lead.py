"""Writing the reply: citations, verbatim bullets, and the lead sentence in the question's language."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date
from typing import TYPE_CHECKING

from bot.answering.cues import ANSWER_STANCES, _same_script, _speaker_in
from bot.answering.evidence import Point, PremiseFact, _verdict
from bot.answering.figures import Figure, asked_units, extract_dates, extract_figures, render_figure
from bot.answering.index import IndexedPassage, LedgerEntry
from bot.answering.question import Question
from bot.answering.tuning import INFORMATIVE_IDF
from bot.messages import Bullet, Citation, Reply
from bot.text import i18n
from bot.text import normalize as textnorm

if TYPE_CHECKING:  # the lead writer is handed its Answerer
    from bot.answering.engine import Answerer

class ReplyWriting:
    """Answerer's reply: numbered citations, verbatim bullets and the lead written for the asker.

    Mixed into ``Answerer``; uses its ``index``."""

    def _reply(self, q: Question, points: list[Point], premise: list["PremiseFact"] | None) -> Reply:
        citations, bullets, numbers = self._cite(points)
        lead = self._lead(q, points, premise, numbers)
        if citations and all(not _same_script(c.language, q.language) for c in citations):
            lead += i18n.t("answer.lead.other_language", q.language)
        if not lead.endswith((".", "。", ":", ":")):
            lead += i18n.t("answer.end", q.language)
        return Reply(lead=lead, bullets=tuple(bullets), citations=tuple(citations), language=q.language,
                     as_of=_as_of(citations), labels=i18n.labels(q.language))

    def _cite(self, points: list[Point]) -> tuple[list[Citation], list[Bullet], dict[int, int]]:
        """Number the sources in order of use; each bullet quotes its main passage (with context) verbatim."""
        citations: list[Citation] = []
        by_passage: dict[int, int] = {}
        bullets = []
        for point in points:
            numbers = []
            for passage in point.passages:
                if passage.id not in by_passage:
                    span = point.context if passage is point.main else [passage]
                    citations.append(self._citation(len(citations) + 1, passage, self.index.quote(span)))
                    by_passage[passage.id] = len(citations)
                numbers.append(by_passage[passage.id])
            for passage in point.context:
                by_passage.setdefault(passage.id, by_passage[point.main.id])
            quote = " ".join(citations[by_passage[point.main.id] - 1].quote.split())
            bullets.append(Bullet(text=quote, cites=tuple(dict.fromkeys(numbers))))
        return citations, bullets, by_passage

    def _citation(self, n: int, passage: IndexedPassage, quote: str) -> Citation:
        doc = self.index.documents[passage.document_id]
        return Citation(n=n, document_id=doc.id, origin=doc.origin, url=doc.url, title=doc.title, outlet=doc.outlet,
                        published=doc.published, quote=quote, language=passage.language)

    def _lead(self, q: Question, points: list[Point], premise, numbers: dict[int, int]) -> str:
        """The sentence written for the asker, in the question's language, stating the key facts found;
        a yes/no question gets its yes or no first, when the asked party's recorded stances decide it."""
        lead = self._plain_lead(q, points, premise, numbers)
        verdict = "no" if premise else _verdict(q, points)
        if q.yes_no and verdict:
            return i18n.t(f"answer.verdict.{verdict}", q.language) + lead
        if q.has_premise and not premise and verdict == "no":
            # "Why did X reject Y?" when the sources record X accepting Y: say the premise is wrong before the evidence.
            return i18n.t("answer.verdict.premise_contradicted", q.language, party=self._name(q.parties[0], q.language)) + lead
        return lead

    def _plain_lead(self, q: Question, points: list[Point], premise, numbers: dict[int, int]) -> str:
        writer = _LeadWriter(self, q, points, numbers)
        if premise:
            return writer.premise(premise)
        if q.kind == "attribution":
            return writer.attribution()
        if q.kind == "comparison":
            return writer.comparison()
        if q.kind in ("aggregation", "timeline"):
            return writer.listing()
        if "how_much" in q.facets or q.kind == "disagreement":
            lead = writer.figures()
            if lead:
                return lead
        if "where" in q.facets:
            return writer.names("answer.lead.places", kinds=("place", "party"))
        if "who" in q.facets:
            return writer.names("answer.lead.people", kinds=("actor",))
        if "when" in q.facets:
            lead = writer.dates()
            if lead:
                return lead
        if q.kind == "position":
            lead = writer.position()
            if lead:
                return lead
        return writer.general()


class _LeadWriter:
    """Builds the lead sentence of an answer from its evidence, in the question's language."""

    def __init__(self, answerer: Answerer, q: Question, points: list[Point], numbers: dict[int, int]):
        self.answerer = answerer
        self.profile = answerer.profile
        self.q = q
        self.lang = q.language
        self.points = points
        self.numbers = numbers

    def refs(self, passages) -> str:
        return "".join(f"[{self.numbers[p.id]}]" for p in passages if p.id in self.numbers)

    def name(self, key: str) -> str:
        return self.answerer._name(key, self.lang)

    def general(self) -> str:
        """The question's own subjects, then the places the top evidence names that the question did not."""
        asked = [self.name(k) for k in self.q.entities if self.profile.entity(k).kind != "issue"][:4]
        topic = i18n.t("answer.topic", self.lang, names=_join(asked, self.lang)) if asked else ""
        lead = i18n.t("answer.lead.general", self.lang, topic=topic)
        places = self._evidence_names(("place",), points=self.points[:2])
        if places:
            lead += i18n.t("answer.end", self.lang) + " " + i18n.t("answer.lead.names", self.lang, names=_join(places[:6], self.lang))
        return lead

    def names(self, key: str, kinds: tuple[str, ...]) -> str:
        names = self._evidence_names(kinds, points=self.points[:3], rank=True)
        if "actor" in kinds:
            names = self._described_people() + [n for n in names if n not in self._described_people()]
        if not names:
            return self.general()
        return i18n.t(key, self.lang, names=_join(names[:6], self.lang))

    def _described_people(self) -> list[str]:
        """People the question names by role ("Putin's press secretary"): their names are the answer to "who"."""
        people = []
        for mention in self.profile.find(self.q.text):
            entity = self.profile.entity(mention.key)
            names = {textnorm.fold(n) for n in entity.names.values()}
            if entity.kind == "actor" and not any(textnorm.fold(mention.surface) in n for n in names):
                people.append(self.name(mention.key))
        return people

    def _evidence_names(self, kinds: tuple[str, ...], points: list[Point], rank: bool = False) -> list[str]:
        """Display names of profile entities the evidence (with its context) names and the question does not."""
        asked = set(self.q.entities) | set(self.q.parties)
        seen: dict[str, None] = {}
        for point in points:
            for passage in point.context or [point.main]:
                for mention in passage.mentions:
                    if mention.kind in kinds and mention.key not in asked:
                        seen.setdefault(mention.key, None)
            for entry in point.ledger:
                for place in entry.places:
                    if "place" in kinds and place not in asked:
                        seen.setdefault(place, None)
        keys = list(seen)
        if rank:  # the rarest first: the venue named once is the answer, the country every article names is context
            idf = self.answerer.index.entity_idf
            keys = sorted(keys, key=lambda k: -idf(k))
            keys = [k for k in keys if idf(k) >= INFORMATIVE_IDF / 2] or keys
        return [self.name(key) for key in keys]

    def position(self) -> str | None:
        entries = [e for point in self.points for e in point.ledger if e.party in self.q.parties]
        if not entries:
            return None
        party = self.q.parties[0] if any(e.party == self.q.parties[0] for e in entries) else entries[0].party
        issue = next((e.issue for e in entries if e.issue in self.q.issues), None)
        chosen = [e for e in entries if e.party == party and (issue is None or e.issue == issue)]
        if self.q.stance and any(e.stance == self.q.stance for e in chosen):
            chosen = [e for e in chosen if e.stance == self.q.stance]
        if not chosen:
            return None
        stances = self._stance_list(chosen)
        places = self._evidence_names(("place",), points=self.points[:3])
        tail = f" ({_join(places[:6], self.lang)})" if places else ""
        if issue:
            return i18n.t("answer.lead.position", self.lang, party=self.name(party), issue=self.name(issue), stances=stances) + tail
        return i18n.t("answer.lead.position_any", self.lang, party=self.name(party), stances=stances) + tail

    def _stance_list(self, entries: list[LedgerEntry]) -> str:
        by_stance: dict[str, list[int]] = defaultdict(list)
        for entry in entries:
            passage = self.answerer.index.by_id.get(entry.passage_id)
            if passage is not None and passage.id in self.numbers:
                by_stance[entry.stance].append(self.numbers[passage.id])
        parts = [i18n.t(f"stance.{s}", self.lang) + " " + "".join(f"[{n}]" for n in sorted(set(ns)))
                 for s, ns in by_stance.items() if s in ANSWER_STANCES]
        return "; ".join(parts)

    def figures(self) -> str | None:
        found: list[tuple[Figure, IndexedPassage]] = []
        for point in self.points:
            for passage in point.passages:
                found += [(f, passage) for f in extract_figures(passage.text)]
        units = asked_units(self.q.text)
        found = [(f, p) for f, p in found if f.unit in units] or found  # "how many hours": the hours
        if not found:
            return None
        rendered: dict[str, list[IndexedPassage]] = {}
        for figure, passage in found:
            rendered.setdefault(render_figure(figure, self.lang), []).append(passage)
        parts = [f"{text} {self.refs(passages)}".strip() for text, passages in list(rendered.items())[:5]]
        units = Counter(f.unit for f, _ in found)
        values_per_unit = {u: {f.value for f, _ in found if f.unit == u} for u in units}
        differ = any(len(v) > 1 for u, v in values_per_unit.items() if u and u != "percent")
        key = "answer.lead.disagreement" if self.q.kind == "disagreement" else (
            "answer.lead.figures_differ" if differ else "answer.lead.figures")
        return i18n.t(key, self.lang, figures="; ".join(parts))

    def dates(self) -> str | None:
        found: dict[str, list[IndexedPassage]] = {}
        for point in self.points:
            for passage in point.passages:
                for text in extract_dates(passage.text, self.lang):
                    found.setdefault(text, []).append(passage)
        if not found:
            return None
        full = {text: passages for text, passages in found.items() if re.search(r"\d", text)}
        parts = [f"{text} {self.refs(passages)}" for text, passages in list((full or found).items())[:3]]
        return i18n.t("answer.lead.dates", self.lang, dates="; ".join(parts))

    def attribution(self) -> str:
        sources = []
        for point in self.points[:2]:
            who = self._who(point)
            if who and who not in sources:
                sources.append(f"{who} {self.refs(point.passages)}")
        if not sources:
            return self.general()
        return i18n.t("answer.lead.attribution", self.lang, who="; ".join(sources))

    def _who(self, point: Point) -> str | None:
        passage = point.main
        doc = self.answerer.index.documents[passage.document_id]
        speaker = next((e.speaker for e in point.ledger if e.speaker), None) or _speaker_in(passage.text)
        if speaker in self.profile.parties or speaker in self.profile.actors:
            speaker = self.name(speaker)
        how = next((e.attribution for e in point.ledger), None)
        relayed = next((e.relayed_from for e in point.ledger if e.relayed_from), "")
        parts = []
        if speaker:
            label = i18n.t(f"attribution.{how}", self.lang, source=self.outlet(relayed)) if how in ("anonymous", "relayed") else None
            if label and how == "anonymous" and self.lang.startswith("zh") and not textnorm.is_cjk(speaker):
                parts.append(label)  # "five current and former Russian officials" would leave English in a Chinese lead
            else:
                parts.append(i18n.t("attribution.speaker", self.lang, speaker=speaker, how=label) if label else speaker)
        outlet = self.outlet(doc.outlet) or doc.title
        if doc.cited_agency and not (how == "relayed" and textnorm.fold(doc.cited_agency) == textnorm.fold(relayed)):
            parts.append(i18n.t("attribution.citing", self.lang, outlet=outlet, agency=self.outlet(doc.cited_agency)))
        elif outlet:
            parts.append(outlet)
        return ", ".join(parts) or None

    def outlet(self, name: str | None) -> str | None:
        """An outlet or agency under its name for the reader ("Kommersant" -> 生意人报), when the profile knows it."""
        if not name:
            return name
        mention = next((m for m in self.profile.find(name) if m.kind == "outlet" and m.end - m.start == len(name.strip())), None)
        return self.profile.display(mention.key, self.lang) if mention else name

    def comparison(self) -> str:
        keys = [a for a in self.q.actors if self.profile.party_of(a) in self.q.parties[:2]]
        first_party, second_party = self.q.parties[0], self.q.parties[1]
        first = next((a for a in keys if self.profile.party_of(a) == first_party), first_party)
        second = next((a for a in keys if self.profile.party_of(a) == second_party), second_party)
        issue = self.q.issues[0] if self.q.issues else None
        issue_label = i18n.t("answer.comparison.issue", self.lang, issue=self.name(issue)) if issue else ""
        return i18n.t("answer.lead.comparison", self.lang, first=self.name(first), second=self.name(second), issue=issue_label)

    def listing(self) -> str:
        party = self.q.parties[0]
        if self.q.kind == "aggregation":
            count = len({p.document_id for point in self.points for p in point.passages})
            return i18n.t("answer.lead.aggregation", self.lang, party=self.name(party), count=count)
        issue = self.q.issues[0] if self.q.issues else None
        issue_label = i18n.t("answer.comparison.issue", self.lang, issue=self.name(issue)) if issue else ""
        return i18n.t("answer.lead.timeline", self.lang, party=self.name(party), issue=issue_label)

    def premise(self, premise: list[PremiseFact]) -> str:
        asserted = self.q.parties[0]
        others: dict[tuple[str, str], list[int]] = {}
        for fact in premise:
            if fact.passage.id in self.numbers:
                others.setdefault((fact.party, fact.stance), []).append(self.numbers[fact.passage.id])
        described = [i18n.t("answer.premise.others", self.lang, party=self.name(party), stance=i18n.t(f"stance_noun.{stance}", self.lang))
                     + " " + "".join(f"[{n}]" for n in sorted(set(ns))) for (party, stance), ns in others.items()]
        stance = self.q.stance if self.q.stance in ("accepts", "offers") else "accepts"
        return i18n.t("answer.lead.premise", self.lang, party=self.name(asserted), verb=i18n.t(f"premise.{stance}", self.lang),
                      others=_join(described, self.lang))


def _as_of(citations) -> date | None:
    dates = [c.published for c in citations if c.published]
    return max(dates) if dates else None


def _join(items: list[str], language: str) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    sep, last = i18n.t("answer.list.sep", language), i18n.t("answer.list.and", language)
    return sep.join(items[:-1]) + last + items[-1]
