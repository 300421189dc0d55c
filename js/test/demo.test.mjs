// The browser demo page (demo/), driven in headless Chromium: it loads the bundle served next to it,
// checks what a person types with the verdicts Python gives (the bundle's golden vectors), passes golden
// vectors in the browser too (onnxruntime-web's wasm kernels), and fetches nothing but its own files.
// Needs Chromium at /usr/bin/chromium (scripts/dev-setup.sh installs it; CHROMIUM overrides the path).
// DEMO_SCREENSHOT=PATH keeps the screenshot there (README's docs/img/demo.png); otherwise it goes to a tmp folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { serveStatic } from '../scripts/serve-demo.mjs';
import { readVectors, TOLERANCE, WASM_TOLERANCE } from './conformance-lib.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const bundle = new URL('../../runtime/models/micro', import.meta.url).pathname;
const buildScript = new URL('../scripts/build-demo.mjs', import.meta.url).pathname;
/** Golden vectors run in the browser: all of them (about a minute); BROWSER_CASES=N runs N spread over all kinds. */
const SAMPLE = Number(process.env.BROWSER_CASES ?? Infinity);

const EXACT = ['flagged', 'threshold', 'categories', 'role', 'truncated', 'chunks', 'model', 'view', 'segment', 'window', 'coverage', 'unchecked'];

/** Every n-th case, so each kind (plain, edge, operators, attacks, streams, ...) is represented. */
function spread(cases, n) {
  if (n >= cases.length) return cases;
  const step = cases.length / n;
  return Array.from({ length: n }, (_, k) => cases[Math.floor(k * step)]);
}

/** The comparison of test/conformance-case.mjs as one script evaluated in the page (no file is fetched for it). */
async function harness() {
  const r = await build({
    stdin: { contents: `import { runCase } from './conformance-case.mjs';
      globalThis.tinyguardRunCases = async (cases) => { const out = []; for (const c of cases) {
        const r = await runCase(globalThis.tinyguard.guard, c, ${WASM_TOLERANCE}); out.push({ id: c.id, kind: c.kind, diffs: r.diffs, scoreDiff: r.scoreDiff, score: r.score, threshold: r.threshold, tied: r.tied }); }
        return out; };`, resolveDir: new URL('.', import.meta.url).pathname, loader: 'js' },
    bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'error',
  });
  return r.outputFiles[0].text;
}

