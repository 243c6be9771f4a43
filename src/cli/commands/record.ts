import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { backendName, getBackend } from '../../backends/registry.js';
import { TwError } from '../../core/errors.js';
import { runMeta } from '../../core/meta.js';
import type { DeterminismSettings } from '../../core/terminal.js';
import { newSession, turnToRecord } from '../../session/format.js';
import { SessionWriter } from '../../session/io.js';
import { addSessionOptions, specFromCli, type SessionCliOptions } from './exec.js';

export interface ScriptBlock {
  name: string;
  commands: string[];
}

/**
 * A script: one command per line; a line ending in `\` continues on the next line (the
 * newline is kept, so heredocs and multi-line commands work); blank lines and lines starting
 * with `#` are skipped; a line `---` starts a new session.
 */
export function parseScript(text: string, name: string): ScriptBlock[] {
  const blocks: ScriptBlock[] = [];
  let cur: string[] = [];
  let cont: string | null = null;
  const flush = (): void => {
    if (cur.length > 0) blocks.push({ name: `${name}#${blocks.length}`, commands: cur });
    cur = [];
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (cont !== null) {
      if (line.endsWith('\\')) cont += '\n' + line.slice(0, -1);
      else {
        cur.push(cont + '\n' + line);
        cont = null;
      }
      continue;
    }
    if (line.trim() === '---') {
      flush();
      continue;
    }
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (line.endsWith('\\')) cont = line.slice(0, -1);
    else cur.push(line);
  }
  if (cont !== null) cur.push(cont);
  flush();
  return blocks;
}

function readStdin(): string {
  return readFileSync(0, 'utf8');
}

export function registerRecord(program: Command): void {
  addSessionOptions(program.command('record').description('record scripted sessions into a session JSONL file (append-only, one line per session)'))
    .option('--script <file...>', 'script files: one session per file, or per `---`-separated block')
    .option('--stdin', 'read the script from stdin')
    .requiredOption('--out <file.jsonl>', 'session file to append to')
    .action(async (o: SessionCliOptions & { script?: string[]; stdin?: boolean; out: string }) => {
      const blocks: ScriptBlock[] = [];
      if (o.stdin) blocks.push(...parseScript(readStdin(), 'stdin'));
      for (const f of o.script ?? []) {
        let text: string;
        try {
          text = readFileSync(f, 'utf8');
        } catch (e) {
          throw new TwError(`cannot read script ${f}: ${(e as Error).message}`, 'check the path');
        }
        blocks.push(...parseScript(text, basename(f)));
      }
      if (!o.stdin && (o.script ?? []).length === 0) throw new TwError('nothing to record', 'pass --script FILE or --stdin');
      if (blocks.length === 0) throw new TwError('the script has no commands', 'write one command per line; `---` separates sessions');
      const spec = specFromCli(o);
      const backend = await getBackend(backendName(o.backend));
      const writer = new SessionWriter(o.out);
      let n = 0;
      try {
        for (const b of blocks) {
          const term = await backend.start(spec);
          const turns = [];
          try {
            for (const cmd of b.commands) {
              turns.push(turnToRecord(await term.run(cmd)));
              if (term.dead) break;
            }
          } finally {
            await term.close();
          }
          const info = term.info;
          const image = typeof info.image === 'object' && info.image !== null ? (info.image as { id: string; version: string }) : null;
          const determinism = typeof info.determinism === 'object' && info.determinism !== null ? (info.determinism as DeterminismSettings) : null;
          writer.append(
            newSession({
              id: b.name,
              backend: o.backend,
              mode: spec.mode ?? 'pty',
              seed: spec.seed ?? 0,
              image,
              determinism,
              setup: spec.setup ?? [],
              turns,
              meta: {
                ...runMeta('tw record', 1, spec.seed ?? 0, { timeoutMs: spec.timeoutMs ?? null }),
                ...(term.dead && term.deadReason !== 'closed' ? { deadReason: term.deadReason } : {}),
              },
            }),
          );
          n++;
        }
      } finally {
        writer.close();
      }
      process.stderr.write(`recorded ${n} session(s) into ${o.out}\n`);
    });
}
