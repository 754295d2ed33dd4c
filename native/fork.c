// handoff_fork: the few system calls Node does not offer, so that a single-threaded Node process (the zygote)
// can fork() per accepted connection. See docs/fork.md for why each step is needed and what would break it.
//
//   forkChild(deathReadFd, deathWriteFd) -> pid (0 in the child)
//       madvise(MADV_DOFORK) over every mapping (V8 marks heap pages MADV_DONTFORK), fork(); in the child:
//       close the death pipe's write end, uv_loop_fork(), and watch the read end: EOF = the zygote is gone.
//   reap(pid, peekOnly) -> -1 running, -2 not our child (ECHILD), else exit code, or 256 + signal number
//   deathPipe() -> [readFd, writeFd]            (O_CLOEXEC: nothing spawned inherits it)
//   closeFd(fd)
//   exitNow(code)                               _exit(): no atexit, no V8 teardown in a child
//   setAccepting(listenFd, on)                  add/remove the listener in libuv's epoll set (backpressure)
//   execSelf(path, argv)                        execv() in place: same pid, new image (adds --single-threaded)
//   getpid()                                    the real pid (Node caches process.pid: a forked child inherits it)
//   adviseDoFork(scan) -> 1 | 2                 what forkChild does first: 1 in two madvise calls, 2 by the maps scan
//                                               (the fallback; scan = true forces it, for its test)
//   becomeSpare(standDownRead, standDownWrite)  in a child forked ahead (--spares): drop its copy of the write end
//                                               and _exit(0) on EOF of the read end (the zygote stood spares down)
//   dupFd(fd) -> fd                             dup() with O_CLOEXEC: the zygote keeps a listener libuv does not watch
//   takeSpare(notifyWriteFd)                    the spare took a connection: stop watching for the stand-down,
//                                               tell the zygote "<pid>\n" (one atomic pipe write) and close both
//   becomeSubreaper()                           prctl(PR_SET_CHILD_SUBREAPER) for the harness: descendants
//                                               orphaned by their parent's exit are reparented to it, not to init
// and, from proc-events.c, the sampler's process events (procEventsOpen/Read/Close); from pidfd.c, process file
// descriptors for a root that is not the harness's child (pidfdOpen/Watch/Signal/Close).
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include "napi-util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(call)                                                       \
  do {                                                                    \
    if ((call) != napi_ok) {                                              \
      napi_throw_error(env, NULL, "handoff_fork: N-API call failed: " #call); \
      return NULL;                                                        \
    }                                                                     \
  } while (0)

