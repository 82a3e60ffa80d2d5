/*
 * minnow.h — the C interface of Minnow, an int8 fixed-point CNN inference engine.
 *
 * This header is the whole C contract. It is written by hand; the functions are
 * implemented in Swift (Sources/MinnowC/MinnowC.swift, `@_cdecl`) and compiled in
 * Embedded-Swift mode into a static library that needs no Swift runtime and no
 * heap:
 *
 *     tools/build-embedded.sh          ->  out/host/libminnow.a       (x86_64 Linux)
 *                                          out/cortex-m4/libminnow.a  (armv7em, soft-float ABI)
 *     cc -I Sources/MinnowC/include app.c out/host/libminnow.a -Wl,--gc-sections -lm
 *
 * docs/c-api.md explains linking for the host and for Cortex-M.
 *
 * ---------------------------------------------------------------------------
 * Typical use
 *
 *     size_t need;
 *     minnow_status s = minnow_arena_size(model, model_len, &need);  // validates the model
 *     void *arena = ...;                 // >= need bytes, 16-byte aligned, caller-owned
 *     minnow_engine engine;              // caller-owned, MINNOW_ENGINE_SIZE bytes
 *     s = minnow_init(&engine, model, model_len, arena, need, NULL);
 *     minnow_tensor_info in;
 *     minnow_get_input(&engine, &in);        // in.data: in.count int8 values, NHWC
 *     memcpy(in.data, pixels_q, in.count);   // or minnow_set_input / minnow_set_input_float
 *     minnow_invoke(&engine);
 *     uint32_t label; minnow_argmax(&engine, &label);
 *     if (s != MINNOW_OK) puts(minnow_status_message(s));
 *
 * ---------------------------------------------------------------------------
 * Rules every function follows
 *
 * - Every function returns a minnow_status (except minnow_status_message) and
 *   checks its arguments first: a NULL pointer, an index out of range, an engine
 *   that was never initialised, a bad model or a small arena give an error status,
 *   never a crash, trap or out-of-bounds access. Out-parameters are written only
 *   on MINNOW_OK (except `arena_needed` of minnow_init, see there).
 * - Nothing allocates. The library calls no malloc/free; it touches only the
 *   model bytes (read-only, in place: weights may stay in flash), the arena, the
 *   minnow_engine struct and the caller's out-parameters.
 * - The model bytes and the arena must stay valid and unmoved while the engine is
 *   used. The engine does not own them and needs no deinit: to drop it, stop using
 *   it (the storage can be reused for another minnow_init).
 * - Not thread-safe per engine: one engine runs one inference at a time. Different
 *   engines (each with its own arena) may run concurrently; they may share model bytes.
 * - Status codes are int32_t constants, not a C enum: Swift's enums are 32-bit while
 *   arm-none-eabi-gcc uses short enums, and a fixed width keeps the ABI the same
 *   for every compiler.
 * - Floats (tensor scales) travel only through memory (struct fields and float
 *   pointers), never as by-value arguments, so the soft-float Cortex-M library
 *   also links into hard-float (-mfloat-abi=softfp) programs.
 */
#ifndef MINNOW_H
#define MINNOW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Status codes
 */
typedef int32_t minnow_status;

#define MINNOW_OK                         0

/* Caller errors */
#define MINNOW_ERR_NULL_ARGUMENT          1  /* a required pointer argument is NULL */
#define MINNOW_ERR_NOT_INITIALIZED        2  /* the engine was not set up by a successful minnow_init
                                                (or its storage is misaligned) */
#define MINNOW_ERR_INDEX_OUT_OF_RANGE     3  /* a layer index >= the layer count */
#define MINNOW_ERR_INPUT_SIZE             4  /* minnow_set_input*: count differs from the input's */
#define MINNOW_ERR_INVALID_ARGUMENT       5  /* an argument value is not allowed (e.g. a kernel set) */

/* Arena errors (minnow_init) */
#define MINNOW_ERR_ARENA_TOO_SMALL       10  /* arena_len < the model's arena size: the size
                                                needed is in *arena_needed (minnow_init)
                                                and minnow_arena_size gives it too */
#define MINNOW_ERR_ARENA_MISALIGNED      11  /* the arena does not start on a 16-byte boundary */
#define MINNOW_ERR_PACKED_TOO_SMALL      12  /* minnow_use_packed_weights: fewer bytes than
                                                minnow_packed_weights_size gives */
