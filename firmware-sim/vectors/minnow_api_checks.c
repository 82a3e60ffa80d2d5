/*
 * minnow_api_checks.c — the error statuses of every entry point of minnow.h, on a
 * valid model and arena: NULL pointers, a never-initialised engine, bad models,
 * small and misaligned arenas, bad indices, sizes and arguments. Shared by the C
 * host (firmware-sim/c-host) and the Cortex-M4 firmware, so the same checks run
 * against the x86_64 and the Cortex-M4 builds of the library: each must return its
 * status and never trap (a Swift trap is a fault on Cortex-M).
 */
#include <stdint.h>
#include <string.h>

#include "minnow.h"
#include "minnow_api_checks.h"

#define CHECK(cond, ...)                                 \
    do {                                                 \
        if (!(cond)) {                                   \
            failures++;                                  \
            print("FAIL %s:%d: ", __FILE__, __LINE__);   \
            print(__VA_ARGS__);                          \
            print("\n");                                 \
        }                                                \
    } while (0)

/* Expects `call` to return `want`. */
#define EXPECT_STATUS(call, want)                                                              \
    do {                                                                                       \
        minnow_status got_ = (call);                                                           \
        CHECK(got_ == (want), "%s returned %d (%s), expected %d (%s)", #call, (int)got_,       \
              minnow_status_message(got_), (int)(want), minnow_status_message(want));          \
        api_checks++;                                                                          \
    } while (0)

