// The demo page: load the bundle served next to this page (./bundle/), verify it, and check what a
// person types, all in the browser. onnxruntime-web's .wasm comes from ./ort/ (this folder), never a CDN.
// Built into demo/build/ by scripts/build-demo.mjs (esbuild); served by scripts/serve-demo.mjs.
import { CATEGORIES, loadGuard, toDict } from '../dist/web.js';

const $ = (id) => document.getElementById(id);
const here = new URL('.', location.href);
const state = { guard: null, last: null, loadMs: 0, error: null };
window.tinyguard = state; // for the browser test and for curious people in the console

function status(text, error = false) {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
}

function fact(label, value) {
  const p = document.createElement('div');
  const b = document.createElement('b');
  b.textContent = `${label}: `;
  p.append(b, value);
  return p;
}

function show(text, v) {
  const box = $('verdict');
  box.hidden = false;
  box.className = `verdict ${v.flagged ? 'flagged' : 'safe'}`;
  box.replaceChildren();
  const head = document.createElement('div');
  head.className = 'headline';
  head.id = 'headline';
  head.textContent = v.flagged ? 'Flagged' : 'Not flagged';
  const facts = document.createElement('div');
  facts.className = 'facts';
  const fired = CATEGORIES.filter((c) => v.categories[c]);
  facts.append(
    fact('score', `${v.score.toFixed(4)} (threshold ${v.threshold})`),
    fact('categories', fired.length ? fired.join(', ') : 'none'),
    fact('decided on', `${v.view} view${v.segment === null ? '' : `, sentence ${v.segment}`}, window ${v.window}`),
    fact('not fully checked', v.unchecked.length ? v.unchecked.join(', ') : 'no'),
    fact('time', `${v.latency_ms.toFixed(1)} ms in this tab`),
  );
  const details = document.createElement('details');
  const summary = document.createElement('summary');
  summary.textContent = 'verdict as JSON (the same fields as guard-cli check)';
  const pre = document.createElement('pre');
  pre.id = 'json';
  pre.textContent = JSON.stringify(toDict(v), null, 1);
  details.append(summary, pre);
  box.append(head, facts, details);
  state.last = { text, verdict: toDict(v) };
}

async function run() {
  const text = $('text').value;
  if (!text.trim()) { $('verdict').hidden = true; return; }
  const role = $('role').value;
  const context = role === 'response' ? $('context').value : '';
  try {
    const v = await state.guard.check(text, role, { context, threshold: Number($('preset').value) });
    show(text, v);
  } catch (e) {
    $('verdict').hidden = false;
    $('verdict').className = 'verdict error';
    $('verdict').textContent = `error: ${e.message}`;
    state.last = { text, error: e.message };
  }
}

async function main() {
  const t = performance.now();
  try {
    state.guard = await loadGuard(new URL('bundle/', here).href, { wasmPaths: new URL('ort/', here).href });
  } catch (e) {
    state.error = e.message;
    status(`Could not load the bundle: ${e.message}`, true);
    return;
  }
  state.loadMs = performance.now() - t;
  const g = state.guard;
  const presets = Object.entries(g.manifest.presets).sort((a, b) => a[1] - b[1]);
  if (!presets.some(([, v]) => v === g.threshold)) presets.push(['bundle default', g.threshold]);
  for (const [name, value] of presets) {
    const o = new Option(`${name} (${value})`, String(value), false, value === g.threshold);
    $('preset').add(o);
  }
  const signed = g.manifest.signedBy ? `signature checked (key ${g.manifest.signedBy})` : 'signature NOT checked';
  status(`${g.modelId} loaded and verified in ${Math.round(state.loadMs)} ms: ${Object.keys(g.manifest.files).length} files hashed, ${signed}.`);
  $('check').disabled = false;
  let timer = 0;
  $('text').addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 250); });
  $('context').addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 250); });
  $('preset').addEventListener('change', run);
  $('role').addEventListener('change', () => { $('context-row').hidden = $('role').value !== 'response'; run(); });
  $('check').addEventListener('click', run);
}

main();
