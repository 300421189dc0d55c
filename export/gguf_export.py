"""A micro student → GGUF (``q8_0`` or ``f16``) that llama.cpp runs as a BERT embedding model.

What llama.cpp computes and what it does not, and how the file makes up for it:

* arch ``bert``, non-causal, ``pooling_type`` MEAN: llama.cpp returns the masked mean of the
  last hidden states per sequence, which is the student's pooled vector.
* llama.cpp's BERT adds token-type row 0 to every token (it has no token_type_ids input), so
  only *type-agnostic* students (both rows equal, see distill/students.py) are written.
* llama.cpp has no head for us: the ``Linear(hidden, 16)`` head is stored as GGUF metadata
  (``tinyguard.head.weight`` [16 × hidden] row-major, ``tinyguard.head.bias`` [16]) and
  applied in numpy by :mod:`tinyguard.scoring.gguf_backend`, with the label names
  (``tinyguard.labels``: ``unsafe`` then the categories) beside it.
* the tokenizer is written in llama.cpp's WPM form (for completeness: the runtime feeds ids
  from tokenizer.json and never lets llama.cpp tokenize).

Norms, biases and token types stay f32, positions f16 (zero-padded to 256 rows, llama.cpp's
smallest context); matmul weights and the token embedding table are ``q8_0`` (32-value blocks
with one scale) or ``f16``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tinyguard.bundle import gguf_keys as keys
from tinyguard.taxonomy import CATEGORY_TABLE, OUTPUT_NAMES

GGUF_TYPES = ("q8_0", "f16")
MIN_CONTEXT = 256


def _vocab(tokenizer_json: Path) -> list[str]:
    raw = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
    vocab: dict[str, int] = raw["model"]["vocab"]
    tokens = [""] * len(vocab)
    for tok, i in vocab.items():
        tokens[i] = tok
    return tokens


def _phantom(tok: str) -> str:
    """WordPiece → llama.cpp WPM spelling (as convert_hf_to_gguf.py writes BERT vocabularies)."""
    if tok.startswith("[") and tok.endswith("]"):
        return tok
    if tok.startswith("##"):
        return tok[2:]
    return "\u2581" + tok


def write_gguf(model, tokenizer_json: Path, path: Path, qtype: str, *, name: str, version: str) -> Path:
    """Write the micro student ``model`` (a GuardModel over a BertModel) as GGUF at ``path``."""
    import gguf

    if qtype not in GGUF_TYPES:
        raise ValueError(f"GGUF type must be one of {GGUF_TYPES}, not {qtype!r}")
    enc = model.encoder
    cfg = enc.config
    types = enc.embeddings.token_type_embeddings.weight.detach().float().numpy()
    if not np.allclose(types, types[:1], atol=0.0):
        raise ValueError("llama.cpp's BERT ignores token_type_ids: only a type-agnostic student "
                         "(equal token-type rows) can be written as GGUF")
    tokens = _vocab(tokenizer_json)
    if len(tokens) != cfg.vocab_size:
        raise ValueError(f"tokenizer has {len(tokens)} tokens, the model {cfg.vocab_size}")

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    w = gguf.GGUFWriter(str(path), "bert")
    w.add_name(name)
    # llama.cpp pads a context to 256 tokens and warns when that exceeds the trained length, so
    # the position table is padded with zero rows up to 256 (windows never reach past max_length).
    n_ctx = max(cfg.max_position_embeddings, MIN_CONTEXT)
    w.add_context_length(n_ctx)
    w.add_embedding_length(cfg.hidden_size)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_block_count(cfg.num_hidden_layers)
    w.add_head_count(cfg.num_attention_heads)
    w.add_layer_norm_eps(cfg.layer_norm_eps)
    w.add_causal_attention(False)
    w.add_pooling_type(gguf.PoolingType.MEAN)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0 if qtype == "q8_0" else gguf.LlamaFileType.MOSTLY_F16)

    w.add_tokenizer_model("bert")
    w.add_tokenizer_pre("default")
    w.add_token_list([_phantom(t) for t in tokens])
    special = {"[PAD]", "[CLS]", "[SEP]", "[MASK]"}
    w.add_token_types([gguf.TokenType.UNKNOWN if t == "[UNK]" else gguf.TokenType.CONTROL if t in special
                       else gguf.TokenType.NORMAL for t in tokens])
    w.add_token_type_count(cfg.type_vocab_size)
    ids = {t: i for i, t in enumerate(tokens)}
    w.add_bos_token_id(ids["[CLS]"])
    w.add_eos_token_id(ids["[SEP]"])
    w.add_sep_token_id(ids["[SEP]"])
    w.add_unk_token_id(ids["[UNK]"])
    w.add_pad_token_id(ids["[PAD]"])
    if "[MASK]" in ids:
        w.add_mask_token_id(ids["[MASK]"])

    head_w = model.head.weight.detach().float().numpy()  # [16, hidden]
    head_b = model.head.bias.detach().float().numpy()  # [16]
    w.add_array(keys.LABELS, list(OUTPUT_NAMES))
    w.add_array(keys.LABEL_CODES, ["unsafe", *(code for code, _, _ in CATEGORY_TABLE)])
    w.add_string(keys.VERSION, version)
    w.add_string(keys.POOLING, "mean")
    w.add_uint32(keys.HEAD_ROWS, head_w.shape[0])
    w.add_uint32(keys.HEAD_COLS, head_w.shape[1])
    w.add_array(keys.HEAD_WEIGHT, [float(x) for x in head_w.ravel()])
    w.add_array(keys.HEAD_BIAS, [float(x) for x in head_b])

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, cfg.num_hidden_layers)
    keep_f32 = ("token_types",)  # llama.cpp adds row 0 through a view: it must stay f32
    for key, tensor in enc.state_dict().items():
        if key.endswith(("position_ids", "token_type_ids")):
            continue
        new = names.get_name(key, try_suffixes=(".weight", ".bias"))
        if new is None:
            raise ValueError(f"no GGUF name for encoder tensor {key}")
        data = tensor.detach().float().numpy()
        if new.startswith("position_embd"):
            data = np.concatenate([data, np.zeros((n_ctx - data.shape[0], data.shape[1]), np.float32)])
            w.add_tensor(new, data.astype(np.float16))
        elif data.ndim == 1 or new.split(".")[0] in keep_f32 or new.endswith("_norm.weight"):
            w.add_tensor(new, data.astype(np.float32))
        elif qtype == "f16":
            w.add_tensor(new, data.astype(np.float16))
        else:
            q = gguf.quants.quantize(data.astype(np.float32), gguf.GGMLQuantizationType.Q8_0)
            w.add_tensor(new, q, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def read_gguf_labels(path: Path) -> dict:
    """Label metadata and head shape read back from a GGUF file (gguf package reader)."""
    import gguf

    r = gguf.GGUFReader(str(path))

    def value(key: str):
        f = r.get_field(key)
        if f is None:
            raise ValueError(f"{path}: GGUF key {key} is missing")
        return f.contents()

    return {"arch": value(keys.ARCHITECTURE), "labels": value(keys.LABELS),
            "label_codes": value(keys.LABEL_CODES), "pooling": value(keys.POOLING),
            "head_shape": (value(keys.HEAD_ROWS), value(keys.HEAD_COLS)),
            "pooling_type": value(keys.POOLING_TYPE), "tensors": len(r.tensors)}
