/**
 * Sentences, lines and clauses scored alone (spec 3.7; runtime/scoring/segments.py). A sentence that
 * conjunctions splice requests onto ("I love pasta and how do I make ...") also gives its clauses as
 * segments, the sentence itself staying one. Spans are UTF-16 indices of the text.
 */
import { CONJUNCTIONS, REQUEST_OPENERS } from './english.js';
import { L, S, W, pyStrip } from './pyclass.js';

export const SEGMENT_TOKENS = 32;
export const SCAN_ABOVE = 48;
export const SCAN_TOKENS = 20;
export const SCAN_STRIDE = 10;
export const MIN_SEGMENT_WORDS = 2;

const ENDS = '.!?;:…。！？；：';
const BOUNDARY = new RegExp(
  `(?<![${ENDS}])[${ENDS}]+["'”’)\\]]*(?=[${S}]|$)|[。！？；]|\\n|,(?=[${S}]+[A-Z])`, 'gu');
const WORD = new RegExp(`[${L}]{2,}`, 'gu');

/** Python's (?i:word): each letter with every character its ignore-case match accepts. */
const FOLDS: Record<string, string> = { i: 'iIİı', k: 'kKK', s: 'sSſ' };
const caseless = (word: string) => [...word].map((c) => `[${FOLDS[c] ?? c + c.toUpperCase()}]`).join('');
const anyOf = (words: readonly string[]) => words.map(caseless).join('|');
// (?<=\w),?[ \t]+(?i:CONJ)(?:[ \t]+(?i:also|then))?(?=[ \t]+(?i:OPENER)\b), or (1.1, a sentence whose full stop
// is missing: "... in the park How do I ...") (?<=[a-z])[ \t]+(?=(?:Opener)\b), case-sensitive, the opener's first
// letter upper-cased (Python's str.capitalize; the openers are lower-case ASCII); \b after a letter: no \w next
const capitalized = (w: string) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase();
const SPLICE = new RegExp(`(?<=[${W}_]),?[ \\t]+(?:${anyOf(CONJUNCTIONS)})(?:[ \\t]+(?:${anyOf(['also', 'then'])}))?` +
  `(?=[ \\t]+(?:${anyOf(REQUEST_OPENERS)})(?![${W}_]))` +
  `|(?<=[a-z])[ \\t]+(?=(?:${REQUEST_OPENERS.map(capitalized).join('|')})(?![${W}_]))`, 'gu');

export function segmentSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  let start = 0;
  for (const m of text.matchAll(BOUNDARY)) {
    const end = m.index! + m[0].length;
    addSpliced(text, start, end, spans);
    start = end;
  }
  addSpliced(text, start, text.length, spans);
  return spans;
}

/** The sentence, then (when conjunctions splice requests onto it) its clauses too. */
function addSpliced(text: string, start: number, end: number, spans: [number, number][]): void {
  add(text, start, end, spans);
  let cut = start;
  // Python's finditer(text, start, end): look-behind sees before start, look-ahead stops at end
  const bounded = text.slice(0, end);
  SPLICE.lastIndex = start;
  for (let m = SPLICE.exec(bounded); m; m = SPLICE.exec(bounded)) {
    const stop = m.index + m[0].length;
    add(text, cut, stop, spans);
    cut = stop;
  }
  if (cut > start) add(text, cut, end, spans);
}

/**
 * Spans of every sentence, line and clause of `text` (segmentSpans' boundaries, no word count),
 * blank ones left out.
 */
export function sentenceSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  let start = 0;
  for (const m of text.matchAll(BOUNDARY)) {
    const end = m.index! + m[0].length;
    const part = text.slice(start, end);
    if (!(part.length && pyStrip(part) === '') && end > start) spans.push([start, end]);
    start = end;
  }
  if (pyStrip(text.slice(start))) spans.push([start, text.length]);
  return spans;
}

/** The text up to its first sentence end, line break or spliced comma (all of it when none, or when that part is blank). */
export function firstSentence(text: string): string {
  const m = new RegExp(BOUNDARY.source, 'u').exec(text);
  if (m === null) return text;
  const head = text.slice(0, m.index + m[0].length);
  return pyStrip(head) ? head : text;
}

/**
 * The text after its last boundary but one when it ends on a boundary, else after its last: its last
 * sentence or unfinished clause. `text` should be a bounded tail (the scan is linear in it).
 */
export function lastSentence(text: string): string {
  const ends = [...text.matchAll(BOUNDARY)].map((m) => m.index! + m[0].length);
  if (ends.length && !pyStrip(text.slice(ends[ends.length - 1]))) ends.pop(); // it ends on a boundary: the last whole sentence
  return ends.length ? text.slice(ends[ends.length - 1]) : text;
}

function add(text: string, start: number, end: number, spans: [number, number][]): void {
  const part = text.slice(start, end);
  let words = 0;
  for (const _ of part.matchAll(WORD)) {
    words += 1;
    if (words >= MIN_SEGMENT_WORDS) {
      spans.push([start, end]);
      return;
    }
  }
}
