"""``guard-cli distill report``: size / speed / accuracy of the teacher and every student.

For each bundle of a run (``RUN/bundle`` and ``RUN/students/*/bundle``, plus one row per
shipped GGUF when llama-cpp-python is installed) it measures, through the runtime Guard:

* parameters (elements of the model's weight tensors) and file sizes;
* latency of one ``Guard.check`` at 1 thread for texts of 32 and 128 teacher tokens
  (p50 / p95 over ``repeats`` calls, after warm-up; defenses off, so this is the classifier);
* latency of the model alone (one window of fixed ids, 1 thread);
* throughput of ``check_batch`` at 2 threads over validation texts (texts per second), one window
  per model run (the Guard's default) and 32;
* validation F1, AUPRC, FPR and hard-negative FPR at the bundle's threshold (for ONNX rows the
  figures the export measured through the same runtime and wrote in the manifest; GGUF rows
  are rescored).

Writes ``pareto.md``, ``pareto.json`` and ``pareto.png`` (matplotlib, Agg backend).
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import itertools
import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from tinyguard.atomic import atomic_open, atomic_write_text
from tinyguard.bundle.folder import read_bundle
from tinyguard.bundle.manifest import MANIFEST
from tinyguard.measure import bench
from tinyguard.records import Record, read_jsonl
from tinyguard.scoring.defenses import DefenseSettings
from tinyguard.scoring.gguf_backend import GgufBackend
from tinyguard.scoring.guard import Guard
from tinyguard.scoring.ortenv import import_onnxruntime
from tinyguard.text.encoding import EncodingConfig, TextEncoder
from ..export.build import validation_metrics
from ..export.student import score_with_backend


@dataclass
class Row:
    name: str
    kind: str
    backend: str  # onnxruntime | llama.cpp
    bundle: str
    params: int
    model_mb: float
    bundle_mb: float
    p50_32: float = 0.0
    p95_32: float = 0.0
    p50_128: float = 0.0
    p95_128: float = 0.0
    texts_per_s: float = 0.0  # check_batch default: one window per model run
    texts_per_s_b32: float = 0.0  # check_batch(batch_size=32): faster, scores depend on batch-mates
    model_p50_32: float = 0.0  # the model alone (fixed ids, no normalization or tokenization)
    model_p50_128: float = 0.0
    f1: float | None = None
    auprc: float | None = None
    fpr: float | None = None
    hn_fpr: float | None = None
    threshold: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)


def onnx_params(path: Path) -> int:
    """Elements of the float / int8 weight tensors (not shape constants or quantization scales)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    total = 0
    for init in model.graph.initializer:
        n = int(np.prod(init.dims)) if init.dims else 1
        if n > 1 and init.data_type != onnx.TensorProto.INT64:
            total += n
    return total


def _mb(*paths: Path) -> float:
    return bench.files_mb(paths, digits=2)


def _open_guard(bundle: Path, threads: int, backend: Any = None):
    if backend is None:
        try:
            return Guard.load(bundle, threads=threads, defenses=False, allow_unsigned=True)
        except TypeError:  # a runtime without defenses
            return Guard.load(bundle, threads=threads, allow_unsigned=True)
    manifest = read_bundle(bundle)
    encoder = TextEncoder.from_file(str(bundle / manifest.tokenizer_file), manifest.encoding_config())
    return Guard(manifest, backend, encoder, threads, DefenseSettings.off())


def length_texts(tokenizer_json: Path, records: list[Record], n_tokens: int, count: int) -> list[str]:
    """``count`` texts whose prompt window is ``n_tokens`` teacher tokens ([CLS] user: … [SEP])."""
    from tokenizers import Tokenizer

    enc = TextEncoder(Tokenizer.from_file(str(tokenizer_json)), EncodingConfig(max_length=max(n_tokens, 64)))
    tok = enc.tokenizer
    body = n_tokens - 2 - len(enc.role_ids["prompt"])
    pool = [r.text for r in records if r.role == "prompt"]
    out, i = [], 0
    while len(out) < count and i < len(pool) * 4:
        ids: list[int] = []
        while len(ids) < body + 8:
            ids += tok.encode(pool[i % len(pool)], add_special_tokens=False).ids
            i += 1
        text = tok.decode(ids[:body])
        if int(enc.encode(text).attention_mask[0].sum()) == n_tokens:
            out.append(text)
    return out


