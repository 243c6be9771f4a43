/**
 * `tw view`: a local web app over HTTP (loopback by default). The page is static (./static/);
 * the data comes from a small JSON API:
 *
 *   GET  /api/info                                   sources, backends, defaults
 *   GET  /api/sessions?source=S&offset=O&limit=L     one page of session summaries (never the whole file)
 *   GET  /api/search?source=S&q=TEXT&from=I          sessions whose line holds TEXT (an id, a command), read a line at a time
 *   GET  /api/session?source=S&index=I               one session, validated (a bad line: 422 with its error)
 *   GET  /api/compare?source=S&index=I&backend=B&mode=teacher|free   the session replayed on B beside the real output
 *   GET  /api/probe?id=ID                            a failing probe's expected vs actual (from a probe report)
 *   POST /api/live/start {backends}                  one session per backend, opened together
 *   POST /api/live/run {id, cmd}                     a command on all of them at once
 *   POST /api/live/close {id}
 *
 * Requests must name this server in their Host header (DNS rebinding), and POSTs must be JSON
 * (a cross-site form cannot send that without the browser asking first).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { backendNames, isBackendName, type BackendName } from '../backends/registry.js';
import { diffSegments } from '../report/bytesDiff.js';
import { loadFile } from '../report/sources.js';
import type { ProbeJson } from '../report/sources.js';
import { decodeBytes, type Session } from '../session/format.js';
import { compareSession, visibleText, type CompareMode, type CompareResult } from './compare.js';
import { CorpusIndex } from './corpusIndex.js';
import { LiveSessions } from './live.js';

export interface ViewOptions {
  /** Session JSONL files to browse (a label each, optionally). */
  corpora: readonly (string | { file: string; label: string })[];
  /** Probe reports (tw probe --json) whose failures the report links to. */
  probeReports?: readonly string[];
  host?: string;
  port?: number;
  /** Backend a session is compared against by default. */
  compareBackend?: BackendName;
  /** Backends of live mode, the first being the reference. */
  liveBackends?: readonly BackendName[];
  /** SessionSpec.options per backend (e.g. {learned: {model: DIR}}). */
  backendOptions?: Record<string, Record<string, unknown>>;
  log?: (line: string) => void;
}

