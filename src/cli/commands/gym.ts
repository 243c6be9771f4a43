import type { Command } from 'commander';
import { backendName } from '../../backends/registry.js';
import { TwError } from '../../core/errors.js';
import { intFlag } from '../options.js';
import { MODES, type Mode } from '../../core/terminal.js';

interface ServeOpts {
  host: string;
  port: string;
  backend: string;
  mode: string;
  task?: string;
  seed?: string;
  maxSessions?: string;
  quota?: string;
  token?: string;
  idleTimeout: string;
  lifetime: string;
  store: string | false;
  observation: string;
  maxSteps?: string;
  timeout?: string;
  pool: string;
  maxBody: string;
  model?: string;
}

export function registerGym(program: Command): void {
  const gym = program.command('gym').description("serve terminal sessions to RL trainers over OpenEnv's protocol (docs/gym.md)");
  gym
    .command('serve')
    .description("serve OpenEnv's protocol: WS /ws, HTTP /reset /step /state /health /schema /metadata /metrics")
    .option('--host <addr>', 'bind address (any other than loopback needs --token)', '127.0.0.1')
    .option('--port <n>', 'port (0: any free one)', '8000')
    .option('--backend <name>', 'real, learned, justbash, null or endpoint', 'real')
    .option('--mode <mode>', 'pty or pipe', 'pty')
    .option('--task <family>', 'task episodes: a family name, or "any" (families in turn); default: free sessions')
    .option('--seed <n>', 'default seed of episodes whose reset names none')
    .option('--max-sessions <n>', 'concurrent sessions (default: what fits the machine)')
    .option('--quota <n>', 'sessions one token may hold at once (default: --max-sessions)')
    .option('--token <t>', 'bearer token(s) required of clients, comma-separated, each with its own --quota (default: $TW_GYM_TOKEN)')
    .option('--idle-timeout <s>', 'close a session idle this many seconds (0: never)', '600')
    .option('--lifetime <s>', 'hard lifetime of a session, seconds', '21600')
    .option('--store <dir>', 'trajectory store folder (episodes.jsonl)', 'runs/gym')
    .option('--no-store', 'do not store episodes')
    .option('--observation <shape>', 'structured, terminus (Terminus-2 text) or both', 'both')
    .option('--max-steps <n>', 'steps per free episode (tasks: their turn budget)')
    .option('--timeout <s>', 'per-command timeout, seconds (default 10)')
    .option('--pool <n>', 'real: sandboxes kept pre-started for free sessions', '4')
    .option('--max-body <bytes>', 'largest request body or WebSocket message', String(1 << 20))
    .option('--model <dir>', 'learned: the model folder (default: models/terminal-state or $TW_MODEL)')
    .action(async (o: ServeOpts) => {
      const { startGymServer } = await import('../../gym/server.js');
      if (!MODES.includes(o.mode as Mode)) throw new TwError(`unknown mode "${o.mode}"`, `use one of: ${MODES.join(', ')}`);
      if (!['structured', 'terminus', 'both'].includes(o.observation))
        throw new TwError(`unknown observation shape "${o.observation}"`, 'use structured, terminus or both');
      const token = o.token ?? process.env['TW_GYM_TOKEN'];
      const timeout = o.timeout === undefined ? undefined : Number(o.timeout);
      if (timeout !== undefined && !(timeout > 0)) throw new TwError(`--timeout must be a positive number of seconds, got "${o.timeout}"`, 'e.g. --timeout 30');
      const maxSessions = intFlag('--max-sessions', o.maxSessions, 1);
      const quota = intFlag('--quota', o.quota, 1);
      const seed = intFlag('--seed', o.seed, 0);
      const maxSteps = intFlag('--max-steps', o.maxSteps, 1);
      const server = await startGymServer({
        host: o.host,
        port: intFlag('--port', o.port, 0) ?? 8000,
        backend: backendName(o.backend),
        mode: o.mode as Mode,
        ...(o.task !== undefined ? { task: o.task } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(maxSessions !== undefined ? { maxSessions } : {}),
        ...(quota !== undefined ? { perTokenQuota: quota } : {}),
        ...(token
          ? {
              token: token
                .split(',')
                .map((t) => t.trim())
                .filter(Boolean),
            }
          : {}),
        ...(maxSteps !== undefined ? { maxSteps } : {}),
        ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
        ...(o.model !== undefined ? { backendOptions: { model: o.model } } : {}),
        idleTimeoutS: intFlag('--idle-timeout', o.idleTimeout, 0) ?? 600,
        maxLifetimeS: intFlag('--lifetime', o.lifetime, 1) ?? 21600,
        storeDir: o.store === false ? null : o.store,
        observation: o.observation as 'structured' | 'terminus' | 'both',
        pool: intFlag('--pool', o.pool, 0) ?? 4,
        maxBodyBytes: intFlag('--max-body', o.maxBody, 1024) ?? 1 << 20,
        maxMessageBytes: intFlag('--max-body', o.maxBody, 1024) ?? 1 << 20,
      });
      const a = server.address;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      process.stdout.write(
        `gym: serving ${o.backend}${o.task ? ` (tasks: ${o.task})` : ''} on http://${host}:${a.port} (ws://${host}:${a.port}/ws), up to ${server.maxSessions} sessions${server.store ? `; episodes in ${server.store.file}` : ''}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.stderr.write('gym: shutting down (closing sessions, storing episodes)\n');
          void server.close().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
  gym
    .command('episodes')
    .description('list the episodes in a trajectory store')
    .argument('[dir]', 'store folder or episodes.jsonl', 'runs/gym')
    .option('--json', 'one JSON line per episode')
    .action(async (dir: string, o: { json?: boolean }) => {
      const { listEpisodes, gymMeta } = await import('../../gym/store.js');
      const { episodes, torn, file } = listEpisodes(dir);
      for (const s of episodes) {
        const g = gymMeta(s);
        const row = {
          id: s.id,
          backend: s.backend,
          turns: s.turns.length,
          done: g?.done ?? null,
          done_reason: g?.done_reason ?? null,
          reward: g?.reward ?? null,
          task: (s.meta?.['task'] as { id?: string } | undefined)?.id ?? null,
        };
        process.stdout.write(
          o.json
            ? JSON.stringify(row) + '\n'
            : `${row.id}  ${row.backend}  ${row.turns} turns  ${row.done_reason ?? ''}  reward ${row.reward ?? '-'}${row.task ? `  ${row.task}` : ''}\n`,
        );
      }
      process.stderr.write(`gym: ${episodes.length} episodes in ${file}${torn ? `, ${torn} torn line(s) skipped (a crash mid-write)` : ''}\n`);
    });
}
