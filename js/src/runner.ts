/** Planned windows through an ONNX Runtime session; logits -> scores (spec 3.10). */
import type { Plan } from './pieces.js';
import type { Windows } from './encoding.js';
import { N_OUTPUTS, uncheckedReasons } from './verdict.js';
import { round4 } from './pyclass.js';

export const SEGMENT_BATCH = 8;

/** The part of ONNX Runtime's JavaScript API the guard uses (onnxruntime-node, -web and -react-native share it). */
export interface OrtLike {
  InferenceSession: { create(model: any, options?: any): Promise<OrtSession> };
  Tensor: new (type: 'int64', data: BigInt64Array, dims: number[]) => unknown;
}
export interface OrtSession {
  inputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
}

export interface Scores {
  plain: Float64Array;
  defended: Float64Array;
  chunks: number;
  windows: number;
  views: number;
  truncated: boolean;
  firedView: string;
  firedWindow: number;
  firedSegment: number | null;
  segments: number;
  coverage: number;
  unchecked: string[];
  /** Per plan entry, the highest unsafe logit of its windows (conformance). */
  entryMaxLogit: number[];
  plainMaxLogit: number | null;
}

export class Runner {
  constructor(private readonly ort: OrtLike, private readonly session: OrtSession, private readonly padId: number) {}

  /** Logits [rows][N_OUTPUTS] of the windows' rows, in input order; batches of `batch` rows, shortest first. */
  async run(rows: { ids: number[]; types: number[] }[], batch: number): Promise<Float32Array[]> {
    const order = rows.map((r, k) => k).sort((a, b) => rows[a].ids.length - rows[b].ids.length || a - b);
    const out: Float32Array[] = new Array(rows.length);
    for (let b = 0; b < order.length; b += batch) {
      const idx = order.slice(b, b + batch);
      const width = Math.max(...idx.map((k) => rows[k].ids.length));
      const n = idx.length;
      const ids = new BigInt64Array(n * width).fill(BigInt(this.padId));
      const mask = new BigInt64Array(n * width);
      const types = new BigInt64Array(n * width);
      idx.forEach((k, j) => {
        const r = rows[k];
        for (let t = 0; t < r.ids.length; t++) {
          ids[j * width + t] = BigInt(r.ids[t]);
          mask[j * width + t] = 1n;
          types[j * width + t] = BigInt(r.types[t]);
        }
      });
      const all: Record<string, unknown> = {
        input_ids: new this.ort.Tensor('int64', ids, [n, width]),
        attention_mask: new this.ort.Tensor('int64', mask, [n, width]),
        token_type_ids: new this.ort.Tensor('int64', types, [n, width]),
      };
      const feeds: Record<string, unknown> = {};
      for (const name of this.session.inputNames) feeds[name] = all[name];
      const res = await this.session.run(feeds);
      const logits = res.logits;
      if (!logits || logits.dims.length !== 2 || logits.dims[1] !== N_OUTPUTS) {
        throw new Error(`model returned logits of shape ${JSON.stringify(logits?.dims)}; expected [batch, ${N_OUTPUTS}]`);
      }
      const data = logits.data as Float32Array;
      idx.forEach((k, j) => { out[k] = data.slice(j * N_OUTPUTS, (j + 1) * N_OUTPUTS); });
    }
    return out;
  }

  /** Scores of one text's plan: full windows one per run, segment windows SEGMENT_BATCH per run. */
  async score(plan: Plan, minCoverage: number): Promise<Scores> {
    const rowsOf = (w: Windows) => w.ids.map((ids, i) => ({ ids, types: w.types[i] }));
    const full = plan.windows.flatMap((w, k) => (plan.entries[k].segment === null ? rowsOf(w) : []));
    const plainRows = plan.plain ? rowsOf(plan.plain) : [];
    const fullLogits = await this.run([...full, ...plainRows], 1);
    const segRows = plan.windows.flatMap((w, k) => (plan.entries[k].segment !== null ? rowsOf(w) : []));
    const segLogits = segRows.length ? await this.run(segRows, SEGMENT_BATCH) : [];
    const rows: Float32Array[] = [];
    let f = 0, s = 0;
    const counts: number[] = [];
    const entryMaxLogit: number[] = [];
    plan.windows.forEach((w, k) => {
      const block = plan.entries[k].segment === null ? fullLogits.slice(f, f += w.ids.length) : segLogits.slice(s, s += w.ids.length);
      rows.push(...block);
      counts.push(w.ids.length);
      entryMaxLogit.push(Math.max(...block.map((r) => r[0])));
    });
    const plainLogits = plan.plain ? fullLogits.slice(f, f + plan.plain.ids.length) : null;
    const colMax = (rs: Float32Array[]) => {
      const m = new Float64Array(N_OUTPUTS).fill(-Infinity);
      for (const r of rs) for (let c = 0; c < N_OUTPUTS; c++) if (r[c] > m[c]) m[c] = r[c];
      return m;
    };
    let top = 0;
    rows.forEach((r, k) => { if (r[0] > rows[top][0]) top = k; });
    let end = 0, entry = 0;
    for (; entry < counts.length; entry++) { end += counts[entry]; if (top < end) break; }
    const coverage = round4(plan.coverage);
    return {
      plain: sigmoid(colMax(plainLogits ?? rows.slice(0, counts[0]))), defended: sigmoid(colMax(rows)),
      chunks: plan.chunks, windows: rows.length, views: plan.views, truncated: plan.truncated,
      firedView: plan.entries[entry].view, firedWindow: top - (end - counts[entry]), firedSegment: plan.entries[entry].segment,
      segments: plan.segments, coverage, unchecked: uncheckedReasons(plan.truncated, coverage, minCoverage),
      entryMaxLogit, plainMaxLogit: plainLogits ? Math.max(...plainLogits.map((r) => r[0])) : null,
    };
  }
}

export function sigmoid(x: Float64Array): Float64Array {
  return x.map((v) => 1.0 / (1.0 + Math.exp(-v)));
}
