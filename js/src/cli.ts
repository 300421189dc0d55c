#!/usr/bin/env node
/**
 * tinyguard check: the contract of `guard-cli check` (one JSON line per input line, same fields,
 * same exit codes: 0 nothing flagged, 1 something flagged, 2 error, 3 lines not checked).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { loadGuard, toDict, type Guard, type Verdict } from './node.js';

const USAGE = `usage: tinyguard check [TEXT | - | --input FILE] [--bundle DIR] [--role prompt|response] [--context TEXT]
                       [--threshold F] [--no-defenses] [--trusted-key PEM|project]... [--allow-unsigned] [--max-chars N]
                       [--min-coverage F] [--on-unchecked flag|report|pass] [--on-missing-step refuse|unchecked]
                       [--skip-errors] [--format json|text]`;
const GROUP = 512;

function fail(msg: string): never {
  process.stderr.write(`error: ${msg.split(/\s+/).join(' ')}\n`);
  process.exit(2);
}

interface Opts { [k: string]: string | boolean | string[] }

function parse(argv: string[]): { positional: string[]; opts: Opts } {
  const flags = new Set(['--no-defenses', '--skip-errors', '--allow-unsigned']);
  const opts: Opts = { trusted: [] };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') { process.stdout.write(USAGE + '\n'); process.exit(0); }
    if (a.startsWith('--') && a !== '--') {
      const [k, inline] = a.split(/=(.*)/s, 2);
      if (flags.has(k)) { opts[k] = true; continue; }
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`option ${k} needs a value (see 'tinyguard --help')`);
      if (k === '--trusted-key') (opts.trusted as string[]).push(v);
      else opts[k] = v;
    } else positional.push(a);
  }
  return { positional, opts };
}

function verdictLine(v: Verdict): string {
  let line = `${(v.flagged ? 'FLAGGED' : 'ok').padEnd(7)} ${v.score.toFixed(3)}`;
  if (v.flagged && v.score >= v.threshold) {
    const shown = Object.entries(v.category_scores).sort((a, b) => b[1] - a[1]).filter(([c]) => v.categories[c]);
    line += '  ' + (shown.length ? shown.map(([c, s]) => `${c} ${s.toFixed(2)}`).join(', ') : 'no category fired');
  }
  if (v.unchecked.length) line += `  [not fully checked: ${v.unchecked.map((r) => (r === 'unsupported' ? `unsupported (coverage ${v.coverage.toFixed(2)})` : r)).join(', ')}]`;
  return line + (v.bundle_verified ? '' : '  [unverified bundle: loaded with --allow-unsigned]');
}

/** Python's repr of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : x < 0 ? '-Infinity' : 'NaN';
  const [mant, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let out: string;
  if (exp >= -4 && exp < 16) {
    if (exp >= digits.length - 1) out = digits + '0'.repeat(exp - digits.length + 1) + '.0';
    else if (exp >= 0) out = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
    else out = '0.' + '0'.repeat(-exp - 1) + digits;
  } else {
    out = (digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits) + 'e' + (exp < 0 ? '-' : '+') + String(Math.abs(exp)).padStart(2, '0');
  }
  return (neg ? '-' : '') + out;
}

const FLOAT_KEYS = new Set(['score', 'threshold', 'latency_ms', 'coverage']);

/** A verdict as Python's json.dumps(record, ensure_ascii=False) writes it. */
function verdictJson(d: Record<string, unknown>, line?: number): string {
  const value = (k: string, v: unknown): string => {
    if (FLOAT_KEYS.has(k)) return pyFloat(v as number);
    if (k === 'category_scores') return '{' + Object.entries(v as Record<string, number>).map(([c, x]) => `${JSON.stringify(c)}: ${pyFloat(x)}`).join(', ') + '}';
    if (k === 'categories') return '{' + Object.entries(v as Record<string, boolean>).map(([c, x]) => `${JSON.stringify(c)}: ${x}`).join(', ') + '}';
    if (Array.isArray(v)) return '[' + v.map((x) => JSON.stringify(x)).join(', ') + ']';
    return JSON.stringify(v);
  };
  const parts = line === undefined ? [] : [`"line": ${line}`];
  for (const [k, v] of Object.entries(d)) parts.push(`${JSON.stringify(k)}: ${value(k, v)}`);
  return '{' + parts.join(', ') + '}';
}

const JSONL = /\.(jsonl|ndjson)$/i;

