/**
 * Loading a bundle (spec section 4): manifest.json parsed strictly, every pinned file's sha256
 * checked, and the Ed25519 signature in manifest.sig checked against trusted keys, always: an
 * unsigned, foreign-signed or edited bundle is refused unless the caller passes allowUnsigned,
 * and then every verdict says bundle_verified: false (runtime/trust.py's design).
 * Files come from a BundleSource (a folder in Node, the page's own URL in a browser, app assets
 * in React Native); nothing is fetched from anywhere else.
 */
import * as ed from '@noble/ed25519';
import { sha256 } from '@noble/hashes/sha2.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { CATEGORIES } from './verdict.js';
import { SETTINGS as NORMALIZATION } from './normalize.js';
import { missingSteps } from './steps.js';

ed.hashes.sha512 = sha512;

export const MANIFEST = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';
export const SCHEMA_VERSION = 1;
export const SIGNATURE_FORMAT = 'tinyguard-signature/1';
export const DOMAIN = new TextEncoder().encode('tinyguard bundle manifest signature v1\n');
const REQUIRED = ['schema_version', 'name', 'version', 'model_file', 'tokenizer_file', 'labels', 'taxonomy', 'threshold',
  'category_thresholds', 'presets', 'encoding', 'normalization', 'files'];
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ENCODING_KEYS: Record<string, 'int' | 'bool'> = { max_length: 'int', context_tokens: 'int', stride: 'int', max_chunks: 'int', emoji_names: 'bool' };
const ENCODING_BOUNDS: Record<string, [number, number]> = { max_length: [8, 4096], context_tokens: [0, 4096], stride: [0, 4096], max_chunks: [1, 1 << 20] };

/** Reads a bundle's files by name. */
export interface BundleSource {
  readonly where: string;
  read(name: string): Promise<Uint8Array | null>;
  sha256?(name: string): Promise<string | null>;
}

export class BundleError extends Error {
  constructor(message: string) { super(message); this.name = 'BundleError'; }
}
/** kind: 'unsigned', 'untrusted' (a key nobody trusted), 'invalid' (does not match), 'malformed' (as Python's). */
export type SignatureProblem = 'unsigned' | 'untrusted' | 'invalid' | 'malformed';
export class SignatureError extends BundleError {
  constructor(message: string, readonly kind: SignatureProblem = 'invalid') { super(message); this.name = 'SignatureError'; }
}

/** What to do about a refused signature (said after the reason, as Python's runtime/trust.py does). */
export const ALLOW = '--allow-unsigned (allowUnsigned: true) loads it unverified';
export const HOW_TO_TRUST = `trust its signer's key with --trusted-key PUB or TINYGUARD_TRUSTED_KEYS (trustedKeys in code); ${ALLOW}`;

export interface Manifest {
  raw: Record<string, any>;
  name: string;
  version: string;
  modelId: string;
  modelFile: string;
  tokenizerFile: string;
  /** The binary threshold of prompts (and of responses when `responseThreshold` is null). */
  threshold: number;
  /** Spec 1.2: responses' own threshold (manifest `response_threshold`); null: they use `threshold`. */
  responseThreshold: number | null;
  categoryThresholds: number[];
  presets: Record<string, number>;
  encoding: { max_length: number; context_tokens: number; stride: number; max_chunks: number; emoji_names: boolean };
  defenses: unknown;
  files: Record<string, string>;
  /** Id of the trusted key whose signature matched ('' when none did: loaded with allowUnsigned). */
  signedBy: string;
  /** Where that key came from ('project key', a path). */
  signer: string;
  /** Why the bundle is not verified ('' when it is). */
  unverified: string;
  /** Steps the manifest lists that this runtime does not implement (spec section 5). */
  missingSteps: string[];
  /** ISO 639 codes of the languages the model was trained on (absent: English only; spec 3.16). */
  languages: string[];
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function unit(v: unknown, key: string, bad: (m: string) => BundleError): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw bad(`'${key}' must be a number in [0, 1], not ${JSON.stringify(v)}`);
  return v;
}

