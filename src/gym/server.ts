/**
 * `tw gym serve`: the gym over OpenEnv's protocol (see protocol.ts), many sessions at once.
 *
 *   WS   /ws                       one session per connection (OpenEnv's EnvClient)
 *   HTTP POST /reset, /step         stateless as in OpenEnv without session_id; with the session_id
 *                                  that /reset returns, a stateful session (clients without WS)
 *        GET /state, /health, /schema, /metadata, /metrics;  POST /close {session_id}
 *
 * Capacity is checked synchronously before anything starts, so a session beyond it gets
 * CAPACITY_REACHED at once. Idle sessions expire; every session has a hard lifetime; a dropped
 * WebSocket frees its sandbox; every episode that ends is in the store before its reply is sent.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { cpus, totalmem } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { BackendName } from '../backends/registry.js';
import { TwError } from '../core/errors.js';
import { GymEnv, type GymSpec, type ObservationShape } from './env.js';
import { Metrics } from './metrics.js';
import { GymError, jsonSchemas, stepRequestSchema, issuesOf, type ErrorCode, type StepResult } from './protocol.js';
import { TrajectoryStore } from './store.js';
import type { Mode } from '../core/terminal.js';

export interface GymServerOptions {
  host?: string;
  port?: number;
  backend: BackendName;
  mode?: Mode;
  task?: string;
  seed?: number;
  observation?: ObservationShape;
  maxSteps?: number;
  timeoutMs?: number;
  backendOptions?: Record<string, unknown>;
  /** Concurrent sessions (WS + HTTP); default: defaultMaxSessions(backend). */
  maxSessions?: number;
  /** Sessions one bearer token may hold at once (default: maxSessions). */
  perTokenQuota?: number;
  /** Bearer token(s) clients must send; required for any bind other than loopback. Each token has its own session quota. */
  token?: string | string[];
  /** Seconds without a message before a session is closed (0: never; default 600). */
  idleTimeoutS?: number;
  /** Hard lifetime of a session in seconds (default 6 h). */
  maxLifetimeS?: number;
  maxBodyBytes?: number;
  maxMessageBytes?: number;
  /** Trajectory store folder (null: none). */
  storeDir?: string | null;
  /** real: sandboxes pre-started for free sessions (default 4). */
  pool?: number;
  /** WebSocket ping interval, ms (a client that misses two is dropped; default 20 s). */
  pingMs?: number;
  /** How a session's environment is opened (default GymEnv.open); tests slow it down. */
  openEnv?: (spec: GymSpec) => Promise<GymEnv>;
}

export const DEFAULT_PORT = 8000;
export const DEFAULT_MAX_BODY = 1 << 20;
export const DEFAULT_IDLE_S = 600;
export const DEFAULT_LIFETIME_S = 6 * 3600;

