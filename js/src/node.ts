/** Node and Electron (main process): bundles from a folder, scored with onnxruntime-node. */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
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

/** Guard.load for Node: a bundle folder, verified (hashes; the signature when trustedKeys are given). */
export async function loadGuard(dir: string, opts: GuardOptions & { trusted?: string[] } = {}): Promise<Guard> {
  const keys = opts.trustedKeys ?? (opts.trusted ? await trustedKeys(opts.trusted) : []);
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error();
  } catch {
    throw new BundleError(`bundle folder not found: ${dir}`);
  }
  return Guard.load(folderSource(dir), ort as unknown as OrtLike, { ...opts, trustedKeys: keys });
}