/** Duplicate keys in a JSON text (JSON.parse keeps the last one; a manifest names each key once). */
function duplicateKey(text: string): string | null {
  const stack: Set<string>[] = [];
  const re = /"(?:[^"\\]|\\.)*"\s*:|[{}]|"(?:[^"\\]|\\.)*"/gs;
  for (const m of text.matchAll(re)) {
    const t = m[0];
    if (t === '{') stack.push(new Set());
    else if (t === '}') stack.pop();
    else if (t.endsWith(':')) {
      const key = JSON.parse(t.slice(0, t.lastIndexOf('"') + 1));
      const top = stack[stack.length - 1];
      if (top?.has(key)) return key;
      top?.add(key);
    }
  }
  return null;
}

export function parseManifest(bytes: Uint8Array, where: string): Manifest {
  const bad = (m: string) => new BundleError(`bundle ${where}: ${m}`);
  let text: string;
  let raw: any;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    raw = JSON.parse(text);
  } catch (e) {
    throw bad(`${MANIFEST} is not valid JSON: ${(e as Error).message}`);
  }
  const dup = duplicateKey(text);
  if (dup !== null) throw bad(`${MANIFEST}: duplicate key '${dup}' (a manifest names each key once)`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`${MANIFEST} must hold a JSON object`);
  if ('schema_version' in raw && raw.schema_version !== SCHEMA_VERSION) {
    throw bad(`unknown schema_version ${JSON.stringify(raw.schema_version)}; this runtime reads schema_version ${SCHEMA_VERSION}`);
  }
  const missing = REQUIRED.filter((k) => !(k in raw));
  if (missing.length) throw bad(`${MANIFEST} is missing required keys: ${missing.join(', ')}`);
  for (const k of ['name', 'version', 'model_file', 'tokenizer_file']) {
    if (typeof raw[k] !== 'string' || !raw[k]) throw bad(`'${k}' must be a non-empty string`);
  }
  const files = raw.files;
  if (typeof files !== 'object' || files === null || Array.isArray(files)) throw bad("'files' must map file names to sha256 hex digests");
  for (const [name, digest] of Object.entries(files)) {
    if (!SAFE_NAME.test(name) || name === MANIFEST || name === SIGNATURE_FILE) throw bad(`unsafe file name ${JSON.stringify(name)}`);
    if (typeof digest !== 'string' || !/^[0-9a-f]{64}$/.test(digest)) throw bad(`'files' entry for ${name} is not a lowercase sha256 hex digest`);
  }
  for (const k of ['model_file', 'tokenizer_file']) {
    if (!SAFE_NAME.test(raw[k])) throw bad(`unsafe file name ${JSON.stringify(raw[k])}`);
    if (!(raw[k] in files)) throw bad(`${k} ${raw[k]} is not listed in 'files' (its hash must be pinned)`);
  }
  const cats = raw.labels?.categories;
  if (!Array.isArray(cats) || cats.join(',') !== CATEGORIES.join(',')) {
    throw bad(`label categories ${JSON.stringify(cats)} do not match this runtime's taxonomy (same names, same order)`);
  }
  const threshold = unit(raw.threshold, 'threshold', bad);
  const responseThreshold = 'response_threshold' in raw ? unit(raw.response_threshold, 'response_threshold', bad) : null;
  const ct = raw.category_thresholds;
  if (typeof ct !== 'object' || ct === null) throw bad("'category_thresholds' must be an object");
  for (const k of Object.keys(ct)) if (!(CATEGORIES as readonly string[]).includes(k)) throw bad(`category_thresholds names unknown categories: ${k}`);
  const categoryThresholds = CATEGORIES.map((c) => (c in ct ? unit(ct[c], `category_thresholds.${c}`, bad) : threshold));
  const presets: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw.presets ?? {})) presets[k] = unit(v, `presets.${k}`, bad);
  const enc = raw.encoding;
  if (typeof enc !== 'object' || enc === null) throw bad("'encoding' must be an object");
  for (const [k, v] of Object.entries(enc)) {
    const kind = ENCODING_KEYS[k];
    if (!kind) throw bad(`'encoding' has unknown keys ["${k}"]`);
    if (kind === 'bool' ? typeof v !== 'boolean' : !Number.isInteger(v)) throw bad(`'encoding.${k}' has the wrong type: ${JSON.stringify(v)}`);
    const bounds = ENCODING_BOUNDS[k];
    if (bounds && !((v as number) >= bounds[0] && (v as number) <= bounds[1])) throw bad(`'encoding.${k}' must be in [${bounds[0]}, ${bounds[1]}], not ${v}`);
  }
  for (const k of ['max_length', 'context_tokens', 'stride', 'max_chunks']) if (!(k in enc)) throw bad(`'encoding' is missing ["${k}"]`);
  for (const k of ['context_tokens', 'stride']) if (enc[k] >= enc.max_length) throw bad(`'encoding.${k}' must be below max_length`);
  const norm = raw.normalization;
  if (JSON.stringify(Object.entries(norm ?? {}).sort()) !== JSON.stringify(Object.entries(NORMALIZATION).sort())) {
    throw bad(`normalization ${JSON.stringify(norm)} differs from this runtime's ${JSON.stringify(NORMALIZATION)}`);
  }
  const languages = raw.languages ?? ['en'];
  if (!Array.isArray(languages) || !languages.length || !languages.every((c) => typeof c === 'string' && /^[a-z]{2,3}$/.test(c))) {
    throw bad('\'languages\' must be a non-empty list of ISO 639 codes such as "en"');
  }
  let lacking: string[];
  try {
    lacking = missingSteps(raw.steps, raw.defenses, enc.emoji_names ?? false, undefined, responseThreshold !== null);
  } catch (e) {
    throw bad((e as Error).message);
  }
  return {
    raw, name: raw.name, version: raw.version, modelId: `${raw.name}@${raw.version}`, modelFile: raw.model_file,
    tokenizerFile: raw.tokenizer_file, threshold, responseThreshold, categoryThresholds, presets,
    encoding: { max_length: enc.max_length, context_tokens: enc.context_tokens, stride: enc.stride, max_chunks: enc.max_chunks, emoji_names: enc.emoji_names ?? false },
    defenses: raw.defenses, files: { ...files }, signedBy: '', signer: '', unverified: '', missingSteps: lacking,
    languages: [...languages],
  };
}

