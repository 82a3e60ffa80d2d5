/*
 * minnow C host example: a plain C program linked with the Embedded-Swift static
 * library out/host/libminnow.a (no Swift runtime: `ldd` shows only libc/libm).
 *
 *   minnow_host MODEL.mnw [--quiet]
 *
 * 1. maps the model file from disk and asks minnow_arena_size how much arena it needs;
 * 2. shows the "arena too small" path: minnow_init with no arena tells the bytes needed;
 * 3. maps an arena of that size (no malloc anywhere), aligns it to 16, runs minnow_init;
 * 4. prints the model and the per-layer table (name, kind, MACs, output bytes, weights);
 * 5. runs every compiled-in test image (firmware-sim/vectors: the C arrays written by
 *    `export-int8 --c-array` or minnow-fixtures): the int8 outputs must equal the Swift
 *    engine's bit for bit, with both kernel sets and layer by layer; prints accuracy;
 * 6. checks the error statuses of every entry point (NULLs, bad index, corrupt model, ...;
 *    firmware-sim/vectors/minnow_api_checks.c, which the firmware runs too).
 *
 * Every function of minnow.h is called. Exit status 0 = everything passed.
 * Built and run by firmware-sim/c-host/run.sh (which the test command calls).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "minnow.h"
#include "minnow_vectors.h"
#include "minnow_api_checks.h"

static int failures = 0;
static int quiet = 0;

#define CHECK(cond, ...)                                          \
    do {                                                          \
        if (!(cond)) {                                            \
            failures++;                                           \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);  \
            fprintf(stderr, __VA_ARGS__);                         \
            fputc('\n', stderr);                                  \
        }                                                         \
    } while (0)

/* Expects `call` to return `want`. */
#define EXPECT_STATUS(call, want)                                                              \
    do {                                                                                       \
        minnow_status got_ = (call);                                                           \
        CHECK(got_ == (want), "%s returned %d (%s), expected %d (%s)", #call, (int)got_,       \
              minnow_status_message(got_), (int)(want), minnow_status_message(want));          \
        api_checks++;                                                                          \
    } while (0)

static int api_checks = 0;

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Maps a whole file read-only (private copy-on-write, so a test may flip a byte). */
static uint8_t *map_file(const char *path, size_t *size) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); return NULL; }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0) { fprintf(stderr, "%s: empty or unreadable\n", path); close(fd); return NULL; }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) { perror("mmap"); return NULL; }
    *size = (size_t)st.st_size;
    return p;   /* page-aligned: more than the 4 (16 recommended) bytes the model needs */
}

