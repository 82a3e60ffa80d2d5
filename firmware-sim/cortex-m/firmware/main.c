/*
 * Minnow Cortex-M4 firmware: runs the engine (out/cortex-m4/libminnow.a, Embedded
 * Swift) on a model compiled in as a const array, under QEMU's mps2-an386.
 *
 * The model, its test vectors and a static arena of exactly the model's size come
 * from firmware-sim/vectors (glue.sh over the C arrays of `export-int8 --c-array`
 * or minnow-fixtures). For every test image it
 *   - runs minnow_invoke between minnow_mark_begin/end (count.sh's "marked" window:
 *     instructions per inference) and checks the int8 output equals the Swift
 *     engine's bit for bit;
 *   - runs the layers one by one with minnow_invoke_layer, each inside numbered
 *     segment i (count.sh: instructions per layer), and checks the output again.
 * It prints the layer table, the stack used by an inference and one result line;
 * main's return value is QEMU's exit status: 0 = every output bit-exact.
 *
 * Built with -D MINNOW_FW_API_CHECKS it only checks the error status of every entry
 * point instead (firmware-sim/vectors/minnow_api_checks.c, shared with the C host).
 *
 * Built and run by firmware-sim/cortex-m/firmware/run.sh.
 */
#include <stdint.h>
#include <string.h>

#include "minnow.h"
#include "minnow_cm.h"
#include "minnow_vectors.h"
#ifdef MINNOW_FW_API_CHECKS
#include "minnow_api_checks.h"
#endif

#ifndef MINNOW_FW_KERNELS
#define MINNOW_FW_KERNELS MINNOW_KERNELS_OPTIMIZED
#endif

static minnow_engine engine;   /* zero-initialised in .bss */

static int check(minnow_status s, const char *what)
{
    if (s != MINNOW_OK) mc_printf("[fw] %s: %s (status %d)\n", what, minnow_status_message(s), (int)s);
    return s == MINNOW_OK;
}

