"""Reading a question: its language, the profile entities it names, its kind and facet, and the stance it asks about."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.text import normalize as textnorm
from bot.text.stance_verbs import STANCE_VERBS

# Question kinds. "general" is a question about the corpus with no more specific shape.
KINDS = ("position", "factual", "timeline", "comparison", "aggregation", "attribution", "disagreement",
         "false_premise", "latest", "out_of_scope", "general")

# Cue words are language knowledge, not conflict knowledge: they name no party, place or issue.
# Patterns run on folded text (lowercase, Simplified Chinese).
_EN = {
    "out_of_scope": r"\b(?:poems?|poetry|haiku|limerick|sonnet|jokes?|funny|songs?|lyrics|sing|recipes?|cook|weather|forecast|"
                    r"temperature|rain|capital (?:city )?of|hello|hi|hey|thanks|thank you|who are you|how are you|your name|"
                    r"meaning of life|horoscope|stock price|football|soccer|movie)\b",
    "latest": r"\b(?:latest|newest|most recent|what'?s new|recent news|any news|new developments?|what happened today|just in)\b",
    "timeline": r"\b(?:timeline|over time|evolv\w*|chang\w* (?:over|since|from)|(?:has|have) .{0,40}\bchanged|shift\w*|history of|"
                r"in (?:date|chronological) order|step by step)\b",
    "comparison": r"\b(?:compare\w*|comparison|differ\w*|difference|versus|vs\.?|contrast\w*|both\b.{0,60}\band|similar\w*)\b",
    "aggregation": r"\b(?:(?:all|every) (?:of )?(?:the |its |their |his |her )?(?:[\w-]+(?:'s|’s) )?(?:conditions?|demands?|terms|preconditions?|requirements?)|"
                   r"list (?:of )?(?:the |all )?(?:conditions|demands|terms)|(?:conditions|demands|terms) (?:does|did|do) \w+ (?:set|have|make|list))\b",
    "attribution": r"\b(?:according to whom|who (?:said|says|reported|reports|claims?|claimed|stated|revealed|told)|"
                   r"which (?:outlet|source|newspaper|media|officials?)|what (?:is|was|are|were) the sources?|"
                   r"on the record|anonymous|who is the source|sourced|attributed)\b",
    "disagreement": r"\b(?:disagree\w*|each (?:figure|number|estimate)s?|conflicting|contradict\w*|discrepan\w*|different (?:figures|numbers|estimates)|"
                    r"inconsistent|do (?:the )?sources agree)\b",
    "how_much": r"\b(?:how (?:much|many|large|big|long|far)|what (?:percentage|percent|share|proportion|number|amount|size|portion|part)|"
                r"(?:percentage|percent|share|proportion) of)\b",
    "when": r"\b(?:when|what (?:date|day|time|month|year)|which (?:date|day|month|year)|how soon)\b",
    "where": r"\b(?:where|which (?:city|cities|country|countries|venues?|places?|locations?|regions?|areas?|territor\w*|states?)|"
             r"what (?:venues?|city|cities|country|countries|locations?|places?|areas?|regions))\b",
    "who": r"\b(?:who|whom|which (?:official|person|envoy|leader|minister|spokesman|spokesperson|politician))\b",
    "premise": r"^(?:why|how come|since when|when) (?:did|does|do|has|have|had|is|was|were|would|will) ",
    "speech": r"\b(?:say|said|says|tell|told|call|called|describe\w*|characteri[sz]\w*|assess\w*|evaluat\w*|react\w*|respon\w*|view|views|think|comment\w*|warn\w*|"
              r"stance|position|reaction)\b",
    "percent": r"\b(?:percent\w*|per cent|share|proportion)\b|%",
    "response": r"\b(?:respon\w*|react\w*|reply|replied|answer\w*)\b",
    "yes_no": r"^(?:is|are|was|were|does|do|did|has|have|had|will|would|can|could|should|might|may)\b",
}
_ZH = {
    "out_of_scope": r"(?:诗|笑话|歌词|唱歌|唱|菜谱|食谱|做饭|天气|气温|下雨|预报|首都|你好|谢谢|你是谁|你叫什么|星座|股价|足球|电影)",
    "latest": r"(?:最新|最近有什么|新消息|新进展|有何进展|今天发生|刚刚)",
    "timeline": r"(?:变化|演变|时间线|如何改变|怎样改变|历程|先后|前后|按时间)",
    "comparison": r"(?:比较|对比|区别|不同|差异|相比|异同|有何不同|有什么不同)",
    "aggregation": r"(?:所有条件|全部条件|哪些条件|有哪些要求|所有要求|全部要求|条件是什么|条件有哪些|提出了哪些)",
    "attribution": r"(?:据谁|谁说|谁报道|消息来源|哪家媒体|来源是|何人|谁透露|匿名|援引)",
    "disagreement": r"(?:(?:数字|数据|报道|估计|数目)\S{0,2}不同|说法不一|矛盾|不同说法|出入|不一致|分歧|一致吗|是否一致|说法一致)",
    "how_much": r"(?:多少|多大|几个|几成|百分之|比例|面积|数量|多长|多久)",
    "when": r"(?:何时|什么时候|哪天|几号|日期|哪一年|几月)",
    "where": r"(?:哪里|何地|哪儿|在哪|地点|哪个国家|哪座城市|哪些地区|哪些地方|哪个城市)",
    "who": r"(?:谁|哪位|何人|哪个官员)",
    "premise": r"^.{0,12}?(?:为什么|为何|怎么会|何以)",
    "speech": r"(?:说|称|表示|认为|看待|回应|评论|评价|形容|描述|警告|声称|透露|如何看|立场|态度)",
    "percent": r"(?:百分之|比例|%|几成)",
    "response": r"(?:回应|反应|回复|答复)",
    "yes_no": r"(?<![什怎多那这為为])(?:吗|么|嗎|麼)\W*$|是否|有没有|是不是|会不会|能不能|愿不愿意?|同不同意|肯不肯",
}
_POSITION_WORDS = (r"\b(?:position|stance|stand|view|views|attitude|think|thinks|consider|considers|regard|regards|opinion|react\w*|respon\w*)\b",
                   r"(?:立场|态度|看法|看待|认为|观点|回应|反应|怎么看)")
# Words that frame a question rather than name what it is about; they are not searched for.
FRAME_WORDS = frozenset(textnorm.tokenize(
    "what which who whom whose when where why how much many does did do is are was were will would could should can "
    "tell told say said says think thinks view views position positions stance stand consider considers regard regarding "
    "according about exactly really actually currently now ever please know explain describe happen happened happening "
    "opinion attitude respond response react reaction differ differs difference differences compare compared comparison "
    "versus contrast similar percentage percent share proportion number amount figure figures total take place happen located location disagree disagreement conflicting sources source next last previous upcoming round "
    "latest newest recent news update updates"
)) | frozenset(["?", "如何", "怎么", "怎样", "什么", "哪些", "哪个", "是否", "立场", "态度", "看法", "看待", "认为", "有何", "有什么",
                "对于", "关于", "方面", "问题", "请问", "情况", "一下", "告诉", "回应", "反应", "观点", "比较", "对比", "区别",
                "不同", "差异", "相比", "异同", "多少", "比例", "百分之", "数字", "数量", "举行", "进行", "召开",
                "发生", "位于", "下一轮", "下一次", "下次", "哪里", "在哪", "哪儿", "说法", "一致", "来源", "消息", "各方",
                "矛盾", "分歧", "不一"])
# Verbs of each stance, as folded tokens: a question's "asking" also finds a source's "pushing" or 要求.
STANCE_WORDS = STANCE_VERBS.words
_PART_SPLIT = re.compile(r"(?:,\s*|\s+)(?:and|but|while)\s+(?=(?:what|how|who|whom|where|when|why|which|did|does|do|is|are|was|were)\b)"
                         r"|[?？;；]\s*(?=\S)|(?:,|，)?(?:以及|并且|另外|还有|同时)", re.I)


@dataclass(frozen=True)
class Question:
    """A parsed question. Entity keys come from the profile; ``parts`` are its sub-questions ("X, and how Y")."""

    text: str
    language: str
    kind: str
    facets: frozenset[str] = frozenset()  # how_much | when | where | who
    stance: str | None = None  # the stance asked about (demands, rejects, accepts, offers, denies, conditions)
    parties: tuple[str, ...] = ()  # parties named directly or through their actors, in order
    actors: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()  # issues named directly or through their places
    places: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()  # every profile key named, in order
    parts: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    speaker: str | None = None  # "what did X say": the person or party asked to have said something
    core: str = ""  # the text searched for: the question less its instructions ("Sources disagree.", "各方说法不一。")
    cues: frozenset[str] = field(default_factory=frozenset)  # every cue that matched, for the answer's choices

    @property
    def search_text(self) -> str:
        """What is searched for: the question less its instructions on how to answer."""
        return self.core or self.text

    @property
    def stances_asked(self) -> frozenset[str]:
        """The stances that answer the question: the one it names, or for "how did X respond", any reply to a proposal."""
        if self.stance:
            return frozenset([self.stance])
        return frozenset(("accepts", "rejects", "conditions")) if "response" in self.cues else frozenset()

    @property
    def yes_no(self) -> bool:
        """A question answered by yes or no ("Is Putin willing...?", "俄罗斯同意...吗?"), not a disagreement's "do sources agree"."""
        return "yes_no" in self.cues and self.kind not in ("disagreement", "attribution", "comparison")

    @property
    def has_premise(self) -> bool:
        """True for "why did X agree..."-style questions, which presuppose what they ask about."""
        return "premise" in self.cues


