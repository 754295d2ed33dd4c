// The two N-API helpers every file of the addon needs: an Error whose message names the call and the errno
// ("fork: Resource temporarily unavailable"), and a JS number from a C integer.
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

#endif