/** Concurrency that fits the machine: sandboxes are cheap (about 1.3 MiB each, idle), model sessions share a batch. */
export function defaultMaxSessions(backend: string): number {
  const byMem = Math.floor(totalmem() / (32 * 1024 * 1024));
  if (backend === 'real') return Math.max(1, Math.min(512, byMem, Math.max(64, cpus().length * 32)));
  if (backend === 'learned') return 64;
  return Math.min(1024, byMem);
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

interface Slot {
  id: string;
  kind: 'ws' | 'http';
  owner: string;
  env: GymEnv | null;
  createdAt: number;
  lastActivity: number;
  /** Calls in flight, messages received and not yet handled, and the opening itself: a busy
   *  slot never idle-expires (it would be cut under a step, or orphaned while it opens). */
  busy: number;
  /** Found idle by the last idle check: expired by the next one if still idle (see reap). */
  suspect: boolean;
  ws?: WebSocket;
}

const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_JSON: 400,
  UNKNOWN_TYPE: 400,
  VALIDATION_ERROR: 422,
  EXECUTION_ERROR: 409,
  CAPACITY_REACHED: 503,
  FACTORY_ERROR: 500,
  SESSION_ERROR: 404,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  QUOTA_EXCEEDED: 429,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

export class GymServer {
  readonly metrics = new Metrics();
  readonly maxSessions: number;
  readonly store: TrajectoryStore | null;
  private readonly slots = new Map<string, Slot>();
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private reaper: NodeJS.Timeout | null = null;
  private reapEvery = 0;
  private lastReap = 0;
  private skippedReap = false;
  private pinger: NodeJS.Timeout | null = null;
  private closing = false;
  private readonly alive = new WeakMap<WebSocket, boolean>();
  private readonly o: Required<
    Pick<GymServerOptions, 'host' | 'port' | 'idleTimeoutS' | 'maxLifetimeS' | 'maxBodyBytes' | 'maxMessageBytes' | 'perTokenQuota' | 'pingMs'>
  > &
    GymServerOptions;

  constructor(opts: GymServerOptions) {
    const host = opts.host ?? '127.0.0.1';
    if (Array.isArray(opts.token) && opts.token.some((t) => t.length < 8))
      throw new TwError('a bearer token must have at least 8 characters', 'use a random token, e.g. `openssl rand -hex 16`');
    if (typeof opts.token === 'string' && opts.token.length < 8)
      throw new TwError('a bearer token must have at least 8 characters', 'use a random token, e.g. `openssl rand -hex 16`');
    if (!isLoopback(host) && (opts.token === undefined || opts.token.length === 0)) {
      throw new TwError(
        `refusing to serve on ${host} without a bearer token`,
        'pass --token T (or TW_GYM_TOKEN=T) and send "Authorization: Bearer T"; or bind to 127.0.0.1',
      );
    }
    this.maxSessions = opts.maxSessions ?? defaultMaxSessions(opts.backend);
    if (!Number.isInteger(this.maxSessions) || this.maxSessions < 1)
      throw new TwError(`--max-sessions must be a positive integer, got ${String(opts.maxSessions)}`, 'e.g. --max-sessions 64');
    this.o = {
      ...opts,
      host,
      port: opts.port ?? DEFAULT_PORT,
      idleTimeoutS: opts.idleTimeoutS ?? DEFAULT_IDLE_S,
      maxLifetimeS: opts.maxLifetimeS ?? DEFAULT_LIFETIME_S,
      maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY,
      maxMessageBytes: opts.maxMessageBytes ?? DEFAULT_MAX_BODY,
      perTokenQuota: opts.perTokenQuota ?? this.maxSessions,
      pingMs: opts.pingMs ?? 20_000,
    };
    this.store = opts.storeDir ? new TrajectoryStore(opts.storeDir) : null;
    this.http = createServer((req, res) => void this.onHttp(req, res));
    this.http.keepAliveTimeout = 65_000;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.o.maxMessageBytes });
    this.http.on('upgrade', (req, sock, head) => this.onUpgrade(req, sock, head));
    this.metrics.set('gym_sessions_max', 'most sessions open at once', this.maxSessions);
    this.gauge();
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.o.port, this.o.host, () => resolve());
    });
    const every = Math.max(50, Math.min(5_000, (Math.min(this.o.idleTimeoutS || Infinity, this.o.maxLifetimeS) * 1000) / 4));
    this.reapEvery = every;
    this.lastReap = Date.now();
    this.reaper = setInterval(() => void this.reap(), every);
    this.reaper.unref();
    this.pinger = setInterval(() => this.ping(), this.o.pingMs);
    this.pinger.unref();
    return this.http.address() as AddressInfo;
  }

  get address(): AddressInfo {
    return this.http.address() as AddressInfo;
  }

  get activeSessions(): number {
    return this.slots.size;
  }

  /** Close every session (stored as cut off: shutdown), the listeners and the store. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.reaper) clearInterval(this.reaper);
    if (this.pinger) clearInterval(this.pinger);
    for (const c of this.wss.clients) c.terminate();
    await Promise.all([...this.slots.values()].map((s) => this.destroy(s, 'shutdown')));
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    if (this.o.backend === 'real') await (await import('../backends/real/pool.js')).closePools();
    await this.store?.close();
  }

  // ---------------------------------------------------------------- sessions

  private spec(): GymSpec {
    const o = this.o;
    return {
      backend: o.backend,
      ...(o.mode !== undefined ? { mode: o.mode } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.task !== undefined ? { task: o.task } : {}),
      ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
      ...(o.observation !== undefined ? { observation: o.observation } : {}),
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.backendOptions !== undefined ? { options: o.backendOptions } : {}),
      pool: o.pool ?? 4,
      ...(this.store ? { store: this.store } : {}),
    };
  }

  /** Reserve a slot at once (or refuse), then open the environment. */
  private async openSlot(kind: Slot['kind'], owner: string): Promise<Slot> {
    if (this.closing) throw new GymError('SESSION_ERROR', 'the server is shutting down', {}, true);
    if (this.slots.size >= this.maxSessions) {
      throw new GymError(
        'CAPACITY_REACHED',
        `server at capacity: ${this.slots.size} of ${this.maxSessions} sessions in use; retry later or start the server with a larger --max-sessions`,
        { active_sessions: this.slots.size, max_sessions: this.maxSessions },
        true,
      );
    }
    const mine = [...this.slots.values()].filter((s) => s.owner === owner).length;
    if (mine >= this.o.perTokenQuota) {
      throw new GymError(
        'QUOTA_EXCEEDED',
        `this token holds ${mine} sessions, its quota is ${this.o.perTokenQuota}; close one first`,
        { active_sessions: mine, quota: this.o.perTokenQuota },
        true,
      );
    }
    const now = Date.now();
    // Busy while it opens: opening can take longer than the idle timeout (the backend's first
    // import on a loaded machine), and a slot expired then would be orphaned: its env created
    // after the slot left the table, never expired nor closed, its client never told.
    const slot: Slot = { id: randomUUID(), kind, owner, env: null, createdAt: now, lastActivity: now, busy: 1, suspect: false };
    this.slots.set(slot.id, slot);
    this.metrics.inc('gym_sessions_opened_total', 'sessions opened', { kind });
    this.gauge();
    let env: GymEnv;
    try {
      env = await (this.o.openEnv ?? GymEnv.open)(this.spec());
    } catch (e) {
      this.slots.delete(slot.id);
      this.gauge();
      throw new GymError('FACTORY_ERROR', `could not create the environment: ${(e as Error).message}`, { factory_name: this.o.backend });
    } finally {
      slot.busy--;
      slot.lastActivity = Date.now();
    }
    slot.env = env;
    // Destroyed while it opened (a shutdown, its lifetime): close what was opened for it.
    if (!this.slots.has(slot.id)) {
      await env.close('shutdown').catch(() => undefined);
      throw new GymError('SESSION_ERROR', 'the session was closed while it opened', {}, true);
    }
    return slot;
  }

  private async destroy(slot: Slot, reason: string): Promise<void> {
    if (!this.slots.delete(slot.id)) return;
    this.metrics.inc('gym_sessions_closed_total', 'sessions closed, by reason', { reason });
    this.gauge();
    await slot.env?.close(reason).catch(() => undefined);
  }

  private gauge(): void {
    this.metrics.set('gym_sessions_active', 'sessions open now', this.slots.size);
  }

  /** Expire idle slots and those past their lifetime. Decided and started in one synchronous
   *  pass (no await between the check and the destroy, so a message that arrives meanwhile
   *  cannot be cut); the client is told, the episode stored, then the socket closed.
   *  A slot is expired by the second check that finds it idle, not the first: between two
   *  checks (timers) the event loop has polled its sockets at least once, so a message that
   *  arrived while the loop was stalled (a loaded machine) has been read and counted. */
  private async reap(): Promise<void> {
    const now = Date.now();
    // A check that comes late (more than twice its interval) follows a stall of this process
    // (its event loop blocked, or the machine starving it): messages may wait unread in the
    // sockets, so no session is judged idle by this check. Never two such checks in a row
    // (a machine that lags all the time must still expire idle sessions).
    const stalled = !this.skippedReap && now - this.lastReap > 2 * this.reapEvery;
    this.skippedReap = stalled;
    this.lastReap = now;
    const ending: Promise<void>[] = [];
    for (const s of this.slots.values()) {
      const idle = !stalled && this.o.idleTimeoutS > 0 && s.busy === 0 && now - s.lastActivity > this.o.idleTimeoutS * 1000;
      const reason = now - s.createdAt > this.o.maxLifetimeS * 1000 ? 'lifetime' : idle && s.suspect ? 'expired' : null;
      s.suspect = idle;
      if (!reason) continue;
      const ws = s.ws;
      if (ws)
        this.send(ws, {
          type: 'error',
          data: {
            message: `session ${reason === 'lifetime' ? `reached its lifetime of ${this.o.maxLifetimeS} s` : `idle for more than ${this.o.idleTimeoutS} s`}; connect again`,
            code: 'SESSION_ERROR',
            reason,
          },
        });
      ending.push(this.destroy(s, reason).finally(() => ws?.close(1000, reason)));
    }
    await Promise.all(ending);
  }

  private ping(): void {
    for (const ws of this.wss.clients) {
      if (this.alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      this.alive.set(ws, false);
      ws.ping();
    }
  }

  /** Run one env call with busy/activity bookkeeping, latency and error metrics. */
  private async call<T>(slot: Slot, what: 'reset' | 'step', fn: (env: GymEnv) => Promise<T>): Promise<T> {
    const env = slot.env;
    if (!env) throw new GymError('SESSION_ERROR', 'session not ready');
    slot.busy++;
    slot.lastActivity = Date.now();
    const t0 = performance.now();
    try {
      const r = await fn(env);
      this.metrics.observe(`gym_${what}_latency_seconds`, `${what} latency`, (performance.now() - t0) / 1000);
      this.metrics.inc(`gym_${what}s_total`, `${what}s answered`);
      return r;
    } finally {
      slot.busy--;
      slot.lastActivity = Date.now();
    }
  }

  private countError(code: string): void {
    this.metrics.inc('gym_errors_total', 'errors answered, by code', { code });
  }

  private stepped(r: StepResult): void {
    if (r.done) this.metrics.inc('gym_episodes_done_total', 'episodes that reached done');
  }

  // ---------------------------------------------------------------- auth

  /** Who is asking: 'anonymous' without tokens, `token:<index>` for a valid token, null otherwise. */
  private owner(req: IncomingMessage, url: URL): string | null {
    const tokens = this.o.token === undefined ? [] : Array.isArray(this.o.token) ? this.o.token : [this.o.token];
    if (tokens.length === 0) return 'anonymous';
    const h = req.headers.authorization;
    const given = Buffer.from(h?.startsWith('Bearer ') ? h.slice(7).trim() : (url.searchParams.get('token') ?? ''));
    let who: string | null = null;
    tokens.forEach((t, i) => {
      const b = Buffer.from(t);
      if (given.length === b.length && timingSafeEqual(given, b)) who = `token:${i}`;
    });
    return who;
  }

  // ---------------------------------------------------------------- WebSocket

  private onUpgrade(req: IncomingMessage, sock: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const reject = (status: number, code: string, message: string): void => {
      this.countError(code);
      const body = JSON.stringify({ code, message });
      sock.end(
        `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Not Found'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
    if (url.pathname !== '/ws') return reject(404, 'NOT_FOUND', `no WebSocket endpoint at ${url.pathname}; connect to /ws`);
    const owner = this.owner(req, url);
    if (owner === null) return reject(401, 'UNAUTHORIZED', 'missing or wrong bearer token: send "Authorization: Bearer <token>" (or ?token=)');
    this.wss.handleUpgrade(req, sock, head, (ws) => void this.onSocket(ws, owner));
  }

  private send(ws: WebSocket, msg: unknown): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  }

  private async onSocket(ws: WebSocket, owner: string): Promise<void> {
    this.alive.set(ws, true);
    ws.on('pong', () => this.alive.set(ws, true));
    // Messages that arrive while the slot opens are queued, then handled in order.
    const early: RawData[] = [];
    let slot: Slot | null = null;
    let gone = false;
    // Messages are handled one after another, so replies come in the order of the requests.
    let chain: Promise<void> = Promise.resolve();
    // A message counts as activity when it arrives, and its slot is busy until it is handled
    // (it may wait behind a step in the chain).
    const handle = (s: Slot, d: RawData): void => {
      s.busy++;
      s.lastActivity = Date.now();
      chain = chain
        .then(() => this.onMessage(ws, s, d))
        .catch(() => undefined)
        .finally(() => {
          s.busy--;
          s.lastActivity = Date.now();
        });
    };
    ws.on('message', (d) => (slot ? handle(slot, d) : early.push(d)));
    ws.on('close', () => {
      gone = true;
      if (slot) void this.destroy(slot, 'disconnected');
    });
    ws.on('error', () => undefined);
    try {
      slot = await this.openSlot('ws', owner);
    } catch (e) {
      const g = e instanceof GymError ? e : new GymError('SESSION_ERROR', (e as Error).message);
      this.countError(g.code);
      this.send(ws, { type: 'error', data: g.toData() });
      ws.close(1013, g.code);
      return;
    }
    slot.ws = ws;
    if (gone) {
      await this.destroy(slot, 'disconnected');
      return;
    }
    for (const d of early) handle(slot, d);
  }

  private async onMessage(ws: WebSocket, slot: Slot, raw: RawData): Promise<void> {
    slot.lastActivity = Date.now();
    let msg: unknown;
    try {
      msg = JSON.parse(rawText(raw));
    } catch (e) {
      this.countError('INVALID_JSON');
      return this.send(ws, { type: 'error', data: { message: `Invalid JSON: ${(e as Error).message}`, code: 'INVALID_JSON' } });
    }
    try {
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
        throw new GymError('VALIDATION_ERROR', 'a message is a JSON object {"type": "reset"|"step"|"state"|"close", "data": {...}}');
      const m = msg as Record<string, unknown>;
      const type = m['type'];
      const extra = Object.keys(m).filter((k) => k !== 'type' && k !== 'data');
      if (typeof type !== 'string' || !['reset', 'step', 'state', 'close'].includes(type)) {
        throw new GymError(
          'UNKNOWN_TYPE',
          `Unknown message type: ${typeof type === 'string' ? type : JSON.stringify(type ?? '')}; use reset, step, state or close`,
        );
      }
      if (extra.length > 0) throw new GymError('VALIDATION_ERROR', `unexpected field(s) ${extra.join(', ')}: a message has only type and data`);
      const data = m['data'] ?? {};
      if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new GymError('VALIDATION_ERROR', 'data must be a JSON object');
      const d = data as Record<string, unknown>;
      switch (type) {
        case 'reset': {
          const r = await this.call(slot, 'reset', (env) => env.reset(d));
          return this.send(ws, { type: 'observation', data: r });
        }
        case 'step': {
          if (m['data'] === undefined) throw new GymError('VALIDATION_ERROR', 'step needs data: the action, e.g. {"command": "ls"}');
          const { request_id: rid, timeout_s: ts, ...action } = d;
          if (rid !== undefined && (typeof rid !== 'string' || rid.length > 255))
            throw new GymError('VALIDATION_ERROR', 'request_id must be a string of at most 255 characters');
          if (ts !== undefined && (typeof ts !== 'number' || !(ts > 0) || ts > 600))
            throw new GymError('VALIDATION_ERROR', 'timeout_s must be a number in (0, 600]');
          const r = await this.call(slot, 'step', (env) =>
            env.step(action, { ...(typeof rid === 'string' ? { requestId: rid } : {}), ...(typeof ts === 'number' ? { timeoutMs: ts * 1000 } : {}) }),
          );
          this.stepped(r);
          return this.send(ws, { type: 'observation', data: r });
        }
        case 'state':
          return this.send(ws, { type: 'state', data: slot.env?.state() ?? {} });
        case 'close':
          // The episode is stored before the client sees the close.
          await this.destroy(slot, 'closed');
          return ws.close(1000, 'close');
      }
    } catch (e) {
      const g = e instanceof GymError ? e : new GymError('EXECUTION_ERROR', (e as Error).message);
      this.countError(g.code);
      this.send(ws, { type: 'error', data: g.toData() });
    }
  }

  // ---------------------------------------------------------------- HTTP

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private fail(res: ServerResponse, e: unknown, route: string): void {
    const g = e instanceof GymError ? e : new GymError('EXECUTION_ERROR', (e as Error).message);
    this.countError(g.code);
    const status = g.code === 'EXECUTION_ERROR' && g.retryable ? 500 : HTTP_STATUS[g.code];
    const data = g.toData();
    const headers: Record<string, string> =
      g.code === 'CAPACITY_REACHED' || g.code === 'QUOTA_EXCEEDED' ? { 'retry-after': '1' } : g.code === 'PAYLOAD_TOO_LARGE' ? { connection: 'close' } : {};
    this.json(res, status, { ...data, detail: g.extra['errors'] ?? g.message }, headers);
    this.metrics.inc('gym_http_requests_total', 'HTTP requests, by route and status', { route, status: String(status) });
  }

  private async body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const declared = Number(req.headers['content-length'] ?? 0);
    const limit = this.o.maxBodyBytes;
    if (declared > limit) throw new GymError('PAYLOAD_TOO_LARGE', `request body of ${declared} bytes is over the limit of ${limit}; send a smaller action`);
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of req) {
      n += (c as Buffer).length;
      if (n <= limit) chunks.push(c as Buffer);
      else if (n > 16 * limit) break; // stop reading an endless body (the connection is dropped)
    }
    if (n > limit) throw new GymError('PAYLOAD_TOO_LARGE', `request body over the limit of ${limit} bytes; send a smaller action`);
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return {};
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new GymError('INVALID_JSON', `Invalid JSON body: ${(e as Error).message}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new GymError('VALIDATION_ERROR', 'the body must be a JSON object');
    return v as Record<string, unknown>;
  }

  private httpSlot(id: unknown, owner: string): Slot {
    if (typeof id !== 'string') throw new GymError('VALIDATION_ERROR', 'session_id must be a string (from /reset)');
    const s = this.slots.get(id);
    if (s?.kind !== 'http' || s.owner !== owner)
      throw new GymError('SESSION_ERROR', `no HTTP session ${id}: it was closed, expired, or never existed; send /reset without session_id for a new one`);
    return s;
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const route = url.pathname;
    const known: Record<string, string> = {
      '/health': 'GET',
      '/schema': 'GET',
      '/metadata': 'GET',
      '/metrics': 'GET',
      '/state': 'GET',
      '/reset': 'POST',
      '/step': 'POST',
      '/close': 'POST',
    };
    try {
      const method = known[route];
      if (!method)
        throw new GymError(
          'NOT_FOUND',
          `no endpoint ${route}; endpoints: ${Object.entries(known)
            .map(([p, m]) => `${m} ${p}`)
            .join(', ')}, WS /ws`,
        );
      if (req.method !== method) throw new GymError('METHOD_NOT_ALLOWED', `${route} takes ${method}, not ${req.method ?? ''}`);
      if (route === '/health')
        return this.ok(res, route, { status: this.closing ? 'unhealthy' : this.slots.size >= this.maxSessions ? 'degraded' : 'healthy' });
      const owner = this.owner(req, url);
      if (owner === null) throw new GymError('UNAUTHORIZED', 'missing or wrong bearer token: send "Authorization: Bearer <token>"');
      switch (route) {
        case '/schema':
          return this.ok(res, route, jsonSchemas());
        case '/metadata':
          return this.ok(res, route, {
            name: 'terminalworld',
            description: `Terminal sessions on the ${this.o.backend} backend${this.o.task && this.o.task !== 'none' ? `, tasks: ${this.o.task}` : ''}: actions are shell commands or Terminus-2 keystrokes; a task's verifier gives the reward at done.`,
            readme_content: null,
            version: '0.1.0',
            author: 'TerminalWorld',
            documentation_url: 'docs/gym.md',
          });
        case '/metrics': {
          const text = this.metrics.render();
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': Buffer.byteLength(text) });
          res.end(text);
          this.metrics.inc('gym_http_requests_total', 'HTTP requests, by route and status', { route, status: '200' });
          return;
        }
        case '/state': {
          const sid = url.searchParams.get('session_id');
          if (sid === null) return this.ok(res, route, { episode_id: null, step_count: 0 });
          const s = this.httpSlot(sid, owner);
          s.lastActivity = Date.now();
          return this.ok(res, route, { ...(s.env?.state() ?? {}), session_id: s.id });
        }
        case '/reset': {
          const b = await this.body(req);
          const { session_id: sid, ...params } = b;
          const s = sid !== undefined ? this.httpSlot(sid, owner) : await this.openSlot('http', owner);
          try {
            const r = await this.call(s, 'reset', (env) => env.reset(params));
            r.observation.session_id = s.id;
            return this.ok(res, route, r, { 'x-session-id': s.id });
          } catch (e) {
            if (sid === undefined) await this.destroy(s, 'closed');
            throw e;
          }
        }
        case '/step': {
          const b = await this.body(req);
          const p = stepRequestSchema.safeParse(b);
          if (!p.success)
            throw new GymError(
              'VALIDATION_ERROR',
              `invalid step request: ${p.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
              { errors: issuesOf(p.error, ['body']) },
            );
          const { action, timeout_s: ts, request_id: rid, session_id: sid } = p.data;
          const opts = { ...(rid !== undefined ? { requestId: rid } : {}), ...(ts !== undefined ? { timeoutMs: ts * 1000 } : {}) };
          if (sid !== undefined) {
            const s = this.httpSlot(sid, owner);
            const r = await this.call(s, 'step', (env) => env.step(action, opts));
            this.stepped(r);
            r.observation.session_id = s.id;
            return this.ok(res, route, r);
          }
          // OpenEnv's stateless /step: a fresh environment for this one action.
          const s = await this.openSlot('http', owner);
          try {
            await this.call(s, 'reset', (env) => env.reset({}));
            const r = await this.call(s, 'step', (env) => env.step(action, opts));
            this.stepped(r);
            return this.ok(res, route, r);
          } finally {
            await this.destroy(s, 'closed');
          }
        }
        case '/close': {
          const b = await this.body(req);
          const s = this.httpSlot(b['session_id'], owner);
          await this.destroy(s, 'closed');
          return this.ok(res, route, { closed: s.id });
        }
      }
    } catch (e) {
      if (!res.headersSent) this.fail(res, e, route);
    }
  }

  private ok(res: ServerResponse, route: string, body: unknown, headers: Record<string, string> = {}): void {
    this.json(res, 200, body, headers);
    this.metrics.inc('gym_http_requests_total', 'HTTP requests, by route and status', { route, status: '200' });
  }
}

function rawText(d: RawData): string {
  if (Buffer.isBuffer(d)) return d.toString('utf8');
  if (Array.isArray(d)) return Buffer.concat(d).toString('utf8');
  return Buffer.from(d).toString('utf8');
}

export async function startGymServer(opts: GymServerOptions): Promise<GymServer> {
  const s = new GymServer(opts);
  await s.listen();
  return s;
}
