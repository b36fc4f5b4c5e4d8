// MD5's compression function over eight independent streams at once, one per 32-bit lane of a
// 256-bit vector: the native counterpart of src/ingest/md5-wasm.ts's four-lane `lanes`, for x86-64
// with AVX2 (and, where the CPU has it, AVX-512VL, whose single-instruction rotate and three-input
// logic make each of MD5's 64 steps about half as many instructions). WebAssembly's SIMD is 128
// bits wide and has neither, so this runs ≈ 3× the four-lane WebAssembly kernel on AVX-512 and
// ≈ 1.7× on AVX2 (`npm run bench:hashes`).
//
// Optional: scripts/build.js compiles it into dist/native/md5-lanes.node when a C compiler and
// Node's headers are there, and src/ingest/md5-native.ts loads it; without it the WebAssembly
// kernel does the same work.
//
// From JavaScript: lanes(memory, state, p0, p1, p2, p3, p4, p5, p6, p7, n) hashes n 64-byte blocks
// from each of the offsets p0…p7 of `memory` (a Uint8Array, usually over a shared WebAssembly
// memory), the running state at offset `state`: 32 × u32, A's eight lanes, then B's, C's, D's
// (lane j being stream j). Every offset is checked against the memory's length before anything
// is read or written. `isa` names the instruction set chosen ('avx512' or 'avx2'); on a CPU
// without AVX2, or another architecture, the module exports no `lanes` at all.
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

static const uint32_t K[64] = {
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

// Eight rows of eight 32-bit words become eight columns: after loading 32 bytes of each stream's
// block as a row, vector w holds word w of every stream.
#define TRANSPOSE8(r0, r1, r2, r3, r4, r5, r6, r7) do { \
    __m256i t0 = _mm256_unpacklo_epi32(r0, r1), t1 = _mm256_unpackhi_epi32(r0, r1); \
    __m256i t2 = _mm256_unpacklo_epi32(r2, r3), t3 = _mm256_unpackhi_epi32(r2, r3); \
    __m256i t4 = _mm256_unpacklo_epi32(r4, r5), t5 = _mm256_unpackhi_epi32(r4, r5); \
    __m256i t6 = _mm256_unpacklo_epi32(r6, r7), t7 = _mm256_unpackhi_epi32(r6, r7); \
    __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2); \
    __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3); \
    __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6); \
    __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7); \
    r0 = _mm256_permute2x128_si256(u0, u4, 0x20); r4 = _mm256_permute2x128_si256(u0, u4, 0x31); \
    r1 = _mm256_permute2x128_si256(u1, u5, 0x20); r5 = _mm256_permute2x128_si256(u1, u5, 0x31); \
    r2 = _mm256_permute2x128_si256(u2, u6, 0x20); r6 = _mm256_permute2x128_si256(u2, u6, 0x31); \
    r3 = _mm256_permute2x128_si256(u3, u7, 0x20); r7 = _mm256_permute2x128_si256(u3, u7, 0x31); \
  } while (0)

#define LOAD(j, h) _mm256_loadu_si256((const __m256i *)(p[j] + off + 32 * (h)))

// Step i (RFC 1321 §3.4): A = B + rotl(A + f(B, C, D) + K[i] + M[g], s).
#define STEP(ROTL, F, A, B, C, D, i, g, s) \
  A = _mm256_add_epi32(B, ROTL(_mm256_add_epi32(_mm256_add_epi32(A, F(B, C, D)), \
                                                _mm256_add_epi32(w[g], _mm256_set1_epi32((int)K[i]))), s));
#define ROUND4(ROTL, F, i, g0, g1, g2, g3, s0, s1, s2, s3) \
  STEP(ROTL, F, a, b, c, d, i, g0, s0) STEP(ROTL, F, d, a, b, c, i + 1, g1, s1) \
  STEP(ROTL, F, c, d, a, b, i + 2, g2, s2) STEP(ROTL, F, b, c, d, a, i + 3, g3, s3)