def parse_question(text: str, profile, fallback_language: str | None = None) -> Question:
    """Read ``text``: language (the question's own script wins), profile entities, kind, facets and stance."""
    language = textnorm.language_of(text, default="") or fallback_language or "en"
    folded = textnorm.fold(" ".join(text.split()))
    cues = _cues(folded)
    mentions = profile.find(text)
    keys = list(dict.fromkeys(m.key for m in mentions))
    kinds = {m.key: m.kind for m in mentions}
    parties = _subject_first(_unique(profile.party_of(k) for k in keys if kinds[k] in ("party", "actor")),
                             _subject(text, mentions, profile))
    issues = _unique(profile.issue_of(k) for k in keys if kinds[k] in ("issue", "place"))
    stance = _stance(folded)
    if "disagreement" in cues and stance == "accepts":
        stance = None  # "do the sources agree", "说法一致": the sources' agreement, not a party's
    facets = frozenset(c for c in ("how_much", "when", "where", "who") if c in cues)
    kind = _kind(cues, stance, parties, issues, folded, bare_news="latest" in cues and is_bare_news(folded, keys))
    return Question(
        core=core_text(text, profile),
        text=text, language=language, kind=kind, facets=facets, stance=stance, parties=parties,
        actors=tuple(k for k in keys if kinds[k] == "actor"), issues=issues,
        places=tuple(k for k in keys if kinds[k] == "place"), entities=tuple(keys),
        parts=split_parts(text), years=tuple(int(y) for y in re.findall(r"\b(19\d\d|20\d\d)\b", text)), cues=cues,
        speaker=next((m.key for m in mentions if m.kind in ("actor", "party") and _SAYS.match(text, m.end)), None),
    )


