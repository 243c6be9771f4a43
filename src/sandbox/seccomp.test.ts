import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TwError } from '../core/errors.js';
import {
  AUDIT_ARCH_X86_64,
  BPF,
  BPF_MAXINSNS,
  DENIED_SYSCALLS,
  ENOSYS,
  EPERM,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  X86_64_SYSCALLS,
  seccompProgram,
  type SyscallName,
} from './seccomp.js';

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

function decode(prog: Buffer): Insn[] {
  expect(prog.length % 8).toBe(0);
  const out: Insn[] = [];
  for (let i = 0; i < prog.length; i += 8)
    out.push({ code: prog.readUInt16LE(i), jt: prog.readUInt8(i + 2), jf: prog.readUInt8(i + 3), k: prog.readUInt32LE(i + 4) });
  return out;
}

/** struct seccomp_data: nr (s32), arch (u32), instruction_pointer (u64), args[6] (u64), little-endian. */
function seccompData(nr: number, args: readonly number[] = [], arch = AUDIT_ARCH_X86_64): Buffer {
  const b = Buffer.alloc(64);
  b.writeInt32LE(nr | 0, 0);
  b.writeUInt32LE(arch >>> 0, 4);
  args.forEach((a, i) => b.writeBigUInt64LE(BigInt(a), 16 + 8 * i));
  return b;
}

/** A classic-BPF interpreter for the instructions the filter uses; throws on anything else. */
function runFilter(prog: Buffer, data: Buffer): number {
  const code = decode(prog);
  let a = 0;
  for (let pc = 0; pc < code.length; pc++) {
    const { code: op, jt, jf, k } = code[pc]!;
    switch (op) {
      case BPF.LD_W_ABS:
        if (k % 4 !== 0 || k + 4 > data.length) throw new Error(`bad load at ${pc}`);
        a = data.readUInt32LE(k);
        break;
      case BPF.JEQ_K:
        pc += a === k ? jt : jf;
        break;
      case BPF.JGE_K:
        pc += a >= k ? jt : jf;
        break;
      case BPF.JSET_K:
        pc += (a & k) >>> 0 !== 0 ? jt : jf;
        break;
      case BPF.RET_K:
        return k;
      default:
        throw new Error(`unexpected opcode 0x${op.toString(16)} at ${pc}`);
    }
  }
  throw new Error('fell off the end of the program');
}

const prog = seccompProgram('x86_64');
const nr = (n: SyscallName): number => X86_64_SYSCALLS[n];
const run = (n: SyscallName, args: readonly number[] = []): number => runFilter(prog, seccompData(nr(n), args));
const ERRNO_EPERM = (SECCOMP_RET_ERRNO | EPERM) >>> 0;
const SIGCHLD = 17;
const CLONE_NEWUSER = 0x10000000;

