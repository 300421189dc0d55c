"""Write py3langid's model, restricted to the runtime's language set, as the compact file the
TypeScript runtime reads (js/data/langid.bin; js/src/langid.ts). Run by hand, output committed:

    .venv/bin/python js/scripts/export_langid.py [--languages en,fr,...] [--output js/data/langid.bin]

Why a file of our own: py3langid's model (4.6 MB of LZMA'd npz, 142 languages, a 38 MB DFA once
expanded) is too big for a browser, and its DFA is an Aho-Corasick automaton over the byte
n-gram features, which a reader rebuilds from the trie alone. So the file holds the trie (a child
count and a byte per node, breadth first), which feature each node counts, and the naive Bayes
weights of the chosen languages only. Weights are exact (py3langid's own float16 values): per
language its most common value (the unseen-feature floor) and, per feature, a bitmask of the
languages whose weight differs from their floor, followed by those float16 values.

Layout (little-endian): b"TGLID\\x00\\x01\\x00", u32 header length, header JSON (languages,
pc as float32-exact numbers, floors, node and feature counts, source), then node child counts
(u8 x nodes), child bytes (u8 x nodes-1), node outputs (u8 code per node: 0 none, 1 the next
new feature, 2 an explicit feature id as u32 follows in the "explicit" array), the explicit ids
(u32 each), then the weights as described.
"""
from __future__ import annotations

import argparse
import json
import struct
from collections import deque
from pathlib import Path

import numpy as np

MAGIC = b"TGLID\x00\x01\x00"


def default_languages() -> list[str]:
    """The runtime's language set: the constant of its language module."""
    from tinyguard.scoring import languages  # the Python runtime's own list, so both read the same set

    return list(languages.LANGUAGES)


def load() -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray, str]:
    import py3langid
    from py3langid.langid import MODEL_DIR, MODEL_FILE
    from py3langid.modelio import load_model

    ptc, pc, classes, nm, row, out = load_model(Path(MODEL_DIR) / MODEL_FILE)
    nextmove = np.frombuffer(nm, dtype=np.uint32 if nm.itemsize == 4 else np.uint16).reshape(-1, 256)
    rows = np.frombuffer(row, dtype={2: np.uint16, 4: np.uint32, 8: np.uint64}[row.itemsize])
    return (np.asarray(ptc), np.asarray(pc), list(classes), nextmove, rows, np.asarray(out),
            f"py3langid {py3langid.__version__}")


def trie(nextmove: np.ndarray, rows: np.ndarray) -> tuple[list[int], list[int], list[int]]:
    """(old state id per new id, child count per new id, byte per new id) of the automaton's trie:
    a state's trie path is the shortest byte string reaching it from the start state."""
    n = len(rows)
    seen = np.zeros(n, dtype=bool)
    seen[0] = True
    order, counts, byte = [0], [], [0]
    queue = deque([0])
    while queue:
        s = queue.popleft()
        nxt = nextmove[rows[s]]
        kids = 0
        for b in range(256):
            t = int(nxt[b])
            if not seen[t]:
                seen[t] = True
                order.append(t)
                byte.append(b)
                queue.append(t)
                kids += 1
        counts.append(kids)
    if len(order) != n:
        raise SystemExit(f"{n - len(order)} states unreachable: not an Aho-Corasick automaton")
    return order, counts, byte


def check_automaton(nextmove: np.ndarray, rows: np.ndarray, order: list[int], counts: list[int],
                    byte: list[int]) -> None:
    """The Aho-Corasick automaton rebuilt from the trie must be py3langid's, move for move."""
    n = len(order)
    first, nxt_id = [0] * n, 1
    for i in range(n):
        first[i] = nxt_id
        nxt_id += counts[i]
    dfa = np.zeros((n, 256), dtype=np.int64)
    fail = [0] * n
    for i in range(n):
        base = dfa[fail[i]] if i else np.zeros(256, dtype=np.int64)
        dfa[i] = base
        for c in range(first[i], first[i] + counts[i]):
            dfa[i, byte[c]] = c
            fail[c] = int(base[byte[c]]) if i else 0
    new_of = np.empty(n, dtype=np.int64)
    new_of[np.asarray(order)] = np.arange(n)
    real = new_of[nextmove[rows[np.asarray(order)]].astype(np.int64)]
    if not (dfa == real).all():
        raise SystemExit("rebuilt automaton differs from py3langid's")


def f32(x: float) -> float:
    return float(np.float32(x))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--languages", help="comma-separated ISO codes (default: the runtime's constant)")
    ap.add_argument("--output", type=Path, default=Path(__file__).resolve().parents[1] / "data" / "langid.bin")
    args = ap.parse_args()
    langs = args.languages.split(",") if args.languages else default_languages()
    ptc, pc, classes, nextmove, rows, out, source = load()
    unknown = set(langs) - set(classes)
    if unknown:
        raise SystemExit(f"not in the model: {sorted(unknown)}")
    cols = [i for i, c in enumerate(classes) if c in set(langs)]  # py3langid's set_languages, same order
    labels = [classes[i] for i in cols]
    order, counts, byte = trie(nextmove, rows)
    check_automaton(nextmove, rows, order, counts, byte)
    if max(counts) > 255:
        raise SystemExit("a node with 256 children does not fit a byte")
    # outputs: features renumbered by first use in node order
    new_feature: dict[int, int] = {}
    codes, explicit, features = bytearray(), [], []
    for old in order:
        f = int(out[old])
        if f < 0:
            codes.append(0)
        elif f not in new_feature:
            new_feature[f] = len(features)
            features.append(f)
            codes.append(1)
        else:
            codes.append(2)
            explicit.append(new_feature[f])
    table = ptc[np.asarray(features)][:, cols].astype(np.float16)
    floors = []
    for j in range(len(cols)):
        # (counted in float32: numpy 2.4's unique miscounts a float16 column)
        vals, num = np.unique(table[:, j].astype(np.float32), return_counts=True)
        floors.append(vals[num.argmax()])
    floors_arr = np.asarray(floors, dtype=np.float16)
    differs = table != floors_arr[None, :]
    mask_bytes = (len(cols) + 7) // 8
    weights = bytearray()
    for k in range(len(features)):
        bits = differs[k]
        mask = sum(1 << j for j in range(len(cols)) if bits[j])
        weights += mask.to_bytes(mask_bytes, "little")
        weights += table[k, bits].tobytes()
    header = {
        "format": "tinyguard-langid/1", "source": source, "languages": labels,
        "pc": [f32(pc[i]) for i in cols], "floor": [float(v) for v in floors_arr],
        "nodes": len(order), "features": len(features), "explicit": len(explicit),
        "weights_bytes": len(weights),
    }
    head = json.dumps(header, separators=(",", ":")).encode()
    body = MAGIC + struct.pack("<I", len(head)) + head + bytes(counts) + bytes(byte[1:]) + bytes(codes) \
        + struct.pack(f"<{len(explicit)}I", *explicit) + bytes(weights)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(body)
    print(f"{args.output}: {len(body):,} bytes, {len(labels)} languages, {len(order):,} nodes, "
          f"{len(features):,} features ({differs.mean():.1%} of weights off the floor)")


if __name__ == "__main__":
    main()
