/*
 * twdet: the sandbox's determinism layer, preloaded into every process through
 * /etc/ld.so.preload (no environment variables, so nothing shows in `printenv`).
 *
 * It replaces libfaketime (whose settings live in the environment and which does not see
 * statx, so `ls -l` showed the recording day). It reads one shared file, the session clock
 * (CLOCK_PATH), that the host rewrites before every turn, and fakes three things:
 *
 *   1. the wall clock: CLOCK_REALTIME (clock_gettime, gettimeofday, time) reads
 *        start + turn * turn_ns + calls * tick_ns        (calls = 1 at the first read)
 *      where `turn` is the session's current turn and `calls` counts this process's reads
 *      (libfaketime's `i` stepping: time depends only on what was run, never on the host);
 *   2. file times: every timestamp that stat/lstat/fstat/fstatat/statx report is mapped
 *      from the kernel's real time to the session clock:
 *        t <  image_lo             unchanged (package files, explicit dates: `touch -d`, `tar x`)
 *        image_lo <= t <= image_hi image_epoch (files and ctimes of the image build)
 *        t >  image_hi             start + k * turn_ns, k = the turn during which t was stamped
 *      The host stamps a boundary before each turn (a fine-grained kernel timestamp taken on
 *      this very file, see src/sandbox/clock.ts), so a file's turn is read off its real time;
 *   3. randomness: getrandom() and getentropy() return a stream seeded by (seed, pid, turn),
 *      so mktemp, Python's hash seed and uuid4 replay (pids are deterministic inside the
 *      sandbox's PID namespace). /dev/urandom stays real (documented).
 *
 * CPU time (clock(), CLOCK_*_CPUTIME_ID, getrusage, times) is faked too: one tick per read, none
 * in rusage, so `time` and mktemp (which mixes clock() into names) replay.
 * CLOCK_MONOTONIC is faked the same way (from an uptime of 1000 s), since programs mix it into
 * names too (gnulib's mktemp); absolute deadlines that programs compute from the faked clocks
 * (clock_nanosleep, sem_*wait, pthread_cond_*wait, pthread_mutex_timedlock) are turned into real
 * ones of the same length, so sleeps and timeouts last as long as they should.
 * Without the clock file (determinism off) every call passes straight to the kernel.
 *
 * Only raw system calls, libc's `syscall` and the oldest `dlsym` are used, so the library loads
 * into any glibc image. File layout (little endian), written by src/sandbox/clock.ts:
 *   0  char[8] magic "TWCLK1\0\0"     8  u32 count (boundaries valid)   12 u32 reserved
 *   16 i64 start_s   24 i64 turn_ns   32 i64 tick_ns   40 i64 rate_ppm (tick_ns == 0: real time x rate)
 *   48 u64 seed      56 i64 image_lo_ns   64 i64 image_hi_ns   72 i64 image_epoch_s
 *   128 i64 boundary_ns[count]        (real kernel times, increasing)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* The oldest version of dlsym, so the library loads into any glibc (2.34 moved it into libc). */
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");

#ifndef CLOCK_PATH /* tests build it with another path */
#define CLOCK_PATH "/usr/lib/terminalworld/clock"
#endif
#define CLOCK_SIZE (1 << 20)
#define HEADER 128

struct header {
  char magic[8];
  uint32_t count;
  uint32_t reserved;
  int64_t start_s, turn_ns, tick_ns, rate_ppm;
  uint64_t seed;
  int64_t image_lo_ns, image_hi_ns, image_epoch_s;
};

static const volatile unsigned char *map;
static int map_state;                     /* 0 untried, 1 mapped, -1 absent */
static uint64_t calls;                    /* clock reads by this process */
static int64_t proc_real_start_ns;        /* tick_ns == 0 mode */
static uint64_t rng_s[4];
static pid_t rng_pid;
static uint32_t rng_turn = 0xffffffffu;

static long sys3(long nr, long a, long b, long c) { return syscall(nr, a, b, c); }

