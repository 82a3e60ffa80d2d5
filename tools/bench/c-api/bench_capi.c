/*
 * bench_capi: Minnow through its C API (minnow.h), linked with the static host
 * library built from the engine sources (tools/build-embedded.sh --target host),
 * as a benchmark worker for tools/bench/rounds.py. Compiled with -O2 by
 * tools/bench-engine.sh (through tools/link-host-c.sh).
 *
 * Commands on stdin, one JSON object per reply line on stdout (the same protocol
 * as `minnow-bench --serve`):
 *
 *   load KEY MODEL.mnw          → {"ok":true,"macs":…,"arena":…,"input":…,"output":…}
 *   inputs FILE.f32 COUNT        COUNT float32 images (each the model input's size)
 *   outputs KEY FILE.i8          the int8 outputs of every image
 *   time KEY minnow RUNS         batch-1 latency samples in µs
 *   batch KEY minnow N REPS      seconds per batch of N images (N sequential batch-1 runs)
 *   clock                        the core clock estimated with a dependent-add loop → {"ok":true,"ghz":…}
 *   quit
 *
 * A timed run is minnow_set_input_float (quantize the float image into the arena)
 * + minnow_invoke, as for the Swift engine in minnow-bench.
 *
 * Argument --packed: the engine uses packed weights (minnow_use_packed_weights),
 * as InferenceSession does; without it the weights are read in place, as on a
 * microcontroller.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "minnow.h"

#define MAX_MODELS 8

static int use_packed_weights = 0;

typedef struct {
    char key[32];
    uint8_t *bytes;          /* 16-aligned copy of the model file */
    size_t len;
    uint8_t *arena;
    minnow_engine engine;
    minnow_tensor_info in, out;
    minnow_model_info info;
} bench_model;

static bench_model models[MAX_MODELS];
static int model_count = 0;
static float *images = NULL;
static long image_count = 0, image_floats = 0;

