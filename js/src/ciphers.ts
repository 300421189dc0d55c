/**
 * Classic ciphers an LLM decodes on request: Morse, binary bytes, A1Z26 numbers, Caesar shifts; and
 * the stretches that look like an encoding but did not decode (runtime/scoring/ciphers.py).
 *
 * Why apart from decoders.ts: those read machine encodings that either decode to bytes or do not;
 * these read hand ciphers whose decoding must also read as language before it is trusted ("- - - -"
 * is a divider, "1 2 3 4" a list). Every regex is Python's, with its classes built from the shared
 * Unicode tables (pyclass.ts). Spans are UTF-16 indices of the text.
 */
import { COMMON, LETTER_LOGP, MORSE } from './english.js';
import { unicode } from './generated/tables.js';
import { D, S, W, cpHead, isAlnum, isAlpha, isPrintable, pySplit, pyStrip } from './pyclass.js';

// ---------------------------------------------------------------- reads as English?
const ALPHA_WORD = /[A-Za-z]+/g;
export const ENGLISH_LOGP = -3.05;

/** [common English words, words] among the first `limit` words of `text`. */
export function commonHits(text: string, limit = 400): [number, number] {
  let hits = 0, words = 0;
  for (const m of text.matchAll(ALPHA_WORD)) {
    if (words >= limit) break;
    words += 1;
    if (COMMON.has(m[0].toLowerCase())) hits += 1;
  }
  return [hits, words];
}

/** [mean log-probability per ASCII letter under English letter frequencies, letters counted]. */
export function englishLogp(text: string, limit = 2000): [number, number] {
  const logps: number[] = [];
  for (const c of Array.from(cpHead(text, limit * 2).toLowerCase())) {
    const lp = LETTER_LOGP.get(c);
    if (lp !== undefined) {
      logps.push(lp);
      if (logps.length >= limit) break;
    }
  }
  if (!logps.length) return [0.0, 0];
  let sum = 0;
  for (const v of logps) sum += v;
  return [sum / logps.length, logps.length];
}

export function readsAsEnglish(text: string): boolean {
  const [hits, words] = commonHits(text);
  if (words >= 2) return hits >= 2 && hits >= 0.2 * words;
  const [logp, letters] = englishLogp(text);
  return letters >= 8 && logp >= ENGLISH_LOGP && new Set(Array.from(text.toLowerCase())).size >= 5;
}

const onOwnLine = (decoded: string) => `\n${decoded}\n`;
const countAlpha = (s: string) => { let n = 0; for (const ch of s) if (isAlpha(ch.codePointAt(0)!)) n++; return n; };

// ---------------------------------------------------------------- Caesar / ROT-N
export const CAESAR_MIN_WORDS = 3;

/** `text` with each ASCII letter moved `k` places on (shift(t, 13) is rot13). */
export function shift(text: string, k: number): string {
  const by = ((k % 26) + 26) % 26;
  return text.replace(/[A-Za-z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + by) % 26) + base);
  });
}

/** [shift, its common words, words] of the shift 1..25 whose reading holds the most common words. */
export function bestShift(clause: string): [number, number, number] {
  let best: [number, number, number] = [0, -1, 0];
  for (let k = 1; k < 26; k++) {
    const [hits, words] = commonHits(shift(clause, k));
    if (hits > best[1]) best = [k, hits, words];
  }
  return best;
}

/** [shift, mean log-probability per letter] of the shift 1..25 whose letters read most like English. */
export function bestLogpShift(clause: string): [number, number] {
  let best: [number, number] = [0, -99.0];
  for (let k = 1; k < 26; k++) {
    const [logp] = englishLogp(shift(clause, k));
    if (logp > best[1]) best = [k, logp];
  }
  return best;
}

