/** `tw corpus import` and `tw corpus export`. */
import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { TwError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/fsutil.js';
import { sessionSchema } from '../../session/format.js';
import { readSessions, sessionFiles } from '../../session/io.js';
import { EXPORT_FORMATS, IMPORT_FORMATS } from '../formats/index.js';
import { importRows, readRows, summary } from '../formats/common.js';

function pick<T>(table: Record<string, T>, name: string, what: string): T {
  const f = table[name];
  if (!f) throw new TwError(`unknown ${what} format "${name}"`, `use one of: ${Object.keys(table).join(', ')}`);
  return f;
}

function refuseOverwrite(out: string, force: boolean | undefined): void {
  if (existsSync(out) && !force) throw new TwError(`${out} exists`, 'choose another --out, or pass --force to replace it');
}

export function registerCorpusIo(corpus: Command): void {
  corpus
    .command('import')
    .description(`convert another format to session JSONL (${Object.keys(IMPORT_FORMATS).join(', ')})`)
    .requiredOption('--format <f>', 'input format')
    .argument('<in>', 'input file (JSONL, or one JSON document / array)')
    .requiredOption('--out <file>', 'session JSONL to write')
    .option('--force', 'replace --out if it exists')
    .action((input: string, o: { format: string; out: string; force?: boolean }) => {
      const fmt = pick(IMPORT_FORMATS, o.format, 'import');
      refuseOverwrite(o.out, o.force);
      const res = importRows(readRows(input), fmt.parse);
      const lines: string[] = [];
      for (const s of res.sessions) {
        const ok = sessionSchema.safeParse(s);
        if (!ok.success)
          throw new TwError(
            `importer produced an invalid session ${s.id}: ${ok.error.issues[0]?.message ?? ''}`,
            'this is a bug in the importer; please report it with the input row',
          );
        lines.push(JSON.stringify(s));
      }
      writeFileAtomic(o.out, lines.join('\n') + (lines.length ? '\n' : ''));
      process.stdout.write(summary(res) + `\nwrote ${o.out}\n`);
      if (res.taken === 0) process.exitCode = 1;
    });
  corpus
    .command('export')
    .description(`convert session JSONL to a training format (${Object.keys(EXPORT_FORMATS).join(', ')})`)
    .requiredOption('--format <f>', 'output format')
    .argument('<in>', 'a session .jsonl file or a folder of them')
    .requiredOption('--out <file>', 'JSONL to write (TRL formats also write FILE.chat_template.jinja)')
    .option('--force', 'replace --out if it exists')
    .action(async (input: string, o: { format: string; out: string; force?: boolean }) => {
      const fmt = pick(EXPORT_FORMATS, o.format, 'export');
      refuseOverwrite(o.out, o.force);
      const lines: string[] = [];
      let lossy = 0;
      for (const f of sessionFiles(input)) {
        for await (const s of readSessions(f)) {
          if (s.turns.some((t) => typeof t.output !== 'string')) lossy++;
          lines.push(JSON.stringify(fmt.row(s)));
        }
      }
      writeFileAtomic(o.out, lines.join('\n') + (lines.length ? '\n' : ''));
      let note = '';
      if (fmt.template) {
        writeFileSync(`${o.out}.chat_template.jinja`, fmt.template);
        note = ` and ${o.out}.chat_template.jinja`;
      }
      process.stdout.write(
        `wrote ${lines.length} rows to ${o.out}${note}${lossy && o.format !== 'session' ? `; ${lossy} sessions had non-UTF-8 output, exported with U+FFFD` : ''}\n`,
      );
    });
}
