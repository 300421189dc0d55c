/** Node and Electron (main process): bundles from a folder, scored with onnxruntime-node. */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import './ortenv.js';  // before onnxruntime-node: telemetry off (see ortenv.ts)
import * as ort from 'onnxruntime-node';
import { BundleError, publicKeyFromPem, type BundleSource, type PublicKey } from './bundle.js';
import { Guard, type GuardOptions } from './guard.js';
import { PROJECT_KEY_PEM } from './project-key.js';
import type { OrtLike } from './runner.js';

export * from './index.js';

/** A bundle folder on disk. */
export function folderSource(dir: string): BundleSource {
  const root = resolve(dir);
  const file = async (name: string) => {
    const p = join(root, name);
    try {
      if (!(await stat(p)).isFile()) return null;
      return p;
    } catch {
      return null;
    }
  };
  return {
    where: dir,
    read: async (name) => {
      const p = await file(name);
      return p === null ? null : new Uint8Array(await readFile(p));
    },
    sha256: async (name) => {
      const p = await file(name);
      return p === null ? null : createHash('sha256').update(await readFile(p)).digest('hex');
    },
  };
}

/** Trusted keys from PEM files ('project': the key shipped with tinyguard). */
export async function trustedKeys(sources: string[]): Promise<PublicKey[]> {
  return Promise.all(sources.map(async (s) => {
    if (s === 'project') return publicKeyFromPem(PROJECT_KEY_PEM, 'project key');
    let pem: string;
    try {
      pem = await readFile(s, 'utf8');
    } catch (e) {
      throw new BundleError(`cannot read trusted key ${s}: ${(e as Error).message}`);
    }
    return publicKeyFromPem(pem, s);
  }));
}

/** Where Python installs its shipped bundles, in a checkout: ../../runtime/models from dist/. */
const MODELS = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'runtime', 'models');

/** A bundle shipped with tinyguard (a folder of runtime/models/): trusted only when signed by the project key. */
export function isBundled(dir: string): boolean {
  return dirname(resolve(dir)) === MODELS;
}

/** The paths in TINYGUARD_TRUSTED_KEYS (separated like PATH), the user's trusted keys. */
export function userKeys(): string[] {
  return (process.env.TINYGUARD_TRUSTED_KEYS ?? '').split(delimiter).filter((p) => p.trim());
}

/**
 * Guard.load for Node: a bundle folder, its hashes and its signature verified. The signature must be by
 * a trusted key: `trusted` (PEM paths, or 'project') or `trustedKeys` when given; else the project key
 * for a bundle shipped with tinyguard, and the project key plus TINYGUARD_TRUSTED_KEYS for any other
 * (Python's runtime/trust.py; its config file's [trust] keys are not read here). `allowUnsigned` loads a
 * bundle that fails the check, and every verdict then says bundle_verified: false.
 */
export async function loadGuard(dir: string, opts: GuardOptions & { trusted?: string[] } = {}): Promise<Guard> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error();
  } catch {
    throw new BundleError(`bundle folder not found: ${dir}`);
  }
  const bundled = isBundled(dir);
  const explicit = opts.trustedKeys ?? (opts.trusted?.length ? await trustedKeys(opts.trusted) : undefined);
  const keys = explicit ?? await trustedKeys(bundled ? ['project'] : ['project', ...userKeys()]);
  return Guard.load(folderSource(dir), ort as unknown as OrtLike, { ...opts, trustedKeys: keys, bundled: bundled && !explicit });
}
