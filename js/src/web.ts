/**
 * Browsers and Electron renderers: a bundle served with the page, scored with onnxruntime-web's wasm
 * build (`onnxruntime-web/wasm`; serve its ort-wasm-simd-threaded.wasm with the page, see wasmPaths).
 */
import * as ort from 'onnxruntime-web/wasm';  // the CPU (wasm) build only: one .wasm file to serve
import { publicKeyFromPem, type BundleSource } from './bundle.js';
import { Guard, type GuardOptions } from './guard.js';
import { PROJECT_KEY_PEM } from './project-key.js';
import type { OrtLike } from './runner.js';

export * from './index.js';

/** A bundle at `base` (a URL of the page's own origin), read with fetch. */
export function urlSource(base: string): BundleSource {
  const root = base.endsWith('/') ? base : base + '/';
  return {
    where: root,
    read: async (name) => {
      const r = await fetch(root + name);
      return r.ok ? new Uint8Array(await r.arrayBuffer()) : null;
    },
  };
}

/**
 * Guard.load in a browser. `wasmPaths`: where onnxruntime-web's .wasm/.mjs files are served
 * (the page's own files; nothing is fetched from a CDN). The signature must match the project key,
 * or `trustedKeys` when given (publicKeyFromPem); `allowUnsigned` loads a bundle that fails the check,
 * and every verdict then says bundle_verified: false.
 */
export async function loadGuard(base: string, opts: GuardOptions & { wasmPaths: string }): Promise<Guard> {
  ort.env.wasm.wasmPaths = opts.wasmPaths;
  ort.env.wasm.numThreads = 1;
  const keys = opts.trustedKeys ?? [publicKeyFromPem(PROJECT_KEY_PEM, 'project key')];
  return Guard.load(urlSource(base), ort as unknown as OrtLike, { ...opts, trustedKeys: keys });
}