#define MINNOW_ERR_PACKED_MISALIGNED     13  /* the packed-weights memory does not start on a
                                                16-byte boundary */

/* Model errors (minnow_arena_size, minnow_init): the model bytes are refused,
 * before anything else reads them */
#define MINNOW_ERR_MODEL_TRUNCATED       20  /* fewer bytes than the header / declared size */
#define MINNOW_ERR_MODEL_BAD_MAGIC       21  /* not a Minnow model ("MNW8") */
#define MINNOW_ERR_MODEL_VERSION         22  /* a file version this library does not read */
#define MINNOW_ERR_MODEL_HEADER          23  /* header sizes, counts or offsets inconsistent */
#define MINNOW_ERR_MODEL_SIZE_MISMATCH   24  /* model_len != the size the header declares */
#define MINNOW_ERR_MODEL_CHECKSUM        25  /* CRC-32 mismatch: corrupt bytes */
#define MINNOW_ERR_MODEL_MISALIGNED      26  /* the model bytes do not start on a 4-byte boundary */
#define MINNOW_ERR_MODEL_TENSOR          27  /* an invalid tensor record */
#define MINNOW_ERR_MODEL_LAYER           28  /* an invalid layer record */
#define MINNOW_ERR_MODEL_TOO_LARGE       29  /* model_len does not fit this platform's address space */

#define MINNOW_ERR_INTERNAL              99  /* a bug in this library (e.g. minnow_engine too small) */

/* A short fixed English message for `status` ("ok", "arena is too small for this
 * model", ...), NUL-terminated, static: never NULL, never freed. An unknown value
 * gives "unknown status". */
const char *minnow_status_message(minnow_status status);

/* ---------------------------------------------------------------------------
 * The engine: caller-provided storage
 *
 * Opaque; declare it anywhere (stack, static, inside your own struct). Its size
 * and alignment are fixed for every platform and guarded by the library: the Swift
 * engine state must fit (a test checks it; minnow_init returns MINNOW_ERR_INTERNAL
 * otherwise). A zero-filled or garbage minnow_engine makes every function except
 * minnow_init return MINNOW_ERR_NOT_INITIALIZED (a magic word is checked; a
 * zero-filled static one is always safe).
 */
#define MINNOW_ENGINE_SIZE      256u   /* bytes */
#define MINNOW_ENGINE_ALIGNMENT 8u     /* bytes (alignment of uint64_t; 4 on i386) */

typedef struct minnow_engine {
    uint64_t opaque[MINNOW_ENGINE_SIZE / 8u];
} minnow_engine;

/* Alignment the arena must have (every tensor offset in a model is 16-aligned). */
#define MINNOW_ARENA_ALIGNMENT  16u

/* Kernel sets (minnow_set_kernels). Both give bit-identical outputs. */
#define MINNOW_KERNELS_OPTIMIZED 0     /* the fastest kernel per layer shape (the default) */
#define MINNOW_KERNELS_REFERENCE 1     /* the plain reference loops */

/* ---------------------------------------------------------------------------
 * Setup
 */

/* Validates the model and writes the arena bytes it needs to *bytes: the exact
 * size of the activation/scratch plan the exporter stored in the model, known
 * before any arena exists. No arena or engine needed.
 *   model      the model file bytes (docs/model-format.md), >= 4-byte aligned
 *              (16 recommended; the exporter's C arrays are 16-aligned)
 *   model_len  their count
 * Errors: MINNOW_ERR_NULL_ARGUMENT, MINNOW_ERR_MODEL_*. */
minnow_status minnow_arena_size(const void *model, size_t model_len, size_t *bytes);

/* Validates the model and the arena and sets up `engine`.
 *   arena         >= the model's arena size, MINNOW_ARENA_ALIGNMENT-aligned,
 *                 any content (the engine writes before it reads)
 *   arena_needed  optional (may be NULL): receives the model's arena size whenever
 *                 the model is valid — on MINNOW_OK, MINNOW_ERR_ARENA_TOO_SMALL
 *                 and MINNOW_ERR_ARENA_MISALIGNED — so a caller can retry with
 *                 that many bytes.
 * On any error the engine is left not initialised.
 * Errors: MINNOW_ERR_NULL_ARGUMENT (engine, model or arena), MINNOW_ERR_MODEL_*,
 *         MINNOW_ERR_ARENA_TOO_SMALL, MINNOW_ERR_ARENA_MISALIGNED,
 *         MINNOW_ERR_NOT_INITIALIZED (engine storage misaligned), MINNOW_ERR_INTERNAL. */