int main(void)
{
    size_t need = 0, needed = 0;
    if (!check(minnow_arena_size(mv_model, mv_model_size, &need), "minnow_arena_size")) return 2;
    mc_printf("[fw] model %s: %u bytes in flash, arena %u bytes (static arena %u bytes)\n", mv_symbol,
              (unsigned)mv_model_size, (unsigned)need, (unsigned)minnow_arena_bytes);
    if (need > minnow_arena_bytes) {
        mc_printf("[fw] the static arena is too small: %u < %u bytes\n", (unsigned)minnow_arena_bytes, (unsigned)need);
        return 3;
    }
    /* The too-small path, then the real init. */
    if (minnow_init(&engine, mv_model, mv_model_size, minnow_arena, need - 1, &needed) != MINNOW_ERR_ARENA_TOO_SMALL
        || needed != need) {
        mc_printf("[fw] minnow_init with a small arena did not report MINNOW_ERR_ARENA_TOO_SMALL\n");
        return 4;
    }
    if (!check(minnow_init(&engine, mv_model, mv_model_size, minnow_arena, minnow_arena_bytes, NULL), "minnow_init")) return 2;
#ifdef MINNOW_FW_API_CHECKS
    {
        /* A separate build (run.sh builds it next to the measured firmware, so the
           footprint of that one holds no test-only code): the error path of every entry
           point on this target — a Swift trap would fault here. The model is in flash:
           no writable copy, so no corrupt-checksum checks. */
        int checks = 0;
        int failed = minnow_check_error_paths(mv_model, mv_model_size, NULL, minnow_arena, need, mc_printf, &checks);
        mc_printf("[fw] error paths: %d status checks, %d failed\n", checks, failed);
        return failed ? 1 : 0;
    }
#endif
    if (!check(minnow_set_kernels(&engine, MINNOW_FW_KERNELS), "minnow_set_kernels")) return 2;

    minnow_model_info mi;
    minnow_tensor_info in, out;
    uint32_t layers = 0;
    if (!check(minnow_get_model_info(&engine, &mi), "minnow_get_model_info")
        || !check(minnow_get_input(&engine, &in), "minnow_get_input")
        || !check(minnow_get_output(&engine, &out), "minnow_get_output")
        || !check(minnow_layer_count(&engine, &layers), "minnow_layer_count")) return 2;
    mc_printf("[fw] \"%s\": %u layers, %llu MACs, input %dx%dx%d, output %u values, kernels %s\n", mi.name,
              (unsigned)layers, (unsigned long long)mi.total_macs, (int)in.height, (int)in.width, (int)in.channels,
              (unsigned)out.count, MINNOW_FW_KERNELS == MINNOW_KERNELS_REFERENCE ? "reference" : "optimized");
    /* Machine-readable layer table (run.sh joins it with the per-segment counts). */
    for (uint32_t i = 0; i < layers; i++) {
        minnow_layer_info li;
        if (!check(minnow_get_layer_info(&engine, i, &li), "minnow_get_layer_info")) return 2;
        mc_printf("[fw] layer %u %s %s %llu %u %u\n", (unsigned)i, li.name, li.kind, (unsigned long long)li.macs,
                  (unsigned)li.output_bytes, (unsigned)li.weight_bytes);
    }

    uint32_t n = mv_test_count;
    uint32_t exact = 0, layerwise = 0, correct = 0;
    size_t invoke_stack = 0;
    if (n == 0) {
        /* A bare model (profile.sh): a deterministic input, no comparison. */
        for (size_t j = 0; j < in.count; j++) in.data[j] = (int8_t)((j * 37u + 11u) & 0xFF);
        n = 1;
    }
    for (uint32_t k = 0; k < n; k++) {
        const int8_t *x = mv_test_count ? mv_test_inputs + (size_t)k * mv_input_size : NULL;
        const int8_t *want = mv_test_count ? mv_test_outputs + (size_t)k * mv_output_size : NULL;

        /* 1. One inference. */
        if (x && !check(minnow_set_input(&engine, x, mv_input_size), "minnow_set_input")) return 2;
        if (k == 0) mc_stack_repaint();
        minnow_mark_begin();
        minnow_status s = minnow_invoke(&engine);
        minnow_mark_end();
        if (k == 0) invoke_stack = minnow_stack_high_water_bytes();
        if (!check(s, "minnow_invoke")) return 2;
        uint32_t best = 0;
        if (!check(minnow_argmax(&engine, &best), "minnow_argmax")) return 2;
        int same = want ? memcmp(out.data, want, out.count) == 0 : 1;
        exact += same;
        correct += x ? best == mv_test_labels[k] : 0;
        if (!same) {
            mc_printf("[fw] image %u: output differs from the Swift engine's:\n[fw]   got ", (unsigned)k);
            for (size_t j = 0; j < out.count; j++) mc_printf(" %d", out.data[j]);
            mc_printf("\n[fw]   want");
            for (size_t j = 0; j < out.count; j++) mc_printf(" %d", want[j]);
            mc_printf("\n");
        }

        /* 2. Layer by layer, one counting segment per layer. */
        if (x) {
            if (!check(minnow_set_input(&engine, x, mv_input_size), "minnow_set_input")) return 2;
        } else {
            for (size_t j = 0; j < in.count; j++) in.data[j] = (int8_t)((j * 37u + 11u) & 0xFF);
        }
        for (uint32_t i = 0; i < layers; i++) {
            minnow_mark_segment(i);
            s = minnow_invoke_layer(&engine, i);
            if (s != MINNOW_OK) { minnow_mark_segment_end(); check(s, "minnow_invoke_layer"); return 2; }
        }
        minnow_mark_segment_end();
        layerwise += want ? memcmp(out.data, want, out.count) == 0 : 1;
    }
    mc_printf("[fw] stack used by minnow_invoke (with main's frame): %u bytes\n", (unsigned)invoke_stack);

    mc_printf("[fw] result symbol=%s images=%u bit_exact=%u layerwise_exact=%u correct=%u layers=%u macs=%llu "
              "arena=%u model=%u invoke_stack=%u\n",
              mv_symbol, (unsigned)mv_test_count, (unsigned)exact, (unsigned)layerwise, (unsigned)correct,
              (unsigned)layers, (unsigned long long)mi.total_macs, (unsigned)need, (unsigned)mv_model_size,
              (unsigned)invoke_stack);
    if (mv_test_count && (exact != mv_test_count || layerwise != mv_test_count)) {
        mc_printf("[fw] FAIL: %u of %u outputs differ\n", (unsigned)(2 * mv_test_count - exact - layerwise),
                  (unsigned)(2 * mv_test_count));
        return 1;
    }
    mc_printf("[fw] %s\n", mv_test_count ? "PASS: every output bit-exact vs the Swift engine" : "done (no test vectors)");
    return 0;
}