#define STEPS(ROTL, FF, GG, HH, II) \
  ROUND4(ROTL, FF, 0, 0, 1, 2, 3, 7, 12, 17, 22) ROUND4(ROTL, FF, 4, 4, 5, 6, 7, 7, 12, 17, 22) \
  ROUND4(ROTL, FF, 8, 8, 9, 10, 11, 7, 12, 17, 22) ROUND4(ROTL, FF, 12, 12, 13, 14, 15, 7, 12, 17, 22) \
  ROUND4(ROTL, GG, 16, 1, 6, 11, 0, 5, 9, 14, 20) ROUND4(ROTL, GG, 20, 5, 10, 15, 4, 5, 9, 14, 20) \
  ROUND4(ROTL, GG, 24, 9, 14, 3, 8, 5, 9, 14, 20) ROUND4(ROTL, GG, 28, 13, 2, 7, 12, 5, 9, 14, 20) \
  ROUND4(ROTL, HH, 32, 5, 8, 11, 14, 4, 11, 16, 23) ROUND4(ROTL, HH, 36, 1, 4, 7, 10, 4, 11, 16, 23) \
  ROUND4(ROTL, HH, 40, 13, 0, 3, 6, 4, 11, 16, 23) ROUND4(ROTL, HH, 44, 9, 12, 15, 2, 4, 11, 16, 23) \
  ROUND4(ROTL, II, 48, 0, 7, 14, 5, 6, 10, 15, 21) ROUND4(ROTL, II, 52, 12, 3, 10, 1, 6, 10, 15, 21) \
  ROUND4(ROTL, II, 56, 8, 15, 6, 13, 6, 10, 15, 21) ROUND4(ROTL, II, 60, 4, 11, 2, 9, 6, 10, 15, 21)

// One kernel per instruction set, from the same text.
#define KERNEL(NAME, TARGET, ROTL, FF, GG, HH, II) \
  __attribute__((target(TARGET))) static void NAME(uint32_t *state, const uint8_t *const p[8], size_t n) { \
    __m256i a = _mm256_loadu_si256((const __m256i *)(state + 0)); \
    __m256i b = _mm256_loadu_si256((const __m256i *)(state + 8)); \
    __m256i c = _mm256_loadu_si256((const __m256i *)(state + 16)); \
    __m256i d = _mm256_loadu_si256((const __m256i *)(state + 24)); \
    for (size_t off = 0; off < n * 64; off += 64) { \
      __m256i w[16]; \
      for (int h = 0; h < 2; h++) { \
        __m256i r0 = LOAD(0, h), r1 = LOAD(1, h), r2 = LOAD(2, h), r3 = LOAD(3, h); \
        __m256i r4 = LOAD(4, h), r5 = LOAD(5, h), r6 = LOAD(6, h), r7 = LOAD(7, h); \
        TRANSPOSE8(r0, r1, r2, r3, r4, r5, r6, r7); \
        w[8 * h + 0] = r0; w[8 * h + 1] = r1; w[8 * h + 2] = r2; w[8 * h + 3] = r3; \
        w[8 * h + 4] = r4; w[8 * h + 5] = r5; w[8 * h + 6] = r6; w[8 * h + 7] = r7; \
      } \
      __m256i a0 = a, b0 = b, c0 = c, d0 = d; \
      STEPS(ROTL, FF, GG, HH, II) \
      a = _mm256_add_epi32(a, a0); b = _mm256_add_epi32(b, b0); \
      c = _mm256_add_epi32(c, c0); d = _mm256_add_epi32(d, d0); \
    } \
    _mm256_storeu_si256((__m256i *)(state + 0), a); _mm256_storeu_si256((__m256i *)(state + 8), b); \
    _mm256_storeu_si256((__m256i *)(state + 16), c); _mm256_storeu_si256((__m256i *)(state + 24), d); \
  }

// AVX-512VL: vprold, and vpternlogd whose immediate is f's truth table over (b, c, d):
// F = b ? c : d → 0xca; G = d ? b : c → 0xe4; H = b ^ c ^ d → 0x96; I = c ^ (b | ~d) → 0x39.
#define ROTL_512(x, s) _mm256_rol_epi32(x, s)
#define F_512(b, c, d) _mm256_ternarylogic_epi32(b, c, d, 0xca)
#define G_512(b, c, d) _mm256_ternarylogic_epi32(b, c, d, 0xe4)
#define H_512(b, c, d) _mm256_ternarylogic_epi32(b, c, d, 0x96)
#define I_512(b, c, d) _mm256_ternarylogic_epi32(b, c, d, 0x39)
KERNEL(md5x8_avx512, "avx2,avx512f,avx512vl", ROTL_512, F_512, G_512, H_512, I_512)

// AVX2: a rotate is two shifts and an or.
#define ROTL_2(x, s) _mm256_or_si256(_mm256_slli_epi32(x, s), _mm256_srli_epi32(x, 32 - (s)))
#define F_2(b, c, d) _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d)))
#define G_2(b, c, d) _mm256_xor_si256(c, _mm256_and_si256(d, _mm256_xor_si256(b, c)))
#define H_2(b, c, d) _mm256_xor_si256(_mm256_xor_si256(b, c), d)
#define I_2(b, c, d) _mm256_xor_si256(c, _mm256_or_si256(b, _mm256_xor_si256(d, _mm256_set1_epi32(-1))))
KERNEL(md5x8_avx2, "avx2", ROTL_2, F_2, G_2, H_2, I_2)

