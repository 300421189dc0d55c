// Figures for README: package size, bundle load time and p50 latency of a ~32-token prompt,
// Node (this package) next to Python (guard-cli's Guard) in the same run, one thread each.
// Usage: node scripts/bench.mjs [PYTHON]   (PYTHON: the venv's python, default ../.venv/bin/python)
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadGuard } from '../dist/node.js';
import { LanguageIdentifier, fromBase64 } from '../dist/langid.js';
import { langidModel } from '../dist/generated/langid-data.js';

const bundle = new URL('../../runtime/models/micro', import.meta.url).pathname;
const python = process.argv[2] ?? new URL('../../.venv/bin/python', import.meta.url).pathname;
const TEXT = 'Could you explain how the water cycle works, and why clouds form over the ocean before it rains on the coast in the summer months, please?';
const N = 200;
const du = (p) => statSync(p).isDirectory() ? readdirSync(p).reduce((s, f) => s + du(join(p, f)), 0) : statSync(p).size;
const p50 = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let t = performance.now();
const guard = await loadGuard(bundle, { trusted: ['project'], sessionOptions: { intraOpNumThreads: 1 } });
const loadMs = performance.now() - t;
const tokens = guard.encoder.tokenize(TEXT).ids.length;
for (let i = 0; i < 20; i++) await guard.check(TEXT);
const js = [];
for (let i = 0; i < N; i++) { t = performance.now(); await guard.check(TEXT); js.push(performance.now() - t); }
const py = JSON.parse(execFileSync(python, ['-c', `
import json, time
t = time.perf_counter()
from tinyguard import Guard
g = Guard.load(threads=1, trusted_keys="project")
load = (time.perf_counter() - t) * 1000
text = ${JSON.stringify(TEXT)}
for _ in range(20): g.check(text)
xs = []
for _ in range(${N}):
    t = time.perf_counter(); g.check(text); xs.append((time.perf_counter() - t) * 1000)
xs.sort()
print(json.dumps({"load": load, "p50": xs[len(xs) // 2]}))
`], { encoding: 'utf8' }));
// the language model (js/data/langid.bin) alone: base64 decode and build, then one German sentence classified
t = performance.now();
const langid = new LanguageIdentifier(fromBase64(langidModel));
const langidMs = performance.now() - t;
const SENTENCE = 'Meine Schwester hat letztes Wochenende Tomaten im Garten gepflanzt.';
for (let i = 0; i < 200; i++) langid.classify(SENTENCE, true);
t = performance.now();
for (let i = 0; i < 2000; i++) langid.classify(SENTENCE, true);
const sentenceUs = (performance.now() - t) / 2000 * 1000;
const here = new URL('..', import.meta.url).pathname;
const ortNode = du(join(here, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', process.platform, process.arch));
console.log(`| runtime | bundle load (verify + session) | p50 latency, ${tokens}-token prompt |
|---|---|---|
| Node ${process.version} (tinyguard js, onnxruntime-node) | ${loadMs.toFixed(0)} ms | ${p50(js).toFixed(2)} ms |
| Python (tinyguard, onnxruntime) | ${py.load.toFixed(0)} ms | ${py.p50.toFixed(2)} ms |

Package: dist/ ${(du(join(here, 'dist')) / 1024).toFixed(0)} KiB (of which tables ${(du(join(here, 'dist', 'generated')) / 1024).toFixed(0)} KiB); onnxruntime-node's native library for ${process.platform}-${process.arch}: ${(ortNode / 1048576).toFixed(1)} MiB; the bundle: ${(du(bundle) / 1048576).toFixed(1)} MiB.
Language model (in Node's bundle load): decoded and built in ${langidMs.toFixed(0)} ms; ${sentenceUs.toFixed(1)} us a sentence.`);
