/** Spaced-out letters joined; letter-by-letter text read back as words (spec 3.5). */
import { L, W, cpLen, pySplit } from './pyclass.js';

const GAP = '(?:[ \\t]?[.\\-_*|/\\\\·•~+^=:!]{1,2}[ \\t]?|[ \\t])';
const SPACED = new RegExp(`(?<![${W}])[${W}](?:${GAP}[${W}](?![${W}])){2,}`, 'gu');
const GAP_RE = new RegExp(GAP, 'gu');
const LETTER_RUN = new RegExp(`[${L}]+`, 'gu');
const WIDE_GAP = /[ \t]{2,}|[ \t]*[/|][ \t]*/gu;
const SINGLE_SPACED = new RegExp(`(?<![${W}])[${L}](?: [${L}](?![${W}])){2,}`, 'gu');

export const MAX_WORD = 18;
export const SPACED_SHARE = 0.3;
export const CONTINUATION_COST = 2.0;
export const WIDE_LAYOUT = 0.5;

/** Word costs from a WordPiece vocabulary's ranks (spec 3.5.3). */
export class Lexicon {
  constructor(readonly words: Map<string, number>, readonly pieces: Map<string, number>) {}

  static fromVocab(vocab: Map<string, number>): Lexicon {
    const entries = [...vocab.entries()]
      .filter(([w]) => /^[\x00-\x7f]*$/.test(w) && /^[A-Za-z]+$/.test(w.replace(/^#+/, '')))
      .map(([w, i]) => [i, w] as [number, string])
      .sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    const isLower = (s: string) => /[a-z]/.test(s) && !/[A-Z]/.test(s);
    const words = entries.map(([, w]) => w)
      .filter((w) => isLower(w) && !w.startsWith('#') && (w.length > 1 || w === 'a' || w === 'i'));
    const pieces = entries.map(([, w]) => w).filter((w) => w.startsWith('##') && isLower(w.slice(2))).map((w) => w.slice(2));
    const scale = Math.log(Math.max(words.length, 2));
    const byRank = words.map((w, k) => ({ w, k, key0: w.length > 1 ? 1 : 0, key1: vocab.get(w)! }))
      .sort((a, b) => a.key0 - b.key0 || a.key1 - b.key1 || a.k - b.k);
    const cost = new Map<string, number>();
    byRank.forEach(({ w }, r) => cost.set(w, Math.log((r + 1) * scale)));
    const pieceCost = new Map<string, number>();
    pieces.forEach((w, r) => pieceCost.set(w, Math.log((r + 1) * scale) + CONTINUATION_COST));
    return new Lexicon(cost, pieceCost);
  }

  get size(): number {
    return this.words.size;
  }
}

function isSpaceOnly(g: string): boolean {
  return /^[ \t]+$/.test(g);
}

function join(run: string): string {
  const gaps = run.match(GAP_RE) ?? [];
  if (gaps.some((g) => !isSpaceOnly(g))) return run.replace(GAP_RE, (g) => (isSpaceOnly(g) ? ' ' : ''));
  return run.replace(GAP_RE, '');
}

export function foldDespace(text: string): string {
  return text.replace(SPACED, (m) => join(m));
}

export function despaceKeepArticle(text: string): string {
  return text.replace(SPACED, (run) => {
    if ('aAiI'.includes(run[0]) && ' \t'.includes(run[1]) && cpLen(run.replace(GAP_RE, '')) >= 4) {
      return run[0] + ' ' + join(run.slice(2));
    }
    return join(run);
  });
}

export function spacedShare(text: string): number {
  let letters = 0;
  for (const m of text.matchAll(LETTER_RUN)) letters += cpLen(m[0]);
  if (!letters) return 0.0;
  let spaced = 0;
  for (const m of text.matchAll(SPACED)) spaced += cpLen(m[0].replace(GAP_RE, ''));
  return spaced / letters;
}

export function isSpelledOut(text: string): boolean {
  return spacedShare(text) >= SPACED_SHARE;
}

export function respace(text: string, lexicon: Lexicon | null): string {
  if (wideLayout(text)) {
    return text.split(WIDE_GAP).filter((p) => pySplit(p).length > 0).map(readWord).join(' ');
  }
  return foldDespace(text.replace(SINGLE_SPACED, (m) => splitWords(m.replace(/ /g, ''), lexicon)));
}

function wideLayout(text: string): boolean {
  const wide = (text.match(WIDE_GAP) ?? []).length;
  const runs = (text.match(SPACED) ?? []).length;
  return wide >= 1 && wide >= WIDE_LAYOUT * (runs - 1);
}

function readWord(part: string): string {
  const bits = pySplit(part);
  return bits.length && bits.every((b) => cpLen(b) === 1) ? bits.join('') : foldDespace(part);
}

/** Letters split into the most likely words of the lexicon (a shortest path; spec 3.5.3). */
export function splitWords(letters: string, lexicon: Lexicon | null): string {
  if (!lexicon || !lexicon.size) return letters;
  const low = Array.from(letters.toLowerCase());
  const orig = Array.from(letters);
  const n = low.length;
  let maxCost = -Infinity;
  for (const v of lexicon.words.values()) if (v > maxCost) maxCost = v;
  const unknown = (lexicon.words.size ? maxCost : 10.0) + 5.0;
  const cost: number[] = [0.0, ...new Array(n).fill(Infinity)];
  const back: [number, boolean][] = new Array(n + 1).fill([0, true]);
  for (let j = 1; j <= n; j++) {
    for (let i = Math.max(0, j - MAX_WORD); i < j; i++) {
      if (cost[i] === Infinity) continue;
      const w = low.slice(i, j).join('');
      let c = lexicon.words.get(w);
      if (c !== undefined && cost[i] + c < cost[j]) { cost[j] = cost[i] + c; back[j] = [i, true]; }
      c = i > 0 ? lexicon.pieces.get(w) : undefined;
      if (c !== undefined && cost[i] + c < cost[j]) { cost[j] = cost[i] + c; back[j] = [i, false]; }
    }
    if (cost[j - 1] + unknown < cost[j]) { cost[j] = cost[j - 1] + unknown; back[j] = [j - 1, true]; }
  }
  const out: string[] = [];
  let j = n;
  while (j > 0) {
    const [i, isNew] = back[j];
    out.push((isNew && i > 0 ? ' ' : '') + orig.slice(i, j).join(''));
    j = i;
  }
  return out.reverse().join('');
}