static int get_int_arg(napi_env env, napi_value v, int32_t* out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

// --- MADV_DOFORK over /proc/self/maps --------------------------------------------------------------------
// One read of the whole file, contiguous mappings merged into one madvise() each. The special kernel mappings
// ([vvar], [vsyscall]) refuse the advice and would stop a merged range, so they are skipped.

static char maps_buf[1 << 18];

static void advise_range(unsigned long start, unsigned long end) {
  if (end > start) (void)madvise((void*)start, end - start, MADV_DOFORK);
}

/** Reads /proc/self/maps into maps_buf, NUL-terminated: 0, or an errno. */
static int read_maps(void) {
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  size_t len = 0;
  for (;;) {
    if (len == sizeof maps_buf - 1) break;  // 256 KiB of maps: ~2500 mappings, far beyond a Node process
    ssize_t n = read(fd, maps_buf + len, sizeof maps_buf - 1 - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      return e;
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  maps_buf[len] = 0;
  return 0;
}

typedef struct {
  unsigned long start, end;
  const char* path; /* the path column ("/usr/bin/node", "[heap]"), or NULL for an anonymous mapping */
} maps_line;

/** Parses the line at p; returns where the next line starts (at the terminating NUL after the last one). */
static char* next_maps_line(char* p, maps_line* out) {
  char* line_end = strchr(p, '\n');
  if (!line_end) line_end = p + strlen(p);
  char* q;
  out->start = strtoul(p, &q, 16);
  out->end = (*q == '-') ? strtoul(q + 1, &q, 16) : 0;
  // the path column, if any, starts at the first '/' or '[' after the inode
  out->path = NULL;
  for (char* c = q; c < line_end; c++) {
    if (*c == '/' || *c == '[') {
      out->path = c;
      break;
    }
  }
  return *line_end ? line_end + 1 : line_end;
}

/** The kernel's special mappings that refuse MADV_DOFORK among user mappings ([vvar], [vvar_vclock], [vdso]). */
static int is_special(const char* path) {
  return path && (strncmp(path, "[vvar", 5) == 0 || strncmp(path, "[vdso]", 6) == 0);
}

static int madvise_dofork_all(void) {
  int err = read_maps();
  if (err) return err;
  unsigned long run_start = 0, run_end = 0;
  maps_line m;
  for (char* p = maps_buf; *p;) {
    p = next_maps_line(p, &m);
    // [vsyscall] refuses too, but lies above user space: only the scan ever meets it
    int refuses = is_special(m.path) || (m.path && strncmp(m.path, "[vsyscall]", 10) == 0);
    if (m.end > m.start && !refuses) {
      if (m.start == run_end) {
        run_end = m.end;
      } else {
        advise_range(run_start, run_end);
        run_start = m.start;
        run_end = m.end;
      }
    } else {
      advise_range(run_start, run_end);
      run_start = run_end = 0;
    }
  }
  advise_range(run_start, run_end);
  return 0;
}

// --- MADV_DOFORK in two calls ----------------------------------------------------------------------------
// madvise() over a range applies the advice to every mapping in it and only notes the holes (ENOMEM), but it
// stops at the first mapping that refuses: the kernel's special mappings ([vvar], [vvar_vclock], [vdso]) do
// (EINVAL). They never move after exec, so they are found once; afterwards two calls, below and above them,
// advise everything else: one walk of the mapping tree in the kernel instead of reading /proc/self/maps and
// ~100 calls per fork. Anything unexpected (no specials found, a mapping among them, another refusal) falls
// back to the scan above.

#define USER_SPACE_END (1UL << 56) /* beyond the last user address, with 4- or 5-level page tables */

static unsigned long special_lo, special_hi;
static int specials_state; /* 0 not looked yet, 1 found, -1 unusable: always scan */

static int find_specials(void) {
  if (read_maps() != 0) return 0;
  unsigned long lo = ~0UL, hi = 0;
  maps_line m;
  for (char* p = maps_buf; *p;) {
    p = next_maps_line(p, &m);
    if (is_special(m.path)) {
      if (m.start < lo) lo = m.start;
      if (m.end > hi) hi = m.end;
    }
  }
  if (hi == 0) return 0;
  // an ordinary mapping between the specials would be skipped by the two calls
  for (char* p = maps_buf; *p;) {
    p = next_maps_line(p, &m);
    if (!is_special(m.path) && m.start < hi && m.end > lo) return 0;
  }
  special_lo = lo;
  special_hi = hi;
  return 1;
}

static int advise_ok(int r) { return r == 0 || errno == ENOMEM; }

/** 1: advised in two calls; 2: advised by the scan (the fallback, or forced); < 0: -errno of the scan */
static int advise_dofork(int force_scan) {
  if (specials_state == 0) specials_state = find_specials() ? 1 : -1;
  if (!force_scan && specials_state > 0 && advise_ok(madvise(NULL, special_lo, MADV_DOFORK)) &&
      advise_ok(madvise((void*)special_hi, USER_SPACE_END - special_hi, MADV_DOFORK)))
    return 1;
  int err = madvise_dofork_all();
  return err ? -err : 2;
}

static napi_value AdviseDoFork(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool scan = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc > 0) napi_get_value_bool(env, argv[0], &scan);
  int r = advise_dofork(scan);
  if (r < 0) return throw_errno(env, "reading /proc/self/maps", -r);
  return make_int(env, r);
}

// --- fork ---------------------------------------------------------------------------------------------------

static uv_poll_t death_watch;

/**
 * Watch the read end of a pipe whose write end belongs to the zygote: on EOF (or readability: nothing is ever
 * written) `on_eof` runs. Unref'd, so the watch never keeps a child alive by itself. 0 on success.
 */
static int watch_for_eof(uv_loop_t* loop, uv_poll_t* watch, int fd, uv_poll_cb on_eof) {
  if (uv_poll_init(loop, watch, fd) != 0 || uv_poll_start(watch, UV_READABLE | UV_DISCONNECT, on_eof) != 0) return -1;
  uv_unref((uv_handle_t*)watch);
  return 0;
}

static void on_zygote_gone(uv_poll_t* handle, int status, int events) {
  // the zygote closed its write end by dying: a child must not outlive it (the postmaster rule)
  _exit(1);
}

static napi_value ForkChild(napi_env env, napi_callback_info info) {
  int32_t fds[2];
  if (!int_args(env, info, 2, fds, "forkChild(deathReadFd, deathWriteFd)")) return NULL;
  int32_t death_r = fds[0], death_w = fds[1];
  uv_loop_t* loop;
  CHECK(napi_get_uv_event_loop(env, &loop));

  int advised = advise_dofork(0);
  if (advised < 0) return throw_errno(env, "reading /proc/self/maps", -advised);

  pid_t zygote = getpid();
  pid_t pid = fork();
  if (pid < 0) return throw_errno(env, "fork", errno);
  if (pid > 0) return make_int(env, pid);

  // child
  // SIGKILL when the zygote dies, delivered even to a child that cannot run its event loop (stuck in synchronous
  // JS, stopped): the death pipe below only works for a child that polls. getppid() closes the window in which
  // the zygote died before prctl() took effect. The zygote forks from its only running thread, so "the parent
  // thread exited" means the zygote exited.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != zygote) _exit(1);
  close(death_w);
  // The zygote's graceful-shutdown handlers are not the child's: SIGTERM/SIGINT kill it at once, and it has
  // no children of its own to reap. Reset here, in C, rather than by removing JS listeners (cheaper).
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGCHLD, SIG_DFL);
  if (uv_loop_fork(loop) != 0) _exit(70);
  if (watch_for_eof(loop, &death_watch, death_r, on_zygote_gone) != 0) _exit(70);
  return make_int(env, 0);
}

// --- spares forked ahead ----------------------------------------------------------------------------------

static uv_poll_t stand_down_watch;
static int stand_down_fd = -1;

static void on_stand_down(uv_poll_t* handle, int status, int events) {
  // EOF: the zygote is shutting down (or gone) and this spare never took a connection
  _exit(0);
}

static napi_value BecomeSpare(napi_env env, napi_callback_info info) {
  int32_t fds[2];
  if (!int_args(env, info, 2, fds, "becomeSpare(standDownReadFd, standDownWriteFd)")) return NULL;
  int32_t rd = fds[0], wr = fds[1];
  uv_loop_t* loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  close(wr);  // only the zygote's copy of the write end may keep an idle spare waiting
  if (watch_for_eof(loop, &stand_down_watch, rd, on_stand_down) != 0) _exit(70);
  stand_down_fd = rd;
  return NULL;
}

static void close_stand_down_fd(uv_handle_t* handle) {
  if (stand_down_fd >= 0) close(stand_down_fd);
  stand_down_fd = -1;
}

static napi_value TakeSpare(napi_env env, napi_callback_info info) {
  int32_t notify = -1;
  if (!int_args(env, info, 1, &notify, "takeSpare(notifyWriteFd)")) return NULL;
  if (stand_down_fd >= 0 && !uv_is_closing((uv_handle_t*)&stand_down_watch)) {
    uv_poll_stop(&stand_down_watch);
    uv_close((uv_handle_t*)&stand_down_watch, close_stand_down_fd);
  }
  char line[24];
  int len = snprintf(line, sizeof line, "%d\n", (int)getpid());
  ssize_t n;
  do n = write(notify, line, (size_t)len);  // < PIPE_BUF: never interleaved with another spare's line
  while (n < 0 && errno == EINTR);
  int e = errno;
  close(notify);
  if (n != len) return throw_errno(env, "telling the zygote a spare was taken", n < 0 ? e : EIO);
  return NULL;
}

static napi_value DupFd(napi_env env, napi_callback_info info) {
  int32_t fd = -1;
  if (!int_args(env, info, 1, &fd, "dupFd(fd)")) return NULL;
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return throw_errno(env, "dup", errno);
  return make_int(env, copy);
}

static napi_value Reap(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t pid = 0;
  bool peek = false;
  if (argc < 1 || !get_int_arg(env, argv[0], &pid) || pid <= 0) {
    napi_throw_type_error(env, NULL, "reap(pid, peekOnly)");
    return NULL;
  }
  if (argc > 1) napi_get_value_bool(env, argv[1], &peek);
  if (peek) {
    // WNOWAIT: see whether it ended but leave it a zombie (the `zombie` canary)
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r;
    do r = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT);
    while (r < 0 && errno == EINTR);
    if (r < 0) return make_int(env, errno == ECHILD ? -2 : -3);
    if (si.si_pid == 0) return make_int(env, -1);
    return make_int(env, si.si_code == CLD_EXITED ? si.si_status : 256 + si.si_status);
  }
  int status = 0;
  pid_t r;
  do r = waitpid(pid, &status, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r < 0) return make_int(env, errno == ECHILD ? -2 : -3);
  if (r == 0) return make_int(env, -1);
  if (WIFEXITED(status)) return make_int(env, WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return make_int(env, 256 + WTERMSIG(status));
  return make_int(env, -1);
}

static napi_value DeathPipe(napi_env env, napi_callback_info info) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return throw_errno(env, "pipe2", errno);
  napi_value arr;
  CHECK(napi_create_array_with_length(env, 2, &arr));
  CHECK(napi_set_element(env, arr, 0, make_int(env, fds[0])));
  CHECK(napi_set_element(env, arr, 1, make_int(env, fds[1])));
  return arr;
}