test('the demo page checks typed text in headless Chromium like Python, and fetches only its own files', { timeout: 20 * 60_000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: scripts/dev-setup.sh installs it (apt-get install chromium), or set CHROMIUM`);
  const tmp = mkdtempSync(join(tmpdir(), 'tg-demo-'));
  const site = join(tmp, 'site');
  let server, context;
  try {
    const b = spawnSync(process.execPath, [buildScript, '--bundle', bundle, '--out', site], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    server = await serveStatic(site);
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8'));
    const own = new Set(['/', '/demo.js', '/ort/ort-wasm-simd-threaded.mjs', '/ort/ort-wasm-simd-threaded.wasm', '/bundle/manifest.json', '/bundle/manifest.sig',
      ...Object.keys(manifest.files).map((f) => `/bundle/${f}`)]);
    const origin = new URL(server.url).origin;

    // Chromium's GLib writes ~/.cache/dconf/user at start: give it a home inside the test's folder.
    const env = { ...process.env, HOME: join(tmp, 'home'), XDG_CACHE_HOME: join(tmp, 'cache'), XDG_CONFIG_HOME: join(tmp, 'config') };
    context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath: CHROMIUM, headless: true, args: FLAGS, serviceWorkers: 'block', viewport: { width: 820, height: 640 }, env,
    });
    const seen = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      seen.push(url.href);
      return url.origin === origin ? route.continue() : route.abort('blockedbyclient');
    });
    context.on('websocket', (ws) => seen.push(ws.url()));
    const page = context.pages()[0] ?? await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });

    await page.goto(server.url);
    await page.waitForFunction(() => window.tinyguard?.guard || window.tinyguard?.error, null, { timeout: 120_000 });
    const loadError = await page.evaluate(() => window.tinyguard.error);
    assert.equal(loadError, null, `the page could not load the bundle: ${loadError}`);
    assert.match(await page.textContent('#status'), /loaded and verified .* signature checked \(key [0-9a-f]{16}\)/);

    // A person types a harmful and a benign prompt: the page shows Python's verdicts (golden vectors).
    const { cases } = readVectors(join(bundle, 'conformance.jsonl.gz'));
    const typed = (flagged) => cases.find((c) => c.kind === 'plain' && c.role === 'prompt' && !c.context && !Object.keys(c.options ?? {}).length
      && c.expect.verdict?.flagged === flagged && c.text.length < 120);
    const shot = process.env.DEMO_SCREENSHOT ?? join(tmp, 'demo.png');
    for (const c of [typed(false), typed(true)]) {
      assert.ok(c, 'the golden vectors hold a short plain prompt of each verdict');
      await page.fill('#text', c.text);
      await page.click('#check');
      await page.waitForFunction((text) => window.tinyguard.last?.text === text, c.text);
      const got = await page.evaluate(() => window.tinyguard.last.verdict);
      const want = c.expect.verdict;
      for (const k of EXACT) assert.deepEqual(got[k], want[k], `${c.id} ${k}`);
      assert.ok(Math.abs(got.score - want.score) <= WASM_TOLERANCE, `${c.id}: score ${got.score} vs Python's ${want.score}`);
      assert.equal(await page.textContent('#headline'), want.flagged ? 'Flagged' : 'Not flagged');
      assert.equal(JSON.parse(await page.textContent('#json')).flagged, want.flagged);
      t.diagnostic(`typed ${c.id} (${want.flagged ? 'flagged' : 'not flagged'}): score ${got.score} vs Python ${want.score}`);
    }
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 10_000, 'the screenshot is an image of the page');
    assert.deepEqual([...readFileSync(shot).subarray(1, 4)], [0x50, 0x4e, 0x47]);

    // Golden vectors in the browser, compared step by step with the same code and tolerance as in Node.
    await page.evaluate(await harness());
    const sample = spread(cases, SAMPLE);
    const start = performance.now();
    const results = [];
    for (let i = 0; i < sample.length; i += 50) results.push(...await page.evaluate((cs) => window.tinyguardRunCases(cs), sample.slice(i, i + 50)));
    const secs = (performance.now() - start) / 1000;
    const failures = results.filter((r) => r.diffs.length).map((r) => `${r.id} (${r.kind}): ${r.diffs.slice(0, 3).join('; ')}`);
    const near = results.filter((r) => r.score !== undefined && Math.abs(r.score - r.threshold) <= WASM_TOLERANCE).map((r) => r.id);
    const worst = Math.max(...results.map((r) => r.scoreDiff));
    const over = results.filter((r) => r.scoreDiff > TOLERANCE).length;
    const tied = results.filter((r) => r.tied).map((r) => r.id);
    t.diagnostic(`browser (Chromium, onnxruntime-web wasm): ${results.length} of ${cases.length} cases in ${secs.toFixed(1)} s, ` +
      `${failures.length} differ; max |score diff| ${worst} (${over} cases above Node's ${TOLERANCE}; tolerance ${WASM_TOLERANCE}); ` +
      `within ${WASM_TOLERANCE} of the threshold: ${near.length ? near.join(', ') : 'none'}; ` +
      `another window fired, its top logit within ${WASM_TOLERANCE} of the reference's: ${tied.length ? tied.join(', ') : 'none'}`);
    assert.equal(results.length, sample.length);
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${results.length} cases differ in the browser`);
    assert.deepEqual(errors, []);

    // Nothing but its own files: every request the browser made (and every one the server saw) is listed.
    const foreign = seen.filter((u) => !(u.startsWith(origin + '/') && own.has(new URL(u).pathname)));
    assert.deepEqual(foreign, [], 'the page fetched something that is not its own file');
    assert.deepEqual(server.requests.filter((p) => !own.has(p)), []);
    for (const p of ['/bundle/model.int8.onnx', '/ort/ort-wasm-simd-threaded.wasm']) assert.ok(server.requests.includes(p), `${p} was not fetched`);
    t.diagnostic(`requests: ${seen.length}, all same-origin and listed: ${[...new Set(seen.map((u) => new URL(u).pathname))].join(' ')}`);
  } finally {
    await context?.close();
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
