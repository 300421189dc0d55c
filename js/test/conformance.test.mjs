// Every shipped bundle (runtime/models/*) carries conformance.jsonl.gz; this runtime must pass all of it:
// the same normalized text, pieces, token ids, planned windows, verdicts and categories on 100% of cases,
// scores within TOLERANCE. Cases whose reference score lies within TOLERANCE of the threshold are listed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadGuard } from '../dist/node.js';
import { readVectors, runCase, TOLERANCE } from './conformance-lib.mjs';

const models = new URL('../../runtime/models/', import.meta.url).pathname;
const bundles = readdirSync(models).map((d) => join(models, d)).filter((d) => existsSync(join(d, 'manifest.json')));

test('there is at least one shipped bundle', () => assert.ok(bundles.length >= 1));

for (const bundle of bundles) {
  test(`golden vectors of ${bundle}`, async () => {
    const file = join(bundle, 'conformance.jsonl.gz');
    assert.ok(existsSync(file), `${bundle} ships no conformance.jsonl.gz (guard-cli conformance export --pin)`);
    const guard = await loadGuard(bundle, { trusted: ['project'], sessionOptions: { intraOpNumThreads: 1 } });
    const { header, cases } = readVectors(file);
    assert.equal(header.model, guard.modelId);
    assert.equal(cases.length, header.cases);
    assert.ok(cases.length >= 1000, `only ${cases.length} cases`);
    const failures = [];
    const near = [];
    let worst = 0;
    for (const c of cases) {
      const r = await runCase(guard, c);
      worst = Math.max(worst, r.scoreDiff);
      if (r.score !== undefined && Math.abs(r.score - r.threshold) <= TOLERANCE) near.push(c.id);
      if (r.diffs.length) failures.push(`${c.id} (${c.kind}): ${r.diffs.slice(0, 3).join('; ')}`);
    }
    console.log(`# ${header.model}: ${cases.length} cases, ${failures.length} differ; max |score diff| ${worst}; ` +
      `within ${TOLERANCE} of the threshold: ${near.length ? near.join(', ') : 'none'}`);
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${cases.length} cases differ`);
  });
}
