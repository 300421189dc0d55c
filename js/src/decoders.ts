/** Hidden channels: tag characters, right-to-left overrides, escapes, hex, base64, URL-encoding, Morse, binary, A1Z26, Caesar shifts, reversed clauses (spec 3.6). */
import { A, S, wellFormed, cpHead, cpLen, cpReverse, isAlpha, isPrintable, isSpace, pyStrip } from './pyclass.js';
import { CAESAR_MIN_WORDS, bestLogpShift, bestShift, commonHits, decodeCiphers, englishLogp, shift } from './ciphers.js';
import { normalize, stripInvisible } from './normalize.js';

export const DECODE_DEPTH = 2;

const TAG_RUN = /[\u{e0000}-\u{e007f}]+/gu;
const OVERRIDE = /\u202e([^\u202c\u2069\n\u202e]*)/gu;

export function revealHidden(raw: string): string | null {
  TAG_RUN.lastIndex = 0;
  if (!TAG_RUN.test(raw)) return null;
  return raw.replace(TAG_RUN, (run) => {
    let visible = '';
    for (const ch of run) {
      const cp = ch.codePointAt(0)!;
      if (cp >= 0xe0020 && cp <= 0xe007e) visible += String.fromCharCode(cp - 0xe0000);
    }
    return pyStrip(visible) ? `\n${visible}\n` : '';
  });
}

/**
 * Whether `raw` holds anything to check: visible text once normalized, or text hidden in tag characters
 * (a text made only of them is a request in disguise, not an empty text). Spec 3.1; decoders.has_text.
 */
export function hasText(raw: string): boolean {
  if (pyStrip(normalize(raw))) return true;
  const revealed = revealHidden(raw);
  return revealed !== null && pyStrip(normalize(revealed)) !== '';
}

export function displayOrder(raw: string): string | null {
  if (!raw.includes('\u202e')) return null;
  return raw.replace(OVERRIDE, (_m, g1: string) => '\n' + cpReverse(g1) + '\n');
}

// ---------------------------------------------------------------- escapes
const ESC = '(?:\\\\u\\{[0-9A-Fa-f]{1,6}\\}|\\\\u[0-9A-Fa-f]{4}|\\\\U[0-9A-Fa-f]{8}|&#[xX][0-9A-Fa-f]{1,6};|&#[0-9]{1,7};)';
const ESCAPES = new RegExp(`${ESC}(?:[ \\t]*${ESC})*`, 'gu');
const ONE_ESCAPE = new RegExp(ESC, 'gu');
export const MIN_ESCAPES = 3;

function codePoint(esc: string): number {
  if (esc.startsWith('&#')) {
    const body = esc.slice(2, -1);
    return 'xX'.includes(body[0]) ? parseInt(body.slice(1), 16) : parseInt(body, 10);
  }
  return parseInt(esc.slice(2).replace(/^\{+|\}+$/g, ''), 16);
}

function unescapeRun(run: string): string {
  let text = '';
  for (const e of run.matchAll(ONE_ESCAPE)) {
    const cp = codePoint(e[0]);
    text += cp <= 0x10ffff ? (cp < 0x10000 ? String.fromCharCode(cp) : String.fromCodePoint(cp)) : '\ufffd';
  }
  return '\n' + wellFormed(text) + '\n';
}

export function decodeEscapes(text: string): string {
  if (!text.includes('\\') && !text.includes('&#')) return text;
  let n = 0;
  for (const _ of text.matchAll(ONE_ESCAPE)) if (++n >= MIN_ESCAPES) break;
  if (n < MIN_ESCAPES) return text;
  return text.replace(ESCAPES, unescapeRun);
}

// ---------------------------------------------------------------- hex, base64, URL
const B64 = /(?<![A-Za-z0-9+/=_\-])(?:[A-Za-z0-9+/_\-]{8,}={0,2}|[A-Za-z0-9+/_\-]{4,7}={1,2})(?![A-Za-z0-9+/=_\-])/gu;
const HEX = new RegExp('(?<![0-9A-Za-z])(?:0x)?((?:[0-9A-Fa-f]{2}){4,})(?![0-9A-Za-z])' +
  '|(?<![0-9A-Za-z])((?:[0-9A-Fa-f]{2}[ :]){3,}[0-9A-Fa-f]{2})(?![0-9A-Za-z])' +
  '|((?:\\\\x[0-9A-Fa-f]{2}){3,})', 'gu');
