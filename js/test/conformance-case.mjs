// One golden-vector case compared step by step (docs/bundle-spec.md, section 6). No Node-only imports:
// the browser test (test/demo.test.mjs) bundles this file into the demo page's context as well.
import { sha256 } from '@noble/hashes/sha2.js';
import { toDict } from '../dist/index.js';

/** Score tolerance: the largest |score difference| allowed (measured; see README). */
export const TOLERANCE = 1e-4;
/**
 * The same in a browser: onnxruntime-web's wasm int8 kernels round differently from the native ones
 * (largest difference measured on the default bundle's 1,229 cases in Chromium: 1.7e-3; see README).
 * Verdicts, categories and every other field must still be identical.
 */
export const WASM_TOLERANCE = 5e-3;

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const digest = (rows) => hex(sha256(new TextEncoder().encode(JSON.stringify(rows)))).slice(0, 16);
const EXACT = ['flagged', 'role', 'truncated', 'chunks', 'model', 'view', 'segment', 'window', 'coverage', 'unchecked', 'categories', 'threshold'];

function compareVerdict(got, want, diffs, where) {
  for (const k of EXACT) {
    if (JSON.stringify(got[k]) !== JSON.stringify(want[k])) diffs.push(`${where}${k}: got ${JSON.stringify(got[k])}, want ${JSON.stringify(want[k])}`);
  }
  let worst = Math.abs(got.score - want.score);
  for (const [c, v] of Object.entries(want.category_scores)) worst = Math.max(worst, Math.abs(got.category_scores[c] - v));
  return worst;
}

