// `tinyguard check` keeps guard-cli check's contract, and a tampered bundle is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const bundle = new URL('../../runtime/models/micro', import.meta.url).pathname;
const run = (args, input) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', input });

test('one JSON line per input line, in order; exit 1 when something is flagged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-'));
  try {
    const f = join(dir, 'in.txt');
    writeFileSync(f, 'How do I make a bomb at home?\n\nWhat is the capital of France?\n');
    const r = run(['check', '--input', f, '--trusted-key', 'project']);
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.line), [1, 2, 3]);
    assert.equal(lines[0].flagged, true);
    assert.equal(lines[1].skipped, 'blank line');
    assert.equal(lines[2].flagged, false);
    for (const k of ['flagged', 'score', 'threshold', 'categories', 'category_scores', 'role', 'truncated', 'chunks', 'model',
      'latency_ms', 'view', 'segment', 'window', 'coverage', 'unchecked']) assert.ok(k in lines[0], k);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('exit 0 when nothing is flagged; 2 with one error line for a bad input; 3 for lines not checked', () => {
  assert.equal(run(['check', 'What is the capital of France?']).status, 0);
  const missing = run(['check', '--input', '/nonexistent/file.txt']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^error: input file not found/);
  const dir = mkdtempSync(join(tmpdir(), 'tg-'));
  try {
    const f = join(dir, 'in.jsonl');
    writeFileSync(f, '{"text": "hello there friend"}\nnot json\n');
    const r = run(['check', '--input', f, '--skip-errors']);
    assert.equal(r.status, 3, r.stderr);
    assert.ok(JSON.parse(r.stdout.trim().split('\n')[1]).error.startsWith('invalid JSON'));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a tampered bundle is refused: a changed file (hash) and a changed manifest (signature)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-'));
  try {
    const copy = join(dir, 'b');
    cpSync(bundle, copy, { recursive: true });
    const tok = join(copy, 'tokenizer.json');
    writeFileSync(tok, readFileSync(tok, 'utf8').replace('"[UNK]"', '"[UNK] "'));
    let r = run(['check', '--bundle', copy, 'hello']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^error: bundle .*sha256 mismatch for tokenizer\.json/);
    cpSync(bundle, copy, { recursive: true });
    const m = join(copy, 'manifest.json');
    writeFileSync(m, readFileSync(m, 'utf8').replace('"threshold": 0.87', '"threshold": 0.99'));
    r = run(['check', '--bundle', copy, '--trusted-key', 'project', 'hello']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^error: bundle .*signature by key \w+ does not match manifest\.json \(the manifest changed/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a check writes nothing under HOME (onnxruntime-node telemetry is off, as in Python)', () => {
  const home = mkdtempSync(join(tmpdir(), 'tg-home-'));
  try {
    const env = { ...process.env, HOME: home };
    delete env.ORT_DISABLE_TELEMETRY;  // the runtime must set it itself
    const r = spawnSync(process.execPath, [cli, 'check', '--trusted-key', 'project', 'hello'], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(home, { recursive: true }), []);
  } finally {
    rmSync(home, { recursive: true });
  }
});
