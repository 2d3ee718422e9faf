"""Score a position-ledger extractor against the hand-annotated gold set (issue 15).

    python tests/data/ledger_gold/score_ledger.py [--split train|test|all] [--fn module:function] [--errors]

The extractor defaults to ``bot.ingestion.ledger.extract_positions`` (new layout) or
``bot.ledger.extract_positions`` (old layout), whichever imports. Each gold document is fed the way the
ingestion pipeline feeds it: the document is read and split by the repository's own extractor
(``extract_text``) and the whole sentence list goes in at once, with the document's ``cited_agency``, so
pronouns and relays can look back. If a document file cannot be found, or the repository has no
extractor, the gold sentences of that document are fed in their document order instead. A function whose
first parameter is a single sentence (``sentence``/``text``) is called once per gold sentence, with
``context=`` when it accepts one.

Scores (micro-averaged over the sentences of the split):
  triple       (sentence, party, issue, stance); a gold ``stance_alt`` is accepted in place of ``stance``
  party        (sentence, party)
  issue        (sentence, issue)
  stance       (sentence, stance)
  speaker      (sentence, party, issue, speaker); speakers are resolved to profile keys where the profile
               knows the name ("Kremlin spokesman Dmitry Peskov", "佩斯科夫", "peskov" are one speaker),
               otherwise compared as folded text, one containing the other
  attribution  (sentence, party, issue, on_record|anonymous|relayed)
plus, on entries whose (sentence, party, issue) is right, how often stance, speaker, attribution and the
relaying outlet are right, and how many no-position sentences drew a finding.
"""
from __future__ import annotations

import argparse
import collections
import importlib
import importlib.util
import inspect
import json
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
GOLD = HERE / "gold.jsonl"
PROFILES = {"caucasus": REPO / "tests" / "data" / "profiles" / "caucasus.yaml"}
DOC_DIRS = [HERE / "docs", REPO / "tests" / "data" / "heldout_docs",
            REPO.parent / "shared" / "seeds", REPO.parent / "shared" / "eval" / "dev_docs",
            Path("/work/shared/seeds"), Path("/work/shared/eval/dev_docs")]
DEFAULT_FNS = ("bot.ingestion.ledger:extract_positions", "bot.ledger:extract_positions")


# --------------------------------------------------------------------------- the repository's parts

def _first_import(*names: str):
    """The first of ``module:attr`` that imports from the same checkout as the ``bot`` package itself.

    With PYTHONPATH pointing at an old checkout, an editable install of a newer one can still resolve
    ``bot.ingestion`` by its own finder; such a module would mix two versions of the code, so it is skipped.
    """
    try:
        root = Path(importlib.import_module("bot").__file__).resolve().parent
    except ImportError:
        return None
    for name in names:
        module, _, attr = name.partition(":")
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.origin or not Path(spec.origin).resolve().is_relative_to(root):
            continue
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            continue
    return None


def load_function(spec: str | None):
    if spec:
        module, sep, attr = spec.partition(":")
        if not sep:
            module, _, attr = spec.rpartition(".")
        return getattr(importlib.import_module(module), attr)
    fn = _first_import(*DEFAULT_FNS)
    if fn is None:
        raise SystemExit(f"no extractor found: tried {', '.join(DEFAULT_FNS)} (set PYTHONPATH or --fn)")
    return fn


Profile = _first_import("bot.text.profile:Profile", "bot.profile:Profile")
extract_text = _first_import("bot.ingestion.extract:extract_text", "bot.extract:extract_text")
_fold = _first_import("bot.text.normalize:fold", "bot.textnorm:fold") or (lambda s: s.casefold())


# --------------------------------------------------------------------------- normalising values

def _norm_text(value: str) -> str:
    value = _fold(value).strip(" \"“”'’.,，:")
    value = re.sub(r"^(?:the|a|an)\s+", "", value)
    return re.sub(r"\s+", " ", value)