int main(int argc, char **argv) {
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quiet") == 0) quiet = 1;
        else if (argv[i][0] == '-') { fprintf(stderr, "usage: %s MODEL.mnw [--quiet]\n", argv[0]); return 2; }
        else path = argv[i];
    }
    if (!path) { fprintf(stderr, "usage: %s MODEL.mnw [--quiet]\n", argv[0]); return 2; }

    /* 1. The model file and its arena size. */
    size_t model_len = 0;
    uint8_t *model = map_file(path, &model_len);
    if (!model) return 1;
    size_t need = 0;
    minnow_status s = minnow_arena_size(model, model_len, &need);
    if (s != MINNOW_OK) {
        fprintf(stderr, "%s: %s (status %d)\n", path, minnow_status_message(s), (int)s);
        return 1;
    }
    printf("model %s: %zu bytes, arena %zu bytes\n", path, model_len, need);

    /* 2. Too small an arena: the status says so and tells the size needed. */
    minnow_engine engine;
    size_t needed = 0;
    static uint8_t tiny[16] __attribute__((aligned(16)));
    s = minnow_init(&engine, model, model_len, tiny, sizeof tiny, &needed);
    if (need > sizeof tiny) {
        CHECK(s == MINNOW_ERR_ARENA_TOO_SMALL && needed == need, "init with a 16-byte arena: %d, needed %zu", (int)s, needed);
        printf("init with a %zu-byte arena: \"%s\", needs %zu bytes\n", sizeof tiny, minnow_status_message(s), needed);
    }

    /* 3. The arena: mapped (no malloc), then aligned to MINNOW_ARENA_ALIGNMENT by hand
       as any allocator's memory would be. */
    size_t mapped = need + MINNOW_ARENA_ALIGNMENT;
    uint8_t *raw = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) { perror("mmap arena"); return 1; }
    uint8_t *arena = (uint8_t *)(((uintptr_t)raw + MINNOW_ARENA_ALIGNMENT - 1) & ~(uintptr_t)(MINNOW_ARENA_ALIGNMENT - 1));
    s = minnow_init(&engine, model, model_len, arena, need, &needed);
    if (s != MINNOW_OK) { fprintf(stderr, "minnow_init: %s\n", minnow_status_message(s)); return 1; }
    EXPECT_STATUS(minnow_set_kernels(&engine, MINNOW_KERNELS_OPTIMIZED), MINNOW_OK);

    /* 4. Model and layers. */
    minnow_model_info mi;
    EXPECT_STATUS(minnow_get_model_info(&engine, &mi), MINNOW_OK);
    minnow_tensor_info in, out;
    EXPECT_STATUS(minnow_get_input(&engine, &in), MINNOW_OK);
    EXPECT_STATUS(minnow_get_output(&engine, &out), MINNOW_OK);
    printf("model \"%s\": %" PRIu32 " layers, %" PRIu32 " tensors, %" PRIu64 " MACs, arena %" PRIu32 " B, file %" PRIu32 " B\n",
           mi.name, mi.layer_count, mi.tensor_count, mi.total_macs, mi.arena_bytes, mi.model_bytes);
    printf("input  %dx%dx%d (%zu int8), scale %.9g, zero point %d\n", (int)in.height, (int)in.width,
           (int)in.channels, in.count, (double)in.scale, (int)in.zero_point);
    printf("output %dx%dx%d (%zu int8), scale %.9g, zero point %d\n", (int)out.height, (int)out.width,
           (int)out.channels, out.count, (double)out.scale, (int)out.zero_point);
    uint32_t layers = 0;
    EXPECT_STATUS(minnow_layer_count(&engine, &layers), MINNOW_OK);
    CHECK(layers == mi.layer_count, "layer count");
    printf("\n  %-3s %-16s %-15s %12s %10s %9s %8s  %s\n", "#", "layer", "kind", "MACs", "out bytes", "weights", "params", "output");
    uint64_t macs = 0;
    for (uint32_t i = 0; i < layers; i++) {
        minnow_layer_info li;
        EXPECT_STATUS(minnow_get_layer_info(&engine, i, &li), MINNOW_OK);
        macs += li.macs;
        printf("  %-3" PRIu32 " %-16s %-15s %12" PRIu64 " %10" PRIu32 " %9" PRIu32 " %8" PRIu32 "  %dx%dx%d\n", i, li.name,
               li.kind, li.macs, li.output_bytes, li.weight_bytes, li.param_bytes, (int)li.output_height,
               (int)li.output_width, (int)li.output_channels);
    }
    printf("  %-36s %12" PRIu64 "\n\n", "total", macs);
    CHECK(macs == mi.total_macs, "sum of layer MACs %" PRIu64 " != total %" PRIu64, macs, mi.total_macs);

    /* 5. Test images: bit-exact against the Swift engine. */
    int exact = 0, correct = 0, layerwise_exact = 0, reference_exact = 0, float_exact = 0;
    double seconds = 0;
    if (mv_test_count > 0) {
        CHECK(mv_model_size == model_len && memcmp(mv_model, model, model_len) == 0,
              "%s is not the model the test vectors (%s) were made for", path, mv_symbol);
        CHECK(mv_input_size == in.count && mv_output_size == out.count, "test vector sizes do not match the model");
        if (failures) return 1;
        for (uint32_t k = 0; k < mv_test_count; k++) {
            const int8_t *x = mv_test_inputs + (size_t)k * mv_input_size;
            const int8_t *want = mv_test_outputs + (size_t)k * mv_output_size;
            /* a: minnow_set_input + minnow_invoke, optimized kernels */
            EXPECT_STATUS(minnow_set_kernels(&engine, MINNOW_KERNELS_OPTIMIZED), MINNOW_OK);
            EXPECT_STATUS(minnow_set_input(&engine, x, mv_input_size), MINNOW_OK);
            double t0 = now_seconds();
            EXPECT_STATUS(minnow_invoke(&engine), MINNOW_OK);
            seconds += now_seconds() - t0;
            int same = memcmp(out.data, want, out.count) == 0;
            exact += same;
            if (!same) {
                fprintf(stderr, "image %" PRIu32 ": output differs from the Swift engine's:\n  got ", k);
                for (size_t j = 0; j < out.count; j++) fprintf(stderr, " %d", out.data[j]);
                fprintf(stderr, "\n  want");
                for (size_t j = 0; j < out.count; j++) fprintf(stderr, " %d", want[j]);
                fputc('\n', stderr);
            }
            uint32_t best = 0;
            EXPECT_STATUS(minnow_argmax(&engine, &best), MINNOW_OK);
            correct += best == mv_test_labels[k];
            if (!quiet) {
                printf("image %2" PRIu32 ": label %u, predicted %" PRIu32 "%s, output", k, mv_test_labels[k], best,
                       best == mv_test_labels[k] ? "" : " (wrong)");
                for (size_t j = 0; j < out.count && j < 12; j++) printf(" %4d", out.data[j]);
                printf("%s  %s\n", out.count > 12 ? " ..." : "", same ? "bit-exact" : "DIFFERS");
            }
            /* b: the input written through the tensor pointer, layer by layer */
            memcpy(in.data, x, in.count);
            for (uint32_t i = 0; i < layers; i++) EXPECT_STATUS(minnow_invoke_layer(&engine, i), MINNOW_OK);
            layerwise_exact += memcmp(out.data, want, out.count) == 0;
            /* c: reference kernels */
            EXPECT_STATUS(minnow_set_kernels(&engine, MINNOW_KERNELS_REFERENCE), MINNOW_OK);
            EXPECT_STATUS(minnow_set_input(&engine, x, mv_input_size), MINNOW_OK);
            EXPECT_STATUS(minnow_invoke(&engine), MINNOW_OK);
            reference_exact += memcmp(out.data, want, out.count) == 0;
            /* d: the real values of the quantized input, re-quantized by minnow_set_input_float */
            static float real[1 << 16];
            if (in.count <= sizeof real / sizeof real[0]) {
                for (size_t j = 0; j < in.count; j++) real[j] = ((float)x[j] - (float)in.zero_point) * in.scale;
                EXPECT_STATUS(minnow_set_input_float(&engine, real, in.count), MINNOW_OK);
                CHECK(memcmp(in.data, x, in.count) == 0, "image %" PRIu32 ": minnow_set_input_float did not give back the int8 input", k);
                EXPECT_STATUS(minnow_invoke(&engine), MINNOW_OK);
                float_exact += memcmp(out.data, want, out.count) == 0;
            }
        }
        unsigned n = mv_test_count;
        CHECK(exact == (int)n, "%d of %u outputs differ from the Swift engine", (int)n - exact, n);
        CHECK(layerwise_exact == (int)n, "layer-by-layer: %d of %u outputs differ", (int)n - layerwise_exact, n);
        CHECK(reference_exact == (int)n, "reference kernels: %d of %u outputs differ", (int)n - reference_exact, n);
        CHECK(float_exact == (int)n, "float input: %d of %u outputs differ", (int)n - float_exact, n);
        printf("\n%u test images: %d/%u bit-exact vs the Swift engine (also layer by layer %d/%u, reference kernels %d/%u, "
               "float input %d/%u); accuracy %d/%u = %.2f%%; %.1f us per inference on this host\n",
               n, exact, n, layerwise_exact, n, reference_exact, n, float_exact, n, correct, n, 100.0 * correct / n,
               1e6 * seconds / n);
    } else {
        /* No test vectors: run a zero input and show the output. */
        memset(in.data, (int)in.zero_point, in.count);
        EXPECT_STATUS(minnow_invoke(&engine), MINNOW_OK);
        uint32_t best = 0;
        EXPECT_STATUS(minnow_argmax(&engine, &best), MINNOW_OK);
        printf("no compiled-in test vectors: input at zero point -> class %" PRIu32 "\n", best);
    }

    /* 6. Error statuses of every entry point. */
    int error_checks = 0;
    failures += minnow_check_error_paths(model, model_len, model, arena, need, printf, &error_checks);
    printf("error paths: %d status checks (minnow_api_checks.c), %d more in the runs above\n", error_checks, api_checks);

    printf("c-host model=%s symbol=%s images=%u bit_exact=%d accuracy=%d/%u failures=%d\n", path, mv_symbol,
           (unsigned)mv_test_count, exact, correct, (unsigned)mv_test_count, failures);
    munmap(raw, mapped);
    munmap(model, model_len);
    if (failures) {
        printf("c-host: FAIL (%d)\n", failures);
        return 1;
    }
    printf("c-host: PASS\n");
    return 0;
}
