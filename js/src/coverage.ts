/**
 * How much of a text the model can read, sentence by sentence (spec 3.12; runtime/scoring/coverage.py).
 * Averaged over a text, one long English sentence would launder a short Russian, German or Morse one;
 * the lowest share over the whole text and each sentence with a few unread characters is what the
 * min_coverage rule compares. Spans are UTF-16 indices; counts are code points, as Python's.
 */
import { encodedSpans } from './ciphers.js';
import type { Tokens } from './encoding.js';
import type { LanguageIdentifier } from './langid.js';
import { foreignSpans } from './languages.js';
import { L, isSpace, lettersMinus } from './pyclass.js';
import { LATIN, letterCoverage } from './verdict.js';

export const MIN_UNREAD = 3;
const LETTERS = new RegExp(`[${L}]+`, 'gu');
const NON_LATIN = new RegExp(`[${lettersMinus(LATIN)}]+`, 'gu');

/** What a piece leaves unread: sentences in another language, stretches that still look encoded. */
export interface Unread { foreign: [number, number][]; encoded: [number, number][] }

export function unreadSpans(text: string, sentences: [number, number][], languages: readonly string[], id: LanguageIdentifier): Unread {
  return { foreign: foreignSpans(id, text, sentences, languages), encoded: encodedSpans(text) };
}

/** The lowest share of readable characters over `text` and each of its `sentences` with >= MIN_UNREAD unread ones. */
export function sentenceCoverage(text: string, tokens: Tokens, unkId: number, sentences: [number, number][], unread: Unread): number {
  const whole = letterCoverage(text, tokens, unkId);
  const { foreign, encoded } = unread;
  if (whole === 1.0 && !encoded.length && !foreign.length) return 1.0;
  const n = text.length;
  // one flag per code point, kept at its first UTF-16 unit (the second unit of a pair stays 0)
  const second = new Uint8Array(n);
  for (let i = 1; i < n; i++) {
    const c = text.charCodeAt(i), p = text.charCodeAt(i - 1);
    if (c >= 0xdc00 && c <= 0xdfff && p >= 0xd800 && p <= 0xdbff) second[i] = 1;
  }
  const letters = new Uint8Array(n), bad = new Uint8Array(n);
  for (const m of text.matchAll(LETTERS)) letters.fill(1, m.index!, m.index! + m[0].length);
  if (whole < 1.0) {
    for (const m of text.matchAll(NON_LATIN)) bad.fill(1, m.index!, m.index! + m[0].length);
    tokens.ids.forEach((id, k) => {
      if (id !== unkId) return;
      for (let i = tokens.starts[k]; i < tokens.ends[k]; i++) bad[i] |= letters[i];
    });
  }
  for (const [a, b] of foreign) for (let i = a; i < b; i++) bad[i] |= letters[i];
  for (const [a, b] of encoded) {
    for (let i = a; i < b; i++) {
      const visible = second[i] ? 1 : isSpace(text.codePointAt(i)!) ? 0 : 1; // (spaces inside a run are not characters of it)
      letters[i] = visible;
      bad[i] = visible;
    }
  }
  const nLetters = new Int32Array(n + 1), nBad = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const keep = second[i] ? 0 : 1;
    nLetters[i + 1] = nLetters[i] + (letters[i] & keep);
    nBad[i + 1] = nBad[i] + (bad[i] & keep);
  }
  const total = nLetters[n], unreadAll = nBad[n];
  let lowest = total ? 1.0 - unreadAll / total : 1.0;
  for (const [a, b] of sentences) {
    const sTotal = nLetters[b] - nLetters[a], sBad = nBad[b] - nBad[a];
    if (sBad >= MIN_UNREAD && sTotal) lowest = Math.min(lowest, 1.0 - sBad / sTotal);
  }
  return Math.max(0.0, lowest);
}