static napi_value CloseFd(napi_env env, napi_callback_info info) {
  int32_t fd = -1;
  if (!int_args(env, info, 1, &fd, "closeFd(fd)")) return NULL;
  if (fd >= 0) close(fd);
  return NULL;
}

static napi_value ExitNow(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t code = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc > 0) get_int_arg(env, argv[0], &code);
  _exit(code);
}

static napi_value SetAccepting(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  bool on = true;
  if (argc < 2 || !get_int_arg(env, argv[0], &fd) || napi_get_value_bool(env, argv[1], &on) != napi_ok) {
    napi_throw_type_error(env, NULL, "setAccepting(listenFd, on)");
    return NULL;
  }
  uv_loop_t* loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  int epfd = uv_backend_fd(loop);
  if (on) {
    // the same registration libuv made for a listening stream: level-triggered POLLIN, keyed by fd
    struct epoll_event e;
    memset(&e, 0, sizeof e);
    e.events = EPOLLIN;
    e.data.fd = fd;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) < 0 && errno != EEXIST) return throw_errno(env, "epoll_ctl(ADD)", errno);
  } else {
    if (epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL) < 0 && errno != ENOENT) return throw_errno(env, "epoll_ctl(DEL)", errno);
  }
  return NULL;
}

static napi_value ExecSelf(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "execSelf(path, argv)");
    return NULL;
  }
  char path[4096];
  size_t n;
  CHECK(napi_get_value_string_utf8(env, argv[0], path, sizeof path, &n));
  uint32_t count;
  CHECK(napi_get_array_length(env, argv[1], &count));
  char** args = calloc(count + 1, sizeof(char*));
  if (!args) return throw_errno(env, "execSelf", ENOMEM);
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    size_t len;
    CHECK(napi_get_element(env, argv[1], i, &item));
    CHECK(napi_get_value_string_utf8(env, item, NULL, 0, &len));
    args[i] = malloc(len + 1);
    if (!args[i]) return throw_errno(env, "execSelf", ENOMEM);
    CHECK(napi_get_value_string_utf8(env, item, args[i], len + 1, &len));
  }
  // Node marks its stdio close-on-exec: the new image must keep them (the harness reads our stdout)
  int saved[3];
  for (int fd = 0; fd < 3; fd++) {
    saved[fd] = fcntl(fd, F_GETFD);
    if (saved[fd] >= 0) fcntl(fd, F_SETFD, saved[fd] & ~FD_CLOEXEC);
  }
  execv(path, args);
  int e = errno;
  for (int fd = 0; fd < 3; fd++)
    if (saved[fd] >= 0) fcntl(fd, F_SETFD, saved[fd]);
  for (uint32_t i = 0; i < count; i++) free(args[i]);
  free(args);
  return throw_errno(env, "execv", e);
}

