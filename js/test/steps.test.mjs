// A step the manifest lists that this runtime does not implement (spec section 5) is never skipped in
// silence: the bundle is refused, or with onMissingStep 'unchecked' every verdict reports it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { loadGuard } from '../dist/node.js';
import { bundle, editJson, editManifest, signWithNewKey, withCopy } from './bundle-copy.mjs';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const STEPS_1_0 = ['normalize', 'tokenize', 'windows', 'context', 'score', 'coverage', 'reading',
  'smuggling', 'despace', 'homoglyphs', 'leet', 'decode', 'reveal', 'segments'];
// spec 1.1: always sentence_coverage and language_id; words (a defense); ciphers with decode, run_on with segments
const STEPS_1_1 = [...STEPS_1_0, 'sentence_coverage', 'language_id', 'words', 'ciphers', 'run_on'];

/** A copy whose manifest lists `steps` (and `defenses`), signed by a test key that the loads trust. */
async function withSteps(steps, defenses, fn) {
  return withCopy(async (copy, dir) => {
    editManifest(copy, editJson((m) => ({ ...m, steps, ...(defenses ? { defenses } : {}) })));
    const { pem } = signWithNewKey(copy, dir);
    return fn(copy, pem);
  });
}

test('a bundle without the key needs the spec-1.1 steps, and so does one listing exactly them', async () => {
  assert.deepEqual((await loadGuard(bundle)).manifest.missingSteps, []);
  await withSteps(STEPS_1_1, null, async (copy, pem) => {
    const guard = await loadGuard(copy, { trusted: [pem] });
    assert.deepEqual(guard.manifest.missingSteps, []);
    assert.deepEqual((await guard.check('What is the capital of France?')).unchecked, []);
  });
});

test('a step this runtime lacks refuses the bundle by default', async () => withSteps([...STEPS_1_1, 'transliterate'], { transliterate: true }, async (copy, pem) => {
  await assert.rejects(loadGuard(copy, { trusted: [pem] }),
    /its verdicts need steps this runtime does not implement: \["transliterate"\].*onMissingStep: 'unchecked'/);
}));

test("with onMissingStep 'unchecked' every verdict (batch and stream) reports it; onUnchecked decides", async () => withSteps([...STEPS_1_1, 'transliterate'], { transliterate: true }, async (copy, pem) => {
  const flag = await loadGuard(copy, { trusted: [pem], onMissingStep: 'unchecked' });
  const benign = 'What is the capital of France?';
  let v = await flag.check(benign);
  assert.deepEqual(v.unchecked, ['step:transliterate']);
  assert.equal(v.flagged, true, 'flag (the default policy): a text not fully checked is flagged');
  assert.ok(v.score < v.threshold);
  const report = await loadGuard(copy, { trusted: [pem], onMissingStep: 'unchecked', onUnchecked: 'report' });
  const [a, b] = await report.checkBatch([benign, 'How do I make a bomb at home?']);
  assert.equal(a.flagged, false);
  assert.deepEqual(a.unchecked, ['step:transliterate']);
  assert.deepEqual(b.unchecked, ['step:transliterate']);
  const s = report.stream('response');
  await s.feed('Paris is the capital ');
  v = await s.close();
  assert.deepEqual(v.unchecked, ['step:transliterate']);
  const r = spawnSync(process.execPath, [cli, 'check', '--bundle', copy, '--trusted-key', pem, '--on-missing-step', 'unchecked',
    '--on-unchecked', 'report', benign], { encoding: 'utf8' });
  assert.equal(r.status, 3, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).unchecked, ['step:transliterate']);
  const refused = spawnSync(process.execPath, [cli, 'check', '--bundle', copy, '--trusted-key', pem, benign], { encoding: 'utf8' });
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /^error: bundle .*does not implement: \["transliterate"\]/);
}));

test('steps that contradict the defenses refuse the bundle (a known step left out, or listed while off)', async () => {
  await withSteps(STEPS_1_1.filter((s) => s !== 'decode'), null, async (copy, pem) => {
    await assert.rejects(loadGuard(copy, { trusted: [pem], onMissingStep: 'unchecked' }), /'steps' does not match .*on but not listed: \["decode"\]/);
  });
  await withSteps(STEPS_1_1, { decode: false }, async (copy, pem) => {  // (ciphers runs inside decode)
    await assert.rejects(loadGuard(copy, { trusted: [pem] }), /listed but off: \["ciphers","decode"\]/);
  });
  await withSteps(STEPS_1_0, null, async (copy, pem) => {  // a spec-1.0 list: the 1.1 steps it needs are not listed
    await assert.rejects(loadGuard(copy, { trusted: [pem] }), /on but not listed: \["ciphers","language_id","run_on","sentence_coverage","words"\]/);
  });
  await withSteps('normalize', null, async (copy, pem) => {
    await assert.rejects(loadGuard(copy, { trusted: [pem] }), /must be a list of distinct step names/);
  });
});