static int64_t real_ns(clockid_t id) {
  struct timespec ts;
  syscall(SYS_clock_gettime, id, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const struct header *hdr(void) {
  if (map_state == 0) {
    map_state = -1;
    int fd = (int)sys3(SYS_openat, AT_FDCWD, (long)CLOCK_PATH, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      void *p = (void *)syscall(SYS_mmap, 0L, (long)CLOCK_SIZE, (long)PROT_READ, (long)MAP_SHARED, (long)fd, 0L);
      syscall(SYS_close, fd);
      if (p != MAP_FAILED && memcmp(p, "TWCLK1", 6) == 0) {
        map = p;
        map_state = 1;
        proc_real_start_ns = real_ns(CLOCK_REALTIME);
      }
    }
  }
  return map_state == 1 ? (const struct header *)map : 0;
}

static uint32_t count_of(const struct header *h) { return __atomic_load_n(&h->count, __ATOMIC_ACQUIRE); }
static int64_t boundary(uint32_t i) { return ((const volatile int64_t *)(map + HEADER))[i]; }
static uint32_t current_turn(const struct header *h) {
  uint32_t n = count_of(h);
  return n == 0 ? 0 : n - 1;
}

/* The session clock now, in ns since the epoch. */
static int64_t fake_now_ns(const struct header *h) {
  int64_t base = h->start_s * 1000000000LL + (int64_t)current_turn(h) * h->turn_ns;
  /* The first read is one tick into the turn: a file changed in this turn is strictly older than
     now, as on a real machine (ls -l shows "recent" times only for those). */
  if (h->tick_ns > 0) return base + (int64_t)(++calls) * h->tick_ns;
  int64_t elapsed = real_ns(CLOCK_REALTIME) - proc_real_start_ns;
  return base + (int64_t)((__int128)elapsed * h->rate_ppm / 1000000);
}

/* A kernel file time -> the session clock (see the header comment). */
static void map_time(const struct header *h, int64_t *sec, int64_t *nsec) {
  int64_t t = *sec * 1000000000LL + *nsec;
  if (t < h->image_lo_ns) return;
  if (t <= h->image_hi_ns) {
    *sec = h->image_epoch_s;
    *nsec = 0;
    return;
  }
  uint32_t n = count_of(h), lo = 0, hi = n; /* largest k with boundary[k] <= t, else 0 */
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (boundary(mid) <= t) lo = mid; else hi = mid;
  }
  int64_t f = h->start_s * 1000000000LL + (int64_t)lo * h->turn_ns;
  *sec = f / 1000000000LL;
  *nsec = f % 1000000000LL;
}

static void map_timespec(const struct header *h, struct timespec *ts) {
  int64_t s = ts->tv_sec, n = ts->tv_nsec;
  map_time(h, &s, &n);
  ts->tv_sec = s;
  ts->tv_nsec = n;
}

static void map_stat(struct stat *st) {
  const struct header *h = hdr();
  if (!h) return;
  map_timespec(h, &st->st_atim);
  map_timespec(h, &st->st_mtim);
  map_timespec(h, &st->st_ctim);
}

static void map_statx_ts(const struct header *h, struct statx_timestamp *ts) {
  int64_t s = ts->tv_sec, n = ts->tv_nsec;
  map_time(h, &s, &n);
  ts->tv_sec = s;
  ts->tv_nsec = (uint32_t)n;
}

/* ---- the wall clock ---- */

static int is_realtime(clockid_t id) { return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE; }
static int is_cputime(clockid_t id) { return id == CLOCK_PROCESS_CPUTIME_ID || id == CLOCK_THREAD_CPUTIME_ID; }
static int is_monotonic(clockid_t id) {
  return id == CLOCK_MONOTONIC || id == CLOCK_MONOTONIC_RAW || id == CLOCK_MONOTONIC_COARSE || id == CLOCK_BOOTTIME;
}

/* The monotonic clock: the machine's uptime (/proc/uptime shows 1000 s at the first turn) plus
   the session clock's progress since its start. Deterministic like the wall clock. */
#define MONO_BASE_NS 1000000000000LL
static int64_t fake_mono_ns(const struct header *h, int advance) {
  int64_t base = MONO_BASE_NS + (int64_t)current_turn(h) * h->turn_ns;
  if (h->tick_ns > 0) return base + (int64_t)(advance ? ++calls : calls) * h->tick_ns;
  return base + (real_ns(CLOCK_REALTIME) - proc_real_start_ns);
}
static int64_t fake_peek_ns(const struct header *h, clockid_t id) {
  if (is_monotonic(id)) return fake_mono_ns(h, 0);
  int64_t base = h->start_s * 1000000000LL + (int64_t)current_turn(h) * h->turn_ns;
  return h->tick_ns > 0 ? base + (int64_t)calls * h->tick_ns : base + (real_ns(CLOCK_REALTIME) - proc_real_start_ns);
}
static int64_t ts_ns(const struct timespec *t) { return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec; }
static struct timespec ns_ts(int64_t n) {
  struct timespec t = {n / 1000000000LL, n % 1000000000LL};
  return t;
}

/* CPU time used: one tick per read (real CPU time depends on the host's load; mktemp mixes
   clock() into its names). */
static int64_t fake_cpu_ns(const struct header *h) { return (int64_t)(++calls) * (h->tick_ns > 0 ? h->tick_ns : 1000000); }

int clock_gettime(clockid_t id, struct timespec *ts) {
  const struct header *h = is_realtime(id) || is_cputime(id) || is_monotonic(id) ? hdr() : 0;
  if (!h) return (int)syscall(SYS_clock_gettime, id, ts);
  int64_t t = is_cputime(id) ? fake_cpu_ns(h) : is_monotonic(id) ? fake_mono_ns(h, 1) : fake_now_ns(h);
  ts->tv_sec = t / 1000000000LL;
  ts->tv_nsec = t % 1000000000LL;
  return 0;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
  const struct header *h = hdr();
  if (!h) return (int)syscall(SYS_gettimeofday, tv, tz);
  if (tz) memset(tz, 0, sizeof(struct timezone));
  int64_t t = fake_now_ns(h);
  tv->tv_sec = t / 1000000000LL;
  tv->tv_usec = (t % 1000000000LL) / 1000;
  return 0;
}

time_t time(time_t *out) {
  const struct header *h = hdr();
  time_t t = h ? (time_t)(fake_now_ns(h) / 1000000000LL) : (time_t)syscall(SYS_time, 0L);
  if (out) *out = t;
  return t;
}

clock_t clock(void) {
  const struct header *h = hdr();
  if (!h) {
    struct timespec ts;
    if (syscall(SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return (clock_t)-1;
    return (clock_t)(ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
  }
  return (clock_t)(fake_cpu_ns(h) / 1000);
}

/* `time` (bash's keyword) and friends report no CPU time: what they would print depends on the host. */
int getrusage(int who, struct rusage *ru) {
  long r = syscall(SYS_getrusage, who, ru);
  if (r == 0 && hdr()) {
    memset(&ru->ru_utime, 0, sizeof ru->ru_utime);
    memset(&ru->ru_stime, 0, sizeof ru->ru_stime);
  }
  return (int)r;
}

clock_t times(struct tms *t) {
  const struct header *h = hdr();
  if (!h) return (clock_t)syscall(SYS_times, t);
  if (t) memset(t, 0, sizeof *t);
  return (clock_t)(fake_now_ns(h) / 10000000LL); /* in 1/100 s, like the kernel's USER_HZ */
}

int timespec_get(struct timespec *ts, int base) {
  if (base != TIME_UTC) return 0;
  return clock_gettime(CLOCK_REALTIME, ts) == 0 ? base : 0;
}

/* ---- absolute deadlines ----
   A program computes a deadline from the faked clock; the kernel and glibc compare it with the
   real one. Each call below turns a faked deadline into a real one of the same length. */

static void *next_fn(const char *name) {
  return dlsym(RTLD_NEXT, name);
}

/* A faked absolute deadline on `clk` -> the same time from now on the real `clk`. */
static struct timespec real_deadline(const struct header *h, clockid_t clk, const struct timespec *abs) {
  int64_t left = ts_ns(abs) - fake_peek_ns(h, clk);
  if (left < 0) left = 0;
  return ns_ts(real_ns(is_monotonic(clk) ? CLOCK_MONOTONIC : CLOCK_REALTIME) + left);
}

/* Which clock a deadline of unknown clock was computed on: wall-clock values are past 2001. */
static clockid_t guess_clock(const struct timespec *abs) { return abs->tv_sec > 1000000000L ? CLOCK_REALTIME : CLOCK_MONOTONIC; }

int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem) {
  const struct header *h = (flags & TIMER_ABSTIME) && (is_realtime(clk) || is_monotonic(clk)) ? hdr() : 0;
  if (!h) {
    long r = syscall(SYS_clock_nanosleep, clk, flags, req, rem);
    return r < 0 ? errno : 0;
  }
  int64_t left = ts_ns(req) - fake_peek_ns(h, clk);
  if (left <= 0) return 0;
  struct timespec rel = ns_ts(left);
  long r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &rel, 0L);
  return r < 0 ? errno : 0;
}

int sem_clockwait(sem_t *sem, clockid_t clk, const struct timespec *abs) {
  int (*f)(sem_t *, clockid_t, const struct timespec *) = (int (*)(sem_t *, clockid_t, const struct timespec *))next_fn("sem_clockwait");
  const struct header *h = hdr();
  if (!h) return f(sem, clk, abs);
  struct timespec d = real_deadline(h, clk, abs);
  return f(sem, is_monotonic(clk) ? CLOCK_MONOTONIC : CLOCK_REALTIME, &d);
}

int sem_timedwait(sem_t *sem, const struct timespec *abs) {
  int (*f)(sem_t *, const struct timespec *) = (int (*)(sem_t *, const struct timespec *))next_fn("sem_timedwait");
  const struct header *h = hdr();
  if (!h) return f(sem, abs);
  struct timespec d = real_deadline(h, CLOCK_REALTIME, abs);
  return f(sem, &d);
}

int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk, const struct timespec *abs) {
  int (*f)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *) =
      (int (*)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *))next_fn("pthread_cond_clockwait");
  const struct header *h = hdr();
  if (!h) return f(c, m, clk, abs);
  struct timespec d = real_deadline(h, clk, abs);
  return f(c, m, is_monotonic(clk) ? CLOCK_MONOTONIC : CLOCK_REALTIME, &d);
}