def measure_latency(guard, texts: list[str], repeats: int) -> tuple[float, float]:
    """p50 / p95 ms of one ``Guard.check``, cycling through ``texts`` (the first 5 warm up)."""
    for t in texts[:5]:
        guard.check(t)
    cycle = itertools.cycle(texts)
    got = bench.percentiles(bench.time_ms(lambda: guard.check(next(cycle)), repeats, warmup=0))
    return got["p50_ms"], got["p95_ms"]


def measure_model(run: Callable[[dict], Any], vocab: int, n_tokens: int, repeats: int) -> float:
    """p50 ms of the model alone on one window of ``n_tokens`` ids (1 thread)."""
    rng = np.random.default_rng(n_tokens)
    ids = rng.integers(1000, max(1001, vocab - 1), size=(1, n_tokens)).astype(np.int64)
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    return bench.percentiles(bench.time_ms(lambda: run(feed), repeats, warmup=10))["p50_ms"]


def _onnx_runner(path: Path) -> Callable[[dict], Any]:
    ort = import_onnxruntime()

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    return lambda feed: session.run(["logits"], {k: v for k, v in feed.items() if k in names})


def measure_throughput(guard, records: list[Record], batch_size: int = 1, rounds: int = 2) -> float:
    """Texts per second of ``check_batch`` over ``records`` at the guard's threads (best of ``rounds``)."""
    return bench.measure_throughput(guard, guard.threads, texts=[r.text for r in records], batch_size=batch_size,
                                    rounds=rounds, warmup=64)["texts_per_s"]


def _bundles(run_dir: Path) -> list[tuple[str, str, Path]]:
    out = []
    if (run_dir / "bundle" / MANIFEST).is_file():
        out.append(("teacher", "teacher", run_dir / "bundle"))
    for b in sorted((run_dir / "students").glob(f"*/bundle/{MANIFEST}")):
        kind = read_bundle(b.parent, verify=False).training.get("student", "student")
        out.append((b.parent.parent.name, kind, b.parent))
    return out


