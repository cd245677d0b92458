"""all-MiniLM-L6-v2 on ONNX Runtime: the same vectors as sentence-transformers
(within float32 rounding), about twice as fast as NumPy or torch for one
query, and without importing torch.

The graph is written here from the package's own weights (no exported model
file, nothing written to disk): BERT's embeddings and layer norm, then per
layer ONNX Runtime's fused ``Attention``, ``SkipLayerNormalization`` and
``BiasGelu`` kernels (the ones its transformer optimiser would produce),
mean pooling over the attention mask and L2 normalisation. The weights are
handed to the session as external initializers: serialising 90 MB into the
graph cost 0.7 s per process. A second graph, with each layer's weight
matrices in 8 bits, runs a conversation's windows where the CPU multiplies
them exactly and fast (:mod:`memcli.models.cpu`); it is built on first use.

Threads: a session has a fixed pool, and its threads block instead of
spinning while they wait. torch's and OpenBLAS's spinning pools made a
one-line query several times slower when another program held a core; this
pool on both cores stays faster than one thread even with two CPU-bound
programs beside it (bench/bench_query.py).
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

import numpy as np

from memcli.models.bert_numpy import BertWeights

_MS = "com.microsoft"


def quantized(array: np.ndarray, unsigned: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A weight matrix (inputs x outputs) as int8 and one scale per output
    column, symmetric (zero point 0): ``q * scale`` is the matrix to within
    half a step. A scale per column, not one per matrix, is what kept recall.
    ``unsigned``: the same steps as uint8 with zero point 128 (``q + 128``),
    which AVX2 multiplies without saturating (:mod:`memcli.models.cpu`)."""
    scale = np.abs(array).max(axis=0) / 127.0
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    q = np.clip(np.rint(array / scale), -127, 127)
    return (q + 128).astype(np.uint8) if unsigned else q.astype(np.int8), scale


def _graph(w: BertWeights, matrices: str = "float32") -> tuple[bytes, dict[str, np.ndarray]]:
    """The serialised graph (weights left external) and its weights by name.

    With ``matrices`` ``"int8"`` or ``"uint8"`` every layer's four weight
    matrices are 8-bit (per-column scales; see :func:`quantized`) and run as
    ONNX Runtime's dynamically quantised ops (the input quantised per call):
    ``QAttention`` and ``DynamicQuantizeMatMul``. Embeddings, biases, layer
    norms and the rest stay float32."""
    if matrices not in ("float32", "int8", "uint8"):
        raise ValueError(f"no MiniLM graph with {matrices} weights")
    return _GraphBuilder(w, matrices).build()