static napi_value GetPid(napi_env env, napi_callback_info info) { return make_int(env, getpid()); }

static napi_value BecomeSubreaper(napi_env env, napi_callback_info info) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) return throw_errno(env, "prctl(PR_SET_CHILD_SUBREAPER)", errno);
  return NULL;
}

napi_status register_proc_events(napi_env env, napi_value exports);  // proc-events.c
napi_status register_pidfd(napi_env env, napi_value exports);        // pidfd.c

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      NAPI_EXPORT("forkChild", ForkChild),
      NAPI_EXPORT("reap", Reap),
      NAPI_EXPORT("deathPipe", DeathPipe),
      NAPI_EXPORT("closeFd", CloseFd),
      NAPI_EXPORT("exitNow", ExitNow),
      NAPI_EXPORT("setAccepting", SetAccepting),
      NAPI_EXPORT("execSelf", ExecSelf),
      NAPI_EXPORT("getpid", GetPid),
      NAPI_EXPORT("adviseDoFork", AdviseDoFork),
      NAPI_EXPORT("becomeSpare", BecomeSpare),
      NAPI_EXPORT("takeSpare", TakeSpare),
      NAPI_EXPORT("dupFd", DupFd),
      NAPI_EXPORT("becomeSubreaper", BecomeSubreaper),
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  CHECK(register_proc_events(env, exports));
  CHECK(register_pidfd(env, exports));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
