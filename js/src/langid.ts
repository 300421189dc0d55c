/**
 * py3langid's classifier (naive Bayes over byte n-grams), read from js/data/langid.bin, the model
 * restricted to the runtime's language set (js/scripts/export_langid.py writes it from py3langid's
 * own model; its weights are py3langid's float16 values, unchanged). Why a port and not a wasm build
 * of some other detector: the Python runtime decides with py3langid, and a verdict must not depend on
 * which runtime read the text.
 *
 * The n-gram automaton is rebuilt from the trie the file holds (Aho-Corasick: a byte with no child
 * follows failure links), and, as py3langid's `visit_counts` does, each byte counts the feature of
 * the state it reaches, if any. Scores are computed in float64 (py3langid: float32), so they agree to
 * about 1e-6 relative, and the chosen language is the same but for exact ties.
 */

const MAGIC = [0x54, 0x47, 0x4c, 0x49, 0x44, 0x00, 0x01, 0x00]; // "TGLID\0\1\0"
/** py3langid's floor for a text with no feature, unnormalized: float32's lowest value. */
export const RAW_FLOOR = -3.4028234663852886e38;

interface Header {
  format: string; source: string; languages: string[]; pc: number[]; floor: number[];
  nodes: number; features: number; explicit: number; weights_bytes: number;
}

/** float16 bits to a number, through a table of all 65,536 (built once: faster than 600,000 pow calls). */
let HALVES: Float64Array | null = null;
function halves(): Float64Array {
  if (HALVES) return HALVES;
  HALVES = new Float64Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const exp = (bits >> 10) & 0x1f, frac = bits & 0x3ff, sign = bits & 0x8000 ? -1 : 1;
    HALVES[bits] = exp === 0 ? sign * frac * 2 ** -24 : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return HALVES;
}

const utf8 = new TextEncoder();

/** Python's str.isupper(): some cased character, all of them upper case. */
function isUpper(text: string): boolean {
  return /\p{Uppercase}/u.test(text) && !/[\p{Lowercase}\p{Lt}]/u.test(text);
}

export class LanguageIdentifier {
  readonly languages: string[];
  private readonly pc: Float64Array;
  private readonly floor: Float64Array;
  private readonly firstChild: Int32Array;
  private readonly childCount: Uint8Array;
  private readonly byte: Uint8Array;
  private readonly fail: Int32Array;
  private readonly output: Int32Array;
  /** Per feature: offset into `values` and the bitmask of languages off their floor. */
  private readonly offset: Int32Array;
  private readonly masks: Uint8Array;
  private readonly maskBytes: number;
  private readonly values: Float64Array;
  /** [first, duplicate] columns of a label listed twice (py3langid's script aliases). */
  private readonly aliases: [number, number][] = [];

