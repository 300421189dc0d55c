/** What the guard scores for one text: its windows, its views' windows, its segments' windows (spec 3.9). */
import { sentenceCoverage, unreadSpans, type Unread } from './coverage.js';
import { buildNamedViews, enabled, readText, type DefenseSettings } from './defenses.js';
import { displayOrder } from './decoders.js';
import type { Lexicon } from './despace.js';
import { TextEncoder, between, type Windows } from './encoding.js';
import { normalize } from './normalize.js';
import { cpHead, cpLen, cpTail, pyStrip } from './pyclass.js';
import type { LanguageIdentifier } from './langid.js';
import { SCAN_ABOVE, SCAN_STRIDE, SCAN_TOKENS, SEGMENT_TOKENS, firstSentence, lastSentence, segmentSpans, sentenceSpans } from './segments.js';

export const RAW_FACTOR = 4;
export const CONTEXT_RAW_CHARS = 2048;
export const SEAM_CHARS = 512; // code points of each side read to find the sentences a seam joins

export interface Entry { view: string; segment: number | null }

export interface Plan {
  windows: Windows[];
  entries: Entry[];
  plain: Windows | null;
  views: number;
  segments: number;
  chunks: number;
  truncated: boolean;
  coverage: number;
  /**
   * The pieces read (reading first, then views) with their token ids and what the coverage rule counts
   * unread in them (none for a reworded view, which never counts): for conformance reports.
   */
  pieces: ({ view: string; text: string; ids: number[] } & Unread)[];
}

/** [raw, normalized, truncated]: the normalized text is at most maxChars code points. */
export function bounded(raw: string, maxChars: number): [string, string, boolean] {
  let cut = cpLen(raw) > RAW_FACTOR * maxChars;
  if (cut) raw = cpHead(raw, RAW_FACTOR * maxChars);
  let norm = normalize(raw);
  if (cpLen(norm) > maxChars) { norm = cpHead(norm, maxChars); cut = true; }
  return [raw, norm, cut];
}

export function reading(raw: string, norm: string, s: DefenseSettings, lexicon: () => Lexicon | null, maxChars: number): [string, string] {
  let name = 'text';
  let text = norm;
  if (s.reveal) {
    const shown = displayOrder(raw);
    if (shown !== null) {
      text = cpHead(normalize(shown), maxChars);
      name = text !== norm ? 'displayed' : 'text';
    }
  }
  const [spelled, t] = readText(text, s, lexicon);
  return [spelled !== 'text' ? spelled : name, t];
}

/** What plans need besides the text: the bundle's languages and the classifier that calls them. */
export interface Reader { languages: readonly string[]; identifier: LanguageIdentifier; hasWord: (w: string) => boolean }

export function planText(encoder: TextEncoder, raw: string, norm: string, role: string, context: string,
  s: DefenseSettings, maxChars: number, lexicon: () => Lexicon | null, unkId: number, reader: Reader): Plan {
  const plan: Plan = { windows: [], entries: [], plain: null, views: 0, segments: 0, chunks: 0, truncated: false, coverage: 1.0, pieces: [] };
  const ctx = context ? encoder.contextIds(normalize(cpHead(context, CONTEXT_RAW_CHARS))) : [];
  const [name, text] = enabled(s) ? reading(raw, norm, s, lexicon, maxChars) : ['text', norm];
  const named: [string, string][] = [[name, text]];
  if (enabled(s)) named.push(...buildNamedViews(text, s, raw, lexicon, reader.hasWord));
  plan.views = named.length - 1;
  if (name !== 'text') plan.plain = encoder.windows(encoder.tokenize(norm).ids, role, ctx);
  const seen = new Set<string>();
  let coverage = 0.0;
  const spans = named.map(([, piece]) => (s.segments ? segmentSpans(piece) : []));
  // (a reworded view holds only what it changed, so it says nothing about the other sentences)
  const inViews = named.slice(1).flatMap(([view, piece], k) => (view === 'reworded' ? []
    : [new Set(spans[k + 1].map(([a, b]) => pyStrip(piece.slice(a, b))))]));
  named.forEach(([pieceName, piece], k) => {
    const tokens = encoder.tokenize(piece);
    let unread: Unread = { foreign: [], encoded: [] };
    if (pieceName !== 'reworded') { // (a view that re-splits words would make any language look read)
      const sentences = sentenceSpans(piece);
      unread = unreadSpans(piece, sentences, reader.languages, reader.identifier);
      coverage = Math.max(coverage, sentenceCoverage(piece, tokens, unkId, sentences, unread));
    }
    plan.pieces.push({ view: pieceName, text: piece, ids: tokens.ids, ...unread });
    const windows = encoder.windows(tokens.ids, role, ctx);
    plan.windows.push(windows);
    plan.entries.push({ view: pieceName, segment: null });
    if (k === 0) plan.chunks = windows.ids.length;
    if (!s.segments) return;
    const n = tokens.ids.length;
    spans[k].forEach(([start, end], index) => {
      if (k === 0 && inViews.length && !inViews.every((v) => v.has(pyStrip(piece.slice(start, end))))) return;
      const [a, b] = between(tokens, start, end);
      if (b <= a || (a === 0 && b === n && n <= SEGMENT_TOKENS && windows.ids.length === 1)) return;
      const ids = tokens.ids.slice(a, b);
      const key = ids.join(',');
      if (seen.has(key)) return;
      seen.add(key);
      if (!(a === 0 && b === n)) {
        plan.windows.push(encoder.windows(ids, role, ctx));
        plan.entries.push({ view: pieceName, segment: index });
      }
      if (b - a > SCAN_ABOVE) {
        plan.windows.push(encoder.windows(ids, role, ctx, SCAN_TOKENS, SCAN_STRIDE));
        plan.entries.push({ view: pieceName, segment: index });
      }
      plan.segments += 1;
    });
  });
  // A prompt's context (the conversation before it) joined at the seam, so that a request split across the
  // two is read whole; a response's context (the prompt it answers) is not: a refusal would inherit its words.
  const joined = role === 'prompt' && s.segments ? seam(context, text) : null;
  if (joined !== null) {
    plan.windows.push(encoder.windows(encoder.tokenize(joined).ids, role, []));
    plan.entries.push({ view: 'joined', segment: null });
    plan.views += 1;
  }
  plan.coverage = coverage;
  return plan;
}

/**
 * The context's last sentence (or unfinished clause) and the text's first, joined by a space; null without
 * a context or when either side is blank. Bounded: reads SEAM_CHARS code points of each (spec 3.9).
 */
export function seam(context: string, text: string): string | null {
  if (!pyStrip(context)) return null;
  const left = pyStrip(lastSentence(normalize(cpTail(context, SEAM_CHARS))));
  const right = pyStrip(firstSentence(cpHead(text, SEAM_CHARS)));
  return left && right ? `${left} ${right}` : null;
}