minnow_status minnow_init(minnow_engine *engine, const void *model, size_t model_len,
                          void *arena, size_t arena_len, size_t *arena_needed);

/* Optional, for hosts with memory to spare (a PC, a phone, a Cortex-A): the
 * optimized kernels run 2-4x faster on x86_64 when the engine re-arranges the
 * convolution and fully connected weights once into caller-provided memory
 * ("packed weights": int16 tap pairs in blocks of 8 output channels, see
 * docs/memory.md). Outputs are bit-identical either way; a microcontroller
 * skips this and reads the weights in place from flash.
 *
 * minnow_packed_weights_size validates the model and writes the bytes needed
 * to *bytes (0: no layer benefits; always 0 in 32-bit ARM builds, which
 * compile no packed kernels — minnow_use_packed_weights then changes nothing).
 * Errors: MINNOW_ERR_NULL_ARGUMENT,
 * MINNOW_ERR_MODEL_*.
 *
 * minnow_use_packed_weights fills `memory` (>= that size, 16-byte aligned;
 * it must outlive the engine) and makes the initialised engine use it. Call
 * it after minnow_init, before minnow_invoke. Errors: MINNOW_ERR_NULL_ARGUMENT,
 * MINNOW_ERR_NOT_INITIALIZED, MINNOW_ERR_PACKED_TOO_SMALL,
 * MINNOW_ERR_PACKED_MISALIGNED (the engine is unchanged on error). */
minnow_status minnow_packed_weights_size(const void *model, size_t model_len, size_t *bytes);
minnow_status minnow_use_packed_weights(minnow_engine *engine, void *memory, size_t len);

/* Chooses MINNOW_KERNELS_OPTIMIZED (default after minnow_init) or
 * MINNOW_KERNELS_REFERENCE. Errors: MINNOW_ERR_INVALID_ARGUMENT for other values. */
minnow_status minnow_set_kernels(minnow_engine *engine, int32_t kernels);

/* ---------------------------------------------------------------------------
 * Model information
 */
typedef struct minnow_model_info {
    const char *name;         /* the model's name from its header, NUL-terminated, inside the model bytes */
    uint64_t total_macs;      /* multiply-adds of one inference (convolution + fully connected) */
    uint32_t layer_count;     /* layers, run in index order 0 .. layer_count-1 */
    uint32_t tensor_count;    /* activation tensors */
    uint32_t arena_bytes;     /* arena the model needs (as minnow_arena_size) */
    uint32_t model_bytes;     /* size of the model file */
} minnow_model_info;

minnow_status minnow_get_model_info(const minnow_engine *engine, minnow_model_info *info);

/* ---------------------------------------------------------------------------
 * Input and output tensors (int8, NHWC, contiguous, inside the arena)
 *
 * real value = (q - zero_point) * scale
 */
typedef struct minnow_tensor_info {
    int8_t  *data;        /* first element, inside the arena (input: write it; output: read it
                             after minnow_invoke). Valid as long as the engine. */
    size_t   count;       /* elements = height * width * channels = bytes */
    int32_t  height;
    int32_t  width;
    int32_t  channels;
    int32_t  zero_point;  /* -128 .. 127 */
    float    scale;       /* > 0, finite */
} minnow_tensor_info;

minnow_status minnow_get_input(const minnow_engine *engine, minnow_tensor_info *info);
minnow_status minnow_get_output(const minnow_engine *engine, minnow_tensor_info *info);

/* Copies `count` int8 values (already quantized with the input's scale and zero
 * point) into the input tensor. Errors: MINNOW_ERR_INPUT_SIZE if count differs. */
minnow_status minnow_set_input(minnow_engine *engine, const int8_t *values, size_t count);

/* Quantizes `count` real values with the input's scale and zero point (round half
 * away from zero, saturate to int8) into the input tensor. */
minnow_status minnow_set_input_float(minnow_engine *engine, const float *values, size_t count);

/* ---------------------------------------------------------------------------
 * Inference
 */

/* Runs every layer in order: input tensor -> output tensor. Allocates nothing;
 * touches only the arena (and reads the model). The arena plan lets later tensors
 * reuse the input's bytes: write the input again before every invoke. */
minnow_status minnow_invoke(minnow_engine *engine);