class _GraphBuilder:
    """MiniLM as ONNX nodes: embeddings, the transformer blocks, mean pooling."""

    def __init__(self, w: BertWeights, matrices: str) -> None:
        from onnx import TensorProto, helper

        self.w, self.helper, self.T = w, helper, TensorProto
        self.int8, self.unsigned = matrices != "float32", matrices == "uint8"
        self.weights: dict[str, np.ndarray] = {}
        self.inits: list[Any] = []
        self.types = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int8): TensorProto.INT8,
                      np.dtype(np.uint8): TensorProto.UINT8}
        self.node = helper.make_node

    def weight(self, name: str, array: np.ndarray) -> str:
        if array.dtype not in self.types:
            array = array.astype(np.float32, copy=False)
        array = np.ascontiguousarray(array)
        self.weights[name] = array
        tensor = self.T(name=name, data_type=self.types[array.dtype], dims=list(array.shape),
                        data_location=self.T.EXTERNAL)
        for key, value in (("location", "memcli"), ("offset", "0"), ("length", str(array.nbytes))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        self.inits.append(tensor)
        return name

    def const(self, name: str, value: Any, dtype: Any) -> str:
        self.inits.append(self.helper.make_tensor(name, dtype, [len(value)] if isinstance(value, list) else [],
                                                  value if isinstance(value, list) else [value]))
        return name

    def zeros(self, name: str, n: int) -> str:
        """The weights' zero point, one per output column for the products (QAttention takes one)."""
        return self.weight(name, np.full(n, 128 if self.unsigned else 0,
                                         dtype=np.uint8 if self.unsigned else np.int8))

    def matmul(self, x: str, name: str, matrix: np.ndarray, out: str) -> Any:
        if not self.int8:
            return self.node("MatMul", [x, self.weight(name, matrix)], [out])
        q, scale = quantized(matrix, self.unsigned)
        return self.node("DynamicQuantizeMatMul", [x, self.weight(name, q), self.weight(name + "_scale", scale),
                                                   self.zeros(name + "_zero", len(scale))], [out], domain=_MS)

    def attention(self, x: str, p: str, b: dict[str, Any]) -> list[Any]:
        bias = self.weight(p + "qkv_b", b["qkv_b"])
        if not self.int8:
            return [self.node("Attention", [x, self.weight(p + "qkv", b["qkv"]), bias, "mask32"], [p + "att"],
                              domain=_MS, num_heads=self.w.heads)]
        q, scale = quantized(b["qkv"], self.unsigned)
        return [
            self.node("DynamicQuantizeLinear", [x], [p + "xq", p + "xq_scale", p + "xq_zero"]),
            self.node("QAttention", [p + "xq", self.weight(p + "qkv", q), bias, p + "xq_scale",
                                     self.weight(p + "qkv_scale", scale), "mask32", p + "xq_zero", self.zero],
                      [p + "att"], domain=_MS, num_heads=self.w.heads),
        ]

    def embeddings(self) -> list[Any]:
        w, node, T = self.w, self.node, self.T
        return [
            node("Shape", ["ids"], ["shape"]),
            node("Gather", ["shape", self.const("one", [1], T.INT64)], ["length"], axis=0),
            node("Slice", [self.weight("position", w.position), self.const("zero", [0], T.INT64), "length"],
                 ["positions"]),
            node("Gather", [self.weight("word", w.word), "ids"], ["words"]),
            node("Add", ["words", "positions"], ["e1"]),
            node("Add", ["e1", self.weight("token_type", w.token_type)], ["e2"]),
            node("LayerNormalization", ["e2", self.weight("embed_gain", w.embed_norm[0]),
                                        self.weight("embed_bias", w.embed_norm[1])], ["x"], axis=-1, epsilon=w.eps),
            node("Cast", ["mask"], ["mask32"], to=T.INT32),
        ]

    def block(self, x: str, p: str, b: dict[str, Any]) -> list[Any]:
        node, weight, eps = self.node, self.weight, self.w.eps
        return self.attention(x, p, b) + [
            self.matmul(p + "att", p + "out", b["out"], p + "att_out"),
            node("SkipLayerNormalization", [p + "att_out", x, weight(p + "g1", b["norm1"][0]),
                                            weight(p + "b1", b["norm1"][1]), weight(p + "out_b", b["out_b"])],
                 [p + "x1"], domain=_MS, epsilon=eps),
            self.matmul(p + "x1", p + "up", b["up"], p + "up_out"),
            node("BiasGelu", [p + "up_out", weight(p + "up_b", b["up_b"])], [p + "gelu"], domain=_MS),
            self.matmul(p + "gelu", p + "down", b["down"], p + "down_out"),
            node("SkipLayerNormalization", [p + "down_out", p + "x1", weight(p + "g2", b["norm2"][0]),
                                            weight(p + "b2", b["norm2"][1]), weight(p + "down_b", b["down_b"])],
                 [p + "x2"], domain=_MS, epsilon=eps),
        ]

    def pooling(self, x: str) -> list[Any]:
        node, T = self.node, self.T
        return [
            node("Identity", [x], ["states"]),
            node("Cast", ["mask"], ["maskf"], to=T.FLOAT),
            node("Unsqueeze", ["maskf", self.const("last", [-1], T.INT64)], ["mask3"]),
            node("Mul", [x, "mask3"], ["kept"]),
            node("ReduceSum", ["kept", "one"], ["summed"], keepdims=0),
            node("ReduceSum", ["maskf", "one"], ["count"], keepdims=1),
            node("Max", ["count", self.const("unit", 1.0, T.FLOAT)], ["count1"]),
            node("Div", ["summed", "count1"], ["pooled"]),
            node("LpNormalization", ["pooled"], ["vectors"], axis=-1, p=2),
        ]

    def build(self) -> tuple[bytes, dict[str, np.ndarray]]:
        helper, T, w = self.helper, self.T, self.w
        nodes = self.embeddings()
        self.zero = self.zeros("int8_zero", 1) if self.int8 else ""
        x = "x"
        for n, b in enumerate(w.blocks):
            nodes += self.block(x, f"l{n}.", b)
            x = f"l{n}.x2"
        nodes += self.pooling(x)
        graph = helper.make_graph(
            nodes, "minilm",
            [helper.make_tensor_value_info("ids", T.INT64, ["batch", "tokens"]),
             helper.make_tensor_value_info("mask", T.INT64, ["batch", "tokens"])],
            [helper.make_tensor_value_info("vectors", T.FLOAT, ["batch", w.hidden]),
             helper.make_tensor_value_info("states", T.FLOAT, ["batch", "tokens", w.hidden])],
            self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(_MS, 1)])
        return model.SerializeToString(), self.weights


