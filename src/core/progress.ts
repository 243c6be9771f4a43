/**
 * The one progress bar (training steps, corpus recording, task checks): one line on stderr,
 *
 *   LABEL DONE/TOTAL [########................] PCT% EXTRA ELAPSED ETA T
 *
 * redrawn in place on a TTY (at most every 200 ms, and at the end); elsewhere (a log file, CI) a
 * plain line every `plainEveryMs` and/or each `plainEveryPercent`, and at the end. Hand-written:
 * thirty lines, not worth a dependency.
 */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export interface ProgressOptions {
  /** Printed first: `step`, `recording`, `tasks`. */
  label: string;
  /** Units done before this run began (a resumed run), so the ETA counts this run's pace only; default: the first update's count. */
  start?: number;
  /** false: print nothing (default true). */
  enabled?: boolean;
  stream?: NodeJS.WriteStream;
  /** Not a TTY: a plain line once this many ms have passed since the last one. */
  plainEveryMs?: number;
  /** Not a TTY: a plain line each time the bar crosses a multiple of this many percent. */
  plainEveryPercent?: number;
}

const WIDTH = 24;
const REDRAW_MS = 200;

export class ProgressBar {
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;
  private readonly t0 = performance.now();
  private start: number | undefined;
  private lastPrint = -Infinity;
  private lastPct = -1;
  private open = false;

  constructor(private readonly o: ProgressOptions) {
    this.stream = o.stream ?? process.stderr;
    this.enabled = o.enabled ?? true;
    this.start = o.start;
  }

  /** The line for `done` of `total`, with `extra` (loss, rate...) after the percentage. */
  line(done: number, total: number, extra = ''): string {
    const frac = total === 0 ? 1 : Math.min(1, done / total);
    const filled = Math.round(frac * WIDTH);
    const elapsed = (performance.now() - this.t0) / 1000;
    const ran = done - (this.start ?? 0);
    const eta = ran > 0 ? (elapsed / ran) * (total - done) : NaN;
    return `${this.o.label} ${done}/${total} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${Math.floor(frac * 100)}%${extra ? ` ${extra}` : ''} ${formatDuration(elapsed)} ETA ${done >= total ? '0s' : formatDuration(eta)}`;
  }

  update(done: number, total: number, extra = ''): void {
    this.start ??= done;
    if (!this.enabled) return;
    const now = performance.now();
    const last = done >= total;
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (this.stream.isTTY) {
      if (!last && now - this.lastPrint < REDRAW_MS) return;
      this.stream.write(`\r${this.line(done, total, extra)}\x1b[K${last ? '\n' : ''}`);
      this.open = !last;
    } else {
      const every = this.o.plainEveryPercent;
      const crossed = every !== undefined && Math.floor(pct / every) !== Math.floor(this.lastPct / every);
      const due = this.o.plainEveryMs !== undefined && now - this.lastPrint >= this.o.plainEveryMs;
      this.lastPct = pct;
      if (!last && !crossed && !due) return;
      this.stream.write(`${this.line(done, total, extra)}\n`);
    }
    this.lastPrint = now;
  }

  /** Ends a redrawn line left open (a TTY; the last update ends its own): call when the work stops early. */
  done(): void {
    if (this.open) this.stream.write('\n');
    this.open = false;
  }
}
