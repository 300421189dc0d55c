/** Guard: load a bundle once, check prompts and responses (spec 3, the same steps as runtime/guard.py). */
import { BundleError, loadBundle, publicKeyFromPem, type BundleSource, type Manifest, type PublicKey } from './bundle.js';
import { PROJECT_KEY_PEM } from './project-key.js';
import { hasText } from './decoders.js';
import { allOff, defensesFrom, type DefenseSettings } from './defenses.js';
import { Lexicon } from './despace.js';
import { TextEncoder } from './encoding.js';
import { languageIdentifier, type LanguageIdentifier } from './langid.js';
import { bounded, planText, type Plan, type Reader } from './pieces.js';
import { pyStrip, wellFormed } from './pyclass.js';
import { Runner, type OrtLike, type Scores } from './runner.js';
import { MISSING_STEP_POLICIES, type MissingStepPolicy } from './steps.js';
import { StreamChecker } from './stream.js';
import { WordPieceTokenizer } from './tokenizer.js';
import { CATEGORIES, POLICIES, ROLES, uncheckedReasons, type Policy, type Role, type Verdict } from './verdict.js';

export const DEFAULT_MAX_CHARS = 100_000;
export const DEFAULT_MIN_COVERAGE = 0.5;

export interface GuardOptions {
  /**
   * The Ed25519 keys the bundle's signature must match (default: the project key; ./node adds the keys
   * in TINYGUARD_TRUSTED_KEYS). Given explicitly, they replace the defaults, as Python's trusted_keys.
   */
  trustedKeys?: PublicKey[];
  /** Load a bundle whose signature is missing, foreign or broken: every verdict then says bundle_verified: false. */
  allowUnsigned?: boolean;
  /**
   * A step the manifest lists that this runtime does not implement (spec section 5): 'refuse' (default)
   * refuses the bundle; 'unchecked' loads it and every verdict lists `step:NAME` in `unchecked`
   * (so onUnchecked decides: flag, report or pass). Never skipped in silence.
   */
  onMissingStep?: MissingStepPolicy;
  /** @internal A bundle shipped with tinyguard (checked against the project key only). */
  bundled?: boolean;
  /** false scores the normalized text only (no views, no segments). */
  defenses?: boolean;
  maxChars?: number;
  minCoverage?: number;
  onUnchecked?: Policy;
  /** Passed to InferenceSession.create (e.g. { intraOpNumThreads: 1 }). */
  sessionOptions?: Record<string, unknown>;
}

export interface CheckOptions {
  context?: string;
  threshold?: number;
  onUnchecked?: Policy;
}

/** What a conformance report compares: the plan and its scores. */
export interface Trace { plan: Plan; scores: Scores; normalized: string }

function check(cond: boolean, msg: string): void {
  if (!cond) throw new RangeError(msg);
}

export class Guard {
  readonly maxChars: number;
  readonly minCoverage: number;
  readonly onUnchecked: Policy;
  defenses: DefenseSettings;
  private lexiconCache: Lexicon | null = null;
  private readonly unkId: number;

  /** The bundle's signature matched a trusted key (false: loaded with allowUnsigned; why: manifest.unverified). */
  readonly bundleVerified: boolean;

  private constructor(readonly manifest: Manifest, private readonly runner: Runner, readonly encoder: TextEncoder,
    defenses: DefenseSettings, opts: GuardOptions, private readonly identifier: LanguageIdentifier) {
    this.maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
    this.minCoverage = opts.minCoverage ?? DEFAULT_MIN_COVERAGE;
    this.onUnchecked = opts.onUnchecked ?? 'flag';
    check(Number.isInteger(this.maxChars) && this.maxChars >= 1, `maxChars must be a positive integer, not ${this.maxChars}`);
    check(this.minCoverage >= 0 && this.minCoverage <= 1, `minCoverage must be a number in [0, 1], not ${this.minCoverage}`);
    check((POLICIES as readonly string[]).includes(this.onUnchecked), `onUnchecked must be one of ${POLICIES.join(', ')}, not ${this.onUnchecked}`);
    this.defenses = defenses;
    this.bundleVerified = Boolean(manifest.signedBy);
    this.unkId = encoder.tokenizer.tokenToId('[UNK]') ?? -1;
  }