class OnnxBert:
    """A BERT sentence encoder (mean pooled, normalised) on ONNX Runtime."""

    def __init__(self, weights: BertWeights) -> None:
        import onnxruntime  # noqa: F401  (missing: ImportError now, so the caller can fall back)

        self.w = weights
        # built now: without the onnx package this raises ImportError here, where the caller falls back
        self._graphs: dict[str, tuple[bytes, dict[str, np.ndarray]]] = {"float32": _graph(weights)}
        self._sessions: dict[tuple[int, str], Any] = {}
        self._lock = threading.Lock()

    def session(self, threads: int, matrices: str = "float32") -> Any:
        """The session whose pool has ``threads`` threads, of the graph whose
        weight matrices are ``matrices`` (float32, int8 or uint8; each built
        on first use)."""
        with self._lock:
            if (threads, matrices) not in self._sessions:
                import onnxruntime as ort

                if matrices not in self._graphs:
                    self._graphs[matrices] = _graph(self.w, matrices)
                graph, weights = self._graphs[matrices]

                options = ort.SessionOptions()
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                # A spinning pool burns the core another program needs and,
                # descheduled, makes its partner wait: block instead.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                names = list(weights)
                # the arrays stay referenced by self._graphs for the session's life
                options.add_external_initializers(names, [ort.OrtValue.ortvalue_from_numpy(weights[n]) for n in names])
                self._sessions[threads, matrices] = ort.InferenceSession(graph, options,
                                                                         providers=["CPUExecutionProvider"])
            return self._sessions[threads, matrices]

    def encode(self, texts: Sequence[str], threads: int = 1) -> np.ndarray:
        """Unit vectors for ``texts``, shape (len(texts), hidden), float32. Texts
        of similar length should share a call (padding costs compute)."""
        ids, mask = self.w.tokens(texts)
        vectors = self.session(threads).run(["vectors"], {"ids": ids, "mask": mask})[0]
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def states(self, ids: np.ndarray, mask: np.ndarray, threads: int = 1, matrices: str = "float32") -> np.ndarray:
        """The last layer's state of every token, shape (batch, tokens, hidden),
        for token ids and mask as :meth:`BertWeights.tokens` gives them (used
        to embed a conversation in windows: :mod:`memcli.models.windows`);
        ``matrices``: the graph's weights, float32 or 8-bit (see :func:`_graph`)."""
        return self.session(threads, matrices).run(["states"], {"ids": ids, "mask": mask})[0]
