"""Writing the reply: citations, verbatim bullets, and the lead sentence in the question's language."""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING

from bot.answering import claims as leadline
from bot.answering import verdict as verdicts
from bot.answering.cues import _ENDS_QUOTE, _STANCE_VERBS, _VENUE_AFTER_ZH, _VENUE_BEFORE, ANSWER_STANCES, _same_script, passage_stances
from bot.answering.evidence import Point, PremiseFact, _decidable
from bot.answering.figures import _DATE_EN, _DATE_ZH, Figure, asked_units, extract_dates, extract_figures, render_figure
from bot.answering.index import IndexedPassage
from bot.answering.question import FRAME_WORDS, Question
from bot.answering.tuning import ANSWER_WORDS, BULLET_WORDS
from bot.messages import Bullet, Citation, Reply, cite
from bot.text import clauses, i18n
from bot.text import normalize as textnorm

if TYPE_CHECKING:  # the lead writer is handed its Answerer
    from bot.answering.engine import Answerer

class ReplyWriting:
    """Answerer's reply: numbered citations, verbatim bullets and the lead written for the asker.

    Mixed into ``Answerer``; uses its ``index``."""

    def _reply(self, q: Question, points: list[Point], premise: list["PremiseFact"] | None) -> Reply:
        if q.kind not in ("aggregation", "timeline", "comparison") and not premise:
            points = self._answer_first(q, points)
        citations, bullets, numbers = self._cite(points, q)
        lead, carried = self._lead_and_carried(q, points, premise, numbers)
        if bullets and points[0].main.id in carried and q.kind not in ("aggregation", "timeline"):
            bullets = bullets[1:]  # the lead states the first point's whole claim, cited: its bullet would repeat it
        if q.kind not in ("aggregation", "timeline", "comparison", "disagreement") and "speech" not in q.cues:
            bullets = _within_budget(lead, bullets)  # (what someone said is answered by their words, however long)
            used = {int(n) for n in re.findall(r"\[(\d+)\]", lead)} | {n for b in bullets for n in b.cites}
            citations = [c for c in citations if c.n <= max(used, default=len(citations))]  # the sources of dropped bullets go
        if citations and all(not _same_script(c.language, q.language) for c in citations):
            lead += i18n.t("answer.lead.other_language", q.language)
        if not lead.endswith((".", "。", ":", ":")):
            lead += i18n.t("answer.end", q.language)
        return Reply(lead=lead, bullets=tuple(bullets), citations=tuple(citations), language=q.language,
                     as_of=_as_of(citations), labels=i18n.labels(q.language))

    def _answer_first(self, q: Question, points: list[Point]) -> list[Point]:
        """The point that itself says most of what is asked leads (the lead is written from it): of the first three,
        the one whose sentence holds clearly more of the question's topic words than the first one does."""
        groups = self._topic_groups(q)
        if len(points) < 2 or not groups:
            return points
        weights = [self.index.idf(g) or self.index.unseen_idf() for g in groups]

        def held(point: Point) -> float:
            rows = [self.index.group_rows(g) for g in groups]
            return sum(w * max(r.get(x.row, 0.0) for x in point.context or [point.main])
                       for w, r in zip(weights, rows)) / sum(weights)

        shares = [held(point) for point in points[:3]]
        best = max(range(len(shares)), key=lambda i: (shares[i], -i))
        if best and shares[best] >= shares[0] + 0.2:
            return [points[best]] + points[:best] + points[best + 1:]
        return points

    def _important_spans(self, q: Question, text: str) -> list[tuple[int, int]]:
        """Where a quote says what the question asks about: its entities (any script), and the answer's figures,
        dates or stance verbs."""
        asked = set(q.entities) | set(q.parties)
        spans = [(m.start, m.end) for m in self.profile.find(text)
                 if m.key in asked or self.profile.party_of(m.key) in asked or m.kind == "place"]
        if "how_much" in q.facets or q.kind == "disagreement":
            spans += [(m.start(), m.end()) for f in extract_figures(text) for m in [re.search(re.escape(f.text), text)] if m] * 2
        if "when" in q.facets:
            spans += [(m.start(), m.end()) for m in _DATE_EN.finditer(text)] + [(m.start(), m.end()) for m in _DATE_ZH.finditer(text)]
        for stance in q.stances_asked & set(_STANCE_VERBS):
            spans += [(m.start(), m.end()) for m in _STANCE_VERBS[stance].finditer(text)]
        return spans

    def _cite(self, points: list[Point], q: Question | None = None) -> tuple[list[Citation], list[Bullet], dict[int, int]]:
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
            if q is not None and q.kind not in ("aggregation", "timeline") and "speech" not in q.cues:
                quote = clauses.excerpt(quote, self._important_spans(q, quote), limit=BULLET_WORDS)
            bullets.append(Bullet(text=quote, cites=tuple(dict.fromkeys(numbers))))
        return citations, bullets, by_passage

    def _citation(self, n: int, passage: IndexedPassage, quote: str) -> Citation:
        doc = self.index.documents[passage.document_id]
        return Citation(n=n, document_id=doc.id, origin=doc.origin, url=doc.url, title=doc.title, outlet=doc.outlet,
                        published=doc.published, quote=quote, language=passage.language)

    def _lead_and_carried(self, q: Question, points: list[Point], premise, numbers: dict[int, int]) -> tuple[str, set[int]]:
        writer = _LeadWriter(self, q, points, numbers)
        return self._lead(q, points, premise, numbers, writer), writer.carried

    def _lead(self, q: Question, points: list[Point], premise, numbers: dict[int, int], writer=None) -> str:
        """The sentence written for the asker, in the question's language: the answer, and who says so.

        A yes/no question gets its yes or no only when the evidence decides it (see bot.verdicts); mixed
        evidence gets what each source says instead, and a false premise is corrected first.
        """
        writer = writer or _LeadWriter(self, q, points, numbers)
        if premise:
            return writer.premise(premise)
        if q.yes_no and _decidable(q):
            verdict = self._verdict(q, points)
            if verdict.answer:
                deciding = {f.passage_id for f in verdict.facts}
                point = next((p for p in points if p.main.id in deciding and _same_script(p.main.language, q.language)), None) \
                    or next((p for p in points if any(x.id in deciding for x in p.passages)), points[0])
                return i18n.t(f"answer.verdict.{verdict.answer}", q.language) + writer.stated(point)
            if verdict.mixed:
                return writer.differ([f.passage_id for f in verdict.facts])
        lead = self._plain_lead(q, points, writer)
        if q.has_premise and _decidable(q) and self._verdict(q, points).answer == "no":
            return i18n.t("answer.verdict.premise_contradicted", q.language, party=self._name(q.parties[0], q.language)) + lead
        return lead

    def _plain_lead(self, q: Question, points: list[Point], writer: "_LeadWriter") -> str:
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
            return writer.facet(writer.places())
        if "who" in q.facets and q.actors and not writer.asks_beyond_names() and not writer._described_keys():
            # "Who is X?": the sentence that says who X is (in the reader's language when there is one)
            point = next((p for p in points if _same_script(p.main.language, q.language)), points[0])
            return writer.stated(point)
        if "who" in q.facets:
            return writer.facet(writer.people())
        if "when" in q.facets:
            return writer.facet(writer.date_items())
        return writer.stated(points[0])


