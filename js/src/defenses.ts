/** De-obfuscated views of a text and their switches (spec 3.5, 3.6). */
import { confusables } from './generated/tables.js';
import { D, L, S, W, cpLen, isAlpha, isAscii, pyStrip } from './pyclass.js';
import { decodeEncodings, revealHidden } from './decoders.js';
import { Lexicon, despaceKeepArticle, foldDespace, isSpelledOut, respace } from './despace.js';
import { EMOJI_CLASS, ENCLOSED, ENCLOSED_CLASS } from './emoji.js';
import { normalize } from './normalize.js';
import { changedPart, reword } from './words.js';

export const MAX_VIEWS = 6;
export const DEFENSE_NAMES = ['smuggling', 'despace', 'homoglyphs', 'leet', 'decode', 'reveal', 'words', 'segments'] as const;
export type DefenseName = (typeof DEFENSE_NAMES)[number];
export type DefenseSettings = Record<DefenseName, boolean>;

export function allOn(): DefenseSettings {
  return Object.fromEntries(DEFENSE_NAMES.map((n) => [n, true])) as DefenseSettings;
}
export function allOff(): DefenseSettings {
  return Object.fromEntries(DEFENSE_NAMES.map((n) => [n, false])) as DefenseSettings;
}
export function enabled(s: DefenseSettings): boolean {
  return DEFENSE_NAMES.some((n) => s[n]);
}

/** The manifest's `defenses` value (absent: all on); throws on unknown names or non-booleans. */
export function defensesFrom(value: unknown): DefenseSettings {
  const out = allOn();
  if (value === undefined || value === null) return out;
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error("'defenses' must be an object of {name: true|false}");
  const unknown = Object.keys(value).filter((k) => !(DEFENSE_NAMES as readonly string[]).includes(k)).sort();
  if (unknown.length) throw new Error(`'defenses' names unknown defenses ${JSON.stringify(unknown)}; known: ${JSON.stringify([...DEFENSE_NAMES].sort())}`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'boolean') throw new Error(`'defenses' values must be true or false (bad: ${k})`);
    out[k as DefenseName] = v;
  }
  return out;
}

// ---------------------------------------------------------------- smuggling
const ENCLOSED_RE = new RegExp(ENCLOSED_CLASS, 'gu');
const WEDGED = new RegExp(`(?<=[${W}])${EMOJI_CLASS}+(?=[${W}])`, 'gu');
const WEDGED_SPACED = new RegExp(`(?<![${W}])([${W}])[ \\t]+${EMOJI_CLASS}+[ \\t]+(?=[${W}](?![${W}]))`, 'gu');

export function foldSmuggling(text: string): string {
  if (isAscii(text)) return text;
  text = text.replace(ENCLOSED_RE, (m) => ENCLOSED.get(m.codePointAt(0)!)!);
  text = text.replace(WEDGED, '');
  return text.replace(WEDGED_SPACED, '$1 ');
}

// ---------------------------------------------------------------- homoglyphs
const TABLE = new Map<number, string>(Object.entries(confusables.map).map(([k, v]) => [k.codePointAt(0)!, v]));
const WORD = new RegExp(`[${W}]+`, 'gu');

function translate(text: string): string {
  let out = '';
  for (const ch of text) out += TABLE.get(ch.codePointAt(0)!) ?? ch;
  return out;
}

export function foldHomoglyphs(text: string): string {
  if (isAscii(text)) return text;
  const folded = translate(text);
  if (folded === text) return text;
  let foreign = false;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (isAlpha(cp) && cp > 0x7f && !TABLE.has(cp)) { foreign = true; break; }
  }
  if (!foreign) return folded;
  return text.replace(WORD, (w) => (/[A-Za-z]/.test(w) ? translate(w) : w));
}

// ---------------------------------------------------------------- leetspeak
const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g',
  '@': 'a', '$': 's', '!': 'i', '|': 'l' };
const MIXED = new RegExp(`[${L}][013457-9@$!|]|[013457-9@$!|][${L}]`, 'u');
const TOKEN = new RegExp(`(?:[${W}]|[@$!|]){2,}`, 'gu');
const EDGE = /^[@$!|]+|[@$!|]+$/g;
const NUMBER_WITH_UNIT = new RegExp(`^(?:[${D}]+(?:st|nd|rd|th|s|am|pm|k|m|g|kg|km|mm|cm|mb|gb|tb|px|x|d|h|min|hz|v))$`, 'iu');
export const MAX_LEET_TOKEN = 24;