const OCTAL = /(?:\\[0-7]{3}){3,}/gu;
const URL_RUN = /(?:%[0-9A-Fa-f]{2}){2,}/gu;
const URL1 = /%[0-9A-Fa-f]{2}/gu;
const NESTED = new RegExp(`^(?:(?:[0-9A-Fa-f]{2}[ :]?){4,}|(?:%[0-9A-Fa-f]{2}){3,}|${ESC}(?:[${S}]*${ESC}){2,}` +
  '|(?:\\\\x[0-9A-Fa-f]{2}){3,})$', 'u');

const STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LENIENT = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

function printableText(data: Uint8Array): string | null {
  let text: string;
  try {
    text = STRICT.decode(data);
  } catch {
    return null;
  }
  text = stripInvisible(text);
  const chars = Array.from(text);
  if (chars.length < 3) return null;
  let printable = 0, asciiPrintable = 0, wordish = 0;
  for (const ch of chars) {
    const cp = ch.codePointAt(0)!;
    if (isPrintable(cp) || ch === '\n' || ch === '\t') printable++;
    if ((cp >= 0x20 && cp <= 0x7e) || ch === '\n' || ch === '\t') asciiPrintable++;
    if (isAlpha(cp) || ch === ' ') wordish++;
  }
  const n = chars.length;
  if (printable < 0.95 * n) return null;
  if (wordish < 0.6 * n && !(asciiPrintable === n && NESTED.test(pyStrip(text)))) return null;
  if (n < 16 && asciiPrintable < n) return null;
  return text;
}

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Map([...B64_ALPHABET].map((c, i) => [c, i]));

function b64bytes(body: string): Uint8Array | null {
  const out: number[] = [];
  let acc = 0, bits = 0;
  for (const c of body) {
    const v = B64_VALUE.get(c);
    if (v === undefined) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
    acc &= (1 << bits) - 1;
  }
  return Uint8Array.from(out);
}

function b64(token: string): string {
  const body = token.replace(/=+$/, '');
  if (body.length % 4 === 1) return token;
  const alt = body.includes('-') || body.includes('_');
  const std = alt ? body.replace(/-/g, '+').replace(/_/g, '/') : body;
  const raw = b64bytes(std);
  if (raw === null) return token;
  const decoded = printableText(raw);
  return decoded === null ? token : `\n${decoded}\n`;
}

