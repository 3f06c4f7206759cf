/*
 * fast-gzip: whole-buffer gzip with libdeflate (Debian's libdeflate0/libdeflate-dev), for the compress
 * middleware's one-call path (middleware/compress/fast-gzip.ts loads it; Node's zlib is the fallback).
 *
 * Why not zlib: on a 16 KB HTML page libdeflate level 1 costs a third of zlib level 5's CPU time for an
 * output as small as Caddy's default (bench/README.md, scenario D), and its compressor is allocated once
 * and reused, where every zlib.gzipSync call allocates and frees ~260 KB of deflate state.
 *
 * One function: gzip(input: Uint8Array, level: number) -> Buffer. Compressors (one per level) and the
 * scratch output buffer belong to the Node environment that loaded the addon (napi instance data), so
 * worker threads never share them. Node-API version 8, Node >= 12.22.
 */
#define NAPI_VERSION 8
#include <libdeflate.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEVEL 12

typedef struct {
  struct libdeflate_compressor *compressors[MAX_LEVEL + 1];
  unsigned char *scratch;
  size_t scratch_size;
} instance_t;

static void free_instance(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  instance_t *inst = data;
  for (int i = 0; i <= MAX_LEVEL; i++)
    if (inst->compressors[i] != NULL) libdeflate_free_compressor(inst->compressors[i]);
  free(inst->scratch);
  free(inst);
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, "WHARF_FAST_GZIP", message);
  return NULL;
}

static napi_value gzip(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2)
    return fail(env, "gzip(input, level): two arguments expected");
  bool is_typed = false;
  if (napi_is_typedarray(env, argv[0], &is_typed) != napi_ok || !is_typed)
    return fail(env, "gzip: input must be a Uint8Array or Buffer");
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array)
    return fail(env, "gzip: input must be a Uint8Array or Buffer");
  int32_t level = 0;
  if (napi_get_value_int32(env, argv[1], &level) != napi_ok || level < 0 || level > MAX_LEVEL)
    return fail(env, "gzip: level must be an integer from 0 to 12");

  instance_t *inst = NULL;
  if (napi_get_instance_data(env, (void **)&inst) != napi_ok || inst == NULL)
    return fail(env, "gzip: addon not initialised");
  if (inst->compressors[level] == NULL) {
    inst->compressors[level] = libdeflate_alloc_compressor(level);
    if (inst->compressors[level] == NULL) return fail(env, "gzip: out of memory");
  }
  struct libdeflate_compressor *c = inst->compressors[level];
  size_t bound = libdeflate_gzip_compress_bound(c, length);
  if (bound > inst->scratch_size) {
    unsigned char *grown = realloc(inst->scratch, bound);
    if (grown == NULL) return fail(env, "gzip: out of memory");
    inst->scratch = grown;
    inst->scratch_size = bound;
  }
  size_t written = libdeflate_gzip_compress(c, data, length, inst->scratch, bound);
  if (written == 0) return fail(env, "gzip: libdeflate could not compress the input");
  napi_value out;
  void *copy = NULL;
  if (napi_create_buffer_copy(env, written, inst->scratch, &copy, &out) != napi_ok)
    return fail(env, "gzip: cannot allocate the output buffer");
  /* A large body leaves a large scratch buffer: keep at most 1 MiB between calls. */
  if (inst->scratch_size > (1u << 20)) {
    free(inst->scratch);
    inst->scratch = NULL;
    inst->scratch_size = 0;
  }
  return out;
}

NAPI_MODULE_INIT() {
  instance_t *inst = calloc(1, sizeof(instance_t));
  if (inst == NULL || napi_set_instance_data(env, inst, free_instance, NULL) != napi_ok) {
    free(inst);
    napi_throw_error(env, "WHARF_FAST_GZIP", "fast-gzip: cannot initialise");
    return NULL;
  }
  napi_value fn;
  if (napi_create_function(env, "gzip", NAPI_AUTO_LENGTH, gzip, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "gzip", fn) != napi_ok)
    return NULL;
  return exports;
}