typedef void (*kernel_fn)(uint32_t *, const uint8_t *const[8], size_t);

static kernel_fn avx2_kernel(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? md5x8_avx2 : NULL;
}

static kernel_fn choose(const char **isa) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) {
    *isa = "avx512";
    return md5x8_avx512;
  }
  *isa = "avx2";
  return avx2_kernel();
}
#else
typedef void (*kernel_fn)(uint32_t *, const uint8_t *const[8], size_t);
static kernel_fn avx2_kernel(void) { return NULL; }
static kernel_fn choose(const char **isa) {
  (void)isa;
  return NULL;
}
#endif

// A kernel travels as its function's callback data.
union kernel_data {
  kernel_fn fn;
  void *data;
};

#define ARGS 11

static napi_value throw_range(napi_env env, const char *message) {
  napi_throw_range_error(env, NULL, message);
  return NULL;
}

static napi_value lanes(napi_env env, napi_callback_info info) {
  size_t argc = ARGS;
  napi_value argv[ARGS];
  union kernel_data kernel;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &kernel.data) != napi_ok || argc != ARGS) {
    return throw_range(env, "lanes(memory, state, p0…p7, n): 11 arguments");
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    return throw_range(env, "lanes: memory must be a Uint8Array");
  }
  uint32_t at[ARGS - 1];
  for (int i = 1; i < ARGS; i++) {
    if (napi_get_value_uint32(env, argv[i], &at[i - 1]) != napi_ok) return throw_range(env, "lanes: offsets and n must be numbers");
  }
  const uint64_t n = at[9];
  const uint64_t state = at[0];
  if (state % 4 != 0 || state + 128 > length) return throw_range(env, "lanes: state outside the memory");
  const uint8_t *p[8];
  for (int j = 0; j < 8; j++) {
    if ((uint64_t)at[1 + j] + n * 64 > length) return throw_range(env, "lanes: blocks outside the memory");
    p[j] = (const uint8_t *)data + at[1 + j];
  }
  kernel.fn((uint32_t *)((uint8_t *)data + state), p, (size_t)n);
  return NULL;
}

// copy(target, offset, source): the bytes of `source` into `target` from `offset`, by memcpy.
// V8 copies into shared memory (a SharedArrayBuffer, a shared WebAssembly memory) with relaxed
// atomic accesses, a word at a time only where source and target are aligned alike, otherwise a
// byte at a time; network chunks land at any offset of a block, so a block in a hash's ring is
// filled through this instead (md5-workers.ts `lend`).
static napi_value copy(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return throw_range(env, "copy(target, offset, source): 3 arguments");
  napi_typedarray_type type;
  size_t target_length, source_length, target_offset, source_offset;
  void *target, *source;
  napi_value target_buffer, source_buffer;
  uint32_t offset;
  if (napi_get_typedarray_info(env, argv[0], &type, &target_length, &target, &target_buffer, &target_offset) != napi_ok || type != napi_uint8_array ||
      napi_get_typedarray_info(env, argv[2], &type, &source_length, &source, &source_buffer, &source_offset) != napi_ok || type != napi_uint8_array) {
    return throw_range(env, "copy: target and source must be Uint8Arrays");
  }
  if (napi_get_value_uint32(env, argv[1], &offset) != napi_ok || (uint64_t)offset + source_length > target_length) {
    return throw_range(env, "copy: the source does not fit in the target at that offset");
  }
  memmove((uint8_t *)target + offset, source, source_length);
  return NULL;
}

static int export_kernel(napi_env env, napi_value exports, const char *name, kernel_fn fn) {
  union kernel_data kernel = { .fn = fn };
  napi_value value;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, lanes, kernel.data, &value) == napi_ok &&
         napi_set_named_property(env, exports, name, value) == napi_ok;
}

// Exports: lanes and isa (the best kernel for this CPU), and avx2Lanes, the AVX2 kernel, so that
// the tests check it too on a CPU that would choose AVX-512.
NAPI_MODULE_INIT() {
  const char *isa = NULL;
  kernel_fn best = choose(&isa);
  if (best == NULL) return exports;
  napi_value name;
  napi_value copy_fn;
  if (napi_create_function(env, "copy", NAPI_AUTO_LENGTH, copy, NULL, &copy_fn) != napi_ok ||
      napi_set_named_property(env, exports, "copy", copy_fn) != napi_ok) {
    return NULL;
  }
  if (!export_kernel(env, exports, "lanes", best) || !export_kernel(env, exports, "avx2Lanes", avx2_kernel()) ||
      napi_create_string_utf8(env, isa, NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_set_named_property(env, exports, "isa", name) != napi_ok) {
    return NULL;
  }
  return exports;
}
