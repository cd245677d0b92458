"""Model protocols (embedder, LLM) and their real and fake implementations.

Real implementations import onnxruntime (torch and sentence_transformers only
as the fallback where it is missing) and llama_cpp only when first used, so
importing this package is cheap.
"""

from __future__ import annotations

from memcli.models.embedder import Embedder, make_embedder

__all__ = ["Embedder", "make_embedder"]
