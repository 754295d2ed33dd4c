// The kernel's process events connector (cn_proc, over netlink), for the sampler (src/harness/probes/
// proc-events.ts): fork, exec and exit of every process of the machine as they happen, so that the sampler
// re-reads /proc only for processes that changed. Needs CAP_NET_ADMIN in the initial user and pid namespaces;
// elsewhere procEventsOpen throws and the sampler scans /proc instead.
//
//   procEventsOpen() -> fd                 subscribed (PROC_CN_MCAST_LISTEN acknowledged), non-blocking
//   procEventsRead(fd, out) -> n | -1      drains what is queued into out (Int32Array, 3 ints per event:
//                                          kind, pid, parent pid; kinds 1 fork, 2 exec, 3 exit), stops when out
//                                          is full; -1: the kernel dropped events (ENOBUFS): rescan /proc
//   procEventsClose(fd)
//   processRuntime(pid) -> ns | -1         CPU time of the whole thread group (every thread, live or ended), in
//                                          ns, from the process's CPU clock; -1 when no such process. Unchanged
//                                          means no thread of it ran: the sampler's idle look (no /proc file)
// Only processes are reported (thread-group leaders): threads created or ended by a multi-threaded process are
// dropped here, in C, so the busy machine's thread churn costs JavaScript nothing.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include "napi-util.h"

#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define EV_FORK 1
#define EV_EXEC 2
#define EV_EXIT 3

static int send_listen(int fd, int op) {
  char buf[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(int))];
  memset(buf, 0, sizeof buf);
  struct nlmsghdr* nl = (struct nlmsghdr*)buf;
  struct cn_msg* cn = (struct cn_msg*)NLMSG_DATA(nl);
  nl->nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(int));
  nl->nlmsg_type = NLMSG_DONE;
  nl->nlmsg_pid = 0;
  cn->id.idx = CN_IDX_PROC;
  cn->id.val = CN_VAL_PROC;
  cn->len = sizeof(int);
  memcpy(cn->data, &op, sizeof(int));
  return send(fd, buf, nl->nlmsg_len, 0) < 0 ? -1 : 0;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static napi_value ProcEventsOpen(napi_env env, napi_callback_info info) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
  if (fd < 0) return throw_errno(env, "socket(NETLINK_CONNECTOR)", errno);
  struct sockaddr_nl addr;
  memset(&addr, 0, sizeof addr);
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = CN_IDX_PROC;
  addr.nl_pid = 0;  // the kernel assigns a port id
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "bind(CN_IDX_PROC)", e);
  }
  // room for bursts between two samples (a busy machine creates thousands of threads a second); root may
  // exceed rmem_max, others get what rmem_max allows
  int size = 8 * 1024 * 1024;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (send_listen(fd, PROC_CN_MCAST_LISTEN) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "send(PROC_CN_MCAST_LISTEN)", e);
  }
  // the kernel answers the subscription with a PROC_EVENT_NONE carrying an error code; outside the initial
  // namespaces it does not answer at all
  int64_t deadline = now_ms() + 1000;
  char buf[4096];
  for (;;) {
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      close(fd);
      return throw_errno(env, "proc connector: no answer to PROC_CN_MCAST_LISTEN", ETIMEDOUT);
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, (int)left);
    if (r < 0 && errno != EINTR) {
      int e = errno;
      close(fd);
      return throw_errno(env, "poll", e);
    }
    if (r <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS) continue;
      int e = errno;
      close(fd);
      return throw_errno(env, "recv", e);
    }
    struct nlmsghdr* nl = (struct nlmsghdr*)buf;
    if (!NLMSG_OK(nl, (size_t)n)) continue;
    struct cn_msg* cn = (struct cn_msg*)NLMSG_DATA(nl);
    if (cn->id.idx != CN_IDX_PROC || cn->len < 16 + 4) continue;
    struct proc_event* ev = (struct proc_event*)cn->data;
    if (ev->what != PROC_EVENT_NONE) continue;
    if (ev->event_data.ack.err != 0) {
      close(fd);
      return throw_errno(env, "proc connector: PROC_CN_MCAST_LISTEN refused", (int)ev->event_data.ack.err);
    }
    return make_int(env, fd);
  }
}

#define BATCH 64
#define MSG_SIZE 256