function hexBytes(digits: string): Uint8Array {
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function hex(m: string, g1?: string, g2?: string, g3?: string): string {
  const digits = (g1 || g2 || g3 || '').replace(/\\x/g, '').replace(/[^0-9A-Fa-f]/g, '');
  if (digits.length % 2) return m;
  const decoded = printableText(hexBytes(digits));
  return decoded === null ? m : `\n${decoded}\n`;
}

function octal(m: string): string {
  const bytes = Uint8Array.from(m.split('\\').slice(1).map((o) => parseInt(o, 8) & 0xff));
  const decoded = printableText(bytes);
  return decoded === null ? m : `\n${decoded}\n`;
}

function urlRun(m: string): string {
  const decoded = printableText(hexBytes(m.replace(/%/g, '')));
  return decoded === null ? m : `\n${decoded}\n`;
}

const HEX_DIGIT = /^[0-9A-Fa-f]{2}$/;

/** Python's urllib.parse.unquote(text, errors="replace"). */
export function unquote(text: string): string {
  if (!text.includes('%')) return text;
  return text.replace(/[\x00-\x7f]+/g, (run) => {
    const bits = run.split('%');
    if (bits.length === 1) return run;
    const out: number[] = [...bits[0]].map((c) => c.charCodeAt(0));
    for (const item of bits.slice(1)) {
      if (HEX_DIGIT.test(item.slice(0, 2))) {
        out.push(parseInt(item.slice(0, 2), 16));
        for (const c of item.slice(2)) out.push(c.charCodeAt(0));
      } else {
        out.push(0x25);
        for (const c of item) out.push(c.charCodeAt(0));
      }
    }
    return LENIENT.decode(Uint8Array.from(out));
  });
}

// ---------------------------------------------------------------- Caesar shifts and reversed text, per clause
const ALPHA_WORD = /[A-Za-z]+/g;
const CLAUSE = /([.:;!?\n]+)/;
export const ROT13_MARGIN = 0.6;
export const ROT13_MIN_LETTERS = 10;
export const ROT13_MIN_WORDS = 3;
const MAX_WORD = 20;
export const ENGLISH_SHARE = 0.3;
export const CAESAR_MIN_LETTERS = 15;
export const CAESAR_LOGP = -3.05;
export const CAESAR_MARGIN = 0.5;

function looksLikeWords(text: string): boolean {
  const words = cpHead(text, 4000).match(ALPHA_WORD) ?? [];
  return words.length >= ROT13_MIN_WORDS && Math.max(...words.map((w) => w.length)) <= MAX_WORD;
}

export function rot13(text: string): string {
  return shift(text, 13);
}

/** Letters make up most of the clause's visible characters (not escapes, ids or code). */
function mostlyLetters(text: string): boolean {
  let visible = 0, letters = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (!isSpace(cp)) visible++;
    if (isAlpha(cp)) letters++;
  }
  return visible > 0 && letters >= 0.8 * visible;
}

function decodeClause(clause: string): string {
  if (!/[A-Za-z]/.test(clause)) return clause;
  const [before, total] = commonHits(clause);
  if (total && before >= ENGLISH_SHARE * total) return clause; // already reads as English
  const rot = rot13(clause);
  let [after, words] = commonHits(rot);
  if (after >= 2 && after >= 0.15 * words && after > before) return rot;
  const rev = cpReverse(clause);
  [after, words] = commonHits(rev);
  if (after >= 2 && after >= 0.2 * words && after > before) return rev;
  if (words >= CAESAR_MIN_WORDS) {
    const [k, hits, n] = bestShift(clause);
    if (hits >= 2 && hits >= 0.25 * n && hits > before + 1) return shift(clause, k);
    if (looksLikeWords(clause) && mostlyLetters(clause)) {
      const [beforeLp, letters] = englishLogp(clause);
      const [best, afterLp] = bestLogpShift(clause);
      if (letters >= CAESAR_MIN_LETTERS && afterLp >= CAESAR_LOGP && afterLp - beforeLp >= CAESAR_MARGIN) return shift(clause, best);
    }
  }
  if (looksLikeWords(clause)) {
    const [beforeLp, letters] = englishLogp(clause);
    if (letters >= ROT13_MIN_LETTERS && englishLogp(rot)[0] - beforeLp >= ROT13_MARGIN) return rot;
  }
  return clause;
}

function decodeOnce(text: string): string {
  let out = decodeEscapes(text);
  if (out.includes('\\') && new RegExp(OCTAL.source, 'u').test(out)) out = out.replace(OCTAL, octal);
  if (new RegExp(HEX.source, 'u').test(out)) out = out.replace(HEX, hex);
  if (new RegExp(B64.source, 'u').test(out)) out = out.replace(B64, b64);
  if (out.includes('%')) {
    out = out.replace(URL_RUN, urlRun);
    if ((out.match(URL1) ?? []).length >= 2) out = unquote(out);
  }
  out = decodeCiphers(out);
  if (/[A-Za-z]/.test(out)) {
    out = out.split(CLAUSE).map((part, i) => (i % 2 ? part : decodeClause(part))).join('');
  }
  return out;
}

export function decodeEncodings(text: string, depth = DECODE_DEPTH): string {
  let out = text;
  for (let k = 0; k < depth; k++) {
    const decoded = decodeOnce(out);
    if (decoded === out) break;
    out = decoded;
  }
  return out;
}

export { A as _alpha, cpLen as _cpLen };