/* The condition's clock is set in its attributes, which we cannot read: guess it from the value. */
int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abs) {
  int (*f)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *) =
      (int (*)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *))next_fn("pthread_cond_timedwait");
  const struct header *h = hdr();
  if (!h) return f(c, m, abs);
  struct timespec d = real_deadline(h, guess_clock(abs), abs);
  return f(c, m, &d);
}

int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abs) {
  int (*f)(pthread_mutex_t *, const struct timespec *) = (int (*)(pthread_mutex_t *, const struct timespec *))next_fn("pthread_mutex_timedlock");
  const struct header *h = hdr();
  if (!h) return f(m, abs);
  struct timespec d = real_deadline(h, CLOCK_REALTIME, abs);
  return f(m, &d);
}

/* ---- randomness ---- */

static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t xoshiro(void) { /* xoshiro256** */
  uint64_t r = rotl(rng_s[1] * 5, 7) * 9, t = rng_s[1] << 17;
  rng_s[2] ^= rng_s[0]; rng_s[3] ^= rng_s[1]; rng_s[1] ^= rng_s[2]; rng_s[0] ^= rng_s[3];
  rng_s[2] ^= t; rng_s[3] = rotl(rng_s[3], 45);
  return r;
}

static void fake_random(const struct header *h, unsigned char *buf, size_t len) {
  pid_t pid = (pid_t)syscall(SYS_getpid);
  uint32_t turn = current_turn(h);
  /* A new process (or a fork that did not exec) gets its own stream; so does a new turn. */
  if (pid != rng_pid || turn != rng_turn) {
    uint64_t x = h->seed ^ ((uint64_t)(uint32_t)pid << 32) ^ turn;
    for (int i = 0; i < 4; i++) rng_s[i] = splitmix(&x);
    rng_pid = pid;
    rng_turn = turn;
  }
  while (len > 0) {
    uint64_t r = xoshiro();
    size_t n = len < 8 ? len : 8;
    memcpy(buf, &r, n);
    buf += n;
    len -= n;
  }
}

