// A dynamically linked ffprobe or ffmpeg, loaded once and forked for each run.
//
// Most of the CPU a distribution's ffprobe or ffmpeg spends on a short file goes into starting:
// the dynamic linker maps a couple of hundred libraries and resolves tens of thousands of symbols
// before main() runs, then the libraries' initialisers run. All of that comes out the same every
// time. Preloaded into the tool (LD_PRELOAD) with OPENVOD_TOOL_ZYGOTE=1 in its environment, this
// library lets the tool start once, as usual, up to the moment main() would be called; there it
// serves runs instead: each run is a fork() of that ready process, which calls the tool's own
// main() with the run's arguments. Without the variable it does nothing at all.
//
// It hooks __libc_start_main, which the executable's entry code calls with the address of main:
// the real one is called with serve() in main's place, after every initialiser has run.
//
// Protocol, on the zygote's stdin (requests) and stdout (replies); integers are little-endian u32:
//   from the runner   'R' id argc (len bytes)×argc   run the tool with these arguments (argv[0] first)
//                     'K' id                          SIGKILL that run
//                     'Q'                             take no more runs; exit once none is left
//   from the zygote   'H' pid                         ready (once, first)
//                     'O' id stream len bytes         output of a run (stream 1 stdout, 2 stderr)
//                     'X' id status                   the run ended (wait status), all its output sent
//                     'F' id errno                    the fork failed
// A run's stdin is /dev/null. After 'Q' (a retired zygote) it still takes 'K' for the runs it has;
// when the runner closes stdin it takes nothing more, and either way it exits once its runs have
// ended; when the runner dies the zygote is killed (PR_SET_PDEATHSIG), and so is every run (the
// same, with the zygote as parent).
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_fn)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *);

static main_fn tool_main;

#define MAX_RUNS 64
#define MAX_ARGS 256
#define MAX_REQUEST (1 << 20)

struct run {
  uint32_t id;
  pid_t pid; // 0: slot free
  int out, err; // pipe read ends, -1 once at EOF
  int reaped;
  int status;
};

static struct run runs[MAX_RUNS];
// The zygote's own command line (its argv strings lie end to end there): each run writes its
// arguments over it, so that ps and /proc/<pid>/cmdline show what the run is doing. The runner
// starts the zygote with a long blank argument to make room.
static char *cmdline_at;
static size_t cmdline_len;
static int sigchld_pipe[2];
static unsigned char inbuf[MAX_REQUEST];
static size_t inlen;
static int accepting = 1;

static void die(void) { _exit(70); }

static void write_all(const void *p, size_t n) {
  const unsigned char *b = p;
  while (n > 0) {
    ssize_t w = write(1, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) die(); // the runner is gone
    b += w;
    n -= (size_t)w;
  }
}

static void reply(char type, uint32_t a, uint32_t b, const void *bytes, uint32_t len, int with_len) {
  unsigned char head[13];
  size_t n = 0;
  head[n++] = (unsigned char)type;
  memcpy(head + n, &a, 4), n += 4;
  memcpy(head + n, &b, 4), n += 4;
  if (with_len) memcpy(head + n, &len, 4), n += 4;
  write_all(head, n);
  if (len > 0) write_all(bytes, len);
}

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  (void)!write(sigchld_pipe[1], "c", 1);
  errno = saved;
}

