// trimHeap(): hands the C heap's free pages back to the kernel (glibc's malloc_trim).
// Why: after a bulk transfer the agent's freed Buffers stay in glibc's heap, so an idle
// agent keeps ~40 MiB it no longer uses; glibc returns free memory on its own only from
// the top of the heap. Node has no binding for it, hence this small addon.
// Answers false where the C library has no malloc_trim (e.g. musl).
// limitArenas(n): lets glibc keep at most n malloc arenas (mallopt M_ARENA_MAX). Why: by
// default every thread that allocates gets an arena of its own; after a transfer V8's
// worker threads each keep ~1 MiB resident in theirs, which the trim does not give back
// (measured: 4 such arenas, ~5 MiB). The agent's threads allocate little, so sharing the
// main arena costs nothing measurable and its free pages go back with the trim.
// Answers false where the C library has no such setting.
#include <node_api.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static napi_value trim_heap(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value result;
  napi_get_boolean(env, released != 0, &result);
  return result;
}

static napi_value limit_arenas(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1) {
    napi_throw_type_error(env, NULL, "limitArenas takes a count of at least 1");
    return NULL;
  }
  int done = 0;
#ifdef __GLIBC__
  done = mallopt(M_ARENA_MAX, n);
#endif
  napi_value result;
  napi_get_boolean(env, done != 0, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "trimHeap", NAPI_AUTO_LENGTH, trim_heap, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "trimHeap", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "limitArenas", NAPI_AUTO_LENGTH, limit_arenas, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "limitArenas", fn) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
