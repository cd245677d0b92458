"""all-MiniLM-L6-v2 read from its package without torch: its weights and
tokenizer (:class:`BertWeights`, used by the ONNX Runtime graph in
``bert_onnx.py``), and its forward pass in NumPy (:class:`NumpyBert`), the
same vectors as sentence-transformers within float32 rounding.

The NumPy pass is the fallback for queries where onnxruntime is not
installed: importing sentence-transformers takes seconds in every
``memcli search`` process, and torch's two-thread pool waits on a core that
another program holds, where one BLAS thread on a short line stays steady.

The model: BERT (6 layers, hidden 384, 12 heads, GELU), mean pooling over
the attention mask, L2 normalisation; inputs truncated at 256 tokens, as
the package's sentence-transformers config says.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

MAX_TOKENS = 256


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26: absolute error below 1.5e-7, float32's own
    # precision, so GELU matches torch's exact (erf) form.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * (1.0 / math.sqrt(2.0))))


def _layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(-1, keepdims=True)
    return centred / np.sqrt(var + eps) * gain + bias


class BertWeights:
    """A BERT sentence encoder's weights and tokenizer, read from a sentence-
    transformers model folder holding ``model.safetensors`` and ``tokenizer.json``
    (shared by the NumPy and the ONNX Runtime forward passes)."""

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.hidden = int(config["hidden_size"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        weights = load_file(str(folder / "model.safetensors"))
        prefix = "" if "embeddings.word_embeddings.weight" in weights else "bert."
        w = {k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.embed_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.blocks: list[dict[str, Any]] = []
        for n in range(self.layers):
            p = f"encoder.layer.{n}."
            # query, key and value as one matrix: one matmul instead of three
            qkv = np.concatenate([w[p + f"attention.self.{k}.weight"] for k in ("query", "key", "value")]).T
            self.blocks.append({
                "qkv": np.ascontiguousarray(qkv),
                "qkv_b": np.concatenate([w[p + f"attention.self.{k}.bias"] for k in ("query", "key", "value")]),
                "out": np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                "out_b": w[p + "attention.output.dense.bias"],
                "norm1": (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                "up": np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                "up_b": w[p + "intermediate.dense.bias"],
                "down": np.ascontiguousarray(w[p + "output.dense.weight"].T),
                "down_b": w[p + "output.dense.bias"],
                "norm2": (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
            })
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.specials = (self.tokenizer.token_to_id("[CLS]"), self.tokenizer.token_to_id("[SEP]"))
        self._lock = threading.Lock()  # the Rust tokenizer is shared; encode one batch at a time

    def tokens(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and attention mask (1 for a token, 0 for padding), both
        (len(texts), longest) int64, truncated at 256 tokens."""
        with self._lock:
            encoded = self.tokenizer.encode_batch(list(texts))
        length = max(len(e.ids) for e in encoded)
        ids = np.zeros((len(texts), length), dtype=np.int64)
        mask = np.zeros((len(texts), length), dtype=np.int64)
        for row, e in enumerate(encoded):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        return ids, mask

    def pieces(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's token ids without [CLS] and [SEP] (to be laid end to end)."""
        with self._lock:
            encoded = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [list(e.ids) for e in encoded]


class NumpyBert:
    """The forward pass in NumPy (the fallback where ONNX Runtime is missing)."""

    def __init__(self, weights: BertWeights) -> None:
        self.w = weights

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for ``texts``, shape (len(texts), hidden), float32. Texts
        of similar length should share a call (padding costs compute)."""
        w = self.w
        ids, int_mask = w.tokens(texts)
        mask = int_mask.astype(np.float32)
        length = ids.shape[1]
        x = w.word[ids] + w.position[:length][None] + w.token_type
        x = _layer_norm(x, w.embed_norm[0], w.embed_norm[1], w.eps)
        batch, heads, dh = len(texts), w.heads, w.hidden // w.heads
        hidden = w.hidden
        masked = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        scale = np.float32(1.0 / math.sqrt(dh))
        for block in w.blocks:
            qkv = x @ block["qkv"] + block["qkv_b"]
            q = qkv[..., :hidden].reshape(batch, length, heads, dh).transpose(0, 2, 1, 3)
            k = qkv[..., hidden: 2 * hidden].reshape(batch, length, heads, dh).transpose(0, 2, 3, 1)
            v = qkv[..., 2 * hidden:].reshape(batch, length, heads, dh).transpose(0, 2, 1, 3)
            scores = (q @ k) * scale + masked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            attended = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
            gain, bias = block["norm1"]
            x = _layer_norm(attended @ block["out"] + block["out_b"] + x, gain, bias, w.eps)
            up = _gelu(x @ block["up"] + block["up_b"])
            gain, bias = block["norm2"]
            x = _layer_norm(up @ block["down"] + block["down_b"] + x, gain, bias, w.eps)
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1.0)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(pooled / norms, dtype=np.float32)