/** Run one case; returns { diffs: [step: message], scoreDiff, step } (step: the first step that differs). */
export async function runCase(guard, c, tolerance = TOLERANCE) {
  const diffs = [];
  const opts = c.options ?? {};
  const g = Object.create(guard);
  if ('max_chars' in opts) Object.defineProperty(g, 'maxChars', { value: opts.max_chars });
  if ('min_coverage' in opts) Object.defineProperty(g, 'minCoverage', { value: opts.min_coverage });
  if ('on_unchecked' in opts) Object.defineProperty(g, 'onUnchecked', { value: opts.on_unchecked });
  // (spec 1.1: a case may name the bundle's languages, as another bundle's manifest would)
  if ('languages' in opts) Object.defineProperty(g, 'manifest', { value: { ...guard.manifest, languages: opts.languages } });
  if (opts.defenses === false) g.defenses = Object.fromEntries(Object.keys(guard.defenses).map((k) => [k, false]));
  const want = c.expect;
  if (c.stream) {
    const s = g.stream(c.role, { context: c.context, threshold: opts.threshold, everyTokens: opts.every_tokens ?? 32 });
    let stoppedAt = null;
    for (let k = 0; k < c.stream.length; k++) if ((await s.feed(c.stream[k])) !== null && stoppedAt === null) stoppedAt = k;
    const v = await s.close();
    if (stoppedAt !== want.stopped_at) diffs.push(`verdict: stopped_at ${stoppedAt} != ${want.stopped_at}`);
    const worst = compareVerdict({ ...toDict(v), stopped: v.stopped }, want.verdict, diffs, 'verdict: ');
    if (worst > tolerance) diffs.push(`scores: differ by ${worst} (tolerance ${tolerance})`);
    return { diffs, scoreDiff: worst, score: want.verdict.score, threshold: want.verdict.threshold };
  }
  let traces;
  try {
    traces = await g.trace([c.text], c.role, [c.context]);
  } catch (e) {
    if (want.error && e.message === want.error) return { diffs, scoreDiff: 0 };
    diffs.push(`error: ${e.message} (want ${want.error ?? 'a verdict'})`);
    return { diffs, scoreDiff: 0 };
  }
  if (want.error) { diffs.push(`error: none, want ${want.error}`); return { diffs, scoreDiff: 0 }; }
  const [{ plan, scores, normalized }] = traces;
  if (normalized !== want.normalized) diffs.push(`normalized: ${JSON.stringify(normalized).slice(0, 200)} != ${JSON.stringify(want.normalized).slice(0, 200)}`);
  const gotPieces = plan.pieces.map((p) => [p.view, p.text]);
  const wantPieces = want.pieces.map((p) => [p.view, p.text]);
  if (JSON.stringify(gotPieces) !== JSON.stringify(wantPieces)) diffs.push(`pieces: ${JSON.stringify(gotPieces).slice(0, 300)} != ${JSON.stringify(wantPieces).slice(0, 300)}`);
  want.pieces.forEach((p, k) => {
    const got = plan.pieces[k]?.ids;
    if (got && JSON.stringify(got) !== JSON.stringify(p.ids)) diffs.push(`ids: piece ${k}: ${JSON.stringify(got).slice(0, 200)} != ${JSON.stringify(p.ids).slice(0, 200)}`);
  });
  // (spec 1.1) what the coverage rule counts unread per piece, as code-point spans
  const cp = (text, i) => Array.from(text.slice(0, i)).length;
  want.pieces.forEach((p, k) => {
    const got = plan.pieces[k];
    if (!got || !('foreign' in p)) return;
    for (const key of ['foreign', 'encoded']) {
      const spans = got[key].map(([a, b]) => [cp(got.text, a), cp(got.text, b)]);
      if (JSON.stringify(spans) !== JSON.stringify(p[key])) diffs.push(`unread: piece ${k} ${key}: ${JSON.stringify(spans)} != ${JSON.stringify(p[key])}`);
    }
  });
  const gotEntries = plan.windows.map((w, k) => ({ view: plan.entries[k].view, segment: plan.entries[k].segment, windows: w.ids.length, digest: digest(w.ids) }));
  const wantEntries = want.entries.map(({ view, segment, windows, digest: d }) => ({ view, segment, windows, digest: d }));
  if (JSON.stringify(gotEntries) !== JSON.stringify(wantEntries)) diffs.push(`entries: ${gotEntries.length} vs ${wantEntries.length}; first differing: ${JSON.stringify(gotEntries.find((e, k) => JSON.stringify(e) !== JSON.stringify(wantEntries[k])))}`);
  let logitDiff = 0;
  want.entries.forEach((e, k) => { if (scores.entryMaxLogit[k] !== undefined) logitDiff = Math.max(logitDiff, Math.abs(scores.entryMaxLogit[k] - e.max_logit)); });
  if (want.plain) {
    const pd = digest(plan.plain?.ids ?? []);
    if (pd !== want.plain.digest) diffs.push('entries: plain windows differ');
  }
  const t = guard.thresholdFor(c.role, opts.threshold);  // the role's own unless the case gives one (spec 1.2)
  const v = g.verdict(scores.defended, t, c.role, { truncated: scores.truncated, chunks: scores.chunks, views: scores.views, latencyMs: 0,
    view: scores.firedView, window: scores.firedWindow, segment: scores.firedSegment, segments: scores.segments, coverage: scores.coverage });
  const verdictDiffs = [];
  const worst = compareVerdict(toDict(v), want.verdict, verdictDiffs, 'verdict: ');
  // Which window fired is the first with the highest unsafe logit: when another entry's top logit lies
  // within the tolerance of the highest, kernels that round differently (wasm) may pick that one. Accepted
  // (the verdict and scores must still match) and reported as a tie.
  const top = Math.max(...want.entries.map((e) => e.max_logit));
  const tie = want.entries.filter((e) => top - e.max_logit <= tolerance).length > 1;
  const fired = (d) => /^verdict: (view|segment|window):/.test(d);
  diffs.push(...verdictDiffs.filter((d) => !(tie && fired(d))));
  const tied = tie && verdictDiffs.some(fired);
  if (worst > tolerance) diffs.push(`scores: differ by ${worst} (tolerance ${tolerance})`);
  if (v.views !== want.verdict.views || v.segments !== want.verdict.segments) diffs.push(`verdict: views/segments ${v.views}/${v.segments} != ${want.verdict.views}/${want.verdict.segments}`);
  return { diffs, scoreDiff: worst, logitDiff, score: want.verdict.score, threshold: want.verdict.threshold, tied };
}
