/**
 * The session clock: the host side of the determinism layer (src/sandbox/native/twdet.c).
 *
 * One 1 MiB sparse file per session, created in the session's writable layer before the shell
 * starts (at CLOCK_PATH inside the sandbox) and rewritten by the host before every turn. Every
 * process in the sandbox maps it read-only and reads from it:
 *   - the session's clock settings (start, seconds per turn, tick per clock read, seed);
 *   - the image's build window (its files' times are shown at the image epoch);
 *   - one boundary per turn: a kernel timestamp taken on this file just before the turn's command
 *     is typed. A file's time t (real) belongs to turn k when boundary[k] <= t < boundary[k+1].
 *
 * Why that is exact: on Linux >= 6.13 (multigrain timestamps) a file whose time was just queried
 * gets a fine-grained time at its next change, and every later coarse timestamp is floored at it,
 * so "query, write, query" yields a time strictly after every earlier change and no later than any
 * later one. On older kernels two such stamps in a row can be equal (coarse ticks); the host then
 * writes until the stamp moves on (at most one tick, ~1-4 ms per turn), which gives the same order.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, rmSync, writeSync } from 'node:fs';
import { TwError } from '../core/errors.js';

/** Where the determinism layer finds the clock, inside the sandbox (twdet.c: CLOCK_PATH). */
export const CLOCK_PATH = '/usr/lib/terminalworld/clock';
export const CLOCK_SIZE = 1 << 20;
const HEADER = 128;
/** Turns a clock file holds (the layer keeps the last turn's time after that). */
export const MAX_TURNS = (CLOCK_SIZE - HEADER) / 8;

export interface ClockSettings {
  /** Session clock at the first turn, "YYYY-MM-DD HH:MM:SS" (UTC). */
  clockStart: string;
  /** Seconds the clock moves on per turn (file times are the turn's time). */
  turnSeconds: number;
  /** Seconds per clock read within a process (> 0: deterministic), or 0 for real time x rate. */
  clockStep: number;
  clockRate: number;
  seed: number;
}

export interface ImageTimes {
  /** Real times (ns) bracketing the image's build: times inside are shown as `epochS`. */
  loNs: bigint;
  hiNs: bigint;
  epochS: number;
}

export function parseClockStart(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(s);
  if (!m) throw new TwError(`invalid clock start "${s}"`, 'write it as "YYYY-MM-DD HH:MM:SS" (UTC), e.g. "2026-01-01 00:00:00"');
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, se) / 1000;
}

/** The initial clock file's bytes (header only; the file is CLOCK_SIZE long, sparse). */
export function clockHeader(c: ClockSettings, img: ImageTimes): Buffer {
  const b = Buffer.alloc(HEADER);
  b.write('TWCLK1', 0, 'latin1');
  b.writeUInt32LE(0, 8);
  b.writeBigInt64LE(BigInt(parseClockStart(c.clockStart)), 16);
  b.writeBigInt64LE(BigInt(Math.round(c.turnSeconds * 1e9)), 24);
  b.writeBigInt64LE(BigInt(Math.round(c.clockStep * 1e9)), 32);
  b.writeBigInt64LE(BigInt(Math.round(c.clockRate * 1e6)), 40);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(c.seed >>> 0) * 0x9e3779b97f4a7c15n), 48);
  b.writeBigInt64LE(img.loNs, 56);
  b.writeBigInt64LE(img.hiNs, 64);
  b.writeBigInt64LE(BigInt(img.epochS), 72);
  return b;
}

export function writeClockFile(path: string, c: ClockSettings, img: ImageTimes): void {
  const fd = openSync(path, 'w', 0o444);
  try {
    writeSync(fd, clockHeader(c, img), 0, HEADER, 0);
    ftruncateSync(fd, CLOCK_SIZE);
  } finally {
    closeSync(fd);
  }
}

/** The kernel's time now, as file times see it: strictly after every earlier file change and no
 *  later than any later one (the stamp of SessionClock.stamp on a scratch file in `dir`). */
export function kernelNowNs(dir: string): bigint {
  const path = `${dir}/.tw-now-${process.pid}`;
  writeClockFile(path, { clockStart: '2026-01-01 00:00:00', turnSeconds: 0, clockStep: 0, clockRate: 0, seed: 0 }, { loNs: 0n, hiNs: 0n, epochS: 0 });
  const c = SessionClock.open(path);
  try {
    c.stamp();
    return c.lastStamp;
  } finally {
    c.close();
    rmSync(path, { force: true });
  }
}

/** Host handle on a running session's clock file: one `stamp()` before each turn. */
export class SessionClock {
  private count = 0;
  private readonly scratch = Buffer.alloc(8);
  private readonly word = Buffer.alloc(8);
  lastStamp = 0n;
  /** Whether stamps needed a wait for the coarse clock to move (kernels without multigrain times). */
  coarse = false;

  private constructor(private fd: number) {}

  /** `path`: the clock file as the host sees it (through /proc/PID/root of the sandbox). */
  static open(path: string): SessionClock {
    return new SessionClock(openSync(path, 'r+'));
  }

  private touch(): bigint {
    fstatSync(this.fd); // a queried inode gets a fine-grained time at its next change
    writeSync(this.fd, this.scratch, 0, 8, 120);
    return fstatSync(this.fd, { bigint: true }).mtimeNs;
  }

  /** Start a new turn: every file change from now on belongs to it. */
  stamp(): void {
    if (this.count >= MAX_TURNS) return;
    const a = this.touch();
    let b = this.touch();
    if (b === a) {
      this.coarse = true;
      const until = Date.now() + 50;
      while (b === a && Date.now() < until) b = this.touch();
    }
    this.lastStamp = b;
    this.word.writeBigInt64LE(b, 0);
    writeSync(this.fd, this.word, 0, 8, HEADER + 8 * this.count);
    this.count++;
    this.word.writeUInt32LE(this.count, 0);
    writeSync(this.fd, this.word, 0, 4, 8);
  }

  /** Idempotent: the descriptor is closed once (a second closeSync could close a reused number). */
  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
  }
}
