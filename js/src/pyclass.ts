/**
 * Python's character classes, from runtime/data/unicode-classes.json (spec section 2).
 *
 * Why not JavaScript's own \p{...}: the reference uses Python's `re` and `str` predicates of one
 * Unicode version; an engine ships another. Every regex of the port is built from these ranges,
 * so both runtimes agree character for character.
 */
import { unicode } from './generated/tables.js';

type Ranges = [number, number][];

function esc(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

/** A regex character-class body (no brackets) for inclusive code-point ranges. */
export function classBody(ranges: Ranges): string {
  return ranges.map(([a, b]) => (a === b ? esc(a) : `${esc(a)}-${esc(b)}`)).join('');
}

/** Ranges of `a` not in `b` (both sorted, disjoint). */
export function minus(a: Ranges, b: Ranges): Ranges {
  const out: Ranges = [];
  for (const [lo0, hi] of a) {
    let lo = lo0;
    for (const [blo, bhi] of b) {
      if (bhi < lo || blo > hi) continue;
      if (blo > lo) out.push([lo, blo - 1]);
      lo = Math.max(lo, bhi + 1);
      if (lo > hi) break;
    }
    if (lo <= hi) out.push([lo, hi]);
  }
  return out;
}

function inRanges(ranges: Ranges, cp: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = ranges[mid];
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
}

const ALNUM = unicode.alnum as Ranges;
const DECIMAL = unicode.decimal as Ranges;
const SPACE = unicode.space as Ranges;
const ALPHA = unicode.alpha as Ranges;
const PRINTABLE = unicode.printable as Ranges;
const DIGIT = unicode.digit as Ranges;

/** `[^\W_]` (str.isalnum) */
export const W = classBody(ALNUM);
/** `\d` (str.isdecimal) */
export const D = classBody(DECIMAL);
/** `\s` (str.isspace) */
export const S = classBody(SPACE);
/** `[^\W\d_]`: letters (alnum, not decimal) */
export const L = classBody(minus(ALNUM, DECIMAL));
export const A = classBody(ALPHA);

export const isAlnum = (cp: number) => inRanges(ALNUM, cp);
export const isAlpha = (cp: number) => inRanges(ALPHA, cp);
export const isSpace = (cp: number) => inRanges(SPACE, cp);
export const isPrintable = (cp: number) => inRanges(PRINTABLE, cp);
/** str.isdigit (decimal digits and other digits: superscripts, circled digits) */
export const isDigit = (cp: number) => inRanges(DIGIT, cp);
export const lettersMinus = (extra: Ranges) => classBody(minus(minus(ALNUM, DECIMAL), extra));

const STRIP = new RegExp(`^[${S}]+|[${S}]+$`, 'gu');
const SPLIT = new RegExp(`[${S}]+`, 'u');

/** Python's str.strip() (whitespace per str.isspace). */
export function pyStrip(s: string): string {
  return s.replace(STRIP, '');
}

/** Python's str.split() with no argument. */
export function pySplit(s: string): string[] {
  return pyStrip(s).split(SPLIT).filter((x) => x !== '');
}

/** Length in code points (Python's len). */
export function cpLen(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** UTF-16 index of code point `n` of `s` (s.length when past the end). */
export function cpIndex(s: string, n: number): number {
  if (n <= 0) return 0;
  let k = 0;
  for (let i = 0; i < s.length; i++) {
    if (k === n) return i;
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    k++;
  }
  return s.length;
}

/** Python's s[:n] (code points). */
export function cpHead(s: string, n: number): string {
  return s.slice(0, cpIndex(s, n));
}

/** Python's s[-n:] (code points; all of s when it is shorter). */
export function cpTail(s: string, n: number): string {
  const len = cpLen(s);
  return len <= n ? s : s.slice(cpIndex(s, len - n));
}

/** Python's s[::-1] (code points). */
export function cpReverse(s: string): string {
  return Array.from(s).reverse().join('');
}

/** Python's str.isascii(). */
export function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

/** Python's round(x, 4): the exact binary value rounded half to even. */
export function round4(x: number): number {
  if (!Number.isFinite(x)) return x;
  const neg = x < 0;
  const s = Math.abs(x).toFixed(100);
  const [int, frac] = s.split('.');
  const keep = frac.slice(0, 4);
  const rest = frac.slice(4);
  let digits = BigInt(int + keep);
  const first = rest.charCodeAt(0) - 48;
  const tail = /[1-9]/.test(rest.slice(1));
  if (first > 5 || (first === 5 && (tail || digits % 2n === 1n))) digits += 1n;
  const v = Number(digits) / 1e4;
  return neg ? -v : v;
}

/** Lone surrogates replaced by U+FFFD (what the reference does to any text before scoring). */
export function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}
