// trimHeap(): hands the C heap's free pages back to the kernel (glibc's malloc_trim).
// Why: after a bulk transfer the agent's freed Buffers stay in glibc's heap, so an idle
// agent keeps ~40 MiB it no longer uses; glibc returns free memory on its own only from
// the top of the heap. Node has no binding for it, hence this small addon.
// Answers false where the C library has no malloc_trim (e.g. musl).
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

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "trimHeap", NAPI_AUTO_LENGTH, trim_heap, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "trimHeap", fn) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