static uint32_t u32_at(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static struct run *run_by_id(uint32_t id) {
  for (int i = 0; i < MAX_RUNS; i++) if (runs[i].pid != 0 && runs[i].id == id) return &runs[i];
  return NULL;
}

static int set_cloexec(int fd) { return fcntl(fd, F_SETFD, FD_CLOEXEC); }

static void show_arguments(int argc, char **argv) {
  if (cmdline_at == NULL) return;
  size_t at = 0;
  for (int i = 0; i < argc && at < cmdline_len; i++) {
    size_t len = strlen(argv[i]) + 1;
    if (len > cmdline_len - at) len = cmdline_len - at;
    memcpy(cmdline_at + at, argv[i], len);
    at += len;
  }
  memset(cmdline_at + at, 0, cmdline_len - at);
  cmdline_at[cmdline_len - 1] = 0;
}

// A forked process keeps its parent's stack canary, the value every protected function checks
// before returning; runs that shared one would let a file that overflows a buffer learn it a byte
// at a time over many runs. Each run gets its own before the tool's code runs (x86-64 glibc keeps
// it at %fs:0x28, low byte zero). Only frames below this one hold the old value, and none of them
// returns: the run ends in exit(). This file is compiled without the stack protector.
static void fresh_canary(void) {
#if defined(__x86_64__) && defined(__GLIBC__)
  uint64_t canary;
  if (getrandom(&canary, sizeof canary, 0) != sizeof canary) _exit(127);
  canary &= ~(uint64_t)0xff;
  __asm__ volatile("movq %0, %%fs:0x28" : : "r"(canary) : "memory");
#endif
}

// Forks a run. In the child, never returns: the tool's main() runs and its value is the exit code.
static void start_run(uint32_t id, int argc, char **argv) {
  struct run *slot = NULL;
  for (int i = 0; i < MAX_RUNS && slot == NULL; i++) if (runs[i].pid == 0) slot = &runs[i];
  int out[2], err[2];
  if (slot == NULL) {
    reply('F', id, EAGAIN, NULL, 0, 0);
    return;
  }
  if (pipe2(out, O_CLOEXEC) != 0) {
    reply('F', id, (uint32_t)errno, NULL, 0, 0);
    return;
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    int e = errno;
    close(out[0]), close(out[1]);
    reply('F', id, (uint32_t)e, NULL, 0, 0);
    return;
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(out[0]), close(out[1]), close(err[0]), close(err[1]);
    reply('F', id, (uint32_t)e, NULL, 0, 0);
    return;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) _exit(127);
    // Every other descriptor the zygote holds is close-on-exec or closed here: the tool's own
    // code never sees the control channel or another run's pipes.
    for (int i = 0; i < MAX_RUNS; i++) {
      if (runs[i].pid == 0) continue;
      if (runs[i].out >= 0) close(runs[i].out);
      if (runs[i].err >= 0) close(runs[i].err);
    }
    close(out[0]), close(out[1]), close(err[0]), close(err[1]), close(devnull);
    close(sigchld_pipe[0]), close(sigchld_pipe[1]);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    unsetenv("OPENVOD_TOOL_ZYGOTE");
    show_arguments(argc, argv);
    fresh_canary();
    exit(tool_main(argc, argv, environ));
  }
  close(out[1]), close(err[1]);
  // Read ends non-blocking: a slot reused within one poll round must not block on a stale event.
  fcntl(out[0], F_SETFL, O_NONBLOCK), fcntl(err[0], F_SETFL, O_NONBLOCK);
  *slot = (struct run){ .id = id, .pid = pid, .out = out[0], .err = err[0], .reaped = 0, .status = 0 };
}

// Parses whole requests at the head of inbuf; returns 0 when the input is malformed.
static int take_requests(void) {
  size_t at = 0;
  for (;;) {
    size_t left = inlen - at;
    if (left < 1) break;
    unsigned char type = inbuf[at];
    if (type == 'K') {
      if (left < 5) break;
      struct run *r = run_by_id(u32_at(inbuf + at + 1));
      if (r != NULL && !r->reaped) kill(r->pid, SIGKILL);
      at += 5;
      continue;
    }
    if (type == 'Q') {
      accepting = 0;
      at += 1;
      continue;
    }
    if (type != 'R') return 0;
    if (left < 9) break;
    uint32_t argc = u32_at(inbuf + at + 5);
    if (argc == 0 || argc > MAX_ARGS) return 0;
    size_t p = at + 9;
    int whole = 1;
    for (uint32_t i = 0; i < argc && whole; i++) {
      if (inlen - p < 4) { whole = 0; break; }
      uint32_t len = u32_at(inbuf + p);
      if (len > MAX_REQUEST) return 0;
      if (inlen - p - 4 < len) { whole = 0; break; }
      p += 4 + len;
    }
    if (!whole) {
      if (at == 0 && inlen == sizeof inbuf) return 0; // one request larger than the buffer
      break;
    }
    // The child gets its own copy of the arguments (fork copies memory), NUL-terminated.
    char *argv[MAX_ARGS + 1];
    size_t q = at + 9;
    static char strings[MAX_REQUEST + MAX_ARGS];
    size_t s = 0;
    for (uint32_t i = 0; i < argc; i++) {
      uint32_t len = u32_at(inbuf + q);
      memcpy(strings + s, inbuf + q + 4, len);
      strings[s + len] = 0;
      argv[i] = strings + s;
      s += len + 1;
      q += 4 + len;
    }
    argv[argc] = NULL;
    if (accepting) start_run(u32_at(inbuf + at + 1), (int)argc, argv);
    else reply('F', u32_at(inbuf + at + 1), ESHUTDOWN, NULL, 0, 0);
    at = p;
  }
  memmove(inbuf, inbuf + at, inlen - at);
  inlen -= at;
  return 1;
}

