"""The shared search index in PostgreSQL (pgvector): its tables, and the queries that rank passages for the answer engine.

Beside each passage the index keeps its index terms (the same folded words, entity and gloss tokens the
in-process index uses), their counts in a postings table, and its vector in a pgvector column with an
HNSW index. Lexical ranking is the in-process index's BM25 over term groups, computed in SQL; dense
ranking reads the HNSW index. Nothing here imports the core: callers hand over terms and vectors.
"""
from __future__ import annotations

import json
import logging
from typing import Iterable, Sequence

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

DIMENSIONS = 384
HNSW_EF_SEARCH = 400  # candidates the HNSW walk keeps; at least the ranking depth, or the ranking comes back short
INDEX_LOCK = 0x7061726C  # advisory lock id ("parl"): one process indexes new passages at a time

TABLES = ("search_passage", "search_term", "search_document", "search_state")

_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS search_passage (
        passage_id integer PRIMARY KEY REFERENCES passage(id) ON DELETE CASCADE,
        document_id varchar(32) NOT NULL,
        seq integer NOT NULL,
        length integer NOT NULL,
        fragment boolean NOT NULL,
        terms text[] NOT NULL,
        mentions jsonb NOT NULL,
        vec vector({DIMENSIONS}))""",
    "CREATE INDEX IF NOT EXISTS ix_search_passage_document ON search_passage (document_id, seq)",
    "CREATE INDEX IF NOT EXISTS ix_search_passage_unembedded ON search_passage (passage_id) WHERE vec IS NULL",
    "CREATE INDEX IF NOT EXISTS ix_search_passage_vec ON search_passage USING hnsw (vec vector_ip_ops)",
    """CREATE TABLE IF NOT EXISTS search_term (
        term text NOT NULL,
        passage_id integer NOT NULL,
        tf integer NOT NULL,
        PRIMARY KEY (term, passage_id))""",
    """CREATE TABLE IF NOT EXISTS search_document (
        document_id varchar(32) PRIMARY KEY,
        title_terms text[] NOT NULL,
        terms text[] NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS search_state (
        key varchar(32) PRIMARY KEY,
        value text NOT NULL)""",
)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def vector_extension(conn: Connection) -> tuple[bool, str]:
    """Whether pgvector is usable here (installed in the database, or installable by this user), and why not."""
    if conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).first():
        return True, ""
    if not conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).first():
        return False, "the server has no pgvector extension"
    try:
        with conn.begin_nested():
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
    except Exception as exc:  # typically: not a superuser and vector is not a trusted extension
        return False, f"CREATE EXTENSION vector failed: {str(getattr(exc, 'orig', exc)).splitlines()[0]}"
    return True, ""


def ensure_schema(conn: Connection) -> tuple[bool, str]:
    """Create the extension and the search tables when pgvector is available; (available, reason if not)."""
    available, reason = vector_extension(conn)
    if available:
        for statement in _SCHEMA:
            conn.execute(text(statement))
    return available, reason


def schema_ready(engine: Engine) -> tuple[bool, str]:
    """Make sure the shared index can be used on this PostgreSQL database (creating it if needed)."""
    try:
        with engine.begin() as conn:
            return ensure_schema(conn)
    except Exception as exc:
        return False, str(getattr(exc, "orig", exc)).strip().splitlines()[0]


def vector_literal(vector: np.ndarray) -> str:
    """A float32 vector in pgvector's text form, every digit kept (``%.9g`` round-trips float32)."""
    return "[" + ",".join("%.9g" % value for value in np.asarray(vector, dtype=np.float32)) + "]"


# -- state ------------------------------------------------------------------------------------------

def read_state(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(text("SELECT key, value FROM search_state")).all())


def write_state(conn: Connection, **values) -> None:
    for key, value in values.items():
        conn.execute(text("INSERT INTO search_state (key, value) VALUES (:k, :v) "
                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value"), {"k": key, "v": str(value)})


def clear(conn: Connection) -> None:
    """Forget every indexed passage (the terms were made by other code or another profile)."""
    conn.execute(text("TRUNCATE search_passage, search_term, search_document, search_state"))


def lock_indexing(conn: Connection) -> None:
    """Wait for the indexing lock of this transaction (held until it ends)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": INDEX_LOCK})


def probe(conn: Connection) -> tuple[int, int, int, int, int, int]:
    """Passages stored, passages still without a vector, indexed passages, indexed ones without a vector,
    and the ledger's size and newest id: compared with the last look, they say what changed."""
    row = conn.execute(text(
        "SELECT (SELECT count(*) FROM passage), (SELECT count(*) FROM passage WHERE embedding IS NULL),"
        " (SELECT count(*) FROM search_passage), (SELECT count(*) FROM search_passage WHERE vec IS NULL),"
        " (SELECT count(*) FROM position), (SELECT coalesce(max(id), 0) FROM position)")).one()
    return tuple(int(v or 0) for v in row)  # type: ignore[return-value]


# -- writing ----------------------------------------------------------------------------------------

def unindexed_passages(conn: Connection, limit: int) -> Sequence[tuple]:
    """Stored passages the index lacks, in id order: (id, document_id, seq, text, embedding)."""
    return conn.execute(text(
        "SELECT p.id, p.document_id, p.seq, p.text, p.embedding FROM passage p"
        " WHERE NOT EXISTS (SELECT 1 FROM search_passage s WHERE s.passage_id = p.id)"
        " ORDER BY p.id LIMIT :limit"), {"limit": limit}).all()


def add_passages(conn: Connection, rows: Sequence[dict]) -> None:
    """Insert indexed passages: each a dict of passage_id, document_id, seq, length, fragment, terms (a Counter),
    mentions (JSON-able) and vector (or None)."""
    if not rows:
        return
    conn.execute(text(
        "INSERT INTO search_passage (passage_id, document_id, seq, length, fragment, terms, mentions, vec)"
        " VALUES (:passage_id, :document_id, :seq, :length, :fragment, :terms, CAST(:mentions AS jsonb),"
        " CAST(:vec AS vector)) ON CONFLICT (passage_id) DO NOTHING"),
        [dict(passage_id=r["passage_id"], document_id=r["document_id"], seq=r["seq"], length=r["length"],
              fragment=r["fragment"], terms=sorted(r["terms"]), mentions=json.dumps(r["mentions"], ensure_ascii=False),
              vec=None if r["vector"] is None else vector_literal(r["vector"])) for r in rows])
    postings = [{"term": term, "pid": r["passage_id"], "tf": count} for r in rows for term, count in r["terms"].items()]
    for start in range(0, len(postings), 20000):
        conn.execute(text("INSERT INTO search_term (term, passage_id, tf) VALUES (:term, :pid, :tf)"
                          " ON CONFLICT DO NOTHING"), postings[start:start + 20000])
    conn.execute(text("INSERT INTO search_state (key, value) VALUES ('length', :n)"
                      " ON CONFLICT (key) DO UPDATE SET value = (search_state.value::bigint + :n)::text"),
                 {"n": sum(r["length"] for r in rows)})


def add_document_terms(conn: Connection, document_id: str, title_terms: Iterable[str], terms: Iterable[str]) -> None:
    """Record a document's headline terms and add to the terms it names (headline words and every entity)."""
    conn.execute(text(
        "INSERT INTO search_document (document_id, title_terms, terms) VALUES (:d, :t, :n)"
        " ON CONFLICT (document_id) DO UPDATE SET terms ="
        " ARRAY(SELECT DISTINCT unnest(search_document.terms || excluded.terms) ORDER BY 1)"),
        {"d": document_id, "t": sorted(set(title_terms)), "n": sorted(set(terms))})


def unvectored_passages(conn: Connection, limit: int) -> Sequence[tuple[int, bytes]]:
    """Indexed passages without a vector whose passage has one since: (id, embedding)."""
    return conn.execute(text(
        "SELECT s.passage_id, p.embedding FROM search_passage s JOIN passage p ON p.id = s.passage_id"
        " WHERE s.vec IS NULL AND p.embedding IS NOT NULL ORDER BY s.passage_id LIMIT :limit"), {"limit": limit}).all()


def set_vectors(conn: Connection, vectors: Sequence[tuple[int, np.ndarray]]) -> None:
    if vectors:
        conn.execute(text("UPDATE search_passage SET vec = CAST(:vec AS vector) WHERE passage_id = :pid"),
                     [{"pid": pid, "vec": vector_literal(vector)} for pid, vector in vectors])


# -- reading ----------------------------------------------------------------------------------------

PASSAGE_COLUMNS = ("p.id, p.document_id, p.seq, p.paragraph, p.start, p.\"end\", p.text, p.language,"
                   " s.terms, s.mentions, s.fragment, p.embedding")


def passages_by_id(conn: Connection, ids: Sequence[int]) -> Sequence[tuple]:
    if not ids:
        return []
    return conn.execute(text(f"SELECT {PASSAGE_COLUMNS} FROM passage p JOIN search_passage s ON s.passage_id = p.id"
                             " WHERE p.id = ANY(:ids)"), {"ids": list(ids)}).all()


def passages_near(conn: Connection, ids: Sequence[int], reach: int) -> Sequence[tuple]:
    """The passages ``reach`` sentences either side of the given ones (in the same document), themselves included."""
    if not ids:
        return []
    return conn.execute(text(
        f"SELECT {PASSAGE_COLUMNS} FROM passage p JOIN search_passage s ON s.passage_id = p.id"
        " JOIN (SELECT DISTINCT a.document_id, a.seq + o AS seq FROM search_passage a,"
        " generate_series(-CAST(:reach AS int), CAST(:reach AS int)) o WHERE a.passage_id = ANY(:ids)) w"
        " ON w.document_id = s.document_id AND w.seq = s.seq"), {"ids": list(ids), "reach": reach}).all()


def passage_at(conn: Connection, document_id: str, seq: int) -> tuple | None:
    return conn.execute(text(f"SELECT {PASSAGE_COLUMNS} FROM passage p JOIN search_passage s ON s.passage_id = p.id"
                             " WHERE s.document_id = :d AND s.seq = :s"), {"d": document_id, "s": seq}).first()


def document_passages(conn: Connection, document_id: str) -> Sequence[tuple]:
    return conn.execute(text(f"SELECT {PASSAGE_COLUMNS} FROM passage p JOIN search_passage s ON s.passage_id = p.id"
                             " WHERE s.document_id = :d ORDER BY s.seq"), {"d": document_id}).all()


def stream_passages(conn: Connection, offset: int, chunk: int = 2000) -> Iterable[tuple]:
    """Indexed passages in id order from the ``offset``-th on, read a chunk at a time."""
    last = None
    first = conn.execute(text("SELECT passage_id FROM search_passage ORDER BY passage_id OFFSET :o LIMIT 1"),
                         {"o": offset}).first()
    if first is None:
        return
    last = first[0] - 1
    while True:
        rows = conn.execute(text(
            f"SELECT {PASSAGE_COLUMNS} FROM passage p JOIN search_passage s ON s.passage_id = p.id"
            " WHERE p.id > :last ORDER BY p.id LIMIT :chunk"), {"last": last, "chunk": chunk}).all()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


DOCUMENT_COLUMNS = "d.id, d.origin, d.url, d.title, d.outlet, d.cited_agency, d.published, d.language"


def documents_by_id(conn: Connection, ids: Sequence[str]) -> Sequence[tuple]:
    """Document metadata with the indexed headline and document terms (empty when not indexed yet)."""
    if not ids:
        return []
    return conn.execute(text(
        f"SELECT {DOCUMENT_COLUMNS}, coalesce(t.title_terms, '{{}}'), coalesce(t.terms, '{{}}') FROM document d"
        " LEFT JOIN search_document t ON t.document_id = d.id WHERE d.id = ANY(:ids)"), {"ids": list(ids)}).all()


def stream_documents(conn: Connection) -> Iterable[tuple]:
    result = conn.execution_options(yield_per=2000).execute(
        text(f"SELECT {DOCUMENT_COLUMNS}, '{{}}'::text[], '{{}}'::text[] FROM document d ORDER BY d.id"))
    yield from result


def count_documents(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM document")).scalar_one())


def document_frequencies(conn: Connection, groups: Sequence[Sequence[str]]) -> list[int]:
    """For each group of alternative terms, how many passages contain at least one of them."""
    if not groups:
        return []
    rows = conn.execute(text(
        "SELECT g.i, (SELECT count(DISTINCT t.passage_id) FROM search_term t WHERE t.term = ANY(g.terms))"
        " FROM (SELECT i, string_to_array(terms, chr(31)) AS terms FROM unnest(CAST(:groups AS text[])) WITH ORDINALITY AS x(terms, i)) g"),
        {"groups": [chr(31).join(group) for group in groups]}).all()
    found = {int(i): int(count) for i, count in rows}
    return [int(found.get(i + 1, 0)) for i in range(len(groups))]


def lexical_ranking(conn: Connection, groups: Sequence[Sequence[tuple[str, float]]], *, passages: int,
                    total_length: int, k1: float, b: float, depth: int, mask_groups: int) -> tuple[list[tuple], list[int]]:
    """BM25 over term groups, as the in-process index scores them, in SQL.

    Each group is a list of (term, weight) alternatives taken as one term: its document frequency is that of
    the union, and a passage scores its best-weighted alternative (the first listed among equal weights).
    Returns the ``depth`` best (passage id, score, mask of groups contained), best first, equal scores in
    document order; and each group's document frequency.
    """
    alternatives = [(g, order, term, weight) for g, group in enumerate(groups)
                    for order, (term, weight) in enumerate(group) if weight > 0]
    if not alternatives:
        return [], [0] * len(groups)
    g_ids, orders, terms, weights = (list(column) for column in zip(*alternatives))
    average = max(total_length / max(passages, 1), 1.0)
    rows = conn.execute(text(
        """WITH q AS (SELECT * FROM unnest(CAST(:g AS int[]), CAST(:o AS int[]), CAST(:t AS text[]), CAST(:w AS float8[]))
                      AS q(grp, ord, term, weight)),
           hit AS (SELECT DISTINCT ON (t.passage_id, q.grp) t.passage_id, q.grp, q.weight, t.tf
                   FROM search_term t JOIN q ON t.term = q.term
                   ORDER BY t.passage_id, q.grp, q.weight DESC, q.ord),
           df AS (SELECT grp, count(*) AS n FROM hit GROUP BY grp),
           scored AS (SELECT h.passage_id,
                         sum(h.weight * ln(1 + (:n - df.n + 0.5) / (df.n + 0.5))
                             * h.tf * (:k1 + 1) / (h.tf + :k1 * (1 - :b + :b * s.length / :avg))) AS score,
                         bit_or(CASE WHEN h.grp < :mask THEN (1::bigint << h.grp) ELSE 0 END) AS mask,
                         min(s.document_id) AS document_id, min(s.seq) AS seq
                      FROM hit h JOIN df USING (grp) JOIN search_passage s ON s.passage_id = h.passage_id
                      GROUP BY h.passage_id)
           SELECT passage_id, score, mask, NULL::int, NULL::bigint FROM
             (SELECT * FROM scored ORDER BY round(score::numeric, 9) DESC, document_id, seq LIMIT :depth) top
           UNION ALL SELECT NULL, NULL, NULL, grp, n FROM df"""),
        dict(g=g_ids, o=orders, t=terms, w=weights, n=float(passages), k1=k1, b=b, avg=average,
             mask=mask_groups, depth=depth)).all()
    frequencies = [0] * len(groups)
    ranking = []
    for pid, score, mask, grp, n in rows:
        if pid is None:
            frequencies[grp] = int(n)
        else:
            ranking.append((pid, float(score), int(mask)))
    return ranking, frequencies


def widen_hnsw_search(engine: Engine) -> None:
    """Have every connection of ``engine`` walk HNSW_EF_SEARCH candidates (pgvector's default, 40, is fewer than a
    ranking's depth), set once per connection rather than once per search."""
    from sqlalchemy import event

    def on_connect(dbapi_connection, record) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET hnsw.ef_search = {HNSW_EF_SEARCH}")
        dbapi_connection.commit()
        record.info["hnsw_ef_search"] = HNSW_EF_SEARCH

    event.listen(engine, "connect", on_connect)


def dense_ranking(conn: Connection, vector: np.ndarray, depth: int) -> Sequence[tuple]:
    """The ``depth`` passages nearest ``vector`` by inner product (cosine: vectors are normalized) through the
    HNSW index: (passage id, cosine)."""
    if conn.info.get("hnsw_ef_search", 0) < depth:  # a connection made before widen_hnsw_search, or a deeper ranking
        conn.execute(text(f"SET LOCAL hnsw.ef_search = {max(int(depth), HNSW_EF_SEARCH)}"))
    return conn.execute(text(
        "SELECT passage_id, -(vec <#> CAST(:q AS vector)) FROM search_passage WHERE vec IS NOT NULL"
        " ORDER BY vec <#> CAST(:q AS vector) LIMIT :depth"), {"q": vector_literal(vector), "depth": depth}).all()


def vector_sample(conn: Connection, size: int) -> np.ndarray:
    """About ``size`` stored vectors spread evenly over the corpus (every vector when there are fewer)."""
    embedded = int(conn.execute(text("SELECT count(*) FROM search_passage WHERE vec IS NOT NULL")).scalar_one())
    step = max(1, -(-embedded // size))
    rows = conn.execute(text(
        "SELECT p.embedding FROM search_passage s JOIN passage p ON p.id = s.passage_id"
        " WHERE s.vec IS NOT NULL AND (:step = 1 OR s.passage_id % :step = 0) ORDER BY s.passage_id"),
        {"step": step}).all()
    if not rows:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.stack([np.frombuffer(blob, dtype="<f4") for (blob,) in rows]).astype(np.float32)