static uint64_t nanos(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void refuse(const char *message) {
    printf("{\"ok\":false,\"error\":\"%s\"}\n", message);
    fflush(stdout);
}

static bench_model *find(const char *key) {
    for (int i = 0; i < model_count; i++)
        if (strcmp(models[i].key, key) == 0) return &models[i];
    return NULL;
}

static int load(const char *key, const char *path) {
    if (model_count == MAX_MODELS || strlen(key) >= sizeof models[0].key) { refuse("too many models"); return 0; }
    FILE *f = fopen(path, "rb");
    if (!f) { refuse("cannot open the model file"); return 0; }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    bench_model *m = &models[model_count];
    m->bytes = aligned_alloc(16, ((size_t)len + 15) & ~(size_t)15);
    if (len <= 0 || !m->bytes || fread(m->bytes, 1, (size_t)len, f) != (size_t)len) {
        fclose(f); refuse("cannot read the model file"); return 0;
    }
    fclose(f);
    m->len = (size_t)len;
    size_t need = 0;
    minnow_status s = minnow_arena_size(m->bytes, m->len, &need);
    if (s != MINNOW_OK) { refuse(minnow_status_message(s)); return 0; }
    m->arena = aligned_alloc(MINNOW_ARENA_ALIGNMENT, (need + 15) & ~(size_t)15);
    s = minnow_init(&m->engine, m->bytes, m->len, m->arena, need, NULL);
    if (s == MINNOW_OK && use_packed_weights) {
        /* The host fast path: weights re-arranged once into memory beside the arena. */
        size_t packed_need = 0;
        s = minnow_packed_weights_size(m->bytes, m->len, &packed_need);
        if (s == MINNOW_OK && packed_need > 0) {
            void *packed = aligned_alloc(16, (packed_need + 15) & ~(size_t)15);
            s = packed ? minnow_use_packed_weights(&m->engine, packed, packed_need) : MINNOW_ERR_INTERNAL;
        }
    }
    if (s == MINNOW_OK) s = minnow_get_input(&m->engine, &m->in);
    if (s == MINNOW_OK) s = minnow_get_output(&m->engine, &m->out);
    if (s == MINNOW_OK) s = minnow_get_model_info(&m->engine, &m->info);
    if (s != MINNOW_OK) { refuse(minnow_status_message(s)); return 0; }
    snprintf(m->key, sizeof m->key, "%s", key);
    model_count++;
    printf("{\"ok\":true,\"macs\":%llu,\"arena\":%u,\"layers\":%u,\"input\":%zu,\"output\":%zu}\n",
           (unsigned long long)m->info.total_macs, m->info.arena_bytes, m->info.layer_count, m->in.count, m->out.count);
    fflush(stdout);
    return 1;
}

static inline void run(bench_model *m, long i) {
    const float *x = images + (i % image_count) * (long)m->in.count;
    minnow_set_input_float(&m->engine, x, m->in.count);
    minnow_invoke(&m->engine);
}

/* A chain of dependent 1-cycle integer adds (8 per loop iteration, so the loop
 * branch is never the bottleneck): adds per nanosecond = the core clock in GHz,
 * whatever turbo state the core runs in. */
static double clock_ghz(void) {
#if defined(__x86_64__)
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        uint64_t n = 25000000ull, a = 0;
        uint64_t t0 = nanos();
        __asm__ volatile("1:\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                         "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tdec %1\n\tjnz 1b"
                         : "+r"(a), "+r"(n));
        double ghz = 200000000.0 / (double)(nanos() - t0);
        if (ghz > best) best = ghz;
    }
    return best;
#else
    return 0;
#endif
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) if (strcmp(argv[i], "--packed") == 0) use_packed_weights = 1;
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        char cmd[32] = "", a[1024] = "", b[1024] = "", c[64] = "", d[64] = "";
        int n = sscanf(line, "%31s %1023s %1023s %63s %63s", cmd, a, b, c, d);
        if (n < 1) continue;
        if (strcmp(cmd, "quit") == 0) break;
        if (strcmp(cmd, "load") == 0 && n == 3) {
            load(a, b);
        } else if (strcmp(cmd, "inputs") == 0 && n == 3) {
            long count = atol(b);
            FILE *f = fopen(a, "rb");
            if (!f || count < 1) { if (f) fclose(f); refuse("bad inputs file or count"); continue; }
            fseek(f, 0, SEEK_END);
            long len = ftell(f);
            fseek(f, 0, SEEK_SET);
            free(images);
            images = malloc((size_t)len);
            if (!images || len % (4 * count) != 0 || fread(images, 1, (size_t)len, f) != (size_t)len) {
                fclose(f); refuse("bad inputs file"); image_count = 0; continue;
            }
            fclose(f);
            image_count = count;
            image_floats = len / 4;
            printf("{\"ok\":true,\"images\":%ld}\n", count);
            fflush(stdout);
        } else if (strcmp(cmd, "clock") == 0) {
            printf("{\"ok\":true,\"ghz\":%.3f}\n", clock_ghz());
            fflush(stdout);
        } else if ((strcmp(cmd, "outputs") == 0 && n == 3) || (strcmp(cmd, "time") == 0 && n == 4) ||
                   (strcmp(cmd, "batch") == 0 && n == 5)) {
            bench_model *m = find(a);
            if (!m) { refuse("no such model"); continue; }
            if (image_count < 1 || image_floats != image_count * (long)m->in.count) {
                refuse("inputs do not match the model"); continue;
            }
            if (strcmp(cmd, "outputs") == 0) {
                FILE *f = fopen(b, "wb");
                if (!f) { refuse("cannot write the outputs file"); continue; }
                for (long i = 0; i < image_count; i++) {
                    run(m, i);
                    fwrite(m->out.data, 1, m->out.count, f);
                }
                fclose(f);
                printf("{\"ok\":true,\"images\":%ld}\n", image_count);
                fflush(stdout);
                continue;
            }
            if (strcmp(b, "minnow") != 0) { refuse("unknown contender"); continue; }
            long runs = atol(c), reps = n == 5 ? atol(d) : 0;
            if (runs < 1 || (n == 5 && reps < 1)) { refuse("bad count"); continue; }
            for (long i = 0; i < (runs < 8 ? runs : 8); i++) run(m, i);   /* warm-up */
            if (n == 4) {
                double *us = malloc(sizeof(double) * (size_t)runs);
                for (long i = 0; i < runs; i++) {
                    uint64_t t0 = nanos();
                    run(m, i);
                    us[i] = (double)(nanos() - t0) / 1000.0;
                }
                fputs("{\"ok\":true,\"us\":[", stdout);
                for (long i = 0; i < runs; i++) printf(i ? ",%.3f" : "%.3f", us[i]);
                fputs("]}\n", stdout);
                free(us);
            } else {
                fputs("{\"ok\":true,\"s\":[", stdout);
                for (long r = 0; r < reps; r++) {
                    uint64_t t0 = nanos();
                    for (long i = 0; i < runs; i++) run(m, i);
                    printf(r ? ",%.9f" : "%.9f", (double)(nanos() - t0) / 1e9);
                }
                fputs("]}\n", stdout);
            }
            fflush(stdout);
        } else {
            refuse("unknown command");
        }
    }
    return 0;
}
