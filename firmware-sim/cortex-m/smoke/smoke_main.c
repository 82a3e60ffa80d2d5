/*
 * smoke_main.c — C side of the Embedded-Swift smoke test (see Smoke.swift).
 * The same file is built for the x86_64 host (plain cc, printf) and for the
 * Cortex-M4 under QEMU (startup.c services, mc_printf). Exit status 0 = pass.
 */
#include <stdint.h>
#include <stddef.h>

#if defined(__arm__)
#include "minnow_cm.h"
#define PRINTF mc_printf
#else
#include <stdio.h>
#define PRINTF printf
static void minnow_mark_begin(void) {}
static void minnow_mark_end(void) {}
static void minnow_mark_segment(unsigned id) { (void)id; }
static void minnow_mark_segment_end(void) {}
#endif

/* Implemented in Swift (Smoke.swift), @_cdecl. */
int32_t smoke_requantize(int32_t acc, int32_t multiplier, int32_t shift);
int32_t smoke_dot_i8(const int8_t *a, const int8_t *b, int32_t count, int32_t a_zero_point);
void smoke_fully_connected_i8(const int8_t *x, int32_t inputs, int32_t x_zero_point, const int8_t *w,
                              const int32_t *bias, int32_t outputs, int32_t multiplier, int32_t shift,
                              int32_t out_zero_point, int32_t activation_min, int8_t *out);

/* ---- C reference of the same arithmetic ---- */

static int32_t ref_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    int64_t p = (int64_t)a * (int64_t)b;
    int64_t nudge = p >= 0 ? (1ll << 30) : (1 - (1ll << 30));
    return (int32_t)((p + nudge) / (1ll << 31));
}

static int32_t ref_rdbpot(int32_t x, int32_t e)
{
    int32_t mask = (int32_t)((1u << e) - 1u);
    int32_t rem = x & mask;
    int32_t thr = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (rem > thr ? 1 : 0);
}

static int32_t ref_requantize(int32_t acc, int32_t m, int32_t shift)
{
    int32_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    return ref_rdbpot(ref_srdhm((int32_t)((uint32_t)acc << left), m), right);
}

/* ---- Deterministic data ---- */

#define INPUTS 256
#define OUTPUTS 64

static uint32_t lcg_state = 12345u;
static uint32_t lcg(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lcg_state >> 8;
}

static int8_t x[INPUTS];
static int8_t w[OUTPUTS * INPUTS] __attribute__((aligned(16)));
static int32_t bias[OUTPUTS];
static int8_t out_swift[OUTPUTS];
static int8_t out_ref[OUTPUTS];

int main(void)
{
    int failures = 0;

    /* 1. Known values. (Segments 0, 1, 2: instruction counts per part, see count.sh.) */
    minnow_mark_segment(0);
    static const int8_t a[] = { 1, -2, 3, -4, 127, -128 };
    static const int8_t b[] = { 5, 6, -7, 8, 127, -128 };
    int32_t dot = smoke_dot_i8(a, b, 6, 0); /* 5 - 12 - 21 - 32 + 16129 + 16384 */
    if (dot != 32453) {
        PRINTF("FAIL dot: %ld (want 32453)\n", (long)dot);
        failures++;
    }
    int32_t dot_zp = smoke_dot_i8(a, b, 6, -3);
    int32_t want_zp = 32453 + 3 * (5 + 6 - 7 + 8 + 127 - 128);
    if (dot_zp != want_zp) {
        PRINTF("FAIL dot zp: %ld (want %ld)\n", (long)dot_zp, (long)want_zp);
        failures++;
    }

    /* 2. Requantization edge cases against the C reference. */
    minnow_mark_segment(1);
    static const int32_t accs[] = { 0, 1, -1, 1000, -1000, 123456789, -123456789, INT32_MAX, INT32_MIN, 12345 };
    static const int32_t mults[] = { 1073741824, 1518500250, 2147483647, INT32_MIN };
    int checked = 0;
    for (unsigned i = 0; i < sizeof accs / sizeof accs[0]; i++) {
        for (unsigned j = 0; j < sizeof mults / sizeof mults[0]; j++) {
            for (int32_t shift = -31; shift <= 0; shift++) {
                int32_t got = smoke_requantize(accs[i], mults[j], shift);
                int32_t want = ref_requantize(accs[i], mults[j], shift);
                checked++;
                if (got != want) {
                    if (failures < 10) {
                        PRINTF("FAIL requantize(%ld, %ld, %ld): %ld want %ld\n", (long)accs[i], (long)mults[j],
                               (long)shift, (long)got, (long)want);
                    }
                    failures++;
                }
            }
        }
    }

    /* 3. A 256 -> 64 fully connected layer, bit for bit. */
    minnow_mark_segment(2);
    for (int i = 0; i < INPUTS; i++) {
        x[i] = (int8_t)(lcg() & 0xff);
    }
    for (int i = 0; i < OUTPUTS * INPUTS; i++) {
        int v = (int)(lcg() % 255u) - 127;
        w[i] = (int8_t)v;
    }
    for (int o = 0; o < OUTPUTS; o++) {
        bias[o] = (int32_t)(lcg() % 20001u) - 10000;
    }
    const int32_t x_zp = -5, m = 1518500250, shift = -9, out_zp = -3, act_min = -128;

    minnow_mark_begin();
    smoke_fully_connected_i8(x, INPUTS, x_zp, w, bias, OUTPUTS, m, shift, out_zp, act_min, out_swift);
    minnow_mark_end();
    minnow_mark_segment_end();

    uint32_t checksum = 0;
    for (int o = 0; o < OUTPUTS; o++) {
        int32_t acc = bias[o];
        for (int i = 0; i < INPUTS; i++) {
            acc += (int32_t)w[o * INPUTS + i] * ((int32_t)x[i] - x_zp);
        }
        int32_t v = ref_requantize(acc, m, shift) + out_zp;
        if (v < act_min) {
            v = act_min;
        }
        if (v > 127) {
            v = 127;
        }
        out_ref[o] = (int8_t)v;
        if (out_ref[o] != out_swift[o]) {
            if (failures < 10) {
                PRINTF("FAIL fc[%d]: %d want %d\n", o, out_swift[o], out_ref[o]);
            }
            failures++;
        }
        checksum = checksum * 31u + (uint8_t)out_swift[o];
    }

    PRINTF("smoke: dot=%ld requantize cases=%d fc %dx%d (%d MACs) checksum=0x%08lx: %s\n", (long)dot, checked,
           OUTPUTS, INPUTS, OUTPUTS * INPUTS, (unsigned long)checksum, failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}
