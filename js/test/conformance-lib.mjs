// Compare this runtime with the golden vectors of a bundle, step by step (docs/bundle-spec.md, section 6).
// The comparison itself lives in conformance-case.mjs (shared with the browser test); this adds file reading.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export { runCase, TOLERANCE, WASM_TOLERANCE } from './conformance-case.mjs';

export function readVectors(path) {
  const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n').filter((l) => l.trim());
  const header = JSON.parse(lines[0]);
  if (header.format !== 'tinyguard-conformance/1') throw new Error(`${path}: not a tinyguard-conformance/1 file`);
  return { header, cases: lines.slice(1).map((l) => JSON.parse(l)) };
}

