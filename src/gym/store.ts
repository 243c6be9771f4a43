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
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeSync, fsyncSync } from 'node:fs';
import { join } from 'node:path';
import { parseSessionLine } from '../session/io.js';
import { SessionWriter } from '../session/io.js';
import type { Session } from '../session/format.js';

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

export class TrajectoryStore {
  readonly file: string;
  private writer: SessionWriter | null;
  appended = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, EPISODES_FILE);
    endOnNewline(this.file);
    this.writer = new SessionWriter(this.file);
  }

  /** Append one episode and fsync it (synchronous: done before the reply goes out). */
  append(s: Session): void {
    if (!this.writer) throw new Error('trajectory store is closed');
    this.writer.append(s);
    this.appended++;
  }

  close(): void {
    this.writer?.close();
    this.writer = null;
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
