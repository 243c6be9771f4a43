import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { backendName, getBackend } from '../../backends/registry.js';
import { describeError } from '../../core/errors.js';
import { visibleBytes } from '../visible.js';
import { addSessionOptions, printTurn, RAW_OPTION_HELP, specFromCli, type SessionCliOptions } from './exec.js';

export function registerShell(program: Command): void {
  addSessionOptions(program.command('shell').description('an interactive REPL on one session of a backend (one line = one command; `exit` or ^D ends it)'))
    .option('--show-exit', 'print the exit status after each command')
    .option('--raw', RAW_OPTION_HELP)
    .action(async (o: SessionCliOptions & { showExit?: boolean; raw?: boolean }) => {
      const raw = o.raw === true;
      const backend = await getBackend(backendName(o.backend));
      const term = await backend.start(specFromCli(o));
      const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true });
      let cwd = '/root';
      const prompt = (): void => {
        // the cwd is the session's too: a directory named with an escape sequence is shown, not obeyed
        rl.setPrompt(`${o.backend}:${raw ? cwd : visibleBytes(Buffer.from(cwd))}# `);
        rl.prompt();
      };
      prompt();
      try {
        for await (const line of rl) {
          if (line.trim() !== '') {
            try {
              const t = await term.run(line);
              printTurn(t, raw);
              cwd = t.cwd;
              if (o.showExit || t.timedOut) process.stderr.write(`[exit ${t.exit}${t.timedOut ? ', timed out' : ''}${t.truncated ? ', truncated' : ''}]\n`);
            } catch (e) {
              process.stderr.write(describeError(e) + '\n');
            }
            if (term.dead) {
              if (term.deadReason && !term.deadReason.startsWith('the shell exited')) process.stderr.write(`session ended: ${term.deadReason}\n`);
              break;
            }
          }
          prompt();
        }
      } finally {
        rl.close();
        await term.close();
      }
    });
}