static napi_value ProcEventsRead(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, "procEventsRead(fd, out)");
    return NULL;
  }
  int32_t fd;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "procEventsRead: fd must be a number");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length;
  void* data;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "procEventsRead: out must be an Int32Array");
    return NULL;
  }
  int32_t* out = (int32_t*)data;
  size_t room = length / 3, count = 0;
  static char bufs[BATCH][MSG_SIZE];
  struct mmsghdr msgs[BATCH];
  struct iovec iovs[BATCH];
  int lost = 0;
  // stop one batch short of full: every message of a batch could be an event to keep
  while (count + BATCH <= room) {
    for (int i = 0; i < BATCH; i++) {
      iovs[i].iov_base = bufs[i];
      iovs[i].iov_len = MSG_SIZE;
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int got = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        lost = 1;  // the queue overflowed: some events are gone; what is queued after it is still good
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return throw_errno(env, "recvmmsg(proc connector)", errno);
    }
    for (int i = 0; i < got; i++) {
      size_t n = msgs[i].msg_len;
      struct nlmsghdr* nl = (struct nlmsghdr*)bufs[i];
      if (!NLMSG_OK(nl, n)) continue;
      struct cn_msg* cn = (struct cn_msg*)NLMSG_DATA(nl);
      if (cn->id.idx != CN_IDX_PROC || cn->len < 16 + 24) continue;  // header (what, cpu, timestamp) + the largest field set read
      struct proc_event* ev = (struct proc_event*)cn->data;
      int32_t kind = 0, pid = 0, parent = 0;
      switch (ev->what) {
        case PROC_EVENT_FORK:
          if (ev->event_data.fork.child_pid != ev->event_data.fork.child_tgid) continue;  // a new thread
          kind = EV_FORK;
          pid = (int32_t)ev->event_data.fork.child_tgid;
          parent = (int32_t)ev->event_data.fork.parent_tgid;
          break;
        case PROC_EVENT_EXEC:
          kind = EV_EXEC;
          pid = (int32_t)ev->event_data.exec.process_tgid;
          break;
        case PROC_EVENT_EXIT:
          if (ev->event_data.exit.process_pid != ev->event_data.exit.process_tgid) continue;  // a thread ended
          kind = EV_EXIT;
          pid = (int32_t)ev->event_data.exit.process_tgid;
          parent = (int32_t)ev->event_data.exit.parent_tgid;
          break;
        default:
          continue;
      }
      out[count * 3] = kind;
      out[count * 3 + 1] = pid;
      out[count * 3 + 2] = parent;
      count++;
    }
    if (got < BATCH) break;
  }
  return make_int(env, lost ? -1 : (int64_t)count);
}

static napi_value ProcEventsClose(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!int_args(env, info, 1, &fd, "procEventsClose(fd)")) return NULL;
  send_listen(fd, PROC_CN_MCAST_IGNORE);
  close(fd);
  return NULL;
}

// clockid of a process's CPU clock (glibc's MAKE_PROCESS_CPUCLOCK with CPUCLOCK_SCHED): readable for any pid,
// no permission asked; the kernel sums sum_exec_runtime over the thread group
#define PROCESS_SCHED_CLOCK(pid) ((clockid_t)((~(unsigned)(pid)) << 3) | 2)

static napi_value ProcessRuntime(napi_env env, napi_callback_info info) {
  int32_t pid;
  if (!int_args(env, info, 1, &pid, "processRuntime(pid)")) return NULL;
  if (pid <= 0) {
    napi_throw_type_error(env, NULL, "processRuntime(pid)");
    return NULL;
  }
  struct timespec ts;
  if (clock_gettime(PROCESS_SCHED_CLOCK(pid), &ts) != 0) return make_int(env, -1);
  napi_value out;
  // a double holds ns exactly up to 104 days of CPU
  if (napi_create_double(env, (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec, &out) != napi_ok) return NULL;
  return out;
}

napi_status register_proc_events(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      NAPI_EXPORT("procEventsOpen", ProcEventsOpen),
      NAPI_EXPORT("procEventsRead", ProcEventsRead),
      NAPI_EXPORT("procEventsClose", ProcEventsClose),
      NAPI_EXPORT("processRuntime", ProcessRuntime),
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