class _LeadWriter:
    """Builds the lead sentence of an answer from its evidence, in the question's language: the answer, then who says so."""

    def __init__(self, answerer: Answerer, q: Question, points: list[Point], numbers: dict[int, int]):
        self.answerer = answerer
        self.profile = answerer.profile
        self.q = q
        self.lang = q.language
        self.points = points
        self.numbers = numbers
        self.carried: set[int] = set()  # passages whose whole claim the lead states (their bullet need not repeat it)

    def refs(self, passages) -> str:
        return cite(*dict.fromkeys(self.numbers[p.id] for p in passages if p.id in self.numbers))

    def name(self, key: str) -> str:
        return self.answerer._name(key, self.lang)

    # -- who says so ------------------------------------------------------------------------------

    def source(self, passage: IndexedPassage) -> leadline.Source:
        """The person or unnamed source behind a sentence, their party, how it reaches us, and the outlet."""
        doc = self.answerer.index.documents[passage.document_id]
        outlet = self.outlet(doc.outlet)
        source = self._source(passage, doc, outlet)
        if doc.cited_agency and self.outlet(doc.cited_agency) != outlet:
            agency = self.outlet(doc.cited_agency)
            source.printer = i18n.t("attribution.citing", self.lang, outlet=outlet, agency=agency) if outlet else agency
            if source.kind == "anonymous":
                source.outlet = agency  # the agency spoke to the unnamed officials; the outlet relays its report
        return source

    def _source(self, passage: IndexedPassage, doc, outlet: str | None) -> leadline.Source:
        entries = self.answerer._ledger_by_passage().get(passage.id, ())
        entry = next((e for e in entries if e.speaker), entries[0] if entries else None)
        clause = clauses.split(passage.text)
        who = clause.who
        if who and leadline.REPORT_WORDS.search(who):  # "according to media reports, including Sky News"
            outlets = [m for m in self.profile.find(passage.text) if m.kind == "outlet"]
            relayed = self.name(outlets[0].key) if outlets else (who if leadline.same_script(who, self.lang) else None)
            return leadline.Source(None, None, "relayed" if relayed else "narrator", outlet, relayed, named=False)
        mentions = [m for m in self.profile.find(who or "") if m.kind in ("actor", "party", "outlet")]
        if mentions and mentions[-1].kind == "outlet":  # "the Kommersant newspaper reported": a relayed report
            return leadline.Source(None, None, "relayed", outlet, self.name(mentions[-1].key), named=False)
        key = None
        if who is not None:
            key = mentions[-1].key if mentions else None
            if key is None and leadline.is_pronoun(who):
                key = self.resolve_pronoun(passage)
            if key is None and entry is not None and entry.speaker in self.profile.actors:
                key = entry.speaker
        elif clauses.starts_with_pronoun(clause.core):
            key = self.resolve_pronoun(passage)
        party = self.profile.party_of(key) if key else (entry.party if entry is not None else None)
        anonymous = (entry is not None and entry.attribution == "anonymous") or bool(
            who and leadline.ANONYMOUS.search(who) and not (key and self.profile.entity(key).kind == "actor"
                                                            and self.profile.entity(key).names.get("en", "")[:1].isupper()
                                                            and textnorm.fold(self.profile.entity(key).names["en"]) in textnorm.fold(who)))
        if anonymous:
            words = who if who and leadline.same_script(who, self.lang) else None
            if words is None:
                words = (i18n.t("lead.anonymous_party", self.lang, party=self.name(party)) if party
                         else i18n.t("lead.anonymous", self.lang))
            return leadline.Source(words, party, "anonymous", outlet, None, named=False)
        relayed = clause.relayed_via  # the sentence itself says it relays ("citing X"); the article's agency is the printer
        if key is not None and (who is not None or clauses.starts_with_pronoun(clause.core)):
            return leadline.Source(self.name(key), party, "relayed" if relayed else "on_record", outlet,
                                   self.outlet(relayed), named=True)
        if who and leadline.same_script(who, self.lang):
            return leadline.Source(who, party, "on_record", outlet, None, named=False)
        if doc.cited_agency:
            return leadline.Source(None, None, "relayed", outlet, self.outlet(doc.cited_agency), named=False)
        return leadline.Source(None, None, "narrator", outlet, None, named=False)

    def resolve_pronoun(self, passage: IndexedPassage) -> str | None:
        """"He said..." : the person named last in the sentences just before (the speaker a pronoun points back to)."""
        for offset in (-1, -2, -3):
            previous = self.answerer.index.neighbour(passage, offset)
            if previous is None:
                return None
            people = [m for m in previous.mentions if m.kind == "actor"]
            if people:
                return people[0].key if len({m.key for m in people}) == 1 else people[-1].key
        return None

    def outlet(self, name: str | None) -> str | None:
        """An outlet or agency under its name for the reader ("Kommersant" -> 生意人报), when the profile knows it."""
        if not name:
            return name
        mention = next((m for m in self.profile.find(name) if m.kind == "outlet" and m.end - m.start == len(name.strip())), None)
        return self.profile.display(mention.key, self.lang) if mention else name

    # -- the claim ---------------------------------------------------------------------------------

    def asks_beyond_names(self) -> bool:
        """The question has words beyond the names it gives and its frame ("who is X?" has none)."""
        rest = self.q.text
        for mention in sorted(self.profile.find(self.q.text), key=lambda m: -m.start):
            rest = rest[:mention.start] + " " + rest[mention.end:]
        return bool([t for t in textnorm.tokenize(rest) if t not in FRAME_WORDS and t.strip("?？")])

    def keep_words(self) -> tuple[str, ...]:
        """Words of the question a shortened claim must not cut off."""
        return tuple(m.surface for m in self.profile.find(self.q.text)) + tuple(
            w for w in re.findall(r"\w{4,}", self.q.text) if w.lower() not in FRAME_WORDS)

    def stated(self, point: Point, limit: int = 22) -> str:
        """"Steve Witkoff said talks will continue in Saudi Arabia [1]": the point's claim with its source, or, when the
        evidence is in another language, its facts in the reader's language."""
        passage = point.main
        if not leadline.same_script(passage.text, self.lang):
            return self.facts(point)
        source = self.source(passage)
        text = " ".join(self.answerer.index.quote(point.context).split()) if len(point.context) > 1 and \
            point.context[-1].id == passage.id and _ENDS_QUOTE.match(passage.text) else passage.text
        clause = clauses.split(text)
        core = clauses.shorten(clause.core, self.keep_words(), limit)
        kept = len(core) + len(clause.who or "")
        if (core == clause.core.rstrip(" .。") or core == clause.core) and kept >= 0.85 * len(text.strip(" .。")):
            self.carried.add(passage.id)  # nothing but the reporting verb was left out: a bullet would repeat the lead
        return leadline.said(source, core, self.lang, self.refs(point.passages))

    def facts(self, point: Point) -> str:
        """A claim in another language, told in the reader's: who holds what stance on what (the ledger's record, else
        the sentence's own verbs), with the places, figures and dates it names; its source when someone else speaks.
        The verbatim quote follows as the first bullet."""
        passage = point.main
        source = self.source(passage)
        entries = [e for e in point.ledger if not self.q.parties or e.party in self.q.parties] or list(point.ledger)
        subject = next((m for m in passage.mentions if m.kind in ("actor", "party")), None)
        holder = self.name(subject.key) if subject is not None else (self.name(entries[0].party) if entries else "")
        stances = [entries[0].stance] if entries else [s for s in ANSWER_STANCES if s in passage_stances(passage.text)][:1]
        negated = bool(stances) and verdicts.negated_before(passage.text, _STANCE_VERBS[stances[0]].search(passage.text).start()) \
            if stances and stances[0] in _STANCE_VERBS and _STANCE_VERBS[stances[0]].search(passage.text) else False
        if negated and stances[0] in ("accepts", "offers"):
            stances = ["rejects"]
        verb = i18n.t(f"stance.{stances[0]}", self.lang) if stances else ""
        things = [self.name(m.key) for m in passage.mentions
                  if m.kind in ("issue", "place") or (m.kind in ("actor", "party") and subject is not None and m.key != subject.key
                                                      and self.profile.party_of(m.key) != self.profile.party_of(subject.key))]
        figures = [render_figure(f, self.lang) for f in extract_figures(passage.text)]
        dates = [d for d in extract_dates(passage.text, self.lang) if not re.fullmatch(r"(?:19|20)\d\d", d)]
        detail = _join(list(dict.fromkeys(things + figures + dates))[:5], self.lang)
        space = " " if self.lang == "en" else ""
        what = f"{holder}{space}{verb}".strip()
        if detail:
            what = f"{what}: {detail}" if what and self.lang == "en" else (f"{what}:{detail}" if what else detail)
        what = f"{what} {self.refs(point.passages)}".strip()
        who = source.phrase(self.lang) if source.speaker and (subject is None or source.speaker != holder) else ""
        return i18n.t("lead.facts", self.lang, who=who, what=what) if who else what

    def differ(self, passage_ids: list[int]) -> str:
        """Mixed evidence: what each source says, no verdict ("Peskov: only unarmed monitors [1]; Lavrov: no [2]")."""
        items = []
        for pid in list(dict.fromkeys(passage_ids))[:3]:
            point = next((p for p in self.points if any(x.id == pid for x in p.passages)), None)
            if point is None:
                continue
            item = self.stated(point, limit=16).rstrip(" .。")
            if item not in items:
                items.append(item)
        if len(items) < 2:
            return self.stated(self.points[0])
        sep = "; " if self.lang == "en" else ";"
        return i18n.t("lead.differ", self.lang, items=sep.join(items))

    # -- answer types -----------------------------------------------------------------------------

    def facet(self, items: list[tuple[str, IndexedPassage]]) -> str:
        """Where / who / when: the names or dates found, then the claim that states them, with its source."""
        if not items:
            return self.stated(self.points[0])
        first = next((p for p in self.points if any(x.id == items[0][1].id for x in p.passages + p.context)), self.points[0])
        if leadline.same_script(first.main.text, self.lang):
            lead = self.stated(first)
            names = list(dict.fromkeys(text for text, _ in items[:2]))
            if textnorm.fold(lead).startswith(textnorm.fold(names[0])):
                return lead
            return _join(names, self.lang) + (": " if self.lang == "en" else ":") + lead
        grouped: dict[str, list[IndexedPassage]] = {}
        for text, passage in items:
            grouped.setdefault(text, []).append(passage)
        shown = [f"{text} {self.refs(passages)}" for text, passages in list(grouped.items())[:4]]
        who = self.source(first.main).phrase(self.lang)
        what = _join(shown, self.lang)
        return i18n.t("lead.facts", self.lang, who=who, what=what) if who else what

    def places(self) -> list[tuple[str, IndexedPassage]]:
        """Places the evidence names that the question does not, rarest first; a capital or government seat named as
        a venue ("talks in Moscow", 在莫斯科举行) counts as a place though the profile files it as an actor."""
        asked = set(self.q.entities) | set(self.q.parties)
        idf = self.answerer.index.entity_idf
        found: dict[str, tuple[float, int, IndexedPassage]] = {}
        for rank, point in enumerate(self.points[:3]):
            for passage in point.context or [point.main]:
                for mention in passage.mentions:
                    if mention.key in asked:
                        continue
                    venue = _VENUE_BEFORE.search(passage.text[max(0, mention.start - 24):mention.start]) or \
                        _VENUE_AFTER_ZH.match(passage.text, mention.end)
                    if mention.kind == "place" or (mention.kind in ("actor", "party") and venue):
                        weight = idf(mention.key) + (3.0 if venue else 0.0) - rank
                        # A capital standing for its government is named as written ("Baku", not "Azerbaijan").
                        shown = mention.surface if mention.kind != "place" and leadline.same_script(mention.surface, self.lang) \
                            else self.name(mention.key)
                        found.setdefault(mention.key, (weight, shown, passage))
        ranked = sorted(found.values(), key=lambda item: -item[0])
        return [(shown, passage) for _, shown, passage in ranked]

    def people(self) -> list[tuple[str, IndexedPassage]]:
        """People the evidence names that the question does not (or names by role only), the first point's first."""
        asked = set(self.q.entities)
        described = []
        for key in self._described_keys():
            naming = [x for p in self.points for x in (p.context or [p.main]) if key in x.entities]
            if naming:
                described.append((self.name(key), next((x for x in naming if _same_script(x.language, self.lang)), naming[0])))
        if described:
            return described  # "who is Putin's press secretary": the person behind the role, nobody else
        found: dict[str, IndexedPassage] = {}
        for point in self.points[:1] if any(m.kind == "actor" and m.key not in asked for m in self.points[0].main.mentions) \
                else self.points[:3]:
            for passage in point.context or [point.main]:
                for mention in passage.mentions:
                    if mention.kind == "actor" and mention.key not in asked and mention.key not in found:
                        entity = self.profile.entity(mention.key)
                        if entity.names.get("en", "").split()[0][:1].isupper() and " " in entity.names.get("en", ""):
                            found[mention.key] = passage
        return described + [(self.name(k), p) for k, p in found.items() if (self.name(k), p) not in described]

    def _described_keys(self) -> list[str]:
        """People the question names by role ("Putin's press secretary"): their names are the answer to "who"."""
        keys = []
        for mention in self.profile.find(self.q.text):
            entity = self.profile.entity(mention.key)
            names = {textnorm.fold(n) for n in entity.names.values()}
            if entity.kind == "actor" and not any(textnorm.fold(mention.surface) in n for n in names):
                keys.append(mention.key)
        return keys

    def date_items(self) -> list[tuple[str, IndexedPassage]]:
        found: list[tuple[str, IndexedPassage]] = []
        for point in self.points:
            for passage in point.passages:
                for text in extract_dates(passage.text, self.lang):
                    if re.search(r"\d", text) or not found:
                        found.append((text, passage))
        return found

    def _evidence_names(self, kinds: tuple[str, ...], points: list[Point], include_asked: bool = False) -> list[str]:
        asked = set() if include_asked else set(self.q.entities) | set(self.q.parties)
        seen: dict[str, None] = {}
        for point in points:
            for passage in point.context or [point.main]:
                for mention in passage.mentions:
                    if mention.kind in kinds and mention.key not in asked:
                        seen.setdefault(mention.key, None)
        return [self.name(key) for key in seen]

    def figures(self) -> str | None:
        """How much: each figure with its source; several sources' different figures side by side."""
        found: list[tuple[Figure, IndexedPassage]] = []
        for point in self.points:
            for passage in point.passages:
                found += [(f, passage) for f in extract_figures(passage.text)]
        units = asked_units(self.q.text)
        found = [(f, p) for f, p in found if f.unit in units] or found
        if not found:
            return None
        if not units:  # the quantity the best evidence gives, not every number near it ("10 countries" beside "10,000 troops")
            family = _unit_family(found[0][0].unit)
            found = [(f, p) for f, p in found if _unit_family(f.unit) == family]
        rendered: dict[str, list[IndexedPassage]] = {}
        for figure, passage in found:
            rendered.setdefault(render_figure(figure, self.lang), []).append(passage)
        parts = []
        for text, passages in list(rendered.items())[:4]:
            who = self.source(passages[0]).phrase(self.lang)
            parts.append(i18n.t("lead.figure", self.lang, figure=text, refs=self.refs(passages), who=who) if who
                         else f"{text} {self.refs(passages)}")
        values_per_unit: dict[str | None, set[float]] = defaultdict(set)
        for f, _ in found:
            values_per_unit[f.unit].add(f.value)
        differ = any(len(v) > 1 for u, v in values_per_unit.items() if u and u != "percent")
        if differ or self.q.kind == "disagreement":
            return i18n.t("lead.differ", self.lang, items="; ".join(parts))
        return "; ".join(parts)

    def attribution(self) -> str:
        """Who said it: the person (or unnamed source), their party, on the record / anonymous / relayed, the outlet."""
        lines = []
        for point in self.points[:2]:
            source = self.source(point.main)
            if not source.speaker and not source.relayed_from:
                continue
            how = i18n.t(f"attribution.{source.kind}", self.lang, source=source.relayed_from or "") \
                if source.kind in ("on_record", "anonymous", "relayed") else i18n.t("lead.narrator", self.lang)
            who = source.speaker or source.relayed_from
            details = [how] if how not in who else []
            if source.party and source.speaker and not re.search(rf"\b{re.escape(self.name(source.party))}", who):
                details.insert(0, self.name(source.party))
            how = (f" ({', '.join(details)})" if self.lang == "en" else f"({'，'.join(details)})") if details else ""
            key = "lead.attribution" if source.printer else "lead.attribution_no_outlet"
            line = i18n.t(key, self.lang, who=who, how=how, outlet=source.printer, refs=self.refs(point.passages))
            if line not in lines:
                lines.append(line)
        if not lines:
            return self.stated(self.points[0])
        return ("; " if self.lang == "en" else ";").join(lines)

    def comparison(self) -> str:
        """Two parties side by side: each one's claim with its source."""
        items = []
        for party in self.q.parties[:2]:
            point = next((p for p in self.points if self.answerer._subject(p.main) == party), None) or next(
                (p for p in self.points if party in p.main.parties), None)
            if point is not None and point.main.id not in {i for i, _ in items}:
                items.append((point.main.id, self.stated(point, limit=16).rstrip(" .。")))
        if len(items) == 2 and items[0][1] != items[1][1]:
            return ("; " if self.lang == "en" else ";").join(text for _, text in items)
        return self.stated(self.points[0])

    def listing(self) -> str:
        """Aggregation and timeline: the issues (in date order for a timeline), each with its citations."""
        party = self.q.parties[0]
        by_issue: dict[str, list[IndexedPassage]] = {}
        for point in self.points:
            for entry in point.ledger:
                if entry.party == party and entry.issue:
                    by_issue.setdefault(entry.issue, []).extend(point.passages)
        if not by_issue:
            return self.stated(self.points[0])
        items = _join([f"{self.name(issue)} {self.refs(passages)}" for issue, passages in by_issue.items()][:6], self.lang)
        if self.q.kind == "aggregation":
            count = len({p.document_id for point in self.points for p in point.passages})
            return i18n.t("lead.aggregation", self.lang, party=self.name(party), count=count, items=items)
        issue = self.q.issues[0] if self.q.issues else None
        issue_label = i18n.t("answer.comparison.issue", self.lang, issue=self.name(issue)) if issue else ""
        return i18n.t("lead.timeline", self.lang, party=self.name(party), issue=issue_label, items=items)

    def premise(self, premise: list[PremiseFact]) -> str:
        """A false premise corrected first ("No: the sources do not say Ukraine agreed..."), then what they do say."""
        asserted = self.q.parties[0]
        stance = self.q.stance if self.q.stance in ("accepts", "offers") else "accepts"
        head = i18n.t("lead.premise_no", self.lang, party=self.name(asserted), verb=i18n.t(f"premise.{stance}", self.lang))
        point = next((p for p in self.points if p.main.id == premise[0].passage.id), self.points[0])
        return head + self.stated(point, limit=18)


