/**
 * The sandbox's seccomp filter: a classic BPF program for `bwrap --seccomp FD` (bwrap reads the
 * raw program from the fd and installs it, with no_new_privs, just before it execs the shell).
 * Written by hand because there is no well-kept npm binding of libseccomp; it is small:
 *
 *   arch != x86_64                         -> kill the process (i386 `int 0x80` calls included)
 *   nr >= 0x40000000 (x32 ABI)             -> EPERM
 *   clone with a CLONE_NEW* flag in arg0   -> EPERM  (other clones: allowed; fork and threads)
 *   clone3                                 -> ENOSYS (its flags live in memory, out of a filter's
 *                                             reach; glibc then falls back to clone, as under Docker)
 *   socket(AF_VSOCK, ...)                  -> EPERM  (vsock ignores network namespaces)
 *   ioctl(fd, TIOCSTI | TIOCLINUX, ...)    -> EPERM  (a command typing into its own terminal would
 *                                             run commands the recorder never saw typed)
 *   a syscall in DENIED_SYSCALLS           -> EPERM
 *   anything else                          -> allowed
 *
 * The deny list is what Docker's default profile (moby/profiles/seccomp/default.json) refuses to a
 * container without capabilities (our shell has none: bwrap --cap-drop ALL), plus adjtimex,
 * clock_adjtime and name_to_handle_at, minus ptrace and its kin (kcmp, process_vm_readv/writev,
 * pidfd_getfd, process_madvise: strace and gdb work, as on Docker with kernels >= 4.8) and
 * personality (programs may set ADDR_NO_RANDOMIZE, as setarch -R does).
 */
import os from 'node:os';
import { TwError } from '../core/errors.js';

/** x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl) of every syscall named here. */
export const X86_64_SYSCALLS = {
  // named in tests and in the special cases
  read: 0,
  write: 1,
  ioctl: 16,
  socket: 41,
  clone: 56,
  fork: 57,
  execve: 59,
  ptrace: 101,
  personality: 135,
  openat: 257,
  process_vm_readv: 310,
  process_vm_writev: 311,
  kcmp: 312,
  clone3: 435,
  pidfd_getfd: 438,
  process_madvise: 440,
  // denied
  syslog: 103,
  uselib: 134,
  ustat: 136,
  sysfs: 139,
  vhangup: 153,
  pivot_root: 155,
  _sysctl: 156,
  adjtimex: 159,
  chroot: 161,
  acct: 163,
  settimeofday: 164,
  mount: 165,
  umount2: 166,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  sethostname: 170,
  setdomainname: 171,
  iopl: 172,
  ioperm: 173,
  create_module: 174,
  init_module: 175,
  delete_module: 176,
  get_kernel_syms: 177,
  query_module: 178,
  quotactl: 179,
  nfsservctl: 180,
  getpmsg: 181,
  putpmsg: 182,
  afs_syscall: 183,
  tuxcall: 184,
  security: 185,
  lookup_dcookie: 212,
  clock_settime: 227,
  vserver: 236,
  mbind: 237,
  set_mempolicy: 238,
  get_mempolicy: 239,
  kexec_load: 246,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  migrate_pages: 256,
  unshare: 272,
  move_pages: 279,
  perf_event_open: 298,
  fanotify_init: 300,
  name_to_handle_at: 303,
  open_by_handle_at: 304,
  clock_adjtime: 305,
  setns: 308,
  finit_module: 313,
  kexec_file_load: 320,
  bpf: 321,
  userfaultfd: 323,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  mount_setattr: 442,
  quotactl_fd: 443,
  set_mempolicy_home_node: 450,
} as const;

export type SyscallName = keyof typeof X86_64_SYSCALLS;

/** Syscalls that fail with EPERM inside the sandbox. */
export const DENIED_SYSCALLS: readonly SyscallName[] = [
  // kernel keyrings: not namespaced
  'add_key',
  'keyctl',
  'request_key',
  // large kernel attack surface
  'bpf',
  'perf_event_open',
  'userfaultfd',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'lookup_dcookie',
  'fanotify_init',
  // kernels and modules
  'kexec_load',
  'kexec_file_load',
  'init_module',
  'finit_module',
  'delete_module',
  'create_module',
  'get_kernel_syms',
  'query_module',
  // mounts and namespaces (clone is checked by its flags, clone3 gets ENOSYS)
  'mount',
  'umount2',
  'pivot_root',
  'chroot',
  'unshare',
  'setns',
  'open_tree',
  'move_mount',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'mount_setattr',
  // file handles bypass path checks
  'open_by_handle_at',
  'name_to_handle_at',
  // the host: swap, reboot, accounting, quotas, kernel log, tty, hostname (the UTS namespace has its own, but Docker refuses it too)
  'swapon',
  'swapoff',
  'reboot',
  'acct',
  'quotactl',
  'quotactl_fd',
  'syslog',
  'vhangup',
  'sethostname',
  'setdomainname',
  // clocks: not namespaced
  'settimeofday',
  'clock_settime',
  'clock_adjtime',
  'adjtimex',
  // raw I/O ports
  'iopl',
  'ioperm',
  // NUMA placement (CAP_SYS_NICE under Docker)
  'mbind',
  'set_mempolicy',
  'get_mempolicy',
  'set_mempolicy_home_node',
  'move_pages',
  'migrate_pages',
  // obsolete or never implemented
  'uselib',
  'ustat',
  'sysfs',
  '_sysctl',
  'nfsservctl',
  'getpmsg',
  'putpmsg',
  'afs_syscall',
  'tuxcall',
  'security',
  'vserver',
];