describe('seccompProgram', () => {
  it('is a valid classic BPF program: at most 4096 instructions, every jump forward and in range, ends in RET', () => {
    const code = decode(prog);
    expect(code.length).toBeGreaterThan(0);
    expect(code.length).toBeLessThanOrEqual(BPF_MAXINSNS);
    code.forEach((ins, pc) => {
      const isJump = ins.code === BPF.JEQ_K || ins.code === BPF.JGE_K || ins.code === BPF.JSET_K;
      if (isJump) {
        expect(pc + 1 + ins.jt).toBeLessThan(code.length);
        expect(pc + 1 + ins.jf).toBeLessThan(code.length);
      } else {
        expect(ins.jt + ins.jf).toBe(0);
      }
    });
    expect(code[code.length - 1]!.code).toBe(BPF.RET_K);
  });

  it('denies every listed syscall with EPERM', () => {
    expect(DENIED_SYSCALLS.length).toBeGreaterThan(50);
    for (const n of DENIED_SYSCALLS) expect([n, run(n)]).toEqual([n, ERRNO_EPERM]);
  });

  it("denies the issue's named syscalls", () => {
    const named: SyscallName[] = [
      'keyctl',
      'add_key',
      'request_key',
      'io_uring_setup',
      'io_uring_enter',
      'io_uring_register',
      'bpf',
      'perf_event_open',
      'userfaultfd',
      'kexec_load',
      'kexec_file_load',
      'init_module',
      'finit_module',
      'delete_module',
      'mount',
      'umount2',
      'pivot_root',
      'unshare',
      'setns',
      'open_by_handle_at',
      'fsopen',
      'fsmount',
      'move_mount',
      'open_tree',
    ];
    for (const n of named) expect(DENIED_SYSCALLS).toContain(n);
  });

  it('allows ordinary syscalls, ptrace and its kin, personality, and clone without namespace flags', () => {
    for (const n of ['read', 'write', 'openat', 'execve', 'fork', 'ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'personality'] as const) {
      expect([n, run(n)]).toEqual([n, SECCOMP_RET_ALLOW]);
    }
    expect(run('clone', [SIGCHLD])).toBe(SECCOMP_RET_ALLOW);
    // what pthread_create passes when it falls back from clone3
    expect(run('clone', [0x3d0f00])).toBe(SECCOMP_RET_ALLOW);
    expect(run('socket', [2, 1, 0])).toBe(SECCOMP_RET_ALLOW);
    // a number the table does not name, and one above the highest syscall
    expect(runFilter(prog, seccompData(439))).toBe(SECCOMP_RET_ALLOW);
    expect(runFilter(prog, seccompData(1000))).toBe(SECCOMP_RET_ALLOW);
  });

  it('refuses clone with any namespace flag, clone3 with ENOSYS, and AF_VSOCK sockets', () => {
    expect(run('clone', [CLONE_NEWUSER | SIGCHLD])).toBe(ERRNO_EPERM);
    for (const flag of [0x80, 0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000]) {
      expect(run('clone', [flag | SIGCHLD])).toBe(ERRNO_EPERM);
    }
    expect(run('clone3')).toBe((SECCOMP_RET_ERRNO | ENOSYS) >>> 0);
    expect(run('socket', [40, 1, 0])).toBe(ERRNO_EPERM);
  });

  it('kills a process calling with another arch (i386 int 0x80), and refuses the x32 ABI', () => {
    const AUDIT_ARCH_I386 = 0x40000003;
    expect(runFilter(prog, seccompData(nr('read'), [], AUDIT_ARCH_I386))).toBe(SECCOMP_RET_KILL_PROCESS);
    expect(runFilter(prog, seccompData(0x40000000 + nr('read')))).toBe(ERRNO_EPERM);
    expect(runFilter(prog, seccompData(0x40000000 + nr('keyctl')))).toBe(ERRNO_EPERM);
  });

  it('refuses other architectures with a TwError', () => {
    expect(() => seccompProgram('aarch64')).toThrow(TwError);
    expect(() => seccompProgram('aarch64')).toThrow(/only built for x86_64, and this machine is aarch64/);
  });

  const header = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
  const noHeader = !existsSync(header);
  it.skipIf(noHeader)(`names match the kernel headers' numbers${noHeader ? ` (skipped: no ${header})` : ''}`, () => {
    const fromHeader = new Map<string, number>();
    for (const m of readFileSync(header, 'utf8').matchAll(/^#define __NR_(\w+) (\d+)$/gm)) fromHeader.set(m[1]!, Number(m[2]));
    for (const [name, n] of Object.entries(X86_64_SYSCALLS)) {
      if (fromHeader.has(name)) expect([name, n]).toEqual([name, fromHeader.get(name)]);
    }
    // old headers may lack the newest syscalls, never the classic ones
    expect(fromHeader.get('keyctl')).toBe(250);
  });
});

function integrationSkipReason(): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (os.machine() !== 'x86_64') return `the filter is x86_64 only (this is ${os.machine()})`;
  if (process.getuid?.() !== 0) return 'needs root (bwrap --unshare-all)';
  if (!existsSync('/usr/bin/python3')) return 'needs /usr/bin/python3';
  const probe = spawnSync('bwrap', ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-all', '--', '/bin/true'], {
    stdio: 'ignore',
    timeout: 10_000,
  });
  if (probe.error) return `bwrap is not usable: ${probe.error.message}`;
  if (probe.status !== 0) return `bwrap --unshare-all fails here (exit ${String(probe.status)})`;
  try {
    const d = mkdtempSync(join(os.tmpdir(), 'tw-seccomp-probe-'));
    rmSync(d, { recursive: true });
  } catch {
    return 'no writable tmp directory';
  }
  return null;
}
const skipReason = integrationSkipReason();

const PY = `
import ctypes, errno, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def call(nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    return r, ctypes.get_errno()
def show(name, r):
    print(name, r[0], errno.errorcode.get(r[1], r[1]) if r[0] < 0 else 'ok')
show('keyctl', call(${nr('keyctl')}, 0, -3, 0))
ctypes.set_errno(0)
r = libc.unshare(${CLONE_NEWUSER})
show('unshare', (r, ctypes.get_errno()))
r = call(${nr('clone')}, ${CLONE_NEWUSER | SIGCHLD}, 0, 0, 0, 0)
if r[0] == 0:
    os._exit(0)
show('clone_newuser', r)
show('clone3', call(${nr('clone3')}, 0, 0))
print('listdir', 'ok' if 'proc' in os.listdir('/') else 'missing')
print('subprocess', subprocess.run(['/bin/echo', 'child'], capture_output=True, text=True).stdout.strip())
`;

describe('seccomp filter under bwrap', () => {
  it.skipIf(skipReason !== null)(
    `denies keyctl, unshare, clone(CLONE_NEWUSER); ordinary calls work${skipReason ? ` (skipped: ${skipReason})` : ''}`,
    async () => {
      const dir = mkdtempSync(join(os.tmpdir(), 'tw-seccomp-'));
      const file = join(dir, 'filter.bpf');
      writeFileSync(file, seccompProgram());
      const fd = openSync(file, 'r');
      try {
        const child = spawn(
          'bwrap',
          [
            '--ro-bind',
            '/',
            '/',
            '--dev',
            '/dev',
            '--proc',
            '/proc',
            '--unshare-all',
            '--die-with-parent',
            '--seccomp',
            '3',
            '--',
            '/usr/bin/python3',
            '-I',
            '-c',
            PY,
          ],
          {
            stdio: ['ignore', 'pipe', 'pipe', fd],
          },
        );
        let out = '';
        let err = '';
        child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
        child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        expect({ code, err }).toEqual({ code: 0, err: '' });
        expect(out.trim().split('\n')).toEqual([
          'keyctl -1 EPERM',
          'unshare -1 EPERM',
          'clone_newuser -1 EPERM',
          'clone3 -1 ENOSYS',
          'listdir ok',
          'subprocess child',
        ]);
      } finally {
        closeSync(fd);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
