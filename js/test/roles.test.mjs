// Spec 1.2: a bundle may give responses a threshold of their own (manifest `response_threshold`, step
// `role_thresholds`). This runtime judges each text at its role's threshold unless one is given, and the
// golden vectors Python wrote for such a bundle (tools/role_threshold_vectors.py: micro with 0.5 for
// responses) pass here on a copy edited the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadGuard } from '../dist/node.js';
import { KNOWN, missingSteps, ROLE_THRESHOLDS } from '../dist/steps.js';
import { editJson, editManifest, signWithNewKey, withCopy } from './bundle-copy.mjs';
import { readVectors, runCase } from './conformance-lib.mjs';

const RT = 0.5;  // tools/role_threshold_vectors.py RESPONSE_THRESHOLD
const fixture = new URL('./fixtures/role-thresholds.jsonl.gz', import.meta.url).pathname;

/** A micro copy edited as role_manifest does, signed by a test key; fn(guard, copy, pem). */
async function withRoles(edit, fn) {
  return withCopy(async (copy, dir) => {
    editManifest(copy, editJson(edit));
    const { pem } = signWithNewKey(copy, dir);
    return fn(copy, pem);
  });
}
const roles = (m) => ({ ...m, response_threshold: RT, steps: [...m.steps, ROLE_THRESHOLDS] });

test('responses are judged at their own threshold; an explicit one overrides both roles', () => withRoles(roles, async (copy, pem) => {
  const guard = await loadGuard(copy, { trusted: [pem], sessionOptions: { intraOpNumThreads: 1 } });
  assert.equal(guard.threshold, 0.87);
  assert.equal(guard.responseThreshold, RT);
  const { cases } = readVectors(fixture);
  const c = cases.find((x) => x.kind === 'context' && x.expect.verdict.score >= RT && x.expect.verdict.score < 0.87);
  const [p, r] = await guard.checkBatch([c.text, c.text], ['prompt', 'response'], { contexts: ['', c.context] });
  assert.equal(p.threshold, 0.87);
  assert.equal(r.threshold, RT);
  assert.equal(r.flagged, true);
  const given = await guard.check(c.text, 'response', { context: c.context, threshold: 0.95 });
  assert.equal(given.threshold, 0.95);
  assert.equal(given.flagged, false);
  assert.equal(guard.stream('response').threshold, RT);
  assert.equal(guard.stream('prompt').threshold, 0.87);
  assert.equal(guard.stream('response', { threshold: 0.9 }).threshold, 0.9);
}));

test("Python's vectors for a bundle with response_threshold pass", () => withRoles(roles, async (copy, pem) => {
  const guard = await loadGuard(copy, { trusted: [pem], sessionOptions: { intraOpNumThreads: 1 } });
  const { header, cases } = readVectors(fixture);
  assert.equal(header.model, guard.modelId);
  assert.equal(header.spec_version, '1.2');
  const failures = [];
  for (const c of cases) {
    const r = await runCase(guard, c);
    if (r.diffs.length) failures.push(`${c.id} (${c.kind}): ${r.diffs.slice(0, 3).join('; ')}`);
  }
  assert.ok(cases.some((c) => c.role === 'response' && c.expect.verdict.threshold === RT && c.expect.verdict.flagged &&
    c.expect.verdict.score < 0.87), 'a response flagged only at its own threshold');
  assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cases differ`);
}));

test('the key needs its step, the step needs the key, the value is a unit float', async () => {
  await withRoles((m) => ({ ...m, response_threshold: RT }), async (copy, pem) => {
    await assert.rejects(loadGuard(copy, { trusted: [pem] }), /on but not listed: \["role_thresholds"\]/);
  });
  await withRoles((m) => ({ ...m, steps: [...m.steps, ROLE_THRESHOLDS] }), async (copy, pem) => {
    await assert.rejects(loadGuard(copy, { trusted: [pem] }), /listed but off: \["role_thresholds"\]/);
  });
  await withRoles((m) => { const { steps, ...rest } = m; return { ...rest, response_threshold: RT }; }, async (copy, pem) => {
    await assert.rejects(loadGuard(copy, { trusted: [pem] }), /'response_threshold' needs 'steps' listing 'role_thresholds'/);
  });
  await withRoles((m) => ({ ...roles(m), response_threshold: 1.5 }), async (copy, pem) => {
    await assert.rejects(loadGuard(copy, { trusted: [pem] }), /'response_threshold' must be a number in \[0, 1\]/);
  });
});

test('a runtime without the step refuses such a bundle (or, asked, reports it in every verdict)', () => {
  const older = new Set([...KNOWN].filter((s) => s !== ROLE_THRESHOLDS));
  const listed = ['normalize', 'tokenize', 'windows', 'context', 'score', 'coverage', 'sentence_coverage', 'language_id',
    'reading', 'smuggling', 'despace', 'homoglyphs', 'leet', 'decode', 'reveal', 'words', 'segments', 'ciphers', 'run_on',
    ROLE_THRESHOLDS];
  assert.deepEqual(missingSteps(listed, null, false, older, true), [ROLE_THRESHOLDS]);
});
