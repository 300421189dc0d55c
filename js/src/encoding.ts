/** (text, role, context) -> model windows (spec 3.8): [CLS] role text [SEP] context [SEP]. */
import { WordPieceTokenizer } from './tokenizer.js';
import { nameEmoji } from './emoji.js';
import { cpHead } from './pyclass.js';

export const ROLE_MARKERS: Record<string, string> = { prompt: 'user:', response: 'assistant:' };
export const CONTEXT_CHARS_PER_TOKEN = 16;

export interface EncodingConfig {
  max_length: number;
  context_tokens: number;
  stride: number;
  max_chunks: number;
  emoji_names: boolean;
}

/** Windows of one piece: unpadded rows of input ids and token type ids. */
export interface Windows {
  ids: number[][];
  types: number[][];
}

export interface Tokens {
  ids: number[];
  starts: number[];
  ends: number[];
}

function searchsorted(arr: number[], x: number, right: boolean): number {
  let lo = 0, hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (right ? arr[mid] <= x : arr[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The token range [a, b) of the pieces inside characters [start, end). */
export function between(t: Tokens, start: number, end: number): [number, number] {
  const a = searchsorted(t.starts, start, false);
  const b = searchsorted(t.ends, end, true);
  return [a, Math.max(a, b)];
}

export class TextEncoder {
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly roleIds: Record<string, number[]>;

  constructor(readonly tokenizer: WordPieceTokenizer, readonly config: EncodingConfig) {
    const special = (t: string) => {
      const id = tokenizer.tokenToId(t);
      if (id === undefined) throw new Error(`tokenizer has no ${t} token`);
      return id;
    };
    this.clsId = special('[CLS]');
    this.sepId = special('[SEP]');
    this.padId = special('[PAD]');
    this.roleIds = Object.fromEntries(Object.entries(ROLE_MARKERS).map(([r, m]) => [r, this.ids(m)]));
    const budget = config.max_length - 2 - Math.max(...Object.values(this.roleIds).map((v) => v.length));
    if (budget <= config.stride + 8) throw new Error(`max_length ${config.max_length} leaves no room for text`);
  }

  private ids(text: string): number[] {
    if (!text) return [];
    if (this.config.emoji_names) text = nameEmoji(text)[0];
    return this.tokenizer.encode(text).ids;
  }

  tokenize(text: string): Tokens {
    if (this.config.emoji_names) {
      const [named, s0, s1] = nameEmoji(text);
      const enc = this.tokenizer.encode(named);
      if (s0 && s1) {
        return { ids: enc.ids, starts: enc.starts.map((s) => s0[s]), ends: enc.ends.map((e, k) => s1[Math.max(e - 1, enc.starts[k])]) };
      }
      return enc;
    }
    return this.tokenizer.encode(text);
  }

  contextIds(context: string): number[] {
    if (!context) return [];
    const n = this.config.context_tokens;
    return this.ids(cpHead(context, n * CONTEXT_CHARS_PER_TOKEN)).slice(0, n);
  }

  room(role: string, ctx: number[]): number {
    return this.config.max_length - 1 - this.roleIds[role].length - 1 - (ctx.length ? ctx.length + 1 : 0);
  }

  windows(textIds: number[], role: string, ctx: number[], room?: number, stride?: number): Windows {
    const head = [this.clsId, ...this.roleIds[role]];
    const full = this.room(role, ctx);
    const r = room === undefined ? full : Math.min(room, full);
    const st = stride === undefined ? this.config.stride : stride;
    const step = Math.max(1, r - st);
    const starts: number[] = [];
    if (textIds.length > r) {
      for (let s = 0; s < Math.max(1, textIds.length - st); s += step) starts.push(s);
    } else starts.push(0);
    const second = ctx.length ? [...ctx, this.sepId] : [];
    const w: Windows = { ids: [], types: [] };
    for (const s of starts) {
      const first = [...head, ...textIds.slice(s, s + r), this.sepId];
      w.ids.push([...first, ...second]);
      w.types.push([...first.map(() => 0), ...second.map(() => 1)]);
    }
    return w;
  }
}
