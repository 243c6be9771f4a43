/**
 * The trajectory store: every finished episode is one line of our session JSONL
 * (`terminalworld.session` v1, src/session/format.ts), appended and fsynced before the episode's
 * last reply is sent, so `tw corpus export` reads it as any corpus (ATIF, TRL). The gym's own
 * fields are in `meta.gym` (`format: terminalworld.gym-episode`, `version`), the task (if any) in
 * `meta.task` as task rollouts have it.
 *
 * After a kill -9 only a line being written can be torn: `listEpisodes` skips a torn last line and
 * says so, and the next writer starts on a fresh line.
 */
import { closeSync, existsSync, fsync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, statSync, write, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TwError } from '../core/errors.js';
import { parseSessionLine } from '../session/io.js';
import { sessionSchema, type Session } from '../session/format.js';

const writeAsync = promisify(write);
const fsyncAsync = promisify(fsync);

export const GYM_EPISODE_FORMAT = 'terminalworld.gym-episode';
export const GYM_EPISODE_VERSION = 1;
export const EPISODES_FILE = 'episodes.jsonl';

/** What `meta.gym` holds. */
export interface GymEpisodeMeta {
  format: typeof GYM_EPISODE_FORMAT;
  version: number;
  episode_id: string;
  /** Why it ended: submit, max_steps, exit, died, reset, closed, disconnected, expired, lifetime, shutdown. */
  done_reason: string;
  /** True when the episode reached done (submit, max_steps, exit, died); false when it was cut off. */
  done: boolean;
  reward: number | null;
  steps: number;
  started_at: string;
  ended_at: string;
  verifier?: { exit: number; passed: boolean };
  /** The request_ids of the steps, in order (null: none sent), to check for duplicates. */
  request_ids: (string | null)[];
}

/**
 * Append-only, fsynced, off the event loop: `append` resolves once the line is on disk. Lines
 * that arrive while a write is in flight are written and fsynced together (group commit), so
 * many sessions ending at once cost one fsync, and the server never blocks on the disk.
 */
export class TrajectoryStore {
  readonly file: string;
  private fd: number | null;
  private queue: { line: string; done: (e: Error | null) => void }[] = [];
  private flushing: Promise<void> | null = null;
  appended = 0;
  fsyncs = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, EPISODES_FILE);
    endOnNewline(this.file);
    this.fd = openSync(this.file, 'a');
  }

  /** Append one episode; resolves when it is written and fsynced. */
  append(s: Session): Promise<void> {
    if (this.fd === null) return Promise.reject(new TwError('the trajectory store is closed'));
    const ok = sessionSchema.safeParse(s);
    if (!ok.success) return Promise.reject(new TwError(`refusing to store an invalid episode ${s.id}: ${ok.error.issues[0]?.message ?? ''}`));
    const p = new Promise<void>((resolve, reject) => this.queue.push({ line: JSON.stringify(s) + '\n', done: (e) => (e ? reject(e) : resolve()) }));
    if (!this.flushing) this.flushing = this.flush();
    return p;
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0 && this.fd !== null) {
      const batch = this.queue.splice(0);
      try {
        const data = Buffer.from(batch.map((b) => b.line).join(''));
        let off = 0;
        while (off < data.length) off += (await writeAsync(this.fd, data, off, data.length - off)).bytesWritten;
        await fsyncAsync(this.fd);
        this.fsyncs++;
        this.appended += batch.length;
        for (const b of batch) b.done(null);
      } catch (e) {
        for (const b of batch) b.done(e as Error);
      }
    }
    this.flushing = null;
  }

  /** Wait for pending appends, then close. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** A file whose last line was cut by a crash gets a newline, so the next line starts clean. */
function endOnNewline(file: string): void {
  if (!existsSync(file)) return;
  const size = statSync(file).size;
  if (size === 0) return;
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    if (b[0] !== 0x0a) {
      writeSync(fd, '\n', size);
      fsyncSync(fd);
    }
  } finally {
    closeSync(fd);
  }
}

/** Every complete episode in a store folder (or file); a torn line (a crash mid-write) is counted, not returned. */
export function listEpisodes(dirOrFile: string): { episodes: Session[]; torn: number; file: string } {
  const file = existsSync(dirOrFile) && statSync(dirOrFile).isDirectory() ? join(dirOrFile, EPISODES_FILE) : dirOrFile;
  if (!existsSync(file)) return { episodes: [], torn: 0, file };
  const lines = readFileSync(file, 'utf8').split('\n');
  const episodes: Session[] = [];
  let torn = 0;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      episodes.push(parseSessionLine(line, file, i + 1));
    } catch {
      torn++;
    }
  });
  return { episodes, torn, file };
}

export function gymMeta(s: Session): GymEpisodeMeta | null {
  const g = s.meta?.['gym'];
  return g !== null && typeof g === 'object' && (g as { format?: unknown }).format === GYM_EPISODE_FORMAT ? (g as GymEpisodeMeta) : null;
}
