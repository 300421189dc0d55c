"""A tiny but real bundle for tests: a WordPiece tokenizer and a hand-weighted ONNX model.

The model is Gather(embedding) -> masked mean over tokens -> MatMul + Add -> logits [batch, 16].
Only two words carry signal, on purpose, so tests know the right answer:

* ``bomb`` pushes column 0 (unsafe) and ``indiscriminate_weapons`` far up: one ``bomb`` in a
  full 128-token window still scores > 0.9.
* ``kill`` pushes only ``violent_crimes`` up, never the binary score, so "kill a python
  process" stays unflagged while its violent_crimes *score* is high (tests category gating).

Every other text scores sigmoid(-4) ~= 0.018 in every column.

The model is written by :mod:`onnx_proto` (protobuf by hand), so the runtime's tests need no
``onnx`` package; ``test_fixture_model_is_valid_onnx`` checks it with ``onnx`` where that is installed.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx_proto
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from tinyguard.bundle.folder import sign_bundle, write_bundle
from tinyguard.bundle.manifest import new_manifest
from tinyguard.taxonomy import CATEGORIES, N_OUTPUTS
from tinyguard.text.encoding import EncodingConfig

WORDS = (
    "user : assistant bomb kill python process how do i make a an the to is it what "
    "for of and in my you can help me with please write poem about cats dogs weather "
    "today tell story build house cake recipe , . ? ! time"
).split()
# Single letters and continuation letters, as in any BERT vocabulary: an unknown Latin word is
# spelled in pieces (b ##o ##o ##m ##b), never [UNK], so the guard counts it as readable text.
LETTERS = [chr(c) for c in range(ord("a"), ord("z") + 1)]
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", *WORDS,
         *[c for c in LETTERS if c not in WORDS], *[f"##{c}" for c in LETTERS]]
SIGNAL = 1000.0  # embedding value of a trigger word; mean over <= 128 tokens stays >= 7.8
BIAS = -4.0


def build_tokenizer(path: Path) -> Path:
    """A BERT-style WordPiece tokenizer (lowercasing, punctuation split) over VOCAB."""
    tok = Tokenizer(models.WordPiece({w: i for i, w in enumerate(VOCAB)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.save(str(path))
    return path


def build_model(path: Path, signal: float = SIGNAL, unsafe_bias: float = BIAS) -> Path:
    """Write the hand-weighted ONNX classifier described in the module docstring. A smaller
    ``signal`` makes "bomb" diluted by the other tokens of its window (padding tests); a lower
    ``unsafe_bias`` is a swapped model that lets everything through (signature tests)."""
    dim = 2
    emb = np.zeros((len(VOCAB), dim), dtype=np.float32)
    emb[VOCAB.index("bomb"), 0] = signal
    emb[VOCAB.index("kill"), 1] = SIGNAL
    weight = np.zeros((dim, N_OUTPUTS), dtype=np.float32)
    weight[0, 0] = 1.0  # bomb -> unsafe
    weight[0, 1 + CATEGORIES.index("indiscriminate_weapons")] = 1.0
    weight[1, 1 + CATEGORIES.index("violent_crimes")] = 1.0  # kill -> violent_crimes only
    bias = np.full((N_OUTPUTS,), BIAS, dtype=np.float32)
    bias[0] = unsafe_bias
    type_emb = np.zeros((2, dim), dtype=np.float32)  # uses token_type_ids, contributes nothing

    nodes = [
        onnx_proto.node("Gather", ["emb", "input_ids"], ["tok"]),  # [B, S, D]
        onnx_proto.node("Gather", ["type_emb", "token_type_ids"], ["typ"]),  # [B, S, D]
        onnx_proto.node("Add", ["tok", "typ"], ["h"]),
        onnx_proto.node("Cast", ["attention_mask"], ["m"], to=onnx_proto.FLOAT),  # [B, S]
        onnx_proto.node("Unsqueeze", ["m", "axis2"], ["m3"]),  # [B, S, 1]
        onnx_proto.node("Mul", ["h", "m3"], ["hm"]),
        onnx_proto.node("ReduceSum", ["hm", "axis1"], ["summed"], keepdims=0),  # [B, D]
        onnx_proto.node("ReduceSum", ["m", "axis1"], ["count"], keepdims=1),  # [B, 1]
        onnx_proto.node("Div", ["summed", "count"], ["pooled"]),
        onnx_proto.node("MatMul", ["pooled", "weight"], ["proj"]),  # [B, 16]
        onnx_proto.node("Add", ["proj", "bias"], ["logits"]),
    ]
    inits = {"emb": emb, "type_emb": type_emb, "weight": weight, "bias": bias,
             "axis2": np.array([2], dtype=np.int64), "axis1": np.array([1], dtype=np.int64)}
    inputs = [onnx_proto.value_info(n, onnx_proto.INT64, ["batch", "seq"]) for n in
              ("input_ids", "attention_mask", "token_type_ids")]
    outputs = [onnx_proto.value_info("logits", onnx_proto.FLOAT, ["batch", N_OUTPUTS])]
    path.write_bytes(onnx_proto.model(nodes, inits, inputs, outputs, name="tinyguard_fixture", opset=13,
                                      ir_version=8, producer="tinyguard-tests"))
    return path


def fixture_manifest() -> dict:
    """A complete schema-1 manifest dict (without ``files``, which write_bundle fills in)."""
    return new_manifest(
        name="tinyguard-fixture", version="0.0.1", model_file="model.int8.onnx",
        encoding=EncodingConfig().to_dict(), threshold=0.5, category_threshold=0.5,
        presets={"strict": 0.3, "balanced": 0.5, "permissive": 0.8}, created="2025-01-01",
        data={"sources": [{"name": "hand-written", "licence": "CC0-1.0"}]},
        metrics={"test": {"f1": 1.0}}, training={"note": "weights set by hand"},
    ).to_dict()


#: The private key fixture bundles are signed with; conftest.py makes one in a tmp folder per
#: session and trusts its public key explicitly (TINYGUARD_TRUSTED_KEYS). None: left unsigned.
SIGNING_KEY: Path | None = None


def sign_for_tests(bundle: Path) -> Path:
    """Sign ``bundle`` with the session's test key (a bundle a test wrote itself)."""

    assert SIGNING_KEY is not None, "conftest.py sets the test signing key"
    sign_bundle(bundle, SIGNING_KEY)
    return bundle


