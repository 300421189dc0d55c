// Test helpers: a private copy of the default bundle in a tmp folder, manifest edits, and a signature by a
// key made for the test with node:crypto (not the verifier's library), in the tinyguard-signature/1 format.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const bundle = new URL('../../runtime/models/micro', import.meta.url).pathname;
const DOMAIN = 'tinyguard bundle manifest signature v1\n';
export const sha = (b) => createHash('sha256').update(b).digest('hex');

/** Run `fn(copy, dir)` on a copy of the default bundle; the tmp folder is removed afterwards. */
export async function withCopy(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'tg-copy-'));
  try {
    const copy = join(dir, 'b');
    cpSync(bundle, copy, { recursive: true });
    return await fn(copy, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function editManifest(copy, edit) {
  const m = join(copy, 'manifest.json');
  writeFileSync(m, edit(readFileSync(m, 'utf8')));
}

/** An edit of the parsed manifest object. */
export const editJson = (f) => (text) => JSON.stringify(f(JSON.parse(text)), null, 2);

/** Sign the copy's manifest with a new key; returns { pem (path of its public key), keyId }. */
export function signWithNewKey(copy, dir) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const manifest = readFileSync(join(copy, 'manifest.json'));
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
  const record = { format: 'tinyguard-signature/1', algorithm: 'ed25519', key_id: sha(raw).slice(0, 16),
    manifest_sha256: sha(manifest), signature: sign(null, Buffer.concat([Buffer.from(DOMAIN), manifest]), privateKey).toString('base64') };
  writeFileSync(join(copy, 'manifest.sig'), JSON.stringify(record));
  const pem = join(dir, `key-${record.key_id}.pub`);
  writeFileSync(pem, publicKey.export({ format: 'pem', type: 'spki' }));
  return { pem, keyId: record.key_id };
}
