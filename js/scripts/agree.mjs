// Line-by-line agreement of two `check --input` outputs: node scripts/agree.mjs PY.jsonl JS.jsonl
import { readFileSync } from 'node:fs';
const [a, b] = process.argv.slice(2).map((f) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l)));
let same = 0, worst = 0;
const differ = [];
a.forEach((x, i) => {
  const y = b[i];
  const keys = ['line', 'flagged', 'categories', 'view', 'segment', 'window', 'chunks', 'coverage', 'unchecked', 'skipped', 'error'];
  const eq = keys.every((k) => JSON.stringify(x[k]) === JSON.stringify(y?.[k]));
  if (x.score !== undefined) worst = Math.max(worst, Math.abs(x.score - y.score), ...Object.keys(x.category_scores).map((c) => Math.abs(x.category_scores[c] - y.category_scores[c])));
  if (eq) same++; else differ.push(x.line);
});
console.log(JSON.stringify({ lines: a.length, other: b.length, identical: same, differ, maxScoreDiff: worst }));