def build_bundle(out_dir: Path, signal: float = SIGNAL) -> Path:
    """Build the fixture bundle at ``out_dir`` with the real write_bundle, signed with the test
    key when one is set (:data:`SIGNING_KEY`); returns the folder."""
    src = Path(str(out_dir) + "-src")
    src.mkdir(parents=True, exist_ok=True)
    card = src / "MODEL_CARD.md"
    card.write_text("# tinyguard-fixture\n\nA hand-weighted test model. Flags 'bomb'.\n", encoding="utf-8")
    files = {"model.int8.onnx": build_model(src / "model.int8.onnx", signal),
             "tokenizer.json": build_tokenizer(src / "tokenizer.json"),
             "MODEL_CARD.md": card}
    out = write_bundle(out_dir, files, fixture_manifest())
    return sign_for_tests(out) if SIGNING_KEY is not None else out


#: the role bundle's response threshold: under every text's score (~0.018), so each response flags
RESPONSE_THRESHOLD = 0.01


def build_role_bundle(out_dir: Path) -> Path:
    """The fixture bundle with a response threshold of its own (spec 1.2): prompts at 0.5 as before,
    responses at :data:`RESPONSE_THRESHOLD`, the step ``role_thresholds`` listed; signed like it."""
    from tinyguard.bundle.folder import read_bundle, rewrite_manifest

    out = build_bundle(out_dir)
    changes, drop = read_bundle(out).with_response_threshold(RESPONSE_THRESHOLD)
    rewrite_manifest(out, changes, drop)
    return sign_for_tests(out) if SIGNING_KEY is not None else out


if __name__ == "__main__":  # python tests/fixtures_bundle.py OUT_DIR
    import sys

    print(json.dumps(str(build_bundle(Path(sys.argv[1])))))
