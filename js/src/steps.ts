/**
 * The steps a bundle's verdicts depend on (manifest key `steps`, spec section 5; runtime/steps.py).
 * A step this runtime does not implement is never skipped in silence: the bundle is refused, or, with
 * onMissingStep: 'unchecked', every verdict lists it in `unchecked` as `step:NAME`.
 */
import { DEFENSE_NAMES } from './defenses.js';

/** Always run; spec 1.1 added sentence_coverage (coverage per sentence) and language_id (spec 3.12, 3.16). */
export const CORE = ['normalize', 'tokenize', 'windows', 'context', 'score', 'coverage', 'sentence_coverage', 'language_id'] as const;
/** Spec 1.1 steps that run inside a defense: ciphers with decode, run_on with segments. */
export const WITHIN: Readonly<Record<string, string>> = { ciphers: 'decode', run_on: 'segments' };
/** Spec 1.2: responses judged at the manifest's `response_threshold`; named iff that key is there. */
export const ROLE_THRESHOLDS = 'role_thresholds';
/** Every step this runtime implements (spec 1.2). */
export const KNOWN: ReadonlySet<string> = new Set<string>([...CORE, ...DEFENSE_NAMES, ...Object.keys(WITHIN), 'reading', 'emoji_names', ROLE_THRESHOLDS]);
export const MISSING_STEP_POLICIES = ['refuse', 'unchecked'] as const;
export type MissingStepPolicy = (typeof MISSING_STEP_POLICIES)[number];

/** The known steps a bundle with these `defenses` (absent: all on), `encoding` and (roleThresholds) a `response_threshold` needs. */
export function implied(defenses: Record<string, unknown> | null | undefined, emojiNames: boolean, roleThresholds = false): string[] {
  const on = DEFENSE_NAMES.filter((d) => (defenses ?? {})[d] !== false);
  const within = Object.entries(WITHIN).filter(([, d]) => (on as string[]).includes(d)).map(([step]) => step);
  return [...CORE, ...(on.length ? ['reading'] : []), ...(emojiNames ? ['emoji_names'] : []), ...on, ...within,
    ...(roleThresholds ? [ROLE_THRESHOLDS] : [])];
}

/**
 * The listed steps a runtime knowing `known` cannot run. Throws when `steps` is not a list of distinct
 * names, or when its known steps are not exactly those `defenses`, `encoding` and `response_threshold`
 * (roleThresholds) imply; a `response_threshold` without `steps` too (an older runtime would read it and
 * judge responses at the prompt threshold: the step name makes it refuse the bundle instead).
 */
export function missingSteps(raw: unknown, defenses: unknown, emojiNames: boolean, known: ReadonlySet<string> = KNOWN,
  roleThresholds = false): string[] {
  if (raw === undefined || raw === null) {
    if (roleThresholds) throw new Error(`'response_threshold' needs 'steps' listing '${ROLE_THRESHOLDS}' (so that a runtime without per-role thresholds refuses the bundle)`);
    return [];
  }
  if (!Array.isArray(raw) || !raw.every((s) => typeof s === 'string' && s) || new Set(raw).size !== raw.length) {
    throw new Error("'steps' must be a list of distinct step names");
  }
  const d = typeof defenses === 'object' && defenses !== null && !Array.isArray(defenses) ? defenses as Record<string, unknown> : null;
  const want = new Set(implied(d && Object.fromEntries(Object.entries(d).filter(([k]) => (DEFENSE_NAMES as readonly string[]).includes(k))), emojiNames, roleThresholds));
  const listed = new Set(raw.filter((s) => KNOWN.has(s)));
  const extra = [...listed].filter((s) => !want.has(s)).sort();
  const lacking = [...want].filter((s) => !listed.has(s)).sort();
  if (extra.length || lacking.length) {
    throw new Error(`'steps' does not match 'defenses', 'encoding' and 'response_threshold' (listed but off: ${JSON.stringify(extra)}; on but not listed: ${JSON.stringify(lacking)})`);
  }
  return raw.filter((s) => !known.has(s));
}