class Resolver:
    """Maps a speaker or outlet, however written, to a profile key when the profile knows it."""

    def __init__(self, profile):
        self.profile = profile
        self.keys = {e.key for e in profile.entities()}

    def speaker(self, value) -> str:
        if value is None or str(value).strip() == "":
            return ""
        value = str(value)
        if value in self.keys:
            return value
        value = value.strip(" \"“”'’.,，:")
        mentions = [m for m in self.profile.find(value) if m.kind in ("actor", "party")]
        # the head of the phrase names the speaker: "Kremlin spokesman Dmitry Peskov", "Zelensky's chief of staff
        # Andriy Yermak"; a name inside a description ("people familiar with the Kremlin's thinking") does not
        head = [m for m in mentions if m.end >= len(value) - 1 and (m.end - m.start) >= 0.3 * len(value)]
        if head:
            return head[-1].key
        return "text:" + _norm_text(value)

    def outlet(self, value) -> str:
        if value is None or str(value).strip() == "":
            return ""
        value = str(value)
        if value in self.keys:
            return value
        outlets = [m for m in self.profile.find(value) if m.kind == "outlet"]
        return outlets[0].key if outlets else "text:" + _norm_text(value)


def same_speaker(gold: str, pred: str, party: str | None = None) -> bool:
    """Equal speakers; the holding party named as its own speaker ("Ukraine said") counts as no named speaker."""
    if gold == pred or {gold, pred} == {"", party}:
        return True
    if gold.startswith("text:") and pred.startswith("text:"):
        g, p = gold[5:], pred[5:]
        return bool(g and p) and (g in p or p in g)
    return False


# --------------------------------------------------------------------------- running the extractor

def _get(finding, *names, default=None):
    for name in names:
        if isinstance(finding, dict) and name in finding:
            return finding[name]
        if hasattr(finding, name):
            return getattr(finding, name)
    return default


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _find_doc(name: str) -> Path | None:
    extra = [Path(p) for p in os.environ.get("LEDGER_GOLD_DOCS", "").split(os.pathsep) if p]
    for folder in extra + DOC_DIRS:
        if (folder / name).is_file():
            return folder / name
    return None


def run_document(fn, rows: list[dict], profile) -> tuple[dict[str, list], str]:
    """Findings per gold sentence id for one document's rows, and how the document was fed."""
    params = inspect.signature(fn).parameters
    first = next(iter(params))
    by_id: dict[str, list] = {row["id"]: [] for row in rows}
    if first in ("sentence", "text"):
        for row in rows:
            kwargs = {"context": row["context"]} if "context" in params else {}
            by_id[row["id"]] = list(fn(row["sentence"], profile, **kwargs))
        return by_id, "per sentence"

    sentences, agency, mode = [row["sentence"] for row in rows], None, "gold sentences"
    path = _find_doc(rows[0]["doc"])
    if path is not None and extract_text is not None:
        extracted = extract_text(path.read_text(encoding="utf-8"), origin=str(path))
        sentences, agency, mode = [s.text for s in extracted.sentences], extracted.cited_agency, "document"
    kwargs = {"cited_agency": agency} if "cited_agency" in params else {}
    findings = fn(sentences, profile, **kwargs)

    index_to_id: dict[int, str] = {}
    gold_keys = {_key(row["sentence"]): row["id"] for row in rows}
    for i, sentence in enumerate(sentences):
        k = _key(sentence)
        if k in gold_keys:
            index_to_id[i] = gold_keys[k]
            continue
        for gk, gid in gold_keys.items():  # a splitter that cuts differently: match by containment
            if len(k) > 15 and len(gk) > 15 and (gk in k or k in gk):
                index_to_id[i] = gid
                break
    for finding in findings:
        index = _get(finding, "sentence_index", "index")
        gid = index_to_id.get(index) if index is not None else None
        if gid is None:
            gid = gold_keys.get(_key(str(_get(finding, "quote", default=""))))
        if gid is not None:
            by_id[gid].append(finding)
    return by_id, mode


# --------------------------------------------------------------------------- scoring

class PR:
    def __init__(self):
        self.tp_p = self.n_p = self.tp_r = self.n_r = 0

    def add(self, tp_p, n_p, tp_r, n_r):
        self.tp_p += tp_p; self.n_p += n_p; self.tp_r += tp_r; self.n_r += n_r

    def short(self) -> str:
        p = self.tp_p / self.n_p if self.n_p else 0.0
        r = self.tp_r / self.n_r if self.n_r else 0.0
        return f"P {p:.1%} R {r:.1%} (gold {self.n_r})"

    def line(self, name: str) -> str:
        p = self.tp_p / self.n_p if self.n_p else 0.0
        r = self.tp_r / self.n_r if self.n_r else 0.0
        return f"{name:<12} P {p:6.1%} ({self.tp_p}/{self.n_p})   R {r:6.1%} ({self.tp_r}/{self.n_r})"


