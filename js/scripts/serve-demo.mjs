// A tiny static file server for the demo page (demo/build/), bound to loopback: no directory listings,
// nothing outside the folder, every request remembered (the browser test compares them with the page's).
// Usage: node scripts/serve-demo.mjs [--port N] [DIR]   (DIR: default demo/build; run npm run demo first)
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.ort': 'application/octet-stream',
  '.md': 'text/markdown; charset=utf-8', '.sig': 'application/json', '.gz': 'application/gzip', '.png': 'image/png',
};

/** Serve `root` on 127.0.0.1:`port` (0: any free port). Resolves to { url, requests, close }. */
export async function serveStatic(root, port = 0) {
  const base = resolve(root);
  const requests = [];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    requests.push(path);
    const file = resolve(join(base, path.endsWith('/') ? path + 'index.html' : path));
    if (req.method !== 'GET' || (file !== base && !file.startsWith(base + sep))) { res.writeHead(404).end(); return; }
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok, fail) => server.once('error', fail).listen(port, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}/`;
  return { url, requests, close: () => new Promise((ok) => server.close(ok)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--port');
  const port = i >= 0 ? Number(args.splice(i, 2)[1]) : 8080;
  const dir = args[0] ?? fileURLToPath(new URL('../demo/build', import.meta.url));
  await stat(join(dir, 'index.html')).catch(() => { console.error(`error: ${dir}/index.html not found (npm run demo builds it)`); process.exit(2); });
  const { url } = await serveStatic(dir, port);
  console.log(`tinyguard demo: ${url} (Ctrl-C stops)`);
}