def _words(text: str) -> float:
    """Reading length: Latin words, and Chinese characters at two to a word."""
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return len([w for w in text.split() if any(c.isascii() and c.isalnum() for c in w)]) + cjk / 2


def _within_budget(lead: str, bullets: list[Bullet]) -> list[Bullet]:
    """The bullets, best first, that fit the reading budget with the lead (the first always stays): a reader gets the
    answer and its strongest evidence, not every sentence that also matched."""
    kept, used = [], _words(lead)
    for bullet in bullets:
        size = _words(bullet.text)
        if kept and used + size > ANSWER_WORDS:
            break
        kept.append(bullet)
        used += size
    return kept


def _unit_family(unit: str | None) -> str | None:
    """Units that measure the same kind of thing: durations, counts of people (a bare large number counts people)."""
    if unit in ("minute", "hour", "day", "week", "month", "year"):
        return "duration"
    if unit in (None, "people", "troops", "prisoners", "bodies"):
        return "people"
    return unit


def _as_of(citations) -> date | None:
    dates = [c.published for c in citations if c.published]
    return max(dates) if dates else None


def _join(items: list[str], language: str) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    sep, last = i18n.t("answer.list.sep", language), i18n.t("answer.list.and", language)
    return sep.join(items[:-1]) + last + items[-1]