ssize_t getrandom(void *buf, size_t len, unsigned int flags) {
  const struct header *h = hdr();
  if (!h) return (ssize_t)syscall(SYS_getrandom, buf, len, flags);
  fake_random(h, buf, len);
  return (ssize_t)len;
}

int getentropy(void *buf, size_t len) {
  if (len > 256) {
    errno = EIO;
    return -1;
  }
  const struct header *h = hdr();
  if (!h) return syscall(SYS_getrandom, buf, len, 0) == (long)len ? 0 : -1;
  fake_random(h, buf, len);
  return 0;
}

/* ---- file times ---- */

static int done_stat(long r, struct stat *st) {
  if (r < 0) return (int)r; /* syscall() already set errno and returned -1 */
  map_stat(st);
  return 0;
}

int fstatat(int dirfd, const char *path, struct stat *st, int flags) {
  return done_stat(syscall(SYS_newfstatat, dirfd, path, st, flags), st);
}
int stat(const char *path, struct stat *st) { return fstatat(AT_FDCWD, path, st, 0); }
int lstat(const char *path, struct stat *st) { return fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW); }
int fstat(int fd, struct stat *st) { return done_stat(syscall(SYS_fstat, fd, st), st); }
/* On x86_64 struct stat64 has the layout of struct stat. */
int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags) { return fstatat(dirfd, path, (struct stat *)st, flags); }
int stat64(const char *path, struct stat64 *st) { return stat(path, (struct stat *)st); }
int lstat64(const char *path, struct stat64 *st) { return lstat(path, (struct stat *)st); }
int fstat64(int fd, struct stat64 *st) { return fstat(fd, (struct stat *)st); }
/* Binaries built against glibc < 2.33 call these. */
int __xstat(int v, const char *path, struct stat *st) { (void)v; return stat(path, st); }
int __lxstat(int v, const char *path, struct stat *st) { (void)v; return lstat(path, st); }
int __fxstat(int v, int fd, struct stat *st) { (void)v; return fstat(fd, st); }
int __fxstatat(int v, int dirfd, const char *path, struct stat *st, int flags) { (void)v; return fstatat(dirfd, path, st, flags); }
int __xstat64(int v, const char *path, struct stat *st) { (void)v; return stat(path, st); }
int __lxstat64(int v, const char *path, struct stat *st) { (void)v; return lstat(path, st); }
int __fxstat64(int v, int fd, struct stat *st) { (void)v; return fstat(fd, st); }
int __fxstatat64(int v, int dirfd, const char *path, struct stat *st, int flags) { (void)v; return fstatat(dirfd, path, st, flags); }

int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *sx) {
  long r = syscall(SYS_statx, dirfd, path, flags, mask, sx);
  if (r < 0) return (int)r;
  const struct header *h = hdr();
  if (h) {
    map_statx_ts(h, &sx->stx_atime);
    map_statx_ts(h, &sx->stx_btime);
    map_statx_ts(h, &sx->stx_ctime);
    map_statx_ts(h, &sx->stx_mtime);
  }
  return 0;
}