export interface ViewServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const STATIC = join(import.meta.dirname, 'static');
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
const MAX_PAGE = 200;
const CACHE = 40;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(415, 'send JSON (content-type: application/json)');
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > 64 * 1024) throw new HttpError(413, 'request too large');
    chunks.push(c as Buffer);
  }
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new HttpError(400, `bad JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const intParam = (u: URL, name: string, dflt?: number): number => {
  const v = u.searchParams.get(name);
  if (v === null) {
    if (dflt === undefined) throw new HttpError(400, `missing ?${name}=`);
    return dflt;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new HttpError(400, `?${name}= must be a non-negative integer, got "${v}"`);
  return n;
};

export async function startViewServer(o: ViewOptions): Promise<ViewServer> {
  const log = o.log ?? (() => undefined);
  const indexes: CorpusIndex[] = [];
  const labels: string[] = [];
  for (const c of o.corpora) {
    const f = typeof c === 'string' ? c : c.file;
    if (!existsSync(f)) throw new Error(`no such corpus file: ${f}`);
    indexes.push(await CorpusIndex.open(f));
    labels.push(typeof c === 'string' ? c : c.label);
  }
  const probes = new Map<string, { report: string; backend: string; failure: ProbeJson['failures'][number] }>();
  for (const f of o.probeReports ?? []) {
    for (const p of loadFile(f).parts)
      if (p.kind === 'probe') for (const x of p.data.failures) probes.set(x.id, { report: f, backend: p.data.backend, failure: x });
  }
  const names = backendNames();
  const compareBackend = o.compareBackend ?? 'learned';
  const liveBackends = o.liveBackends ?? ['real', 'learned', 'null'];
  const live = new LiveSessions(o.backendOptions ?? {});
  const cache = new Map<string, Promise<CompareResult>>();
  const host = o.host ?? '127.0.0.1';

  const index = (u: URL): CorpusIndex => {
    const s = intParam(u, 'source', 0);
    const ix = indexes[s];
    if (!ix) throw new HttpError(404, `no source ${s} (there are ${indexes.length})`);
    return ix;
  };

  const api = async (req: IncomingMessage, u: URL): Promise<unknown> => {
    const p = u.pathname;
    if (req.method === 'GET' && p === '/api/info')
      return {
        sources: indexes.map((ix, i) => ({ source: i, file: ix.file, label: labels[i] ?? ix.file, sessions: ix.count, bytes: ix.bytes })),
        backends: names,
        compareBackend,
        liveBackends,
        probes: probes.size,
      };
    if (req.method === 'GET' && p === '/api/sessions') {
      const ix = index(u);
      const offset = intParam(u, 'offset', 0);
      const limit = Math.min(MAX_PAGE, Math.max(1, intParam(u, 'limit', 50)));
      return { total: ix.count, offset, limit, items: ix.page(offset, limit) };
    }
    if (req.method === 'GET' && p === '/api/search') {
      const ix = index(u);
      const q = u.searchParams.get('q') ?? '';
      if (q.length < 2) throw new HttpError(400, 'search for at least 2 characters');
      return { total: ix.count, q, ...ix.search(q, intParam(u, 'from', 0), Math.min(MAX_PAGE, Math.max(1, intParam(u, 'limit', 50)))) };
    }
    if (req.method === 'GET' && p === '/api/session') {
      const ix = index(u);
      const i = intParam(u, 'index');
      if (i >= ix.count) throw new HttpError(404, `no session ${i} (the file holds ${ix.count})`);
      let s: Session;
      try {
        s = ix.session(i);
      } catch (e) {
        throw new HttpError(422, e instanceof Error ? e.message : String(e));
      }
      return {
        index: i,
        line: ix.lineOf(i),
        id: s.id,
        backend: s.backend,
        image: s.image ?? null,
        mode: s.mode,
        seed: s.seed,
        setup: s.setup,
        // the gym's episode (reward, why it ended) and a task rollout's task, when present
        gym: (s.meta as { gym?: unknown } | undefined)?.gym ?? null,
        task: (s.meta as { task?: unknown } | undefined)?.task ?? null,
        turns: s.turns.map((t, k) => ({
          depth: k + 1,
          cmd: t.cmd,
          output: visibleText(decodeBytes(t.output)),
          exit: t.exit,
          cwd: t.cwd,
          family: t.family ?? null,
          incident: t.incident ?? null,
        })),
      };
    }
    if (req.method === 'GET' && p === '/api/compare') {
      const ix = index(u);
      const i = intParam(u, 'index');
      const backend = u.searchParams.get('backend') ?? compareBackend;
      if (!isBackendName(backend)) throw new HttpError(400, `unknown backend "${backend}" (valid: ${names.join(', ')})`);
      const mode = (u.searchParams.get('mode') ?? 'teacher') as CompareMode;
      if (mode !== 'teacher' && mode !== 'free') throw new HttpError(400, 'mode is teacher or free');
      let s: Session;
      try {
        s = ix.session(i);
      } catch (e) {
        throw new HttpError(422, e instanceof Error ? e.message : String(e));
      }
      const key = `${ix.file}|${i}|${backend}|${mode}`;
      let r = cache.get(key);
      if (!r) {
        r = compareSession(s, backend, mode, o.backendOptions?.[backend]);
        cache.set(key, r);
        r.catch(() => cache.delete(key));
        while (cache.size > CACHE) cache.delete(cache.keys().next().value as string);
      }
      return await r;
    }
    if (req.method === 'GET' && p === '/api/probe') {
      const id = u.searchParams.get('id') ?? '';
      const x = probes.get(id);
      if (!x) throw new HttpError(404, `no failing probe "${id}" in ${(o.probeReports ?? []).join(', ') || 'the probe reports (none given: --probes FILE)'}`);
      return {
        id,
        report: x.report,
        backend: x.backend,
        category: x.failure.category,
        failures: x.failure.failures.map((f) => ({
          ...f,
          segments: f.expected !== undefined && f.actual !== undefined ? diffSegments(f.expected, f.actual) : null,
        })),
      };
    }
    if (req.method === 'POST' && p === '/api/live/start') {
      const b = await readJson(req);
      const asked = Array.isArray(b.backends) ? b.backends.filter((x): x is string => typeof x === 'string') : [...liveBackends];
      const unknown = asked.find((x) => !isBackendName(x));
      if (unknown !== undefined) throw new HttpError(400, `unknown backend "${unknown}" (valid: ${names.join(', ')})`);
      const backends = asked.filter(isBackendName);
      return await live.start(backends);
    }
    if (req.method === 'POST' && p === '/api/live/run') {
      const b = await readJson(req);
      if (typeof b.id !== 'string' || typeof b.cmd !== 'string') throw new HttpError(400, 'send {id, cmd}');
      if (b.cmd.length > 4096) throw new HttpError(413, 'command too long');
      try {
        return { turns: await live.run(b.id, b.cmd) };
      } catch (e) {
        throw new HttpError(404, e instanceof Error ? e.message : String(e));
      }
    }
    if (req.method === 'POST' && p === '/api/live/close') {
      const b = await readJson(req);
      if (typeof b.id === 'string') await live.close(b.id);
      return { closed: true };
    }
    throw new HttpError(404, `no such endpoint: ${req.method ?? ''} ${p}`);
  };

  let allowedHosts = new Set<string>();
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://localhost');
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
      send(res, 421, { error: `unexpected Host header "${req.headers.host ?? ''}"` });
      return;
    }
    if (u.pathname.startsWith('/api/')) {
      api(req, u).then(
        (body) => send(res, 200, body),
        (e: unknown) => {
          const status = e instanceof HttpError ? e.status : 500;
          if (status === 500) log(`view: ${req.method ?? ''} ${u.pathname}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
          if (!res.headersSent) send(res, status, { error: e instanceof Error ? e.message : String(e) });
        },
      );
      return;
    }
    if (u.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const name = u.pathname === '/' ? 'index.html' : u.pathname.slice(1);
    const ext = /\.[a-z]+$/.exec(name)?.[0] ?? '';
    if (!/^[a-z]+\.(html|js|css)$/.test(name) || !TYPES[ext] || !existsSync(join(STATIC, name))) {
      send(res, 404, { error: 'not found' });
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[ext],
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'",
    });
    res.end(readFileSync(join(STATIC, name)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`${host}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    server,
    async close(): Promise<void> {
      await live.closeAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
