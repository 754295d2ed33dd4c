// The N-API helpers every file of the addon needs: an Error whose message names the call and the errno
// ("fork: Resource temporarily unavailable"), a JS number from a C integer, int32 arguments with a usage error.
#ifndef HANDOFF_NAPI_UTIL_H
#define HANDOFF_NAPI_UTIL_H

#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/** Throws Error("<what>: <strerror(err)>") and returns NULL, for `return throw_errno(...)`. */
static inline napi_value throw_errno(napi_env env, const char* what, int err) {
  char msg[200];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static inline napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  if (napi_create_int64(env, v, &out) != napi_ok) return NULL;
  return out;
}

/** The first n (≤ 2) arguments as int32 into out; on a missing or wrong one, throws TypeError(usage) and returns 0. */
static inline int int_args(napi_env env, napi_callback_info info, size_t n, int32_t* out, const char* usage) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) goto bad;
  for (size_t i = 0; i < n; i++)
    if (napi_get_value_int32(env, argv[i], &out[i]) != napi_ok) goto bad;
  return 1;
bad:
  napi_throw_type_error(env, NULL, usage);
  return 0;
}

/** One row of an exports table: `NAPI_EXPORT("forkChild", ForkChild)`. */
#define NAPI_EXPORT(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}

#endif