// linux/audit.h, linux/seccomp.h, linux/sched.h, linux/filter.h
export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const EPERM = 1;
export const ENOSYS = 38;
const X32_SYSCALL_BIT = 0x40000000;
const AF_VSOCK = 40;
/** CLONE_NEWTIME | NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET */
export const CLONE_NAMESPACE_FLAGS = 0x00000080 | 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

export const BPF = { LD_W_ABS: 0x20, JEQ_K: 0x15, JGE_K: 0x35, JSET_K: 0x45, RET_K: 0x06 } as const;
/** Offsets in struct seccomp_data { int nr; u32 arch; u64 instruction_pointer; u64 args[6]; } (little-endian). */
export const SECCOMP_DATA = { nr: 0, arch: 4, arg0Low: 16, arg1Low: 24 } as const;
/** ioctls that push bytes into a terminal's input (typing as if the user typed): refused. */
export const TIOCSTI = 0x5412;
export const TIOCLINUX = 0x541c;
/** The kernel's limit on a classic BPF program (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

type Label = 'eperm' | 'enosys' | 'clone' | 'socket' | 'ioctl';
/** One instruction; a jump goes to a label further on, or skips a number of instructions. */
interface Insn {
  code: number;
  k: number;
  jt?: Label | number;
  jf?: Label | number;
}

const ld = (offset: number): Insn => ({ code: BPF.LD_W_ABS, k: offset });
const ret = (k: number): Insn => ({ code: BPF.RET_K, k });

function assemble(lines: readonly (Insn | Label)[]): Buffer {
  const code: Insn[] = [];
  const at = new Map<Label, number>();
  for (const x of lines) {
    if (typeof x === 'string') at.set(x, code.length);
    else code.push(x);
  }
  if (code.length > BPF_MAXINSNS) throw new Error(`seccomp: ${code.length} instructions (the kernel takes ${BPF_MAXINSNS})`);
  const out = Buffer.alloc(code.length * 8);
  code.forEach((ins, i) => {
    const offset = (to: Label | number | undefined): number => {
      if (to === undefined) return 0;
      const d = typeof to === 'number' ? to : (at.get(to) ?? -1) - (i + 1);
      if (d < 0 || d > 255 || i + 1 + d >= code.length) throw new Error(`seccomp: the jump at ${i} to ${String(to)} is out of range`);
      return d;
    };
    out.writeUInt16LE(ins.code, i * 8);
    out.writeUInt8(offset(ins.jt), i * 8 + 2);
    out.writeUInt8(offset(ins.jf), i * 8 + 3);
    out.writeUInt32LE(ins.k >>> 0, i * 8 + 4);
  });
  return out;
}

/** The filter's bytes: `struct sock_filter` (u16 code, u8 jt, u8 jf, u32 k) x N, little-endian. */
export function seccompProgram(arch: string = os.machine()): Buffer {
  if (arch !== 'x86_64') {
    throw new TwError(
      `the sandbox's syscall filter (seccomp) is only built for x86_64, and this machine is ${arch}`,
      'run the real backend on an x86_64 Linux host',
    );
  }
  const nr = (n: SyscallName): number => X86_64_SYSCALLS[n];
  return assemble([
    ld(SECCOMP_DATA.arch),
    { code: BPF.JEQ_K, k: AUDIT_ARCH_X86_64, jt: 1 },
    ret(SECCOMP_RET_KILL_PROCESS),
    ld(SECCOMP_DATA.nr),
    { code: BPF.JGE_K, k: X32_SYSCALL_BIT, jt: 'eperm' },
    { code: BPF.JEQ_K, k: nr('clone'), jt: 'clone' },
    { code: BPF.JEQ_K, k: nr('clone3'), jt: 'enosys' },
    { code: BPF.JEQ_K, k: nr('socket'), jt: 'socket' },
    { code: BPF.JEQ_K, k: nr('ioctl'), jt: 'ioctl' },
    ...DENIED_SYSCALLS.map((n): Insn => ({ code: BPF.JEQ_K, k: nr(n), jt: 'eperm' })),
    ret(SECCOMP_RET_ALLOW),
    'clone', // flags are arg0's low word (the kernel takes an unsigned long, the namespace bits are all below 2^32)
    ld(SECCOMP_DATA.arg0Low),
    { code: BPF.JSET_K, k: CLONE_NAMESPACE_FLAGS, jt: 'eperm' },
    ret(SECCOMP_RET_ALLOW),
    'socket', // the domain is an int
    ld(SECCOMP_DATA.arg0Low),
    { code: BPF.JEQ_K, k: AF_VSOCK, jt: 'eperm' },
    ret(SECCOMP_RET_ALLOW),
    'ioctl', // the request is an unsigned int
    ld(SECCOMP_DATA.arg1Low),
    { code: BPF.JEQ_K, k: TIOCSTI, jt: 'eperm' },
    { code: BPF.JEQ_K, k: TIOCLINUX, jt: 'eperm' },
    ret(SECCOMP_RET_ALLOW),
    'enosys',
    ret(SECCOMP_RET_ERRNO | ENOSYS),
    'eperm',
    ret(SECCOMP_RET_ERRNO | EPERM),
  ]);
}
