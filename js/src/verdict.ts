/** Verdicts and the one rule for text not fully checked (spec 3.11, 3.12). */
import { L, lettersMinus, isAscii } from './pyclass.js';
import type { Tokens } from './encoding.js';

export const CATEGORIES = ['violent_crimes', 'non_violent_crimes', 'sex_related_crimes', 'child_sexual_exploitation',
  'defamation', 'specialized_advice', 'privacy', 'intellectual_property', 'indiscriminate_weapons', 'hate',
  'suicide_self_harm', 'sexual_content', 'elections', 'code_interpreter_abuse', 'jailbreak'] as const;
export const N_OUTPUTS = 1 + CATEGORIES.length;
export const ROLES = ['prompt', 'response'] as const;
export type Role = (typeof ROLES)[number];
export const POLICIES = ['flag', 'report', 'pass'] as const;
export type Policy = (typeof POLICIES)[number];

/** The guard's decision on one text: the same fields as Python's Verdict.to_dict(). */
export interface Verdict {
  flagged: boolean;
  score: number;
  threshold: number;
  categories: Record<string, boolean>;
  category_scores: Record<string, number>;
  role: Role;
  truncated: boolean;
  chunks: number;
  model: string;
  latency_ms: number;
  view: string;
  segment: number | null;
  window: number;
  coverage: number;
  unchecked: string[];
  /** The guard's bundle signature was checked against a trusted key (false: loaded with allowUnsigned). */
  bundle_verified: boolean;
  /** Python-only details in to_dict(), kept here for conformance. */
  views?: number;
  segments?: number;
  stopped?: boolean;
}

/** Letters of the Latin script (after NFKC): the default models' training text is English. */
export const LATIN: [number, number][] = [[0x41, 0x5a], [0x61, 0x7a], [0xaa, 0xaa], [0xba, 0xba], [0xc0, 0xd6], [0xd8, 0xf6],
  [0xf8, 0x24f], [0x1e00, 0x1eff], [0x2c60, 0x2c7f], [0xa720, 0xa7ff], [0xab30, 0xab6f]];
const LETTERS = new RegExp(`[${L}]+`, 'gu');
const NON_LATIN = new RegExp(`[${lettersMinus(LATIN)}]+`, 'gu');

function count(re: RegExp, text: string): number {
  let n = 0;
  for (const m of text.matchAll(re)) n += Array.from(m[0]).length;
  return n;
}

/** Share of the letters of `text` that are Latin and not inside an [UNK] piece. */
export function letterCoverage(text: string, tokens: Tokens, unkId: number): number {
  const unk: number[] = [];
  tokens.ids.forEach((id, k) => { if (id === unkId) unk.push(k); });
  if (!unk.length && isAscii(text)) return 1.0;
  const letters = count(LETTERS, text);
  if (!letters) return 1.0;
  let unreadable = count(NON_LATIN, text);
  for (const k of unk) {
    const span = text.slice(tokens.starts[k], tokens.ends[k]);
    unreadable += count(LETTERS, span) - count(NON_LATIN, span);
  }
  return Math.max(0.0, 1.0 - unreadable / letters);
}

export function uncheckedReasons(truncated: boolean, coverage: number, minCoverage: number): string[] {
  return [...(truncated ? ['truncated'] : []), ...(coverage < minCoverage ? ['unsupported'] : [])];
}
