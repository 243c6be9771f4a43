/**
 * What the shell knows, read by the host from the shell's own memory (/proc/PID/mem; the host is
 * root): its last exit status, its working directory and the prompt it is showing. A command in
 * the session can print anything, but cannot make these say what bash did not do, so the recorder
 * takes exit status and cwd from here, not from what the prompt printed (docs/sandbox.md, threat
 * model).
 *
 * bash exports these globals (it is linked for loadable builtins), so their addresses come from
 * its dynamic symbol table plus its load address in /proc/PID/maps. The ELF reader is written by
 * hand (70 lines): the npm ELF parsers are unmaintained, and only .dynsym is needed.
 */
import { closeSync, openSync, readFileSync, readSync, readlinkSync, statSync } from 'node:fs';

const SYMBOLS = ['last_command_exit_value', 'the_current_working_directory', 'current_prompt_string'] as const;
type SymbolName = (typeof SYMBOLS)[number];

/** Offsets of the symbols the recorder reads, in an ELF64 little-endian PIE (absent: not exported). */
export function dynamicSymbols(elf: Buffer): Partial<Record<SymbolName, bigint>> {
  return dynamicSymbolsNamed(elf, SYMBOLS);
}

export interface ShellState {
  exit: number;
  /** The shell's logical working directory, exact bytes. */
  cwd: Buffer;
  /** The prompt string the shell is showing (unexpanded, e.g. the value of PS1 or PS2). */
  prompt: Buffer;
}

const symbolCache = new Map<string, Partial<Record<SymbolName, bigint>>>();

/** Reads a bash process's state; null fields where it cannot (another shell, no symbols). */
export class ShellMemory {
  private constructor(
    private readonly pid: number,
    private readonly syms: Record<SymbolName, bigint>,
  ) {}

  static open(pid: number): ShellMemory | null {
    try {
      const exe = `/proc/${pid}/exe`;
      const key = `${readlinkSync(exe)}`;
      let syms = symbolCache.get(key);
      if (!syms) {
        syms = dynamicSymbols(readFileSync(exe));
        symbolCache.set(key, syms);
      }
      if (SYMBOLS.every((s) => syms[s] !== undefined)) return new ShellMemory(pid, syms as Record<SymbolName, bigint>);
    } catch {
      /* gone, or not readable */
    }
    return null;
  }

  private cachedBase: bigint | null = null;

  /** Load address of the executable (its first mapping, file offset 0); it stays put while the
   *  process runs the same program (a shell that execs is opened anew: see RealSession). */
  private base(): bigint | null {
    if (this.cachedBase !== null) return this.cachedBase;
    this.cachedBase = executableBase(this.pid);
    return this.cachedBase;
  }

  read(): ShellState | null {
    let fd = -1;
    try {
      const base = this.base();
      if (base === null) return null;
      fd = openSync(`/proc/${this.pid}/mem`, 'r');
      const at = (addr: bigint, n: number): Buffer => {
        const b = Buffer.alloc(n);
        const got = readSync(fd, b, 0, n, Number(addr));
        return b.subarray(0, got);
      };
      const ptr = (addr: bigint): bigint => at(addr, 8).readBigUInt64LE(0);
      const cstr = (p: bigint): Buffer => {
        if (p === 0n) return Buffer.alloc(0);
        const parts: Buffer[] = [];
        for (let off = 0n; off < 65536n; off += 256n) {
          const chunk = at(p + off, 256);
          const z = chunk.indexOf(0);
          if (z >= 0) {
            parts.push(chunk.subarray(0, z));
            break;
          }
          parts.push(chunk);
          if (chunk.length < 256) break;
        }
        return Buffer.concat(parts);
      };
      const exit = at(base + this.syms.last_command_exit_value, 4).readInt32LE(0);
      const cwd = cstr(ptr(base + this.syms.the_current_working_directory));
      const prompt = cstr(ptr(base + this.syms.current_prompt_string));
      return { exit, cwd, prompt };
    } catch {
      return null;
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }
}

/**
 * Offsets of any named symbols in an ELF64 little-endian executable's .dynsym (names it lacks are
 * left out): dynamicSymbols for a caller's own list (src/backends/real/shellvars.ts).
 */
export function dynamicSymbolsNamed<N extends string>(elf: Buffer, names: readonly N[]): Partial<Record<N, bigint>> {
  const out: Partial<Record<N, bigint>> = {};
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) return out;
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const section = (i: number): { type: number; offset: number; size: number; link: number; entsize: number } => {
    const o = shoff + i * shentsize;
    return {
      type: elf.readUInt32LE(o + 4),
      offset: Number(elf.readBigUInt64LE(o + 0x18)),
      size: Number(elf.readBigUInt64LE(o + 0x20)),
      link: elf.readUInt32LE(o + 0x28),
      entsize: Number(elf.readBigUInt64LE(o + 0x38)),
    };
  };
  const SHT_DYNSYM = 11;
  let dynsym: ReturnType<typeof section> | undefined;
  for (let i = 0; i < shnum && !dynsym; i++) if (section(i).type === SHT_DYNSYM) dynsym = section(i);
  if (!dynsym || dynsym.entsize === 0 || dynsym.link >= shnum) return out;
  const strtab = section(dynsym.link);
  const want = new Set<string>(names);
  for (let o = dynsym.offset; o + dynsym.entsize <= dynsym.offset + dynsym.size; o += dynsym.entsize) {
    const nameOff = strtab.offset + elf.readUInt32LE(o);
    const name = elf.toString('latin1', nameOff, elf.indexOf(0, nameOff));
    if (want.has(name)) out[name as N] = elf.readBigUInt64LE(o + 8);
  }
  return out;
}

/**
 * Load address of a process's executable: its mapping at file offset 0 named as /proc/PID/exe
 * names it (as ShellMemory finds it), or else with the executable's inode; null if none. With ASLR
 * on this is the randomised PIE base; with it off (setarch -R), the fixed one.
 */
export function executableBase(pid: number): bigint | null {
  try {
    const exe = readlinkSync(`/proc/${pid}/exe`);
    const ino = statSync(`/proc/${pid}/exe`, { bigint: true }).ino;
    const maps = readFileSync(`/proc/${pid}/maps`, 'latin1');
    const firsts: { start: bigint; ino: bigint; path: string }[] = [];
    for (const line of maps.split('\n')) {
      const m = /^([0-9a-f]+)-[0-9a-f]+ \S+ ([0-9a-f]+) \S+ (\d+)\s*(.*)$/.exec(line);
      if (m && BigInt(`0x${m[2] ?? '1'}`) === 0n) firsts.push({ start: BigInt(`0x${m[1] ?? '0'}`), ino: BigInt(m[3] ?? '0'), path: m[4] ?? '' });
    }
    const hit = firsts.find((f) => f.path === exe) ?? firsts.find((f) => f.ino === ino);
    if (hit) return hit.start;
  } catch {
    /* gone, or not readable */
  }
  return null;
}