static void finish_if_done(struct run *r) {
  if (r->pid == 0 || !r->reaped || r->out >= 0 || r->err >= 0) return;
  reply('X', r->id, (uint32_t)r->status, NULL, 0, 0);
  r->pid = 0;
}

static void drain(struct run *r, int *fd, uint32_t stream) {
  static unsigned char buf[65536];
  ssize_t n = read(*fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    close(*fd);
    *fd = -1;
    finish_if_done(r);
    return;
  }
  reply('O', r->id, stream, buf, (uint32_t)n, 1);
}

static void reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (int i = 0; i < MAX_RUNS; i++) {
      if (runs[i].pid != pid) continue;
      runs[i].reaped = 1;
      runs[i].status = status;
      finish_if_done(&runs[i]);
    }
  }
}

static int busy(void) {
  for (int i = 0; i < MAX_RUNS; i++) if (runs[i].pid != 0) return 1;
  return 0;
}

// Threads a library's initialiser started would not exist in a forked run, which could then wait
// on them for ever: such a tool is not made a zygote (it exits before saying it is ready, and the
// runner starts its runs as processes).
static int threads(void) {
  DIR *dir = opendir("/proc/self/task");
  if (dir == NULL) return -1;
  int n = 0;
  for (struct dirent *e = readdir(dir); e != NULL; e = readdir(dir)) if (e->d_name[0] != '.') n++;
  closedir(dir);
  return n;
}

static int serve(int argc, char **argv, char **envp) {
  (void)envp;
  if (threads() != 1) {
    static const char message[] = "tool-zygote: the tool runs more than one thread before main(); not a zygote\n";
    (void)!write(2, message, sizeof message - 1);
    _exit(75);
  }
  if (argc > 0) {
    cmdline_at = argv[0];
    cmdline_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0]);
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) != 0) die();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  set_cloexec(0), set_cloexec(1);
  reply('H', (uint32_t)getpid(), 0, NULL, 0, 0);
  int open_input = 1;
  while ((open_input && accepting) || busy()) {
    struct pollfd fds[2 + 2 * MAX_RUNS];
    struct run *owner[2 + 2 * MAX_RUNS];
    nfds_t n = 0;
    fds[n] = (struct pollfd){ .fd = sigchld_pipe[0], .events = POLLIN }, owner[n++] = NULL;
    if (open_input) fds[n] = (struct pollfd){ .fd = 0, .events = POLLIN }, owner[n++] = NULL;
    for (int i = 0; i < MAX_RUNS; i++) {
      if (runs[i].pid == 0) continue;
      if (runs[i].out >= 0) fds[n] = (struct pollfd){ .fd = runs[i].out, .events = POLLIN }, owner[n++] = &runs[i];
      if (runs[i].err >= 0) fds[n] = (struct pollfd){ .fd = runs[i].err, .events = POLLIN }, owner[n++] = &runs[i];
    }
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      die();
    }
    for (nfds_t i = 0; i < n; i++) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == sigchld_pipe[0]) {
        char drainbuf[64];
        while (read(sigchld_pipe[0], drainbuf, sizeof drainbuf) > 0) {}
        reap();
      } else if (owner[i] == NULL) {
        ssize_t r = read(0, inbuf + inlen, sizeof inbuf - inlen);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
          open_input = 0;
          continue;
        }
        inlen += (size_t)r;
        if (!take_requests()) die();
      } else {
        struct run *r = owner[i];
        if (r->pid == 0) continue;
        if (fds[i].fd == r->out) drain(r, &r->out, 1);
        else if (fds[i].fd == r->err) drain(r, &r->err, 2);
      }
    }
    reap();
  }
  return 0;
}

__attribute__((visibility("default"))) int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end) {
  start_fn real = (start_fn)dlsym(RTLD_NEXT, "__libc_start_main");
  if (real == NULL) abort();
  const char *on = getenv("OPENVOD_TOOL_ZYGOTE");
  if (on == NULL || strcmp(on, "1") != 0) return real(main, argc, argv, init, fini, rtld_fini, stack_end);
  tool_main = main;
  return real(serve, argc, argv, init, fini, rtld_fini, stack_end);
}
