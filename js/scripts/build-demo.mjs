// Build the browser demo into demo/build/: a folder any static server can serve as it is.
//   index.html, demo.js (demo/demo.mjs + this package + onnxruntime-web's wasm build, one esbuild bundle),
//   ort/ort-wasm-simd-threaded.{mjs,wasm} (onnxruntime-web's glue and kernels, fetched by it from here:
//   wasmPaths points here; built with its 'onnxruntime-web-use-extern-wasm' condition so the glue is not twice),
//   bundle/ (manifest.json, manifest.sig and every file the manifest pins, copied from --bundle DIR).
// Usage: node scripts/build-demo.mjs [--bundle DIR] [--out DIR]   (defaults: runtime/models/micro, demo/build)
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What onnxruntime-web's wasm build fetches (single-threaded: no worker file). */
const ORT_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : fallback; };
const bundle = opt('--bundle', join(root, '..', 'runtime', 'models', 'default'));
const out = opt('--out', join(root, 'demo', 'build'));

const manifestPath = join(bundle, 'manifest.json');
if (!existsSync(manifestPath)) { console.error(`error: ${manifestPath} not found (--bundle DIR: a bundle folder)`); process.exit(2); }
if (!existsSync(join(root, 'dist', 'web.js'))) { console.error('error: dist/web.js not found (npm run build first)'); process.exit(2); }
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));

rmSync(out, { recursive: true, force: true });
for (const d of ['ort', 'bundle']) mkdirSync(join(out, d), { recursive: true });
await build({
  entryPoints: [join(root, 'demo', 'demo.mjs')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
  conditions: ['onnxruntime-web-use-extern-wasm'], minify: true, legalComments: 'linked', outfile: join(out, 'demo.js'), logLevel: 'warning',
});
copyFileSync(join(root, 'demo', 'index.html'), join(out, 'index.html'));
const require = createRequire(import.meta.url);
for (const f of ORT_FILES) copyFileSync(require.resolve(`onnxruntime-web/${f}`), join(out, 'ort', f));
const files = ['manifest.json', ...(existsSync(join(bundle, 'manifest.sig')) ? ['manifest.sig'] : []), ...Object.keys(manifest.files)];
for (const f of files) copyFileSync(join(bundle, f), join(out, 'bundle', f));
console.log(`demo built in ${out}: ${manifest.name}@${manifest.version} (${files.length} bundle files); serve it with node scripts/serve-demo.mjs`);
