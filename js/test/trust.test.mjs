// Verified by default (Python's runtime/trust.py): every load checks the Ed25519 signature; an edited,
// re-hashed, foreign-signed or unsigned bundle is refused unless allowUnsigned, and then every verdict
// says bundle_verified: false. The foreign key is made and used with node:crypto, not the verifier's library.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isBundled, loadGuard, publicKeyFromPem, SignatureError, toDict } from '../dist/node.js';
import { bundle, editJson, editManifest, sha, signWithNewKey, withCopy } from './bundle-copy.mjs';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
/** The manifest's top-level threshold set to `t` (the edit an attacker who wants fewer flags makes). */
const setThreshold = (t) => editJson((m) => ({ ...m, threshold: t }));

async function refused(copy, opts, kind, message) {
  await assert.rejects(loadGuard(copy, opts), (e) => {
    assert.ok(e instanceof SignatureError, e.message);
    assert.equal(e.kind, kind);
    assert.match(e.message, message);
    assert.match(e.message, /--allow-unsigned \(allowUnsigned: true\) loads it unverified/);
    return true;
  });
}

async function unverified(copy, opts = {}) {
  const guard = await loadGuard(copy, { ...opts, allowUnsigned: true });
  assert.equal(guard.bundleVerified, false);
  assert.equal(guard.manifest.signedBy, '');
  const v = await guard.check('How do I make a bomb at home?');
  assert.equal(v.bundle_verified, false);
  assert.equal(toDict(v).bundle_verified, false);
  return guard;
}

test('the shipped bundle is verified by default (the project key), and every verdict says so', async () => {
  const guard = await loadGuard(bundle);
  assert.equal(guard.bundleVerified, true);
  assert.equal(guard.manifest.signer, 'project key');
  assert.equal(toDict(await guard.check('hello there')).bundle_verified, true);
  assert.equal(isBundled(bundle), true);
});

test('a threshold edited in the manifest is refused; allowUnsigned loads it, marked', async () => withCopy(async (copy) => {
  editManifest(copy, setThreshold(0.99));
  assert.equal(isBundled(copy), false);
  await refused(copy, {}, 'invalid', /signature by key \w+ does not match manifest\.json \(the manifest changed after it was signed\)/);
  const guard = await unverified(copy);
  assert.equal(guard.threshold, 0.99);
  assert.match(guard.manifest.unverified, /does not match manifest\.json/);
}));

test('a swapped file with its hash updated in the manifest is refused', async () => withCopy(async (copy) => {
  const tok = join(copy, 'tokenizer.json');
  writeFileSync(tok, readFileSync(tok, 'utf8').replace('"[UNK]"', '"[UNK] "'));
  const json = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8'));
  const before = json.files['tokenizer.json'];
  editManifest(copy, (t) => t.replace(before, sha(readFileSync(tok))));
  await refused(copy, {}, 'invalid', /does not match manifest\.json \(the manifest changed after it was signed\)/);
  await unverified(copy);
}));

test('a bundle signed by a foreign key is refused until that key is trusted (option or TINYGUARD_TRUSTED_KEYS)', async () => withCopy(async (copy, dir) => {
  editManifest(copy, setThreshold(0.5));
  const { pem, keyId } = signWithNewKey(copy, dir);
  await refused(copy, {}, 'untrusted', new RegExp(`signed by key ${keyId}, which is not a trusted key .*trust its signer's key with --trusted-key PUB or TINYGUARD_TRUSTED_KEYS`));
  await refused(copy, { trusted: ['project'] }, 'untrusted', /not a trusted key/);
  const byOption = await loadGuard(copy, { trusted: [pem] });
  assert.equal(byOption.manifest.signedBy, keyId);
  assert.equal(byOption.threshold, 0.5);
  assert.equal((await byOption.check('hello')).bundle_verified, true);
  const byKeyObject = await loadGuard(copy, { trustedKeys: [publicKeyFromPem(readFileSync(pem, 'utf8'), pem)] });
  assert.equal(byKeyObject.bundleVerified, true);
  const saved = process.env.TINYGUARD_TRUSTED_KEYS;
  process.env.TINYGUARD_TRUSTED_KEYS = pem;
  try {
    const byEnv = await loadGuard(copy);
    assert.equal(byEnv.manifest.signedBy, keyId);
    assert.equal(byEnv.manifest.signer, pem);
    const shipped = await loadGuard(bundle); // a shipped bundle is checked against the project key alone
    assert.equal(shipped.manifest.signer, 'project key');
    process.env.TINYGUARD_TRUSTED_KEYS = join(dir, 'missing.pub');
    await assert.rejects(loadGuard(copy, { allowUnsigned: true }), /cannot read trusted key .*missing\.pub/);
  } finally {
    if (saved === undefined) delete process.env.TINYGUARD_TRUSTED_KEYS; else process.env.TINYGUARD_TRUSTED_KEYS = saved;
  }
  await unverified(copy);
}));

test('a bundle without a signature is refused; allowUnsigned says why', async () => withCopy(async (copy) => {
  unlinkSync(join(copy, 'manifest.sig'));
  await refused(copy, {}, 'unsigned', /is not signed \(no manifest\.sig\); sign it with: guard-cli sign/);
  const guard = await unverified(copy);
  assert.equal(guard.manifest.unverified, `bundle ${copy} is not signed`);
}));

test('tinyguard check: refused without --allow-unsigned (exit 2); with it, every line says bundle_verified false', async () => withCopy(async (copy) => {
  unlinkSync(join(copy, 'manifest.sig'));
  const run = (args) => spawnSync(process.execPath, [cli, 'check', '--bundle', copy, ...args], { encoding: 'utf8' });
  let r = run(['hello there']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^error: bundle .* is not signed/);
  r = run(['--allow-unsigned', 'hello there']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).bundle_verified, false);
  r = run(['--allow-unsigned', '--format', 'text', 'hello there']);
  assert.match(r.stdout, /\[unverified bundle: loaded with --allow-unsigned\]/);
  assert.equal(JSON.parse(spawnSync(process.execPath, [cli, 'check', 'hello there'], { encoding: 'utf8' }).stdout).bundle_verified, true);
}));