function* lines(path: string, role: string, context: string): Generator<{ line: number; text?: string; role?: string; context?: string; skipped?: string; error?: string }> {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (e) {
    fail((e as NodeJS.ErrnoException).code === 'ENOENT' ? `input file not found: ${path}` : `cannot read ${path}: ${(e as Error).message}`);
  }
  let start = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0;
  if (data.subarray(0, 65536).includes(0)) fail(`${path} looks like a binary file or UTF-16; expected UTF-8 text`);
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let n = 0;
  while (start < data.length) {
    let end = data.indexOf(0x0a, start);
    const next = end < 0 ? data.length : end + 1;
    if (end < 0) end = data.length;
    let raw = data.subarray(start, end);
    if (raw[raw.length - 1] === 0x0d) raw = raw.subarray(0, raw.length - 1);
    start = next;
    n += 1;
    let text: string;
    try {
      text = strict.decode(raw);
    } catch {
      yield { line: n, error: 'not valid UTF-8' };
      continue;
    }
    if (!text.trim()) { yield { line: n, skipped: 'blank line' }; continue; }
    if (!JSONL.test(path)) { yield { line: n, text, role, context }; continue; }
    let obj: any;
    try { obj = JSON.parse(text); } catch (e) { yield { line: n, error: `invalid JSON (${(e as Error).message})` }; continue; }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) { yield { line: n, error: 'expected a JSON object' }; continue; }
    if (typeof obj.text !== 'string') { yield { line: n, error: "'text' must be a string" }; continue; }
    if (!obj.text.trim()) { yield { line: n, error: 'empty text' }; continue; }
    const r = obj.role ?? role;
    if (r !== 'prompt' && r !== 'response') { yield { line: n, error: `role must be one of ['prompt', 'response'], not '${r}'` }; continue; }
    const ctx = obj.context ?? context;
    if (typeof ctx !== 'string') { yield { line: n, error: "'context' must be a string" }; continue; }
    yield { line: n, text: obj.text, role: r, context: ctx };
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--version') {
    const here = dirname(fileURLToPath(import.meta.url));
    process.stdout.write(`tinyguard ${JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')).version}\n`);
    return;
  }
  if (argv[0] !== 'check') fail(`unknown command ${argv[0] ?? ''}; ${USAGE}`);
  const { positional, opts } = parse(argv.slice(1));
  const input = opts['--input'] as string | undefined;
  const role = (opts['--role'] as string) ?? 'prompt';
  if (role !== 'prompt' && role !== 'response') fail(`invalid value for '--role': '${role}' is not one of 'prompt', 'response'`);
  const context = (opts['--context'] as string) ?? '';
  const fmt = (opts['--format'] as string) ?? 'json';
  const policy = ((opts['--on-unchecked'] as string) ?? 'flag') as 'flag' | 'report' | 'pass';
  const threshold = opts['--threshold'] === undefined ? undefined : Number(opts['--threshold']);
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) fail(`--threshold must be in [0, 1]`);
  if (positional.length && input) fail("give TEXT or --input FILE, not both");
  let entries: Generator<any> | any[];
  if (input) entries = lines(input, role, context);
  else if (positional.length === 1) {
    const text = positional[0] === '-' ? readFileSync(0, 'utf8') : positional[0];
    entries = [{ text, role, context }];
  } else fail("give TEXT, '-' to read stdin, or --input FILE");
  let guard: Guard;
  try {
    guard = await loadGuard((opts['--bundle'] as string) ?? defaultBundle(), {
      trusted: opts.trusted as string[], allowUnsigned: Boolean(opts['--allow-unsigned']),
      onMissingStep: (opts['--on-missing-step'] as 'refuse' | 'unchecked' | undefined), defenses: !opts['--no-defenses'], onUnchecked: policy,
      maxChars: opts['--max-chars'] === undefined ? undefined : Number(opts['--max-chars']),
      minCoverage: opts['--min-coverage'] === undefined ? undefined : Number(opts['--min-coverage']),
      sessionOptions: { intraOpNumThreads: 1 },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const skip = Boolean(opts['--skip-errors']);
  let flagged = 0, unchecked = 0, scored = 0, partial = 0;
  const out: string[] = [];
  const write = (s: string) => { out.push(s); if (out.length >= GROUP) { process.stdout.write(out.join('')); out.length = 0; } };
  for (const e of entries) {
    const where = input ? `line ${e.line}: ` : '';
    if (e.skipped) { write((fmt === 'json' ? JSON.stringify({ line: e.line, skipped: e.skipped }).replace(/,/g, ', ').replace(/":/g, '": ') : `${where}skipped (${e.skipped})`) + '\n'); continue; }
    let error: string | undefined = e.error;
    let v: Verdict | undefined;
    if (!error) {
      try {
        v = await guard.check(e.text, e.role, { context: e.context, threshold });
      } catch (err) {
        error = (err as Error).message;
      }
    }
    if (error !== undefined) {
      if (!skip) { process.stdout.write(out.join('')); fail(input ? `${input} line ${e.line}: ${error}` : error); }
      process.stderr.write(`warning: ${input} line ${e.line}: ${error} (not checked)\n`);
      unchecked += 1;
      write((fmt === 'json' ? `{"line": ${e.line}, "error": ${JSON.stringify(error)}}` : `${where}ERROR   ${error}`) + '\n');
      continue;
    }
    scored += 1;
    flagged += v!.flagged ? 1 : 0;
    partial += v!.unchecked.length && policy === 'report' ? 1 : 0;
    write((fmt === 'json' ? verdictJson(toDict(v!), input ? e.line : undefined) : where + verdictLine(v!)) + '\n');
  }
  process.stdout.write(out.join(''));
  if (input && !scored && !unchecked) fail(`${input} holds no texts (only blank lines)`);
  if (unchecked) process.stderr.write(`warning: ${unchecked} line(s) of ${input} could not be checked ("error" records); exit code 3\n`);
  if (partial) process.stderr.write(`warning: ${partial} text(s) not fully checked ("unchecked" in the output); exit code 3\n`);
  process.exitCode = unchecked || partial ? 3 : flagged ? 1 : 0;
}

/** The default bundle: TINYGUARD_BUNDLE, else the repository's runtime/models/micro beside js/. */
function defaultBundle(): string {
  if (process.env.TINYGUARD_BUNDLE) return process.env.TINYGUARD_BUNDLE;
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'runtime', 'models', 'micro');
}

main().catch((e) => fail(e instanceof Error ? e.message : String(e)));
