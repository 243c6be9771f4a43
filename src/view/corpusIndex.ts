/**
 * A session JSONL file read a page at a time: one pass records where each line starts (8 bytes a
 * session in memory), then a page or one session is read from those offsets. A 12,000-session
 * corpus is never held whole, by the server or the page. Each session is validated on its own,
 * so a bad line is an error for that session only.
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { parseSessionLine } from '../session/io.js';
import type { Session } from '../session/format.js';

export interface SessionSummary {
  index: number;
  /** 1-based line number in the file. */
  line: number;
  id?: string;
  turns?: number;
  families?: string[];
  firstCmd?: string;
  error?: string;
}

export class CorpusIndex {
  /** Byte offset of each non-empty line, and its 1-based line number. */
  private starts: number[] = [];
  private lengths: number[] = [];
  private lineNos: number[] = [];
  readonly bytes: number;

  private constructor(readonly file: string) {
    this.bytes = statSync(file).size;
  }

  static async open(file: string): Promise<CorpusIndex> {
    const ix = new CorpusIndex(file);
    await ix.scan();
    return ix;
  }

  private async scan(): Promise<void> {
    let pos = 0;
    let lineStart = 0;
    let lineNo = 1;
    let nonBlank = false;
    const end = (at: number): void => {
      if (nonBlank) {
        this.starts.push(lineStart);
        this.lengths.push(at - lineStart);
        this.lineNos.push(lineNo);
      }
    };
    for await (const chunk of createReadStream(this.file, { highWaterMark: 1 << 20 })) {
      const b = chunk as Buffer;
      for (let i = 0; i < b.length; i++) {
        const c = b[i];
        if (c === 0x0a) {
          end(pos + i);
          lineStart = pos + i + 1;
          lineNo++;
          nonBlank = false;
        } else if (c !== 0x20 && c !== 0x0d && c !== 0x09) nonBlank = true;
      }
      pos += b.length;
    }
    end(pos);
  }

  get count(): number {
    return this.starts.length;
  }

  /** The raw text of session i (0-based among non-blank lines). */
  text(i: number): string {
    const start = this.starts[i];
    const len = this.lengths[i];
    if (start === undefined || len === undefined) throw new RangeError(`no session ${i} (the file holds ${this.count})`);
    const buf = Buffer.alloc(len);
    const fd = openSync(this.file, 'r');
    try {
      let got = 0;
      while (got < len) {
        const n = readSync(fd, buf, got, len - got, start + got);
        if (n === 0) break;
        got += n;
      }
    } finally {
      closeSync(fd);
    }
    return buf.toString('utf8');
  }

  lineOf(i: number): number {
    return this.lineNos[i] ?? -1;
  }

  /** Session i, validated; throws SessionFileError (file:line: field …) for a bad line. */
  session(i: number): Session {
    return parseSessionLine(this.text(i), this.file, this.lineOf(i));
  }

  summary(i: number): SessionSummary {
    const line = this.lineOf(i);
    try {
      const s = this.session(i);
      return {
        index: i,
        line,
        id: s.id,
        turns: s.turns.length,
        families: [...new Set(s.turns.map((t) => t.family).filter((f): f is string => typeof f === 'string'))],
        firstCmd: s.turns[0]?.cmd,
      };
    } catch (e) {
      return { index: i, line, error: e instanceof Error ? e.message : String(e) };
    }
  }

  /**
   * Sessions whose line contains `q` (as typed, or as it is written inside a JSON string), from
   * session `from` on, at most `limit`; the file is read a line at a time, never whole.
   * `next` is where to go on (-1: the end was reached).
   */
  search(q: string, from: number, limit: number): { items: SessionSummary[]; next: number; scanned: number } {
    const needles = [q, JSON.stringify(q).slice(1, -1)];
    const items: SessionSummary[] = [];
    const fd = openSync(this.file, 'r');
    let i = Math.max(0, from);
    let scanned = 0;
    try {
      for (; i < this.count && items.length < limit; i++) {
        const len = this.lengths[i] ?? 0;
        const buf = Buffer.alloc(len);
        readSync(fd, buf, 0, len, this.starts[i] ?? 0);
        scanned++;
        const text = buf.toString('utf8');
        if (needles.some((n) => text.includes(n))) items.push(this.summary(i));
      }
    } finally {
      closeSync(fd);
    }
    return { items, next: i < this.count ? i : -1, scanned };
  }

  page(offset: number, limit: number): SessionSummary[] {
    const out: SessionSummary[] = [];
    for (let i = Math.max(0, offset); i < Math.min(this.count, offset + limit); i++) out.push(this.summary(i));
    return out;
  }
}