/* Runs layer `index` alone (per-layer timing or profiling). Calling it for
 * 0 .. layer_count-1 in order equals one minnow_invoke; out of order, a layer
 * reads whatever its input buffers hold (never outside the arena).
 * Errors: MINNOW_ERR_INDEX_OUT_OF_RANGE. */
minnow_status minnow_invoke_layer(minnow_engine *engine, uint32_t index);

/* The index of the largest output element (the first on ties), after an invoke. */
minnow_status minnow_argmax(const minnow_engine *engine, uint32_t *index);

/* ---------------------------------------------------------------------------
 * Per-layer information
 */
typedef struct minnow_layer_info {
    const char *name;        /* the layer's name, NUL-terminated (<= 15 bytes), inside the model bytes */
    const char *kind;        /* static: "conv", "maxpool", "avgpool", "minpool", "global_avgpool",
                                "global_maxpool", "dense", "softmax", "concat", "add" */
    uint64_t macs;           /* multiply-adds (convolution, fully connected; 0 for the others) */
    uint32_t output_bytes;   /* bytes of the layer's output tensor (= its elements) */
    uint32_t weight_bytes;   /* int8 weights it reads from the model */
    uint32_t param_bytes;    /* int32 parameters (bias, multipliers, shifts, ...) */
    uint32_t scratch_bytes;  /* arena scratch it uses besides its input and output */
    int32_t  output_height;
    int32_t  output_width;
    int32_t  output_channels;
    int32_t  input_count;    /* 1, or more for concat / add */
    int32_t  opcode;         /* the model file's opcode byte (docs/model-format.md) */
} minnow_layer_info;

minnow_status minnow_layer_count(const minnow_engine *engine, uint32_t *count);
minnow_status minnow_get_layer_info(const minnow_engine *engine, uint32_t index, minnow_layer_info *info);

/* ---------------------------------------------------------------------------
 * Layout guards: the Swift implementation writes these structs field by field at
 * these offsets (P = sizeof(void *)); a compiler that lays them out differently
 * fails here instead of at run time.
 */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define MINNOW_STATIC_ASSERT(c, m) _Static_assert(c, m)
#elif defined(__cplusplus) && __cplusplus >= 201103L
#define MINNOW_STATIC_ASSERT(c, m) static_assert(c, m)
#else /* C99, C++98: a negative array size fails */
#define MINNOW_CAT2_(a, b) a##b
#define MINNOW_CAT_(a, b) MINNOW_CAT2_(a, b)
#define MINNOW_STATIC_ASSERT(c, m) typedef char MINNOW_CAT_(minnow_static_assert_, __LINE__)[(c) ? 1 : -1]
#endif
MINNOW_STATIC_ASSERT(sizeof(minnow_engine) == MINNOW_ENGINE_SIZE, "minnow_engine size");
MINNOW_STATIC_ASSERT(sizeof(size_t) == sizeof(void *), "size_t must be pointer-sized");
MINNOW_STATIC_ASSERT(offsetof(minnow_model_info, total_macs) == 8, "minnow_model_info layout");
MINNOW_STATIC_ASSERT(offsetof(minnow_model_info, layer_count) == 16, "minnow_model_info layout");
MINNOW_STATIC_ASSERT(offsetof(minnow_model_info, model_bytes) == 28, "minnow_model_info layout");
MINNOW_STATIC_ASSERT(sizeof(minnow_model_info) == 32, "minnow_model_info layout");
MINNOW_STATIC_ASSERT(offsetof(minnow_tensor_info, count) == sizeof(void *), "minnow_tensor_info layout");
MINNOW_STATIC_ASSERT(offsetof(minnow_tensor_info, height) == 2 * sizeof(void *), "minnow_tensor_info layout");
MINNOW_STATIC_ASSERT(offsetof(minnow_tensor_info, scale) == 2 * sizeof(void *) + 16, "minnow_tensor_info layout");
MINNOW_STATIC_ASSERT(offsetof(minnow_layer_info, kind) == sizeof(void *), "minnow_layer_info layout");
MINNOW_STATIC_ASSERT(offsetof(minnow_layer_info, macs) == 2 * sizeof(void *), "minnow_layer_info layout");
MINNOW_STATIC_ASSERT(offsetof(minnow_layer_info, output_bytes) == 2 * sizeof(void *) + 8, "minnow_layer_info layout");
MINNOW_STATIC_ASSERT(offsetof(minnow_layer_info, opcode) == 2 * sizeof(void *) + 40, "minnow_layer_info layout");

#ifdef __cplusplus
}
#endif
#endif /* MINNOW_H */
