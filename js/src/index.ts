/** tinyguard: the runtime's steps in TypeScript, on ONNX Runtime's JavaScript API. Platform entry points: ./node, ./web. */
export { Guard, toDict, DEFAULT_MAX_CHARS, DEFAULT_MIN_COVERAGE } from './guard.js';
export type { GuardOptions, CheckOptions, Trace } from './guard.js';
export { StreamChecker } from './stream.js';
export { BundleError, SignatureError, publicKeyFromPem, loadBundle, parseManifest } from './bundle.js';
export type { BundleSource, Manifest, PublicKey } from './bundle.js';
export type { Verdict, Role, Policy } from './verdict.js';
export { CATEGORIES } from './verdict.js';
export type { OrtLike } from './runner.js';
export { normalize } from './normalize.js';
export { PROJECT_KEY_PEM } from './project-key.js';

/** Files of a bundle held in memory (React Native assets, a zip, a test). */
export function memorySource(files: Record<string, Uint8Array>, where = 'memory'): import('./bundle.js').BundleSource {
  return { where, read: async (name) => files[name] ?? null };
}
