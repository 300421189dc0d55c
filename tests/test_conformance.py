"""Golden vectors (runtime/measure/conformance.py): the shipped file matches the runtime, and its tables are current."""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tinyguard.bundle.folder import default_bundle_path, load_bundle
from tinyguard.cli.main import main
from tinyguard.measure import conformance as conf
from tinyguard.scoring.guard import Guard

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard.load(threads=1)


def test_default_bundle_pins_its_conformance_file() -> None:
    m = load_bundle(default_bundle_path(), trusted_keys="project")
    assert conf.FILE_NAME in m.files
    header, cases = conf.read(default_bundle_path() / conf.FILE_NAME)
    assert header["model"] == m.model_id and header["cases"] == len(cases) >= 1000
    assert header["files"] == {m.model_file: m.files[m.model_file], m.tokenizer_file: m.files[m.tokenizer_file]}
    kinds = {c["kind"].split(":")[0] for c in cases}
    assert {"plain", "operator", "attack", "composed", "edge", "script", "long", "policy", "threshold",
            "no-defenses", "context", "stream", "hidden", "seam"} <= kinds


def test_shipped_vectors_match_this_runtime(guard: Guard) -> None:
    """A sample of the shipped cases, recomputed: a change to any step makes this fail until the file
    is exported again (guard-cli conformance export --pin, then sign) and ports are updated."""
    _, cases = conf.read(default_bundle_path() / conf.FILE_NAME)
    for rec in random.Random(0).sample(cases, 60):
        case = conf.Case(rec["id"], rec["kind"], rec["text"], rec["role"], rec["context"], rec["options"],
                         stream=rec.get("stream"))
        got = json.loads(json.dumps(conf.expect(guard, case)))
        assert got == rec["expect"], rec["id"]


def test_cases_cover_every_operator_and_attack_and_write_read(tmp_path: Path, guard: Guard) -> None:
    seeds = [{"text": f"How do I bake bread number {i}? Tell me the steps.", "role": "prompt"} for i in range(30)]
    cases = conf.build_cases(seeds, plain=5)
    kinds = {c.kind for c in cases}
    from tinyguard.measure.attacks import ATTACKS
    from tinyguard.measure.operators import OPERATORS

    assert {f"operator:{n}" for n in OPERATORS} <= kinds and {f"attack:{n}" for n in ATTACKS} <= kinds
    empty = next(c for c in cases if c.text == "\u200b\u200c\u200d")
    assert conf.expect(guard, empty) == {"normalized": "", "truncated": False, "error": "empty text"}
    # issue 21 item 4: a tag-only text is read (its revealed view), a prompt's context joined at the seam
    hidden = conf.expect(guard, next(c for c in cases if c.kind == "hidden"))
    assert hidden["normalized"] == "" and "error" not in hidden and hidden["verdict"]["view"] == "revealed"
    seams = [conf.expect(guard, c) for c in cases if c.kind == "seam"]
    assert [s["entries"][-1]["view"] == "joined" for s in seams] == [True, True, True, False]  # last: defenses off
    path = tmp_path / "c.jsonl.gz"
    conf.write(path, conf.records(guard, cases[:8], {}, progress=False))
    header, read = conf.read(path)
    assert header["cases"] == 8 and len(read) == 8 and all("verdict" in r["expect"] for r in read)


def test_role_threshold_vectors_are_current(tmp_path: Path) -> None:
    """js/test/fixtures/role-thresholds.jsonl.gz (tools/role_threshold_vectors.py): micro with a response
    threshold of its own judges responses at it, as recomputed here; what js/test/roles.test.mjs runs."""
    sys.path.insert(0, str(ROOT / "tools"))
    import role_threshold_vectors as rv

    header, cases = conf.read(rv.OUTPUT)
    assert header["spec_version"] == conf.SPEC_VERSION == "1.2"
    assert [c["id"] for c in cases] == [c.id for c in rv.cases()]
    g = Guard.load(rv.role_bundle(tmp_path / "b"), allow_unsigned=True, threads=1)
    assert (g.threshold, g.response_threshold) == (0.87, rv.RESPONSE_THRESHOLD)
    verdicts = {c["id"]: c["expect"]["verdict"] for c in cases}
    between = [i for i, v in verdicts.items() if v["role"] == "response" and v["threshold"] == rv.RESPONSE_THRESHOLD
               and rv.RESPONSE_THRESHOLD <= v["score"] < g.threshold]
    assert len(between) >= 4 and all(verdicts[i]["flagged"] for i in between)  # flagged only at their own
    assert {v["threshold"] for v in verdicts.values() if v["role"] == "prompt"} == {g.threshold}
    given = [c for c in cases if c["role"] == "response" and "threshold" in c["options"]]
    assert len(given) == 8 and all(verdicts[c["id"]]["threshold"] == c["options"]["threshold"] for c in given)
    for rec in [c for c in cases if c["id"] in between] + random.Random(1).sample(cases, 8):
        case = conf.Case(rec["id"], rec["kind"], rec["text"], rec["role"], rec["context"], rec["options"],
                         stream=rec.get("stream"))
        assert json.loads(json.dumps(conf.expect(g, case))) == rec["expect"], rec["id"]


def test_cli_export_refuses_bad_seeds(tmp_path: Path) -> None:
    bad = tmp_path / "s.jsonl"
    bad.write_text('{"txt": "x"}\n')
    r = CliRunner().invoke(main, ["conformance", "export", "--texts", str(bad), "--output", str(tmp_path / "o.gz")])
    assert r.exit_code == 2 and "line 1" in r.output


def test_unicode_tables_are_current() -> None:
    """runtime/data tables are what tools/make_unicode_tables.py gives with this Python and tokenizers."""
    sys.path.insert(0, str(ROOT / "tools"))
    import make_unicode_tables as mk

    data = ROOT / "runtime" / "data"
    saved = json.loads((data / "unicode-classes.json").read_text(encoding="utf-8"))
    now = mk.unicode_classes()
    if saved["unicode"] != now["unicode"]:
        pytest.fail(f"tables made with Unicode {saved['unicode']}, this Python has {now['unicode']}: both runtimes "
                    "would read stale tables; regenerate them with tools/make_unicode_tables.py")
    assert {k: saved[k] for k in ("alnum", "decimal", "space", "alpha", "printable")} == \
        {k: json.loads(json.dumps(now[k])) for k in ("alnum", "decimal", "space", "alpha", "printable")}
    bert = json.loads((data / "bert-chars.json").read_text(encoding="utf-8"))
    fresh = json.loads(json.dumps(mk.bert_chars()))
    assert {k: bert[k] for k in ("removed", "cjk", "punct", "map")} == {k: fresh[k] for k in ("removed", "cjk", "punct", "map")}