  /** The model in js/data/langid.bin's layout (see export_langid.py). */
  constructor(data: Uint8Array) {
    if (data.length < 12 || MAGIC.some((b, i) => data[i] !== b)) throw new Error('not a tinyguard langid model');
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const headLen = view.getUint32(8, true);
    const h = JSON.parse(new TextDecoder().decode(data.subarray(12, 12 + headLen))) as Header;
    if (h.format !== 'tinyguard-langid/1') throw new Error(`langid model format ${h.format}`);
    const L = h.languages.length;
    this.languages = h.languages;
    this.pc = Float64Array.from(h.pc);
    this.floor = Float64Array.from(h.floor);
    const first = new Map<string, number>();
    h.languages.forEach((c, i) => (first.has(c) ? this.aliases.push([first.get(c)!, i]) : first.set(c, i)));
    let p = 12 + headLen;
    const n = h.nodes;
    this.childCount = data.slice(p, p + n); p += n;
    this.byte = new Uint8Array(n);
    this.byte.set(data.subarray(p, p + n - 1), 1); p += n - 1;
    const codes = data.subarray(p, p + n); p += n;
    const explicit: number[] = [];
    for (let k = 0; k < h.explicit; k++, p += 4) explicit.push(view.getUint32(p, true));
    this.firstChild = new Int32Array(n);
    for (let i = 0, next = 1; i < n; i++) { this.firstChild[i] = next; next += this.childCount[i]; }
    this.output = new Int32Array(n);
    for (let i = 0, fresh = 0, e = 0; i < n; i++) {
      this.output[i] = codes[i] === 0 ? -1 : codes[i] === 1 ? fresh++ : explicit[e++];
    }
    // failure links, breadth first (node ids are breadth-first already)
    this.fail = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      for (let c = this.firstChild[i], end = c + this.childCount[i]; c < end; c++) {
        this.fail[c] = i === 0 ? 0 : this.move(this.fail[i], this.byte[c]);
      }
    }
    const F = h.features;
    const maskBytes = (this.maskBytes = (L + 7) >> 3);
    const nValues = (h.weights_bytes - F * maskBytes) / 2;
    this.offset = new Int32Array(F + 1);
    this.masks = new Uint8Array(F * maskBytes);
    this.values = new Float64Array(nValues);
    const half = halves();
    let v = 0;
    for (let f = 0; f < F; f++) {
      this.offset[f] = v;
      let bits = 0;
      for (let k = 0; k < maskBytes; k++) {
        const m = data[p++];
        this.masks[f * maskBytes + k] = m;
        for (let x = m; x; x &= x - 1) bits++;
      }
      for (let j = 0; j < bits; j++, p += 2) this.values[v++] = half[data[p] | (data[p + 1] << 8)];
    }
    this.offset[F] = v;
    if (v !== nValues) throw new Error('langid model: weight count differs from its header');
    if (p !== data.length) throw new Error('langid model: trailing or missing bytes');
  }

  /** The child of `s` on byte `b`, or -1 (children are sorted by byte). */
  private child(s: number, b: number): number {
    let lo = this.firstChild[s], hi = lo + this.childCount[s] - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.byte[mid];
      if (v === b) return mid;
      if (v < b) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }

  /** The automaton's move from `s` on byte `b` (py3langid's tk_nextmove). */
  private move(s: number, b: number): number {
    for (;;) {
      const c = this.child(s, b);
      if (c >= 0) return c;
      if (s === 0) return 0;
      s = this.fail[s];
    }
  }

  /** The bytes py3langid scores: upper-case text lowered, NFC, UTF-8. */
  static encode(text: string): Uint8Array {
    if (isUpper(text)) text = text.toLowerCase();
    return utf8.encode(text.normalize('NFC'));
  }

  /**
   * One score per entry of `languages` (py3langid's `_decide`): the naive Bayes log-posterior, or with
   * `normProbs` the softmax of it divided by the square root of the byte count. A label listed twice
   * keeps one column (the first; the other is masked).
   */
  scores(text: string, normProbs = false): Float64Array {
    const bytes = LanguageIdentifier.encode(text);
    const counts = new Map<number, number>();
    let s = 0;
    for (const b of bytes) {
      s = this.move(s, b);
      const f = this.output[s];
      if (f >= 0) counts.set(f, (counts.get(f) ?? 0) + 1);
    }
    const L = this.languages.length;
    const out = new Float64Array(L);
    if (!counts.size) {
      out.fill(normProbs ? 0.0 : RAW_FLOOR); // (normalized, that is the uniform distribution below)
    } else {
      let total = 0;
      for (const [f, c] of counts) {
        const w = Math.log1p(c);
        total += w;
        const m = f * this.maskBytes;
        let v = this.offset[f];
        for (let j = 0; j < L; j++) {
          if ((this.masks[m + (j >> 3)] >> (j & 7)) & 1) out[j] += w * (this.values[v++] - this.floor[j]);
        }
      }
      for (let j = 0; j < L; j++) out[j] += total * this.floor[j] + this.pc[j];
    }
    if (normProbs) {
      const t = 1.0 / Math.sqrt(bytes.length || 1);
      let max = -Infinity;
      for (let j = 0; j < L; j++) { out[j] *= t; if (out[j] > max) max = out[j]; }
      let sum = 0;
      for (let j = 0; j < L; j++) { out[j] = Math.exp(out[j] - max); sum += out[j]; }
      for (let j = 0; j < L; j++) out[j] /= sum;
    }
    for (const [i, j] of this.aliases) {
      if (normProbs) { out[i] += out[j]; out[j] = 0.0; } else { out[i] = Math.max(out[i], out[j]); out[j] = RAW_FLOOR; }
    }
    return out;
  }

  /** [language, score] of the best-scoring language (the first on a tie), py3langid's classify. */
  classify(text: string, normProbs = false): [string, number] {
    const sc = this.scores(text, normProbs);
    let best = 0;
    for (let j = 1; j < sc.length; j++) if (sc[j] > sc[best]) best = j;
    return [this.languages[best], sc[best]];
  }

  /** Every language with its score, best first (py3langid's rank). */
  rank(text: string, normProbs = false): [string, number][] {
    const sc = this.scores(text, normProbs);
    const seen = new Map<string, number>();
    this.languages.forEach((c, j) => { if (!seen.has(c)) seen.set(c, sc[j]); });
    return [...seen.entries()].sort((a, b) => b[1] - a[1]);
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 to bytes (no atob: not every JavaScript engine has it). */
export function fromBase64(text: string): Uint8Array {
  const value = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) value[B64.charCodeAt(i)] = i;
  const body = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((body.length * 6) / 8));
  let acc = 0, bits = 0, o = 0;
  for (let i = 0; i < body.length; i++) {
    const v = value[body.charCodeAt(i)];
    if (v < 0) throw new Error('bad base64');
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) { bits -= 8; out[o++] = (acc >> bits) & 0xff; }
  }
  return out;
}

let shared: LanguageIdentifier | null = null;

/** The shipped model (js/data/langid.bin, built into the package), read once on first use. */
export async function languageIdentifier(): Promise<LanguageIdentifier> {
  if (!shared) {
    const { langidModel } = await import('./generated/langid-data.js');
    shared = new LanguageIdentifier(fromBase64(langidModel));
  }
  return shared;
}