/* The error paths of every entry point, on a working engine and model. */
int minnow_check_error_paths(const uint8_t *model, size_t model_len, uint8_t *writable_copy, void *arena, size_t need,
                              int (*print)(const char *fmt, ...), int *checks) {
    int failures = 0;
    int api_checks = 0;
    minnow_engine zero;
    memset(&zero, 0, sizeof zero);   /* never initialised */
    minnow_engine e;
    minnow_tensor_info ti;
    minnow_layer_info li;
    minnow_model_info mi;
    uint32_t u = 0;
    size_t n = 0;
    int8_t one = 0;
    float onef = 0;

    /* NULL pointers. */
    EXPECT_STATUS(minnow_arena_size(NULL, model_len, &n), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_arena_size(model, model_len, NULL), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_init(NULL, model, model_len, arena, need, NULL), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_init(&e, NULL, model_len, arena, need, NULL), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_init(&e, model, model_len, NULL, need, NULL), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_set_kernels(NULL, MINNOW_KERNELS_OPTIMIZED), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_get_model_info(NULL, &mi), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_get_input(NULL, &ti), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_get_output(NULL, &ti), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_set_input(NULL, &one, 1), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_set_input_float(NULL, &onef, 1), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_invoke(NULL), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_invoke_layer(NULL, 0), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_argmax(NULL, &u), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_layer_count(NULL, &u), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_get_layer_info(NULL, 0, &li), MINNOW_ERR_NULL_ARGUMENT);

    /* A zero-filled engine was never initialised. */
    EXPECT_STATUS(minnow_set_kernels(&zero, MINNOW_KERNELS_OPTIMIZED), MINNOW_ERR_NOT_INITIALIZED);
    EXPECT_STATUS(minnow_get_model_info(&zero, &mi), MINNOW_ERR_NOT_INITIALIZED);
    EXPECT_STATUS(minnow_get_input(&zero, &ti), MINNOW_ERR_NOT_INITIALIZED);
    EXPECT_STATUS(minnow_get_output(&zero, &ti), MINNOW_ERR_NOT_INITIALIZED);
    EXPECT_STATUS(minnow_set_input(&zero, &one, 1), MINNOW_ERR_NOT_INITIALIZED);
    EXPECT_STATUS(minnow_set_input_float(&zero, &onef, 1), MINNOW_ERR_NOT_INITIALIZED);
    EXPECT_STATUS(minnow_invoke(&zero), MINNOW_ERR_NOT_INITIALIZED);
    EXPECT_STATUS(minnow_invoke_layer(&zero, 0), MINNOW_ERR_NOT_INITIALIZED);
    EXPECT_STATUS(minnow_argmax(&zero, &u), MINNOW_ERR_NOT_INITIALIZED);
    EXPECT_STATUS(minnow_layer_count(&zero, &u), MINNOW_ERR_NOT_INITIALIZED);
    EXPECT_STATUS(minnow_get_layer_info(&zero, 0, &li), MINNOW_ERR_NOT_INITIALIZED);

    /* Bad models. */
    EXPECT_STATUS(minnow_arena_size(model, 0, &n), MINNOW_ERR_MODEL_TRUNCATED);
    EXPECT_STATUS(minnow_arena_size(model, 63, &n), MINNOW_ERR_MODEL_TRUNCATED);
    EXPECT_STATUS(minnow_arena_size(model, model_len - 1, &n), MINNOW_ERR_MODEL_TRUNCATED);
    EXPECT_STATUS(minnow_arena_size(model, SIZE_MAX, &n), MINNOW_ERR_MODEL_TOO_LARGE);
    EXPECT_STATUS(minnow_arena_size(model + 2, model_len - 2, &n), MINNOW_ERR_MODEL_BAD_MAGIC);
    if (writable_copy) {
        uint8_t *copy = writable_copy;
        if (copy != model) memcpy(copy, model, model_len);
        EXPECT_STATUS(minnow_arena_size(copy, model_len, &n), MINNOW_OK);
        copy[model_len / 2] ^= 0x01;
        EXPECT_STATUS(minnow_arena_size(copy, model_len, &n), MINNOW_ERR_MODEL_CHECKSUM);
        EXPECT_STATUS(minnow_init(&e, copy, model_len, arena, need, NULL), MINNOW_ERR_MODEL_CHECKSUM);
        copy[model_len / 2] ^= 0x01;
        copy[1] ^= 0xFF;
        EXPECT_STATUS(minnow_arena_size(copy, model_len, &n), MINNOW_ERR_MODEL_BAD_MAGIC);
        copy[1] ^= 0xFF;
        uint8_t version = copy[4];
        copy[4] = 9;   /* version 9: the CRC is checked after the version */
        EXPECT_STATUS(minnow_arena_size(copy, model_len, &n), MINNOW_ERR_MODEL_VERSION);
        copy[4] = version;
    }

    /* Arenas. */
    size_t needed = 0;
    EXPECT_STATUS(minnow_init(&e, model, model_len, arena, need - 1, &needed), MINNOW_ERR_ARENA_TOO_SMALL);
    CHECK(needed == need, "arena_needed %zu, expected %zu", needed, need);
    EXPECT_STATUS(minnow_init(&e, model, model_len, (uint8_t *)arena + 8, need, &needed), MINNOW_ERR_ARENA_MISALIGNED);
    EXPECT_STATUS(minnow_invoke(&e), MINNOW_ERR_NOT_INITIALIZED);

    /* Caller errors on a working engine. */
    EXPECT_STATUS(minnow_init(&e, model, model_len, arena, need, NULL), MINNOW_OK);
    EXPECT_STATUS(minnow_layer_count(&e, &u), MINNOW_OK);
    EXPECT_STATUS(minnow_invoke_layer(&e, u), MINNOW_ERR_INDEX_OUT_OF_RANGE);
    EXPECT_STATUS(minnow_invoke_layer(&e, UINT32_MAX), MINNOW_ERR_INDEX_OUT_OF_RANGE);
    EXPECT_STATUS(minnow_get_layer_info(&e, u, &li), MINNOW_ERR_INDEX_OUT_OF_RANGE);
    EXPECT_STATUS(minnow_get_layer_info(&e, 0, NULL), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_get_input(&e, NULL), MINNOW_ERR_NULL_ARGUMENT);
    EXPECT_STATUS(minnow_set_input(&e, &one, 1), MINNOW_ERR_INPUT_SIZE);
    EXPECT_STATUS(minnow_set_input_float(&e, &onef, 1), MINNOW_ERR_INPUT_SIZE);
    EXPECT_STATUS(minnow_set_kernels(&e, 7), MINNOW_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(minnow_set_kernels(&e, -1), MINNOW_ERR_INVALID_ARGUMENT);

    /* Non-finite and huge real inputs saturate (NaN -> the zero point), never trap. */
    static float reals[4096];
    if (minnow_get_input(&e, &ti) == MINNOW_OK && ti.count <= sizeof reals / sizeof reals[0]) {
        const float specials[6] = { __builtin_nanf(""), __builtin_inff(), -__builtin_inff(), 3.0e38f, -3.0e38f, -0.0f };
        for (size_t j = 0; j < ti.count; j++) reals[j] = specials[j % 6];
        EXPECT_STATUS(minnow_set_input_float(&e, reals, ti.count), MINNOW_OK);
        CHECK(ti.data[0] == (int8_t)ti.zero_point && ti.data[1] == 127 && ti.data[2] == -128
              && ti.data[3] == 127 && ti.data[4] == -128, "non-finite inputs: %d %d %d %d %d", ti.data[0], ti.data[1],
              ti.data[2], ti.data[3], ti.data[4]);
        EXPECT_STATUS(minnow_invoke(&e), MINNOW_OK);
        EXPECT_STATUS(minnow_argmax(&e, &u), MINNOW_OK);
    }

    /* Messages. */
    CHECK(strcmp(minnow_status_message(MINNOW_OK), "ok") == 0, "message of MINNOW_OK");
    CHECK(strcmp(minnow_status_message(12345), "unknown status") == 0, "message of an unknown status");
    if (checks) *checks = api_checks;
    return failures;
}
