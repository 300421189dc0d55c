/** Pictographs as words (spec 3.4, only when the manifest's encoding has emoji_names). */
import { emoji } from './generated/tables.js';

const ENCLOSED = new Map<number, string>();
for (let i = 0; i < 26; i++) {
  const ch = String.fromCharCode(0x61 + i);
  ENCLOSED.set(0x1f1e6 + i, ch);
  ENCLOSED.set(0x1f150 + i, ch);
  ENCLOSED.set(0x1f170 + i, ch);
}
export { ENCLOSED };
export const ENCLOSED_CLASS = '[\\u{1F1E6}-\\u{1F1FF}\\u{1F150}-\\u{1F169}\\u{1F170}-\\u{1F189}]';
export const EMOJI_CLASS = '[\\u2190-\\u21ff\\u2300-\\u23ff\\u25a0-\\u27bf\\u2900-\\u297f\\u2b00-\\u2bff\\u3030\\u303d\\u3297\\u3299' +
  '\\u{1F000}-\\u{1F14F}\\u{1F18A}-\\u{1F1E5}\\u{1F200}-\\u{1FAFF}]';
const RENAMED = new Map<number, string>([[0x1f52a, 'kitchen knife']]);
const PICTOGRAPH = new RegExp(`${ENCLOSED_CLASS}|${EMOJI_CLASS}|\\u20e3`, 'gu');
const NAMES = emoji.names;

function dropped(cp: number): boolean {
  return (cp >= 0x1f3fb && cp < 0x1f400) || cp === 0x20e3;
}

export function emojiWord(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const letter = ENCLOSED.get(cp);
  if (letter !== undefined) return letter;
  if (dropped(cp)) return '';
  const renamed = RENAMED.get(cp);
  if (renamed !== undefined) return ` ${renamed} `;
  const name = NAMES[String(cp)];
  return name ? ` ${name} ` : ' ';
}

/**
 * (text with pictographs written as words, srcStart, srcEnd): for each UTF-16 unit i of the output,
 * the UTF-16 span [srcStart[i], srcEnd[i]) of the input character it came from; null when unchanged.
 */
export function nameEmoji(text: string): [string, Int32Array | null, Int32Array | null] {
  PICTOGRAPH.lastIndex = 0;
  if (/^[\x00-\x7f]*$/.test(text) || !PICTOGRAPH.test(text)) return [text, null, null];
  PICTOGRAPH.lastIndex = 0;
  const parts: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const copy = (a: number, b: number) => {
    for (let i = a; i < b; i++) {
      const c = text.charCodeAt(i);
      const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < b && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      const w = pair ? 2 : 1;
      for (let k = 0; k < w; k++) { starts.push(i); ends.push(i + w); }
      i += w - 1;
    }
    parts.push(text.slice(a, b));
  };
  let last = 0;
  for (const m of text.matchAll(PICTOGRAPH)) {
    const start = m.index!;
    if (start > last) copy(last, start);
    const word = emojiWord(m[0]);
    if (word) {
      parts.push(word);
      for (let k = 0; k < word.length; k++) { starts.push(start); ends.push(start + m[0].length); }
    }
    last = start + m[0].length;
  }
  copy(last, text.length);
  return [parts.join(''), Int32Array.from(starts), Int32Array.from(ends)];
}
