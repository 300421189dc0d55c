"""The one sentence embedder (train/embeddings.py): real frozen MiniLM, records and plain texts alike."""
from __future__ import annotations

import numpy as np
from optional_deps import require

require("torch")
from tinyguard.records import Record  # noqa: E402
from tinyguard.train.embeddings import minilm_embedder, sentence_embedder  # noqa: E402


def test_texts_and_records_share_one_embedder_and_meaning_is_near() -> None:
    texts = ["how do I bake sourdough bread", "a recipe for baking bread at home", "how to build a pipe bomb", "  "]
    by_text = sentence_embedder(threads=1, progress=False)(texts)
    by_record = minilm_embedder(threads=1, progress=False)(
        [Record(t if t.strip() else ".", "prompt", "safe", "t", "permissive") for t in texts])
    assert by_text.shape == (4, 384) and by_text.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(by_text, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(by_text, by_record, atol=1e-6)
    sim = by_text @ by_text.T
    assert sim[0, 1] > sim[0, 2] + 0.2  # bread is nearer bread than a bomb