// ---------------------------------------------------------------- Morse
const DOTS = '.·•∙';
const DASHES = '-_−–—';
const CODE = '[.·•∙\\-_−–—]{1,7}';
const MORSE_SEP = '(?:[ \\t]+/?|/)[ \\t]*';
const MORSE_RUN = new RegExp(`(?<![^${S}/|])${CODE}(?:${MORSE_SEP}${CODE}){3,}`, 'gu');
const WORD_BREAK = /[ \t]*\/[ \t]*|[ \t]{2,}/u;
export const MORSE_MIN_LETTERS = 4;

function toMorse(code: string): string {
  let out = '';
  for (const c of code) out += DOTS.includes(c) ? '.' : DASHES.includes(c) ? '-' : c;
  return out;
}

function morse(run: string, offset: number, text: string): string {
  const end = offset + run.length;
  if (end < text.length && isAlnum(text.codePointAt(end)!)) return run; // glued to a word: not Morse
  const words: string[] = [];
  for (const word of pyStrip(run).split(WORD_BREAK)) {
    const letters = pySplit(word).map((code) => MORSE.get(toMorse(code)));
    if (!letters.length || letters.includes(undefined)) return run;
    words.push(letters.join(''));
  }
  const decoded = words.join(' ');
  const distinct = new Set(Array.from(decoded));
  distinct.delete(' ');
  if (countAlpha(decoded) < MORSE_MIN_LETTERS || distinct.size < 3) return run;
  return onOwnLine(decoded);
}

export function decodeMorse(text: string): string {
  if (!text.includes('.') && !text.includes('-') && ![...'·•∙_−–—'].some((c) => text.includes(c))) return text;
  return text.replace(MORSE_RUN, (run: string, offset: number, whole: string) => morse(run, offset, whole));
}

// ---------------------------------------------------------------- binary bytes
const WORDCH = `${W}_`; // Python's \w
const BINARY_RUN = new RegExp(`(?<![${WORDCH}.])[01]{7,8}(?:[ \\t,;]+[01]{7,8}){3,}|(?<![${WORDCH}.])[01]{32,}`, 'gu');
const STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function binary(run: string): string {
  let groups = pySplit(run.replace(/,/g, ' ').replace(/;/g, ' '));
  if (groups.length === 1) {
    if (run.length % 8) return run;
    groups = [];
    for (let i = 0; i < run.length; i += 8) groups.push(run.slice(i, i + 8));
  }
  let decoded: string;
  try {
    decoded = STRICT.decode(Uint8Array.from(groups.map((g) => parseInt(g, 2))));
  } catch {
    return run;
  }
  const chars = Array.from(decoded);
  let printable = 0, letters = 0;
  for (const ch of chars) {
    const cp = ch.codePointAt(0)!;
    if (isPrintable(cp) || ch === '\n' || ch === '\t') printable++;
    if (isAlpha(cp)) letters++;
  }
  if (printable < chars.length || letters < 0.5 * chars.length) return run;
  return onOwnLine(decoded);
}

export function decodeBinary(text: string): string {
  if (!text.includes('0000') && !text.includes('01')) return text;
  return text.replace(BINARY_RUN, binary);
}

// ---------------------------------------------------------------- A1Z26
const NUM = `[${D}]{1,2}(?![${D}])`;
const A1Z26_RUN = new RegExp(`(?<![${WORDCH}.,\\-])${NUM}(?:(?:[ \\t]*[\\-/][ \\t]*|[ \\t]+)${NUM}){3,}`, 'gu');
const DIGIT = new RegExp(`[${D}]`, 'u');
const DIGITS = new RegExp(`[${D}]+`, 'gu');
export const A1Z26_MIN_LETTERS = 5;

/** Python's int() of a string of Unicode decimal digits (each block of ten starts at a zero). */
export function pyInt(digits: string): number {
  let n = 0;
  for (const ch of digits) {
    const cp = ch.codePointAt(0)!;
    n = n * 10 + (cp <= 0x39 ? cp - 0x30 : decimalValue(cp));
  }
  return n;
}