def _set_pr(pred: set, gold: set, match) -> tuple[int, int, int, int]:
    tp_p = sum(1 for p in pred if any(match(g, p) for g in gold))
    tp_r = sum(1 for g in gold if any(match(g, p) for p in pred))
    return tp_p, len(pred), tp_r, len(gold)


def score(rows: list[dict], fn, errors: bool = False) -> str:
    profiles: dict[str | None, object] = {}
    resolvers: dict[str | None, Resolver] = {}
    docs: dict[str, list[dict]] = collections.OrderedDict()
    for row in rows:
        docs.setdefault(row["doc"], []).append(row)

    fields = {name: PR() for name in ("triple", "party", "issue", "stance", "speaker", "attribution")}
    by_lang = collections.defaultdict(PR)
    by_stance = collections.defaultdict(PR)
    cond = collections.Counter()
    empty_rows = empty_hit = 0
    modes = collections.Counter()
    error_lines: list[str] = []

    for doc_rows in docs.values():
        pkey = doc_rows[0].get("profile")
        if pkey not in profiles:
            profiles[pkey] = Profile.load(PROFILES[pkey]) if pkey else Profile.load()
            resolvers[pkey] = Resolver(profiles[pkey])
        res = resolvers[pkey]
        found, mode = run_document(fn, doc_rows, profiles[pkey])
        modes[mode] += 1
        for row in doc_rows:
            sid = row["id"]
            gold = row["positions"]
            preds = [{"party": _get(f, "party"), "issue": _get(f, "issue"), "stance": _get(f, "stance"),
                      "speaker": res.speaker(_get(f, "speaker")), "attribution": _get(f, "attribution"),
                      "relayed_from": res.outlet(_get(f, "relayed_from"))} for f in found[sid]]
            if not gold:
                empty_rows += 1
                empty_hit += bool(preds)
            g_entries = [dict(g, speaker=res.speaker(g["speaker"]), relayed_from=res.outlet(g.get("relayed_from")),
                              stances={g["stance"], *g.get("stance_alt", [])}) for g in gold]

            # triple: each gold entry matched by at most one prediction
            pred_triples = {(p["party"], p["issue"], p["stance"]) for p in preds}
            used, tp_p = set(), 0
            for t in sorted(pred_triples):
                for gi, g in enumerate(g_entries):
                    if gi not in used and (g["party"], g["issue"]) == t[:2] and t[2] in g["stances"]:
                        used.add(gi); tp_p += 1
                        break
            fields["triple"].add(tp_p, len(pred_triples), len(used), len(g_entries))
            by_lang[row.get("lang", "?")].add(tp_p, len(pred_triples), len(used), len(g_entries))
            for s in ("demands", "offers", "accepts", "rejects", "conditions", "denies"):
                ps = {t for t in pred_triples if t[2] == s}
                gs = [g for g in g_entries if g["stance"] == s]
                by_stance[s].add(sum(1 for t in ps if any((g["party"], g["issue"]) == t[:2] and s in g["stances"] for g in g_entries)),
                                 len(ps), sum(1 for g in gs if any(t[:2] == (g["party"], g["issue"]) and t[2] in g["stances"] for t in pred_triples)),
                                 len(gs))

            fields["party"].add(*_set_pr({p["party"] for p in preds}, {g["party"] for g in g_entries}, lambda g, p: g == p))
            fields["issue"].add(*_set_pr({p["issue"] for p in preds}, {g["issue"] for g in g_entries}, lambda g, p: g == p))
            gold_stances = [g["stances"] for g in g_entries]
            pred_stances = {p["stance"] for p in preds}
            fields["stance"].add(sum(1 for s in pred_stances if any(s in gs for gs in gold_stances)), len(pred_stances),
                                 sum(1 for gs in gold_stances if gs & pred_stances), len(gold_stances))

            # speaker and attribution, per (party, issue) entry: the first finding for a pair speaks for it
            first: dict[tuple, dict] = {}
            for p in preds:
                first.setdefault((p["party"], p["issue"]), p)
            gmap = {(g["party"], g["issue"]): g for g in g_entries}
            for name, same in (("speaker", same_speaker), ("attribution", lambda a, b, _: a == b)):
                tp = sum(1 for k, p in first.items() if k in gmap and same(gmap[k][name], p[name], k[0]))
                fields[name].add(tp, len(first), tp, len(gmap))
            for k, p in first.items():
                if k in gmap:
                    g = gmap[k]
                    cond["pairs"] += 1
                    cond["stance"] += any(q["stance"] in g["stances"] for q in preds if (q["party"], q["issue"]) == k)
                    cond["speaker"] += same_speaker(g["speaker"], p["speaker"], k[0])
                    cond["attribution"] += g["attribution"] == p["attribution"]
                    if g["attribution"] == "relayed":
                        cond["relayed"] += 1
                        cond["relayed_from"] += g["relayed_from"] == p["relayed_from"]

            if errors:
                gold_t = {(g["party"], g["issue"], g["stance"]) for g in g_entries}
                missed = [t for t in gold_t if not any(t[:2] == q[:2] and q[2] in gmap[t[:2]]["stances"] for q in pred_triples)]
                wrong = [t for t in pred_triples if not (t[:2] in gmap and t[2] in gmap[t[:2]]["stances"])]
                detail = [f"{k[0]}/{k[1]} speaker gold={gmap[k]['speaker'] or '-'} got={p['speaker'] or '-'}"
                          for k, p in first.items() if k in gmap and not same_speaker(gmap[k]["speaker"], p["speaker"], k[0])]
                detail += [f"{k[0]}/{k[1]} attribution gold={gmap[k]['attribution']} got={p['attribution']}"
                           for k, p in first.items() if k in gmap and gmap[k]["attribution"] != p["attribution"]]
                if missed or wrong or detail:
                    error_lines.append(f"{sid} {row['doc']}: {row['sentence'][:110]}")
                    error_lines += [f"    missed {'/'.join(t)}" for t in sorted(missed)]
                    error_lines += [f"    wrong  {'/'.join(map(str, t))}" for t in sorted(wrong, key=str)]
                    error_lines += [f"    {d}" for d in detail]

    n_gold = sum(len(r["positions"]) for r in rows)
    fed = ", ".join(f"{k} {v}" for k, v in modes.items())
    out = [f"sentences {len(rows)} ({empty_rows} with no position), gold entries {n_gold}, documents {len(docs)} (fed as: {fed})"]
    out += [fields[name].line(name) for name in fields]
    pairs = cond["pairs"] or 1
    out.append(f"on {cond['pairs']} entries with the right (sentence, party, issue): stance {cond['stance'] / pairs:.1%}, "
               f"speaker {cond['speaker'] / pairs:.1%}, attribution {cond['attribution'] / pairs:.1%}, "
               f"relaying outlet {cond['relayed_from'] / (cond['relayed'] or 1):.1%} of {cond['relayed']} relayed")
    out.append(f"no-position sentences that drew a finding: {empty_hit}/{empty_rows}")
    out.append("triple by language: " + "; ".join(f"{lang} {by_lang[lang].short()}" for lang in sorted(by_lang)))
    out.append("triple by gold/predicted stance:")
    out += ["  " + by_stance[s].line(s) for s in ("demands", "offers", "accepts", "rejects", "conditions", "denies")]
    if errors:
        out += ["", "errors:"] + error_lines
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("train", "test", "all"), default="test")
    parser.add_argument("--fn", help="extractor as module:function or module.function (default: the repository's)")
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--errors", action="store_true", help="list missed and wrong entries per sentence")
    args = parser.parse_args(argv)
    if Profile is None:
        raise SystemExit("no Profile class found (bot.text.profile or bot.profile): set PYTHONPATH to a Parley checkout")
    fn = load_function(args.fn)
    rows = [json.loads(line) for line in args.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if args.split == "all" or r["split"] == args.split]
    print(f"# {fn.__module__}.{fn.__qualname__} on split={args.split}")
    print(score(rows, fn, errors=args.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
