import type { Command } from 'commander';
import { backendName, getBackend } from '../../backends/registry.js';
import { TwError } from '../../core/errors.js';
import { MODES, type Mode, type SessionSpec, type Turn } from '../../core/terminal.js';
import { encodeBytes } from '../../session/format.js';
import { visibleBytes } from '../visible.js';

export interface SessionCliOptions {
  backend: string;
  mode: string;
  seed?: string;
  timeout?: string;
  deterministic?: boolean;
  image?: string;
  state?: boolean;
  endpointUrl?: string;
  endpointModel?: string;
  endpointKeyEnv?: string;
  endpointStyle?: string;
}

export function parseMode(m: string): Mode {
  if (!(MODES as readonly string[]).includes(m)) throw new TwError(`unknown mode "${m}"`, `use one of: ${MODES.join(', ')}`);
  return m as Mode;
}

function parseIntOpt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new TwError(`--${name} must be a non-negative integer (got "${v}")`, `e.g. --${name} 10000`);
  return n;
}

export function specFromCli(o: SessionCliOptions): SessionSpec {
  const spec: SessionSpec = { mode: parseMode(o.mode), deterministic: o.deterministic !== false };
  const seed = parseIntOpt('seed', o.seed);
  if (seed !== undefined) spec.seed = seed;
  const t = parseIntOpt('timeout', o.timeout);
  if (t !== undefined) spec.timeoutMs = t;
  if (o.image !== undefined) spec.options = { ...spec.options, image: o.image };
  if (o.state === true) spec.options = { ...spec.options, recordState: true };
  // endpoint backend (src/backends/endpoint/options.ts; also TW_ENDPOINT_* variables)
  const ep = { url: o.endpointUrl, model: o.endpointModel, apiKeyEnv: o.endpointKeyEnv, style: o.endpointStyle };
  for (const [k, v] of Object.entries(ep)) if (v !== undefined) spec.options = { ...spec.options, [k]: v };
  return spec;
}

export function addSessionOptions(c: Command): Command {
  return c
    .option('--backend <name>', 'Terminal backend (see `tw backends`)', 'real')
    .option('--mode <mode>', 'pty (what a terminal shows) or pipe (stdout and stderr apart)', 'pty')
    .option('--seed <n>', 'seed for the deterministic sandbox ($RANDOM, clock, hashes)')
    .option('--timeout <ms>', 'per-command timeout in milliseconds (default 10000)')
    .option('--no-deterministic', 'real clock and randomness (determinism mode is on by default)')
    .option('--state', 'real backend: record what each turn changed in the session state (files, variables, aliases, functions)')
    .option('--image <image>', 'real backend: "workstation" (default), an image manifest (.yaml/.json) or an OCI / docker-save tarball (built once, cached)')
    .option('--endpoint-url <url>', 'endpoint backend: the OpenAI-compatible API root, e.g. http://127.0.0.1:8000/v1 (or TW_ENDPOINT_URL)')
    .option('--endpoint-model <name>', "endpoint backend: the model to ask (default: the server's first; or TW_ENDPOINT_MODEL)")
    .option('--endpoint-key-env <NAME>', 'endpoint backend: the environment variable holding the API key (or TW_ENDPOINT_KEY_ENV)')
    .option('--endpoint-style <style>', "endpoint backend: worldmodel (the export's framing, default) or prompted (a general chat model told to act as bash)");
}

/**
 * Print a turn (pipe mode: stdout to stdout, stderr to stderr). By default control sequences are
 * shown as text (`^[]52;...`), so a session cannot set your clipboard or title or reset your
 * terminal; `raw` writes the exact bytes, as a terminal would receive them.
 */
export function printTurn(t: Turn, raw = false): void {
  process.stdout.write(raw ? t.output : visibleBytes(t.output));
  if (t.stderr) process.stderr.write(raw ? t.stderr : visibleBytes(t.stderr));
}

export const RAW_OPTION_HELP = 'write the output bytes as they are, escape sequences included (default: control characters shown as ^[, ^M, \\xHH)';

export function registerExec(program: Command): void {
  addSessionOptions(
    program.command('exec').description('run commands in one fresh session and print their output').argument('<cmd...>', 'commands, one per argument'),
  )
    .option('--json', 'print {"turns":[{cmd,output,exit,cwd}...]}')
    .option('--raw', RAW_OPTION_HELP)
    .action(async (cmds: string[], o: SessionCliOptions & { json?: boolean; raw?: boolean }) => {
      const spec = specFromCli(o);
      const backend = await getBackend(backendName(o.backend));
      const term = await backend.start(spec);
      const turns: Turn[] = [];
      try {
        for (const cmd of cmds) {
          const t = await term.run(cmd);
          turns.push(t);
          if (!o.json) printTurn(t, o.raw === true);
          if (term.dead) break;
        }
      } finally {
        await term.close();
      }
      if (o.json) {
        const out = turns.map((t) => ({
          cmd: t.cmd,
          // A string when the bytes are valid UTF-8, else {"base64": ...} (exact, as in session files).
          output: encodeBytes(t.output),
          ...(t.stderr !== undefined ? { stderr: encodeBytes(t.stderr) } : {}),
          exit: t.exit,
          cwd: t.cwd,
          ...(t.timedOut ? { timedOut: true } : {}),
          ...(t.truncated ? { truncated: true } : {}),
          ...(t.cwdRaw ? { cwdRaw: { base64: t.cwdRaw.toString('base64') } } : {}),
          ...(t.incident ? { incident: t.incident } : {}),
          ...(t.state ? { state: t.state } : {}),
        }));
        process.stdout.write(JSON.stringify({ turns: out }) + '\n');
      }
      const last = turns[turns.length - 1];
      if (term.dead && term.deadReason && term.deadReason !== 'closed' && !o.json) process.stderr.write(`tw: session ended: ${term.deadReason}\n`);
      if (last && !o.json) process.exitCode = last.exit >= 0 && last.exit < 256 ? last.exit : 1;
    });
}