/** A trusted Ed25519 public key: raw 32 bytes, from a PEM SubjectPublicKeyInfo. */
export interface PublicKey { raw: Uint8Array; keyId: string; source: string }

const SPKI_PREFIX = '302a300506032b6570032100';

export function publicKeyFromPem(pem: string, source = ''): PublicKey {
  const body = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
  if (!pem.includes('BEGIN PUBLIC KEY')) {
    throw new BundleError(`trusted key ${source} is not a PEM public key${pem.includes('PRIVATE KEY') ? ' (that is a private key; trust its .pub file)' : ''}`);
  }
  const der = base64Decode(body);
  if (der === null || der.length !== 44 || hex(der.slice(0, 12)) !== SPKI_PREFIX) throw new BundleError(`trusted key ${source} is not an Ed25519 key`);
  const raw = der.slice(12);
  return { raw, keyId: hex(sha256(raw)).slice(0, 16), source };
}

function base64Decode(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4) return null;
  const bin = atob(s);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export interface LoadOptions {
  /** The keys the signature is checked against (none: nothing is trusted, so the bundle is refused unless allowUnsigned). */
  trustedKeys: PublicKey[];
  /** Load a bundle whose signature is missing, foreign or broken; the reason is kept in Manifest.unverified. */
  allowUnsigned?: boolean;
  /** A bundle shipped with tinyguard, checked against the project key only: the hint says so. */
  bundled?: boolean;
}

