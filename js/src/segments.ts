/** Sentences, lines and clauses scored alone (spec 3.7). Spans are UTF-16 indices of the text. */
import { L, S } from './pyclass.js';

export const SEGMENT_TOKENS = 32;
export const SCAN_ABOVE = 48;
export const SCAN_TOKENS = 20;
export const SCAN_STRIDE = 10;
export const MIN_SEGMENT_WORDS = 2;

const ENDS = '.!?;:…。！？；：';
const BOUNDARY = new RegExp(
  `(?<![${ENDS}])[${ENDS}]+["'”’)\\]]*(?=[${S}]|$)|[。！？；]|\\n|,(?=[${S}]+[A-Z])`, 'gu');
const WORD = new RegExp(`[${L}]{2,}`, 'gu');

export function segmentSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  let start = 0;
  for (const m of text.matchAll(BOUNDARY)) {
    const end = m.index! + m[0].length;
    add(text, start, end, spans);
    start = end;
  }
  add(text, start, text.length, spans);
  return spans;
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
