/**
 * Which Latin-script sentences of a text are in a language the model was not trained on (spec 3.16;
 * runtime/scoring/languages.py). Script coverage sees Cyrillic or Chinese, but German or Vietnamese
 * are written in the Latin letters the model reads, so it would score them as noise; a sentence called
 * a language outside the bundle's `languages` counts as unread instead.
 */
import type { LanguageIdentifier } from './langid.js';
import { cpLen } from './pyclass.js';

export const DEFAULT_LANGUAGES: readonly string[] = ['en'];
export const MIN_LETTERS = 16;
export const WHOLE_MIN_LETTERS = 40;
export const CODE_SHARE = 0.01;
export const MIN_CONFIDENCE = 0.9;
const LATIN_LETTER = /[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]/g;
const CODE_CHAR = /[{}()=;$<>[\]_\\|#@*/`]/g;

const count = (re: RegExp, text: string) => (text.match(re) ?? []).length;

/** The language of `text` when its probability is at least MIN_CONFIDENCE, else null. */
export function detect(id: LanguageIdentifier, text: string): string | null {
  const [code, confidence] = id.classify(text, true);
  return confidence >= MIN_CONFIDENCE ? code : null;
}

/** Whether a sentence is long enough, and free of code, for a language call. */
export function called(stretch: string): boolean {
  return count(LATIN_LETTER, stretch) >= MIN_LETTERS && !/[{}()=;$<>[\]_\\|#@*/`]/.test(stretch);
}

/** The `spans` (sentences of `text`) in a language outside `languages`; the whole text when no sentence is called but it is. */
export function foreignSpans(id: LanguageIdentifier, text: string, spans: [number, number][], languages: readonly string[]): [number, number][] {
  const out: [number, number][] = [];
  let anyCalled = false;
  for (const [start, end] of spans) {
    const sentence = text.slice(start, end);
    if (!called(sentence)) continue;
    anyCalled = true;
    const code = detect(id, sentence);
    if (code !== null && !languages.includes(code)) out.push([start, end]);
  }
  if (!anyCalled && count(LATIN_LETTER, text) >= WHOLE_MIN_LETTERS && count(CODE_CHAR, text) <= CODE_SHARE * cpLen(text)) {
    const code = detect(id, text);
    if (code !== null && !languages.includes(code)) out.push([0, text.length]);
  }
  return out;
}
