/**
 * Host-side views of the sandbox's processes through /proc. The sandbox's PIDs are host
 * processes too, so the host can see which of them is blocked reading the terminal, and
 * can kill a runaway command without touching the session's shell.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgrp: number;
  /** Foreground process group of the process's controlling terminal (host PID numbering). */
  tpgid: number;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function procStat(pid: number): ProcStat | null {
  const s = readText(`/proc/${pid}/stat`);
  if (s === null) return null;
  const open = s.indexOf('(');
  const close = s.lastIndexOf(')');
  const rest = s.slice(close + 2).split(' ');
  // rest: state ppid pgrp session tty_nr tpgid ...
  return {
    pid,
    comm: s.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: Number(rest[1]),
    pgrp: Number(rest[2]),
    tpgid: Number(rest[5]),
  };
}

export function children(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    const c = readText(`/proc/${pid}/task/${t}/children`);
    if (c) for (const x of c.trim().split(/\s+/)) if (x) out.push(Number(x));
  }
  return out;
}

export function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = children(pid);
  while (queue.length > 0) {
    const p = queue.shift();
    if (p === undefined) break;
    out.push(p);
    queue.push(...children(p));
  }
  return out;
}

/** The first process named `comm` below `root` (breadth first). */
export function findDescendant(root: number, comm: string): number | null {
  for (const p of descendants(root)) if (procStat(p)?.comm === comm) return p;
  return null;
}

/** The syscall a sleeping process is blocked in: [number, ...args] or null. */
export function procSyscall(pid: number): bigint[] | null {
  const s = readText(`/proc/${pid}/syscall`);
  if (s === null || s.startsWith('running')) return null;
  try {
    return s
      .trim()
      .split(' ')
      .map((x) => BigInt(x));
  } catch {
    return null;
  }
}

/** Device number of a process's open file descriptor (to compare with the session's pty). */
export function fdRdev(pid: number, fd: number): number | null {
  try {
    return statSync(`/proc/${pid}/fd/${fd}`).rdev;
  } catch {
    return null;
  }
}

const SYS_READ = 0n;
const SYS_READV = 19n;
const SYS_POLL = 7n;
const SYS_SELECT = 23n;
const SYS_PSELECT6 = 270n;
const SYS_PPOLL = 271n;

export type TtyWait = 'parser' | 'reader';

/** Number of read syscalls a process has completed (`syscr` in /proc/PID/io; counted even when
 *  a read returns 0, i.e. EOF), or null when it is gone. */
export function readSyscalls(pid: number): number | null {
  const s = readText(`/proc/${pid}/io`);
  const m = s === null ? null : /^syscr:\s*(\d+)/m.exec(s);
  return m ? Number(m[1]) : null;
}

/** Bytes a process has written (`wchar` in /proc/PID/io), or null when it is gone. */
export function writtenBytes(pid: number): number | null {
  const s = readText(`/proc/${pid}/io`);
  const m = s === null ? null : /^wchar:\s*(\d+)/m.exec(s);
  return m ? Number(m[1]) : null;
}

/**
 * Is any foreground process of the session blocked waiting for terminal input, and which (its PID)?
 * 'parser': the shell itself is waiting for the rest of an incomplete command (its parser
 * reads the tty through a 1 KiB stdio buffer; the `read` builtin uses 4 KiB).
 * 'reader': a command (or the `read` builtin) is waiting for stdin.
 */
export function ttyWaiter(bashPid: number, ptyRdev: number): { kind: TtyWait; pid: number } | null {
  const bash = procStat(bashPid);
  if (!bash) return null;
  const fg = bash.tpgid;
  const cands = [bashPid, ...descendants(bashPid)].filter((p) => procStat(p)?.pgrp === fg);
  for (const pid of cands) {
    const st = procStat(pid);
    if (st?.state !== 'S') continue;
    const sc = procSyscall(pid);
    if (!sc || sc.length < 4) continue;
    const [nr, a0, , a2] = sc;
    if (nr === SYS_READ || nr === SYS_READV) {
      if (fdRdev(pid, Number(a0)) !== ptyRdev) continue;
      if (pid === bashPid && nr === SYS_READ && a2 === 0x400n) return { kind: 'parser', pid };
      return { kind: 'reader', pid };
    }
    if ((nr === SYS_POLL || nr === SYS_PPOLL || nr === SYS_SELECT || nr === SYS_PSELECT6) && fdRdev(pid, 0) === ptyRdev) {
      return { kind: 'reader', pid };
    }
  }
  return null;
}