  /** Verify the bundle read through `source` and open its model with `ort` (onnxruntime-node, -web or -react-native). */
  static async load(source: BundleSource, ort: OrtLike, opts: GuardOptions = {}): Promise<Guard> {
    const { manifest, model, tokenizer } = await loadBundle(source, {
      trustedKeys: opts.trustedKeys ?? [publicKeyFromPem(PROJECT_KEY_PEM, 'project key')],
      allowUnsigned: opts.allowUnsigned ?? false, bundled: opts.bundled ?? false,
    });
    const missing = manifest.missingSteps;
    const onMissing = opts.onMissingStep ?? 'refuse';
    check((MISSING_STEP_POLICIES as readonly string[]).includes(onMissing), `onMissingStep must be one of ${MISSING_STEP_POLICIES.join(', ')}, not ${onMissing}`);
    if (missing.length && onMissing === 'refuse') {
      throw new BundleError(`bundle ${source.where}: its verdicts need steps this runtime does not implement: ${JSON.stringify(missing)} ` +
        "(docs/bundle-spec.md section 5); update tinyguard, or load it with onMissingStep: 'unchecked' (--on-missing-step unchecked) " +
        'to have every verdict report them');
    }
    let settings: DefenseSettings;
    try {  // a missing step's switch in 'defenses' is reported with the step, not refused as an unknown defense
      const d = manifest.defenses as Record<string, unknown> | undefined;
      settings = defensesFrom(d && typeof d === 'object' ? Object.fromEntries(Object.entries(d).filter(([k]) => !missing.includes(k))) : d);
    } catch (e) {
      throw new BundleError(`bundle ${source.where}: ${(e as Error).message}`);
    }
    if (opts.defenses === false) settings = allOff();
    let tok: WordPieceTokenizer;
    try {
      tok = new WordPieceTokenizer(JSON.parse(new globalThis.TextDecoder('utf-8', { fatal: true }).decode(tokenizer)));
    } catch (e) {
      throw new BundleError(`bundle ${source.where}: cannot load ${manifest.tokenizerFile}: ${(e as Error).message}`);
    }
    const encoder = new TextEncoder(tok, manifest.encoding);
    const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], ...(opts.sessionOptions ?? {}) });
    return new Guard(manifest, new Runner(ort, session, encoder.padId), encoder, settings, opts, await languageIdentifier());
  }

  get modelId(): string { return this.manifest.modelId; }
  /** The prompt threshold (the manifest's `threshold`). */
  get threshold(): number { return this.manifest.threshold; }
  /** The threshold responses are judged at: the manifest's `response_threshold` (spec 1.2), else the prompt one. */
  get responseThreshold(): number { return this.manifest.responseThreshold ?? this.manifest.threshold; }

  /** The threshold a text of `role` is judged at: `threshold` when given (it overrides both roles), else its role's. */
  thresholdFor(role: Role, threshold?: number): number {
    const t = threshold ?? (role === 'response' ? this.responseThreshold : this.threshold);
    check(typeof t === 'number' && t >= 0 && t <= 1, `threshold must be in [0, 1], not ${t}`);
    return t;
  }

  get lexicon(): Lexicon {
    if (this.lexiconCache === null) this.lexiconCache = Lexicon.fromVocab(this.encoder.tokenizer.vocab);
    return this.lexiconCache;
  }

  async check(text: string, role: Role = 'prompt', opts: CheckOptions = {}): Promise<Verdict> {
    return (await this.checkBatch([text], role, { ...opts, contexts: [opts.context ?? ''] }))[0];
  }

  async checkBatch(texts: string[], role: Role | Role[] = 'prompt',
    opts: { contexts?: string[]; threshold?: number; onUnchecked?: Policy } = {}): Promise<Verdict[]> {
    const start = performance.now();
    if (opts.threshold !== undefined) this.thresholdFor('prompt', opts.threshold);  // (checked before any scoring)
    const policy = opts.onUnchecked ?? this.onUnchecked;
    const traces = await this.trace(texts, role, opts.contexts);
    const ms = (performance.now() - start) / Math.max(1, texts.length);
    return traces.map(({ scores }, i) => this.verdict(scores.defended, this.thresholdFor(Array.isArray(role) ? role[i] : role, opts.threshold),
      Array.isArray(role) ? role[i] : role, {
      truncated: scores.truncated, chunks: scores.chunks, views: scores.views, latencyMs: ms, view: scores.firedView,
      window: scores.firedWindow, segment: scores.firedSegment, segments: scores.segments, coverage: scores.coverage, policy,
    }));
  }

  /** Every step for each text (plans and scores): what checkBatch decides on, and what conformance compares. */
  async trace(texts: string[], role: Role | Role[] = 'prompt', contexts?: string[], defenses?: DefenseSettings): Promise<Trace[]> {
    if (!Array.isArray(texts)) throw new TypeError('texts must be an array of strings');
    const roles = Array.isArray(role) ? role : texts.map(() => role);
    const ctxs = contexts ?? texts.map(() => '');
    check(roles.length === texts.length, `got ${roles.length} roles for ${texts.length} texts`);
    check(ctxs.length === texts.length, `got ${ctxs.length} contexts for ${texts.length} texts`);
    const settings = defenses ?? this.defenses;
    const tok = this.encoder.tokenizer;
    const reader: Reader = { languages: this.manifest.languages, identifier: this.identifier, hasWord: (w) => tok.tokenToId(w) !== undefined };
    const out: Trace[] = [];
    for (let i = 0; i < texts.length; i++) {
      if (typeof texts[i] !== 'string') throw new TypeError(`texts[${i}] must be a string`);
      if (typeof ctxs[i] !== 'string') throw new TypeError(`contexts[${i}] must be a string`);
      check((ROLES as readonly string[]).includes(roles[i]), `role must be one of ${ROLES.join(', ')}, not ${roles[i]}`);
      const [raw, norm, cut] = bounded(wellFormed(texts[i]), this.maxChars);
      // (a cut text may hold nothing visible before the cut; a text made only of tag characters is read
      // through its 'revealed' view)
      if (!pyStrip(norm) && !cut && !hasText(raw)) throw new RangeError(texts.length === 1 ? 'empty text' : `empty text at index ${i}`);
      const plan = planText(this.encoder, raw, norm, roles[i], wellFormed(ctxs[i]), settings, this.maxChars, () => this.lexicon, this.unkId, reader);
      plan.truncated = cut;
      out.push({ plan, scores: await this.runner.score(plan, this.minCoverage), normalized: norm });
    }
    return out;
  }

  /** A StreamChecker: feed(piece) returns a stopped verdict once the text so far is unsafe. */
  stream(role: Role = 'response', opts: { context?: string; threshold?: number; everyTokens?: number } = {}): StreamChecker {
    return new StreamChecker(this, role, opts);
  }

  /** @internal */
  verdict(scores: Float64Array, t: number, role: Role, d: { truncated: boolean; chunks: number; views: number; latencyMs: number;
    view: string; window: number; segment: number | null; segments?: number; coverage: number; policy?: Policy; stopped?: boolean }): Verdict {
    const score = scores[0];
    const byScore = score >= t;
    const unchecked = [...uncheckedReasons(d.truncated, d.coverage, this.minCoverage), ...this.manifest.missingSteps.map((s) => `step:${s}`)];
    const flagged = byScore || (unchecked.length > 0 && (d.policy ?? this.onUnchecked) === 'flag');
    const categories: Record<string, boolean> = {};
    const categoryScores: Record<string, number> = {};
    CATEGORIES.forEach((c, j) => {
      categories[c] = byScore && scores[j + 1] >= this.manifest.categoryThresholds[j];
      categoryScores[c] = scores[j + 1];
    });
    return {
      flagged, score, threshold: t, categories, category_scores: categoryScores, role, truncated: d.truncated,
      chunks: d.chunks, model: this.modelId, latency_ms: d.latencyMs, view: d.view, segment: d.segment,
      window: d.window, coverage: d.coverage, unchecked, bundle_verified: this.bundleVerified, views: d.views,
      segments: d.segments ?? 0, stopped: d.stopped ?? false,
    };
  }
}

/** A verdict as Python's Verdict.to_dict() writes it (the CLI's JSON line). */
export function toDict(v: Verdict): Record<string, unknown> {
  const { views, segments, stopped, ...rest } = v;
  return {
    flagged: rest.flagged, score: rest.score, threshold: rest.threshold, categories: rest.categories,
    category_scores: rest.category_scores, role: rest.role, truncated: rest.truncated, chunks: rest.chunks,
    model: rest.model, latency_ms: rest.latency_ms, view: rest.view, segment: rest.segment, window: rest.window,
    coverage: rest.coverage, unchecked: rest.unchecked, bundle_verified: rest.bundle_verified,
  };
}
