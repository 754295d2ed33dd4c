// Process file descriptors (pidfd, Linux ≥ 5.3), for a root the harness did not start (`--attach`): it is not
// our child, so neither libuv's waitpid nor waitid sees its exit. A pidfd refers to one process for as long as
// it is open, whatever later reuses its pid, and becomes readable when that process exits (a zombie counts):
//
//   pidfdOpen(pid) -> fd                    throws (ESRCH, ENOSYS on an older kernel, EMFILE) with the reason
//   pidfdWatch(fd, onExit)                  onExit() once, on the event loop, when the process has exited;
//                                           unref'd: the watch never keeps the harness alive by itself
//   pidfdSignal(fd, signal) -> 0 | -errno   pidfd_send_signal: never reaches a process that reused the pid
//   pidfdClose(fd)                          stops the watch (if any) and closes the fd
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include "napi-util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

typedef struct watch {
  uv_poll_t poll;
  napi_env env;
  napi_ref on_exit;
  napi_async_context context;
  int fd;
  struct watch* next;
} watch_t;

static watch_t* watches = NULL;

static napi_value PidfdOpen(napi_env env, napi_callback_info info) {
  int32_t pid;
  if (!int_args(env, info, 1, &pid, "pidfdOpen(pid)")) return NULL;
  if (pid <= 0) return throw_errno(env, "pidfd_open", EINVAL);
  long fd = syscall(SYS_pidfd_open, (pid_t)pid, 0);  // O_CLOEXEC always: nothing spawned inherits it
  if (fd < 0) return throw_errno(env, "pidfd_open", errno);
  return make_int(env, fd);
}

static void free_watch_only(uv_handle_t* handle) { free(handle->data); }

static void free_watch(uv_handle_t* handle) {
  watch_t* w = (watch_t*)handle->data;
  close(w->fd);
  free(w);
}

/** Unlinks the watch on fd (NULL if none). */
static watch_t* take_watch(int fd) {
  for (watch_t** p = &watches; *p; p = &(*p)->next) {
    if ((*p)->fd == fd) {
      watch_t* w = *p;
      *p = w->next;
      return w;
    }
  }
  return NULL;
}

static void on_readable(uv_poll_t* handle, int status, int events) {
  watch_t* w = (watch_t*)handle->data;
  uv_poll_stop(handle);  // once: the fd stays readable for as long as the process is gone
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, receiver;
  if (napi_get_reference_value(env, w->on_exit, &callback) == napi_ok && callback != NULL &&
      napi_get_global(env, &receiver) == napi_ok) {  // make_callback wants an object
    // make_callback, not call_function: the microtasks and ticks it queues run as after any libuv callback
    napi_make_callback(env, w->context, receiver, callback, 0, NULL, NULL);
  }
  napi_close_handle_scope(env, scope);
}

static napi_value PidfdWatch(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  size_t argc = 2;
  napi_valuetype type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_typeof(env, argv[1], &type) != napi_ok ||
      type != napi_function) {
    napi_throw_type_error(env, NULL, "pidfdWatch(fd, onExit)");
    return NULL;
  }
  for (watch_t* w = watches; w; w = w->next)
    if (w->fd == fd) return throw_errno(env, "pidfdWatch", EEXIST);
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return throw_errno(env, "pidfdWatch", EINVAL);
  watch_t* w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, "pidfdWatch", ENOMEM);
  w->env = env;
  w->fd = fd;
  napi_value name;
  if (napi_create_reference(env, argv[1], 1, &w->on_exit) != napi_ok) {
    free(w);
    return throw_errno(env, "pidfdWatch", ENOMEM);
  }
  if (napi_create_string_utf8(env, "handoff:pidfd", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, NULL, name, &w->context) != napi_ok) {
    napi_delete_reference(env, w->on_exit);
    free(w);
    return throw_errno(env, "pidfdWatch", ENOMEM);
  }
  int r = uv_poll_init(loop, &w->poll, fd);
  if (r != 0) {
    napi_delete_reference(env, w->on_exit);
    napi_async_destroy(env, w->context);
    free(w);
    return throw_errno(env, "pidfdWatch: uv_poll_init", -r);
  }
  w->poll.data = w;
  r = uv_poll_start(&w->poll, UV_READABLE, on_readable);
  if (r != 0) {
    // an initialised handle is in the loop's queue: it is freed once closed, the fd stays the caller's
    napi_delete_reference(env, w->on_exit);
    napi_async_destroy(env, w->context);
    uv_close((uv_handle_t*)&w->poll, free_watch_only);
    return throw_errno(env, "pidfdWatch: uv_poll_start", -r);
  }
  uv_unref((uv_handle_t*)&w->poll);
  w->next = watches;
  watches = w;
  return NULL;
}

static napi_value PidfdSignal(napi_env env, napi_callback_info info) {
  int32_t args[2];
  if (!int_args(env, info, 2, args, "pidfdSignal(fd, signal)")) return NULL;
  long r = syscall(SYS_pidfd_send_signal, args[0], args[1], NULL, 0);
  return make_int(env, r < 0 ? -errno : 0);
}

static napi_value PidfdClose(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!int_args(env, info, 1, &fd, "pidfdClose(fd)")) return NULL;
  watch_t* w = take_watch(fd);
  if (!w) {
    close(fd);
    return NULL;
  }
  napi_delete_reference(env, w->on_exit);
  napi_async_destroy(env, w->context);
  uv_close((uv_handle_t*)&w->poll, free_watch);  // the fd is closed once libuv has let go of it
  return NULL;
}

napi_status register_pidfd(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      NAPI_EXPORT("pidfdOpen", PidfdOpen),
      NAPI_EXPORT("pidfdWatch", PidfdWatch),
      NAPI_EXPORT("pidfdSignal", PidfdSignal),
      NAPI_EXPORT("pidfdClose", PidfdClose),
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
