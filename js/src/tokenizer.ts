/**
 * A BERT WordPiece tokenizer that reads tokenizer.json and returns token ids with character
 * offsets (spec 3.3). Why written here: no JavaScript tokenizer we found returns WordPiece offsets
 * that match HF tokenizers' and runs alike in Node, browsers and React Native; the guard cuts
 * sentences out of token ids by those offsets. Its character behaviour comes from
 * runtime/data/bert-chars.json, probed from HF tokenizers itself. Offsets are UTF-16 indices.
 */
import { bert } from './generated/tables.js';

type Ranges = [number, number][];

function rangeSet(r: Ranges): (cp: number) => boolean {
  return (cp) => {
    let lo = 0, hi = r.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (cp < r[mid][0]) hi = mid - 1;
      else if (cp > r[mid][1]) lo = mid + 1;
      else return true;
    }
    return false;
  };
}

const removed = rangeSet(bert.removed as Ranges);
const cjk = rangeSet(bert.cjk as Ranges);
const punct = rangeSet(bert.punct as Ranges);
const MAP = new Map<number, string>(Object.entries(bert.map).map(([k, v]) => [Number(k), v]));

function hangul(cp: number): string {
  const s = cp - 0xac00;
  const l = 0x1100 + Math.floor(s / 588);
  const v = 0x1161 + Math.floor((s % 588) / 28);
  const t = 0x11a7 + (s % 28);
  return String.fromCharCode(l, v) + (t !== 0x11a7 ? String.fromCharCode(t) : '');
}

export interface Encoding {
  ids: number[];
  starts: number[];
  ends: number[];
}

interface AddedToken { id: number; content: string; special: boolean; normalized: boolean; single_word: boolean; lstrip: boolean; rstrip: boolean }

export class WordPieceTokenizer {
  readonly vocab: Map<string, number>;
  private readonly unkId: number;
  private readonly prefix: string;
  private readonly maxChars: number;
  private readonly added: AddedToken[];

  constructor(json: any) {
    const m = json?.model;
    if (m?.type !== 'WordPiece') throw new Error(`tokenizer.json: model ${m?.type} is not WordPiece`);
    const n = json.normalizer;
    const want = { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, lowercase: true };
    for (const [k, v] of Object.entries(want)) {
      if (n?.[k] !== v) throw new Error(`tokenizer.json: normalizer ${k}=${JSON.stringify(n?.[k])}; this runtime reads ${JSON.stringify(want)} with strip_accents null or true`);
    }
    if (!(n.strip_accents === null || n.strip_accents === true)) throw new Error('tokenizer.json: strip_accents false is not supported');
    if (json.pre_tokenizer?.type !== 'BertPreTokenizer') throw new Error(`tokenizer.json: pre_tokenizer ${json.pre_tokenizer?.type} is not BertPreTokenizer`);
    this.vocab = new Map(Object.entries(m.vocab as Record<string, number>));
    this.prefix = m.continuing_subword_prefix ?? '##';
    this.maxChars = m.max_input_chars_per_word ?? 100;
    const unk = this.vocab.get(m.unk_token);
    if (unk === undefined) throw new Error('tokenizer.json: no unk token in the vocabulary');
    this.unkId = unk;
    this.added = (json.added_tokens ?? []) as AddedToken[];
    for (const t of this.added) {
      if (t.normalized || t.single_word || t.lstrip || t.rstrip) {
        throw new Error(`tokenizer.json: added token ${t.content} has options this runtime does not read`);
      }
    }
  }

  tokenToId(token: string): number | undefined {
    return this.added.find((t) => t.content === token)?.id ?? this.vocab.get(token);
  }

  /** Ids and UTF-16 offsets of `text` without special tokens added around it. */
  encode(text: string): Encoding {
    const out: Encoding = { ids: [], starts: [], ends: [] };
    // Added tokens are matched in the raw text, leftmost first (longest at one start).
    let pos = 0;
    while (pos <= text.length) {
      let best: AddedToken | null = null;
      let bestAt = text.length;
      for (const t of this.added) {
        const at = text.indexOf(t.content, pos);
        if (at >= 0 && (at < bestAt || (at === bestAt && best !== null && t.content.length > best.content.length))) {
          best = t; bestAt = at;
        }
      }
      this.encodeSpan(text, pos, best ? bestAt : text.length, out);
      if (!best) break;
      out.ids.push(best.id); out.starts.push(bestAt); out.ends.push(bestAt + best.content.length);
      pos = bestAt + best.content.length;
    }
    return out;
  }

  private encodeSpan(text: string, from: number, to: number, out: Encoding): void {
    // Normalize character by character, keeping each output character's source span.
    const chars: string[] = [];
    const src0: number[] = [];
    const src1: number[] = [];
    for (let i = from; i < to;) {
      const cp = text.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      let o: string;
      if (cp === 0 || cp === 0xfffd || removed(cp)) o = '';
      else if (cjk(cp)) o = ` ${String.fromCodePoint(cp)} `;
      else if (cp >= 0xac00 && cp <= 0xd7a3) o = hangul(cp);
      else o = MAP.get(cp) ?? String.fromCodePoint(cp);
      for (const ch of o) { chars.push(ch); src0.push(i); src1.push(i + w); }
      i += w;
    }
    // Words: split at spaces; punctuation characters are words of their own.
    let word: number[] = [];
    const flush = () => {
      if (word.length) this.wordPiece(chars, word, src0, src1, out);
      word = [];
    };
    for (let k = 0; k < chars.length; k++) {
      const ch = chars[k];
      if (ch === ' ') { flush(); continue; }
      if (punct(ch.codePointAt(0)!)) { flush(); word = [k]; flush(); continue; }
      word.push(k);
    }
    flush();
  }

  private wordPiece(chars: string[], word: number[], src0: number[], src1: number[], out: Encoding): void {
    const n = word.length;
    if (n > this.maxChars) {
      out.ids.push(this.unkId); out.starts.push(src0[word[0]]); out.ends.push(src1[word[n - 1]]);
      return;
    }
    const pieces: [number, number, number][] = [];
    let start = 0;
    while (start < n) {
      let end = n;
      let found: number | undefined;
      while (start < end) {
        let sub = '';
        for (let k = start; k < end; k++) sub += chars[word[k]];
        if (start > 0) sub = this.prefix + sub;
        found = this.vocab.get(sub);
        if (found !== undefined) break;
        end -= 1;
      }
      if (found === undefined) {
        out.ids.push(this.unkId); out.starts.push(src0[word[0]]); out.ends.push(src1[word[n - 1]]);
        return;
      }
      pieces.push([found, start, end]);
      start = end;
    }
    for (const [id, a, b] of pieces) {
      out.ids.push(id); out.starts.push(src0[word[a]]); out.ends.push(src1[word[b - 1]]);
    }
  }
}