_SAYS = re.compile(r"(?:['’]s)?\W{0,2}(?:\w+ly )?(?:say|says|said|tell|told|think|thinks|view|views|describe\w*|characteri[sz]\w*|"
                   r"assess\w*|evaluat\w*|react\w*)\b"
                   r"|\W{0,2}(?:如何|怎么|怎样|怎麼|怎樣|对.{0,12}|對.{0,12})?(?:说|說|称|稱|表示|认为|認為|看待|回应|回應|反应|反應|评价|評價|形容|描述)", re.I)


_VERB_AFTER = re.compile(r"\s+(?!is\b|was\b|has\b)[a-z]+(?:s|ed)\b")
_AUXILIARY = re.compile(r"\b(?:does|did|do|has|have|had|is|was|were|are|will|would|can|could|should|might)\s+(?:the\s+)?", re.I)


def _subject(text: str, mentions, profile) -> str | None:
    """The party the question is about: in English the one right after its auxiliary ("how much land does Russia
    hold"), else (Chinese puts the subject first) the first party or person named."""
    for match in _AUXILIARY.finditer(text):
        for mention in mentions:
            if mention.start == match.end() and profile.party_of(mention.key):
                return profile.party_of(mention.key)
    for mention in mentions:  # "... territory Russia controls": a name followed by a verb in -s or -ed
        if profile.party_of(mention.key) and _VERB_AFTER.match(text, mention.end):
            return profile.party_of(mention.key)
    return None


def _subject_first(parties: tuple[str, ...], subject: str | None) -> tuple[str, ...]:
    if subject is None or subject not in parties:
        return parties
    return (subject,) + tuple(p for p in parties if p != subject)


