/** `tw view [--port N] [--corpus FILE...]`: the session viewer, a local web app. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { backendName } from '../../backends/registry.js';
import { TwError } from '../../core/errors.js';
import { startViewServer } from '../../view/server.js';
import { resolveViewSources } from '../../view/sources.js';

interface ViewOpts {
  port: string;
  host: string;
  corpus?: string[];
  probes?: string[];
  compare?: string;
  live: string;
  model?: string;
}

const DEFAULT_CORPORA = ['data/corpus/test.jsonl', 'data/corpus/valid.jsonl'];
const DEFAULT_PROBES = ['docs/results/probe-learned.json'];

export function registerView(program: Command): void {
  program
    .command('view')
    .description(
      "the session viewer (a local web app): browse session files, a session's real output beside a simulated backend's per turn with byte differences and confidence, live mode on several backends at once",
    )
    .argument(
      '[sources...]',
      'session .jsonl files, corpus folders, gym trajectory stores (a folder with episodes.jsonl) or Tier-1 run folders (tw eval tier1 --out: replays its data on its backend and model)',
    )
    .option('-p, --port <n>', 'port (0: any free one)', '8080')
    .option('--host <addr>', 'address to listen on (loopback by default; anything else exposes live mode, which runs commands in the sandbox)', '127.0.0.1')
    .option('--corpus <file...>', `session JSONL files to browse (default: ${DEFAULT_CORPORA.join(', ')})`)
    .option('--probes <file...>', `probe reports (tw probe --json) whose failures the report links to (default: ${DEFAULT_PROBES.join(', ')})`)
    .option('--compare <backend>', "backend a session is replayed on beside the real output (default: learned, or the Tier-1 run's backend)")
    .option('--live <backends>', "live mode's backends, comma-separated, the first being the reference", 'real,learned,null')
    .option('--model <dir>', "the learned backend's model folder (default: models/terminal-state)")
    .action(async (args: string[], o: ViewOpts) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TwError(`--port must be 0..65535, got "${o.port}"`, 'e.g. --port 8080');
      const named = [...args, ...(o.corpus ?? [])];
      const sources = resolveViewSources(named.length ? named : DEFAULT_CORPORA.filter((f) => existsSync(f)));
      const corpora = sources.map((s) => ({ file: s.file, label: s.label }));
      const fromRun = sources.find((s) => s.backend);
      // an unknown name is named, with the choices
      const compare = backendName(o.compare ?? fromRun?.backend ?? 'learned');
      const model = o.model ?? fromRun?.model;
      const live = o.live
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map(backendName);
      const v = await startViewServer({
        corpora,
        probeReports: o.probes ?? DEFAULT_PROBES.filter((f) => existsSync(f)),
        host: o.host,
        port,
        compareBackend: compare,
        liveBackends: live,
        ...(model ? { backendOptions: { learned: { model } } } : {}),
        log: (l) => process.stderr.write(l + '\n'),
      });
      if (!['127.0.0.1', 'localhost', '::1'].includes(o.host))
        process.stderr.write(`warning: listening on ${o.host}, not loopback: anyone who can reach it can run commands in the sandbox (live mode)\n`);
      process.stdout.write(`tw view: ${v.url}/  (${corpora.length} session file(s); live mode: ${live.join(', ')}; ^C stops it)\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.stdout.write('stopping…\n');
          void v.close().then(resolve, resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