function unleet(token: string): string {
  let core = token.replace(EDGE, '');
  if (!MIXED.test(core)) return token;
  if (!core || cpLen(core) > MAX_LEET_TOKEN || core.includes('2') || core.includes('6') || NUMBER_WITH_UNIT.test(core)) {
    return token;
  }
  const start = token.indexOf(core);
  const end = start + core.length;
  core = core.replaceAll('11', 'll');
  let mapped = '';
  for (const ch of core) mapped += LEET[ch] ?? ch;
  return token.slice(0, start) + mapped + token.slice(end);
}

const URL_LIKE = new RegExp(`(?<![^${S}])(?:[^${S}]*[/=#]|[^${S}]*?www\\.)[^${S}]*`, 'gu');
const LONE_DIGIT = new RegExp(`(?<=[${L}] )[14](?= [${L}])`, 'gu');

function unleetSpan(text: string): string {
  const folded = text.replace(TOKEN, unleet);
  return folded !== text ? folded.replace(LONE_DIGIT, (m) => LEET[m]) : folded;
}

export function foldLeet(text: string): string {
  if (!MIXED.test(text)) return text;
  const out: string[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_LIKE)) {
    out.push(unleetSpan(text.slice(last, m.index!)));
    out.push(m[0]);
    last = m.index! + m[0].length;
  }
  out.push(unleetSpan(text.slice(last)));
  return out.join('');
}

// ---------------------------------------------------------------- views
export function foldChars(text: string, s: DefenseSettings): string {
  if (s.smuggling) text = foldSmuggling(text);
  if (s.despace) text = foldDespace(text);
  if (s.leet) text = foldLeet(text);
  if (s.homoglyphs) text = foldHomoglyphs(text);
  return text;
}

export function readText(text: string, s: DefenseSettings, lexicon: () => Lexicon | null): [string, string] {
  if (s.despace && isSpelledOut(text)) {
    const reading = normalize(respace(text, lexicon()));
    if (pyStrip(reading) && reading !== text) return ['despaced', reading];
  }
  return ['text', text];
}

/**
 * (name, view) pairs for a normalized `text` (spec 3.6): revealed, folded, reworded (what reword changed,
 * with the bundle's vocabulary), despaced, decoded and its reworded reading; distinct, at most MAX_VIEWS.
 */
export function buildNamedViews(text: string, s: DefenseSettings, raw: string | null,
  lexicon: () => Lexicon | null = () => null, hasWord: ((w: string) => boolean) | null = null): [string, string][] {
  if (!enabled(s)) return [];
  const candidates: [string, string][] = [];
  let base = text;
  if (s.reveal && raw !== null) {
    const revealed = revealHidden(raw);
    if (revealed !== null) {
      base = normalize(revealed);
      candidates.push(['revealed', base]);
    }
  }
  const folded = foldChars(base, s);
  candidates.push(['folded', folded]);
  if (s.words) {
    // (from the unfolded text: the leet fold reads every "1" as i, the vocabulary picks i or l)
    candidates.push(['reworded', changedPart(folded, foldChars(reword(base, lexicon, hasWord, s.leet), s))]);
  }
  if (s.despace) {
    const alt = despaceKeepArticle(base);
    if (alt !== foldDespace(base)) candidates.push(['despaced', foldChars(alt, s)]);
  }
  if (s.decode) {
    const decoded = decodeEncodings(base);
    if (decoded !== base) {
      const read = foldChars(normalize(decoded), s);
      candidates.push(['decoded', read]);
      if (s.words) candidates.push(['reworded', changedPart(read, reword(read, lexicon, hasWord, s.leet))]);
    }
  }
  const views: [string, string][] = [];
  for (const [name, v] of candidates) {
    const view = normalize(v);
    if (view !== text && !views.some(([, x]) => x === view) && pyStrip(view)) views.push([name, view]);
  }
  return views.slice(0, MAX_VIEWS);
}