def _cues(folded: str) -> frozenset[str]:
    found = set()
    for name, pattern in _EN.items():
        if re.search(pattern, folded):
            found.add(name)
    for name, pattern in _ZH.items():
        if re.search(pattern, folded):
            found.add(name)
    if re.search(_POSITION_WORDS[0], folded) or re.search(_POSITION_WORDS[1], folded):
        found.add("position")
    return frozenset(found)


def _stance(folded: str) -> str | None:
    return STANCE_VERBS.asked(folded)


def _kind(cues: frozenset[str], stance: str | None, parties: tuple[str, ...], issues: tuple[str, ...], folded: str,
          bare_news: bool = False) -> str:
    """The most specific kind the cues support; order matters (out of scope and latest first)."""
    if "out_of_scope" in cues and not (parties and issues):
        return "out_of_scope"
    if "latest" in cues and bare_news:
        return "latest"  # a bare request for news; otherwise "latest" only asks for the newest evidence
    if "premise" in cues and stance in ("accepts", "offers") and parties:
        return "false_premise"  # a candidate: the answer checks the premise against the sources
    if "disagreement" in cues:
        return "disagreement"
    if "attribution" in cues:
        return "attribution"
    if "aggregation" in cues and parties:
        return "aggregation"
    if "timeline" in cues and parties:
        return "timeline"
    if "comparison" in cues and len(parties) >= 2:
        return "comparison"
    if cues & {"how_much", "when", "where", "who"}:
        return "factual"
    if parties and (stance or "position" in cues):
        return "position"
    return "general"


_NEWS_WORDS = (r"\b(?:latest|newest|most recent|recent|new|news|what'?s new|updates?|developments?|happen\w*|today|just in|"
               r"any|the|on|is|are|what|tell|me|give|show|please|there)\b|最新|最近|新消息|消息|新闻|新聞|进展|動態|动态|有何|有什么|"
               r"今天|发生|刚刚|是什么|什么|了|吗|呢")


def is_bare_news(folded: str, entities) -> bool:
    """A request for news and nothing else ("what's new?", "最新消息"): no entity and no content word is left once the
    news and frame words are gone. "What is the latest EU decision on frozen assets?" is a question, not a listing."""
    if entities:
        return False
    rest = re.sub(_NEWS_WORDS, " ", folded)
    return not [t for t in textnorm.tokenize(rest) if t not in FRAME_WORDS and t.strip("?？!！.。,，")]


_SENTENCE = re.compile(r"[^.?!。？！]+[.?!。？！]*")
# Words of an instruction about the answer ("Reports give different figures.", "Give each figure with its source.",
# "各方说法不一。"): a sentence made only of these (and frame words) says how to answer, not what about.
META_WORDS = frozenset(textnorm.tokenize(
    "reports report give gives each every its their with sources source disagree disagreement different differ figures "
    "figure numbers number estimates vary varies cite name list show which what all both side sides per according")) | \
    frozenset(["各方", "各自", "分别", "报道", "报导", "说法", "不一", "不同", "数字", "数据", "给出", "来源", "出处", "请",
               "列出", "各", "方", "注明", "引用"])


def core_text(text: str, profile) -> str:
    """The question without its instruction sentences: "How many troops would the force have? Reports give different
    figures." is searched as its first sentence. A one-sentence question is its own core."""
    sentences = [m.group().strip() for m in _SENTENCE.finditer(text) if m.group().strip()]
    if len(sentences) < 2:
        return text
    kept = [s for s in sentences if profile.find(s) or
            [t for t in textnorm.tokenize(s) if t not in FRAME_WORDS and t not in META_WORDS and t.strip("?？.。!！")]]
    return " ".join(kept) or text


def split_parts(text: str) -> tuple[str, ...]:
    """Sub-questions of a compound question ("What did X authorize, and how did Y react?"); one part if simple."""
    parts = [p.strip(" ,，?？;；") for p in _PART_SPLIT.split(text)]
    parts = [p for p in parts if len(p.split()) >= 2 or (textnorm.is_cjk(p) and len(p) >= 4)]
    return tuple(parts) if len(parts) > 1 else (text.strip(),)


def content_tokens(text: str) -> list[str]:
    """The words a question is about: its tokens less the words that only frame it."""
    return [t for t in textnorm.tokenize(text) if t not in FRAME_WORDS]


def _unique(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))