def build_report(run_dir: Path, out_dir: Path, *, repeats: int = 200, batch_texts: int = 512,
                 echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure every bundle of ``run_dir`` and write pareto.{md,json,png} into ``out_dir``."""
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    bundles = _bundles(run_dir)
    if not bundles:
        raise FileNotFoundError(f"no bundles under {run_dir} (run `guard-cli pipeline` and `guard-cli distill`)")
    validation = list(read_jsonl(run_dir / "data" / "validation.jsonl"))
    teacher_tok = bundles[0][2] / "tokenizer.json"
    texts = {n: length_texts(teacher_tok, validation, n, 20) for n in (32, 128)}
    rng = np.random.default_rng(0)
    batch = [validation[i] for i in rng.permutation(len(validation))[:batch_texts]]
    load_before = os.getloadavg()[0]
    have_llama = importlib.util.find_spec("llama_cpp") is not None

    rows: list[Row] = []
    for name, kind, bundle in bundles:
        m = read_bundle(bundle)
        model = bundle / m.model_file
        runs: list[tuple[str, str, Path, Any]] = [(name, "onnxruntime", model, None)]
        for qtype, fname in ((m.artifacts or {}).get("gguf") or {}).items():
            if have_llama:
                runs.append((f"{name} (gguf {qtype})", "llama.cpp", bundle / fname, qtype))
            else:
                echo(f"skipping {name} {fname}: llama-cpp-python is not installed")
        for row_name, backend, path, qtype in runs:
            echo(f"measuring {row_name} ({backend}) ...")
            params = onnx_params(model)
            if backend == "llama.cpp":
                backend1, backend2 = GgufBackend(path, threads=1), GgufBackend(path, threads=2)
                g1 = _open_guard(bundle, 1, backend1)
                g2 = _open_guard(bundle, 2, backend2)
            else:
                g1, g2 = _open_guard(bundle, 1), _open_guard(bundle, 2)
            row = Row(row_name, kind, backend, str(bundle), params, _mb(path),
                      _mb(bundle / m.model_file, bundle / m.tokenizer_file, bundle / MANIFEST)
                      if backend == "onnxruntime" else _mb(path, bundle / m.tokenizer_file, bundle / MANIFEST),
                      threshold=m.threshold)
            row.p50_32, row.p95_32 = measure_latency(g1, texts[32], repeats)
            row.p50_128, row.p95_128 = measure_latency(g1, texts[128], repeats)
            row.texts_per_s = measure_throughput(g2, batch, 1)
            row.texts_per_s_b32 = measure_throughput(g2, batch, 32)
            from tokenizers import Tokenizer

            vocab = Tokenizer.from_file(str(bundle / m.tokenizer_file)).get_vocab_size()
            runner = (_onnx_runner(path) if backend == "onnxruntime"
                      else lambda feed, b=backend1: b.run(["logits"], feed))
            longest = m.encoding_config().max_length  # micro students keep only that many positions
            row.model_p50_32 = measure_model(runner, vocab, min(32, longest), repeats)
            row.model_p50_128 = measure_model(runner, vocab, min(128, longest), repeats)
            if backend == "onnxruntime":
                val, hn = m.metrics.get("validation", {}), m.metrics.get("hard_negatives", {})
            else:
                scores = score_with_backend(bundle, backend2, validation)
                got = validation_metrics(validation, scores, np.array([m.threshold_for(r.role) for r in validation]),
                                         dict(m.category_thresholds))
                val, hn = got["validation"], got["hard_negatives"]
            row.f1, row.auprc, row.fpr, row.hn_fpr = val.get("f1"), val.get("auprc"), val.get("fpr"), hn.get("fpr")
            row.notes = {"parity": {k: {"agreement": v["agreement"], "max_score_diff": v["max_score_diff"]}
                                    for k, v in m.metrics.get("parity", {}).items()},
                         "teacher_agreement": m.training.get("teacher_agreement"),
                         "vocab_size": m.training.get("vocab_size"), "steps": m.training.get("steps"),
                         "train_seconds": m.training.get("train_seconds")}
            rows.append(row)
            echo(f"  {row.params / 1e6:.2f}M params, {row.model_mb} MB, p50 {row.p50_32} / {row.p50_128} ms, "
                 f"{row.texts_per_s} texts/s, F1 {row.f1}")

    env = {"python": platform.python_version(), "machine": platform.machine(), "cpu": bench.cpu_model(),
           "cpus": os.cpu_count(), "load_avg_before": round(load_before, 2),
           "load_avg_after": round(os.getloadavg()[0], 2), "repeats": repeats, "batch_texts": len(batch),
           "onnxruntime": _version("onnxruntime"), "llama_cpp_python": _version("llama_cpp_python"),
           "date": time.strftime("%Y-%m-%d %H:%M")}
    result = {"run_dir": str(run_dir), "env": env, "rows": [asdict(r) for r in rows]}
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "pareto.json", json.dumps(result, indent=2))
    atomic_write_text(out_dir / "pareto.md", render_markdown(result))
    plot(rows, out_dir / "pareto.png")
    return result


def replot(json_path: Path) -> Path:
    """Redraw ``pareto.png`` beside an existing ``pareto.json`` (no measuring)."""
    result = json.loads(Path(json_path).read_text(encoding="utf-8"))
    return plot([Row(**r) for r in result["rows"]], Path(json_path).with_name("pareto.png"))


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _f(v: Any, d: int = 4) -> str:
    return "n/a" if v is None else f"{v:.{d}f}"


def render_markdown(result: dict[str, Any]) -> str:
    env = result["env"]
    rows = result["rows"]
    teacher = next((r for r in rows if r["kind"] == "teacher"), rows[0])
    lines = [
        "# Distillation: size / speed / accuracy", "",
        f"Run `{result['run_dir']}`, measured {env['date']} on {env['cpu']} ({env['cpus']} CPUs), "
        f"onnxruntime {env['onnxruntime']}, llama-cpp-python {env['llama_cpp_python']}. "
        f"Load average {env['load_avg_before']} before, {env['load_avg_after']} after "
        "(figures taken under load are slower than on an idle machine).", "",
        "Latency: one `Guard.check` (normalize + tokenize + model) at 1 thread, texts of 32 / 128 teacher "
        f"tokens, p50 / p95 of {env['repeats']} calls, defenses off. Model-only: the model file alone on one "
        "window of random ids (no normalization or tokenization). Throughput: `check_batch` over "
        f"{env['batch_texts']} validation texts at 2 threads, one window per model run (the Guard's "
        "default, scores independent of batch-mates) and 32 windows per run. Accuracy: the "
        "validation split at each bundle's own threshold (same threshold rule for all); HN FPR = false-positive rate on the "
        "hard-negative slice.", "",
        "| model | backend | params | model MB | bundle MB | p50/p95 ms @32 | p50/p95 ms @128 "
        "| model-only p50 ms @32 / @128 | texts/s @2 thr (batch 1 / 32) | F1 | AUPRC | FPR | HN FPR "
        "| × smaller | × faster @32 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['backend']} | {r['params'] / 1e6:.2f}M | {r['model_mb']:.2f} | {r['bundle_mb']:.2f} "
            f"| {r['p50_32']:.2f} / {r['p95_32']:.2f} | {r['p50_128']:.2f} / {r['p95_128']:.2f} "
            f"| {r['model_p50_32']:.3f} / {r['model_p50_128']:.3f} "
            f"| {r['texts_per_s']:.0f} / {r['texts_per_s_b32']:.0f} "
            f"| {_f(r['f1'])} | {_f(r['auprc'])} | {_f(r['fpr'])} | {_f(r['hn_fpr'])} "
            f"| {teacher['model_mb'] / r['model_mb']:.1f} | {teacher['p50_32'] / r['p50_32']:.1f} |")
    lines += ["", "Parity gates passed at export (label agreement / max |Δ unsafe score| on validation), "
              "and how often a student's unsafe decision at score 0.5 matches the teacher's (fp32, validation):", ""]
    for r in rows:
        if r["backend"] != "onnxruntime":
            continue
        gates = ", ".join(f"{k} {v['agreement']:.4f} / {v['max_score_diff']:.4f}"
                          for k, v in r["notes"].get("parity", {}).items())
        agree = r["notes"].get("teacher_agreement") or {}
        extra = (f"; teacher agreement {agree.get('label_agreement@0.5')}, vocabulary {r['notes'].get('vocab_size')}, "
                 f"{r['notes'].get('steps')} steps in {r['notes'].get('train_seconds')} s") if agree else ""
        lines.append(f"- {r['name']}: {gates or 'n/a'}{extra}")
    lines += ["", "![size, speed and F1](pareto.png)", "",
              "Reproduce: `guard-cli distill report --run-dir " + result["run_dir"] + "`", ""]
    return "\n".join(lines)


def plot(rows: list[Row], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    panels = ((axes[0], "model_mb", "model file (MB, log scale)"),
              (axes[1], "p50_32", "p50 latency, 32 tokens, 1 thread (ms, log scale)"))
    for ax, key, label in panels:
        for r in rows:
            x, y = getattr(r, key), r.f1 if r.f1 is not None else float("nan")
            marker = "s" if r.backend == "llama.cpp" else "o"
            ax.scatter([x], [y], s=60, marker=marker, color="tab:red" if r.kind == "teacher" else "tab:blue")
            ax.annotate(r.name, (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(label)
        ax.set_ylabel("validation F1")
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle("tinyguard teacher vs students (circles: onnxruntime int8, squares: llama.cpp GGUF)")
    fig.tight_layout()
    with atomic_open(path, binary=True) as f:
        fig.savefig(f, format="png", dpi=120)
    plt.close(fig)
    return path