function decimalValue(cp: number): number {
  for (const [a, b] of unicode.decimal as [number, number][]) if (cp >= a && cp <= b) return (cp - a) % 10;
  return NaN;
}

function a1z26(match: string): string {
  const run = pyStrip(match);
  let groups: string[][];
  if (run.includes('-')) {
    groups = run.replace(/[ \t]*-[ \t]*/g, '-').split(/[ \t]*\/[ \t]*|[ \t]+/).map((w) => w.split('-'));
  } else {
    groups = run.split(WORD_BREAK).map((w) => pySplit(w));
  }
  const words: string[] = [];
  for (const group of groups) {
    const numbers = group.filter((p) => p).map(pyInt);
    if (!numbers.length || numbers.some((n) => !(n >= 1 && n <= 26))) return match;
    words.push(numbers.map((n) => String.fromCharCode(96 + n)).join(''));
  }
  const decoded = words.join(' ');
  if (countAlpha(decoded) < A1Z26_MIN_LETTERS) return match;
  const dashed = run.includes('-') && words.length >= 2 && words.filter((w) => w.length > 1).length >= 2;
  if (!dashed && !readsAsEnglish(decoded)) return match;
  return onOwnLine(decoded);
}

export function decodeA1z26(text: string): string {
  if (!DIGIT.test(text)) return text;
  return text.replace(A1Z26_RUN, a1z26);
}

/** Morse, binary and A1Z26 runs decoded (see each decoder). */
export function decodeCiphers(text: string): string {
  return decodeA1z26(decodeBinary(decodeMorse(text)));
}

// ---------------------------------------------------------------- what is still encoded
const STILL_MORSE = new RegExp(`(?<![^${S}/|])${CODE}(?:${MORSE_SEP}${CODE}){5,}`, 'gu');
const STILL_BINARY = new RegExp(`(?<![${WORDCH}.])[01]{5,8}(?:[ \\t,;]+[01]{5,8}){3,}|(?<![${WORDCH}.])[01]{24,}`, 'gu');
const STILL_HEX = /(?<![0-9A-Za-z])[0-9A-Fa-f]{48,}|(?<![0-9A-Za-z])[0-9A-Fa-f]{2}(?:[ :][0-9A-Fa-f]{2}){11,}/gu;
const STILL_NUMBERS = new RegExp(`(?<![${WORDCH}.,\\-])${NUM}(?:[ \\t]*[\\-/][ \\t]*${NUM}|[ \\t]+${NUM}){7,}`, 'gu');
export const HASH_LENGTHS = [64, 128];

/**
 * [start, end) spans of `text` that look like an encoding a reader would have to decode (Morse,
 * binary, long hex, many numbers of 1..26 only); ordinary numbers, code, URLs, hashes are not.
 */
export function encodedSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  for (const m of text.matchAll(STILL_MORSE)) {
    const run = toMorse(m[0]);
    let marks = 0;
    for (const c of run) if (c === '.' || c === '-') marks++;
    if (run.includes('.') && run.includes('-') && marks >= 8) spans.push([m.index!, m.index! + m[0].length]);
  }
  if (text.includes('0') && text.includes('1')) {
    for (const m of text.matchAll(STILL_BINARY)) spans.push([m.index!, m.index! + m[0].length]);
  }
  for (const m of text.matchAll(STILL_HEX)) {
    const run = m[0];
    if ((run.includes(' ') || run.includes(':') || !HASH_LENGTHS.includes(run.length)) && /[0-9]/.test(run) && /[A-Za-z]/.test(run)) {
      spans.push([m.index!, m.index! + run.length]);
    }
  }
  for (const m of text.matchAll(STILL_NUMBERS)) {
    const numbers = (m[0].match(DIGITS) ?? []).map(pyInt);
    if (numbers.every((n) => n >= 1 && n <= 26)) spans.push([m.index!, m.index! + m[0].length]);
  }
  return spans;
}
