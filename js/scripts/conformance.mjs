// Print how this runtime compares with a conformance file: node scripts/conformance.mjs BUNDLE [FILE]
import { loadGuard } from '../dist/node.js';
import { readVectors, runCase, TOLERANCE } from '../test/conformance-lib.mjs';

const [bundle, file] = process.argv.slice(2);
const guard = await loadGuard(bundle, { sessionOptions: { intraOpNumThreads: 1 } });
const { header, cases } = readVectors(file ?? `${bundle}/conformance.jsonl.gz`);
let failed = 0, worst = 0, worstLogit = 0;
const byStep = {};
const near = [];
for (const c of cases) {
  const r = await runCase(guard, c);
  worst = Math.max(worst, r.scoreDiff); worstLogit = Math.max(worstLogit, r.logitDiff ?? 0);
  if (r.score !== undefined && Math.abs(r.score - r.threshold) <= TOLERANCE) near.push(c.id);
  if (r.diffs.length) {
    failed++;
    const step = r.diffs[0].split(':')[0];
    byStep[step] = (byStep[step] ?? 0) + 1;
    if (failed <= 15) console.log(c.id, c.kind, JSON.stringify(c.text).slice(0, 80), '\n   ', r.diffs.slice(0, 3).join('\n    '));
  }
}
console.log(JSON.stringify({ model: header.model, cases: cases.length, failed, byStep, maxScoreDiff: worst, maxLogitDiff: worstLogit, nearThreshold: near }));
