/** Checking a text while it is generated (spec 3.13; runtime/stream.py). */
import type { Guard } from './guard.js';
import { hasText } from './decoders.js';
import { cpLen, round4, S } from './pyclass.js';
import { N_OUTPUTS, type Role, type Verdict } from './verdict.js';

const SENTENCE_END = /[.!?;:\n。！？]/u;
const WORD_START = new RegExp(`[^${S}]+`, 'gu');
export const CHARS_PER_WORD_CAP = 16;

export class StreamChecker {
  readonly threshold: number;
  readonly everyTokens: number;
  readonly overlapWords: number;
  private tail = '';
  private pending: string[] = [];
  private pendingWords = 0;
  private pendingChars = 0;
  private max: Float64Array | null = null;
  private fired: [string, number, number | null] = ['text', 0, null];
  private views = 0;
  private truncated = false;
  private covered = 0;
  private chars = 0;
  private elapsedMs = 0;
  private result: Verdict | null = null;
  private chunks = 0;
  closed = false;

  constructor(private readonly guard: Guard, readonly role: Role, opts: { context?: string; threshold?: number; everyTokens?: number } = {}) {
    this.context = opts.context ?? '';
    this.threshold = guard.thresholdFor(role, opts.threshold);  // the role's own unless one is given (spec 1.2)
    this.everyTokens = opts.everyTokens ?? 32;
    if (!Number.isInteger(this.everyTokens) || this.everyTokens < 1) throw new RangeError(`everyTokens must be a positive integer`);
    this.overlapWords = guard.manifest.encoding.stride;
  }

  readonly context: string;

  async feed(piece: string): Promise<Verdict | null> {
    if (typeof piece !== 'string') throw new TypeError('piece must be a string');
    if (this.closed) throw new Error('stream is closed');
    if (this.result !== null) return this.result;
    if (!piece) return null;
    this.pending.push(piece);
    this.pendingChars += cpLen(piece);
    this.pendingWords += (piece.match(WORD_START) ?? []).length;
    if (this.pendingWords >= this.everyTokens || SENTENCE_END.test(piece) || this.pendingChars >= this.everyTokens * CHARS_PER_WORD_CAP) {
      await this.scorePending();
      if (this.max !== null && this.max[0] >= this.threshold) {
        this.result = this.makeVerdict(true);
        return this.result;
      }
    }
    return null;
  }

  async close(): Promise<Verdict> {
    if (this.result !== null) { this.closed = true; return this.result; }
    if (!this.closed) { await this.scorePending(); this.closed = true; }
    const stopped = this.max !== null && this.max[0] >= this.threshold;
    this.result = this.makeVerdict(stopped);
    return this.result;
  }

  private async scorePending(): Promise<void> {
    if (!this.pending.length) return;
    const fresh = this.pending.join('');
    const segment = this.tail + fresh;
    this.pending = []; this.pendingWords = 0; this.pendingChars = 0;
    this.tail = lastWords(segment, this.overlapWords);
    if (!hasText(fresh)) return; // only whitespace or invisible characters arrived (tag characters are text: decoded)
    const start = performance.now();
    const [{ scores }] = await this.guard.trace([segment], this.role, [this.context]);
    this.elapsedMs += performance.now() - start;
    if (this.max === null || scores.defended[0] > this.max[0]) {
      const window = scores.firedWindow + (scores.firedSegment === null ? this.chunks : 0);
      this.fired = [scores.firedView, window, scores.firedSegment];
    }
    this.max = this.max === null ? scores.defended : this.max.map((v, c) => Math.max(v, scores.defended[c]));
    this.views += scores.views;
    this.truncated ||= scores.truncated;
    this.covered += scores.coverage * cpLen(fresh);
    this.chars += cpLen(fresh);
    this.chunks += scores.chunks;
  }

  private makeVerdict(stopped: boolean): Verdict {
    const scores = this.max ?? new Float64Array(N_OUTPUTS);
    const coverage = this.chars ? round4(this.covered / this.chars) : 1.0;
    return this.guard.verdict(scores, this.threshold, this.role, { truncated: this.truncated, chunks: this.chunks, views: this.views,
      latencyMs: this.elapsedMs, stopped, view: this.fired[0], window: this.fired[1], segment: this.fired[2], coverage });
  }
}

function lastWords(text: string, n: number): string {
  if (n <= 0) return '';
  const chars = Array.from(text);
  let window = chars.slice(-n * CHARS_PER_WORD_CAP).join('');
  const starts = [...window.matchAll(WORD_START)].map((m) => m.index!);
  if (starts.length > n) window = window.slice(starts[starts.length - n]);
  return window;
}