/** The verified manifest and the bytes of every file the guard opens. */
export async function loadBundle(src: BundleSource, opts: LoadOptions): Promise<{ manifest: Manifest; model: Uint8Array; tokenizer: Uint8Array }> {
  const where = src.where;
  const data = await src.read(MANIFEST);
  if (data === null) throw new BundleError(`bundle ${where}: ${MANIFEST} is missing`);
  const manifest = parseManifest(data, where);
  const blobs = new Map<string, Uint8Array>();
  for (const [name, expected] of Object.entries(manifest.files)) {
    let actual: string | null;
    if (src.sha256 && name !== manifest.modelFile && name !== manifest.tokenizerFile) {
      actual = await src.sha256(name);
    } else {
      const bytes = await src.read(name);
      if (bytes !== null) blobs.set(name, bytes);
      actual = bytes === null ? null : hex(sha256(bytes));
    }
    if (actual === null) throw new BundleError(`bundle ${where}: file ${name} listed in ${MANIFEST} is missing`);
    if (actual !== expected) {
      throw new BundleError(`bundle ${where}: sha256 mismatch for ${name} (manifest ${expected.slice(0, 12)}..., file ${actual.slice(0, 12)}...); the file was modified or corrupted`);
    }
  }
  try {
    const key = await checkSignature(src, data, opts.trustedKeys);
    manifest.signedBy = key.keyId;
    manifest.signer = key.source || key.keyId;
  } catch (e) {
    if (!(e instanceof SignatureError)) throw e;
    if (opts.allowUnsigned) {
      manifest.unverified = e.kind === 'unsigned' ? `bundle ${where} is not signed` : e.message;
    } else {
      const hint = opts.bundled
        ? `a bundled model must be signed by the project key (re-sign it: guard-cli sign --key PROJECT_PRIVATE_KEY); ${ALLOW}`
        : e.kind === 'unsigned' || e.kind === 'untrusted' ? HOW_TO_TRUST : ALLOW;
      throw new SignatureError(`${e.message}; ${hint}`, e.kind);
    }
  }
  return { manifest, model: blobs.get(manifest.modelFile)!, tokenizer: blobs.get(manifest.tokenizerFile)! };
}

/** The trusted key that signed the manifest bytes (the signature is checked on the very bytes parsed). */
async function checkSignature(src: BundleSource, manifestBytes: Uint8Array, trusted: PublicKey[]): Promise<PublicKey> {
  const where = src.where;
  const sig = await src.read(SIGNATURE_FILE);
  if (sig === null) throw new SignatureError(`bundle ${where} is not signed (no ${SIGNATURE_FILE}); sign it with: guard-cli sign --bundle ${where} --key PRIVATE_KEY`, 'unsigned');
  let record: any;
  try {
    record = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(sig));
  } catch (e) {
    throw new SignatureError(`bundle ${where}: ${SIGNATURE_FILE} cannot be read as JSON: ${(e as Error).message}`, 'malformed');
  }
  if (typeof record !== 'object' || record === null) throw new SignatureError(`bundle ${where}: ${SIGNATURE_FILE} must hold a JSON object`, 'malformed');
  if (record.format !== SIGNATURE_FORMAT || record.algorithm !== 'ed25519') {
    throw new SignatureError(`bundle ${where}: ${SIGNATURE_FILE}: unknown format/algorithm ${record.format}/${record.algorithm}`, 'malformed');
  }
  for (const k of ['key_id', 'signature']) if (typeof record[k] !== 'string') throw new SignatureError(`bundle ${where}: ${SIGNATURE_FILE}: '${k}' must be a string`, 'malformed');
  const candidates = trusted.filter((k) => k.keyId === record.key_id);
  if (!candidates.length) {
    throw new SignatureError(`bundle ${where} is signed by key ${record.key_id}, which is not a trusted key (trusted: ${trusted.map((k) => k.keyId).join(', ') || 'none'})`, 'untrusted');
  }
  const signature = base64Decode(record.signature);
  if (signature === null) throw new SignatureError(`bundle ${where}: ${SIGNATURE_FILE} 'signature' is not base64`);
  const message = new Uint8Array(DOMAIN.length + manifestBytes.length);
  message.set(DOMAIN);
  message.set(manifestBytes, DOMAIN.length);
  for (const key of candidates) {
    if (signature.length === 64 && ed.verify(signature, message, key.raw)) return key;
  }
  const changed = record.manifest_sha256 !== undefined && record.manifest_sha256 !== hex(sha256(manifestBytes));
  throw new SignatureError(`bundle ${where}: signature by key ${record.key_id} does not match ${MANIFEST} (${changed ? 'the manifest changed after it was signed' : 'the signature is not valid'}); the bundle was modified, or must be re-signed with guard-cli sign`);
}
