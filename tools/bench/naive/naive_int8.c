/* Straightforward int8 inference of a Minnow model file: see naive_int8.h. */
#include "naive_int8.h"
#include <math.h>
#include <string.h>

static uint32_t u32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static int32_t srdhm(int32_t a, int32_t b) {
    if (a == b && a == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * b;
    int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / (1ll << 31));
}

static int32_t rdbpot(int32_t x, int e) {
    int32_t mask = (int32_t)((1ll << e) - 1);
    int32_t rem = x & mask;
    int32_t thr = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (rem > thr ? 1 : 0);
}

static int32_t requant(int32_t x, int32_t m, int32_t s) {
    int left = s > 0 ? s : 0, right = s > 0 ? 0 : -s;
    return rdbpot(srdhm((int32_t)((uint32_t)x << left), m), right);
}

static int32_t clamp(int32_t x, int32_t lo, int32_t hi) { return x < lo ? lo : (x > hi ? hi : x); }

typedef struct { int8_t *p; int h, w, c, stride; int32_t zp; } tensor;

static tensor get_tensor(const uint8_t *model, uint8_t *arena, int i) {
    const uint8_t *r = model + u32(model + 28) + 32 * i;
    tensor t = { (int8_t *)(arena + u32(r)), u16(r + 4), u16(r + 6), u16(r + 8), u16(r + 10),
                 (int32_t)u32(r + 12) };
    return t;
}

int naive_int8_run(const uint8_t *model, uint8_t *arena, const int8_t *input, int8_t *output) {
    int layers = u16(model + 18);
    tensor in = get_tensor(model, arena, u16(model + 20));
    for (int i = 0; i < in.h * in.w * in.c; i++) in.p[i] = input[i];
    for (int l = 0; l < layers; l++) {
        const uint8_t *r = model + u32(model + 32) + 96 * l;
        int op = r[0], n = r[1];
        tensor x = get_tensor(model, arena, u16(r + 4)), y = get_tensor(model, arena, u16(r + 2));
        int kh = u16(r + 36), kw = u16(r + 38), sh = u16(r + 40), sw = u16(r + 42);
        int pt = u16(r + 44), pl = u16(r + 46);
        int32_t amin = (int8_t)r[52], amax = (int8_t)r[53];
        const int8_t *w = (const int8_t *)(model + u32(r + 56));
        const int32_t *prm = (const int32_t *)(model + u32(r + 64));
        if (op == 1 || op == 7) {                      /* convolution, fully connected */
            int K = y.c;
            const int32_t *bias = prm, *mul = prm + K, *sft = prm + 2 * K;
            if (op == 7) { kh = kw = 1; sh = sw = 1; pt = pl = 0; }
            int C = op == 7 ? x.h * x.w * x.c : x.c;
            int H = op == 7 ? 1 : x.h, W = op == 7 ? 1 : x.w, xs = op == 7 ? C : x.stride;
            for (int oy = 0; oy < y.h; oy++)
                for (int ox = 0; ox < y.w; ox++)
                    for (int k = 0; k < K; k++) {
                        int32_t acc = bias[k];
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++) {
                                int iy = oy * sh - pt + ky, ix = ox * sw - pl + kx;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                for (int c = 0; c < C; c++)
                                    acc += w[((k * kh + ky) * kw + kx) * C + c] *
                                           (x.p[(iy * W + ix) * xs + c] - x.zp);
                            }
                        int32_t v = requant(acc, mul[k], sft[k]) + y.zp;
                        y.p[(oy * y.w + ox) * y.stride + k] = (int8_t)clamp(v, amin, amax);
                    }
        } else if (op >= 2 && op <= 4) {               /* max, average, min pooling */
            for (int oy = 0; oy < y.h; oy++)
                for (int ox = 0; ox < y.w; ox++)
                    for (int c = 0; c < y.c; c++) {
                        int32_t acc = op == 2 ? -128 : (op == 4 ? 127 : 0), count = 0;
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++) {
                                int iy = oy * sh - pt + ky, ix = ox * sw - pl + kx;
                                if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
                                int32_t v = x.p[(iy * x.w + ix) * x.stride + c];
                                if (op == 2) acc = v > acc ? v : acc;
                                else if (op == 4) acc = v < acc ? v : acc;
                                else acc += v;
                                count++;
                            }
                        if (op == 3) acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                        y.p[(oy * y.w + ox) * y.stride + c] = (int8_t)clamp(acc, amin, amax);
                    }
        } else if (op == 5 || op == 6) {               /* global average, global max */
            int32_t count = x.h * x.w;
            for (int c = 0; c < x.c; c++) {
                int32_t acc = op == 6 ? -128 : 0;
                for (int p = 0; p < count; p++) {
                    int32_t v = x.p[p * x.stride + c];
                    if (op == 6) acc = v > acc ? v : acc; else acc += v;
                }
                if (op == 5) acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                y.p[c] = (int8_t)acc;
            }
        } else if (op == 9) {                          /* concatenation */
            int c0 = 0;
            for (int k = 0; k < n; k++) {
                tensor part = get_tensor(model, arena, u16(r + 4 + 2 * k));
                for (int p = 0; p < y.h * y.w; p++)
                    for (int c = 0; c < part.c; c++)
                        y.p[p * y.stride + c0 + c] = part.p[p * part.stride + c];
                c0 += part.c;
            }
        } else if (op == 10) {                         /* add */
            tensor b = get_tensor(model, arena, u16(r + 6));
            for (int p = 0; p < y.h * y.w; p++)
                for (int c = 0; c < y.c; c++) {
                    int32_t s1 = (int32_t)((uint32_t)(x.p[p * x.stride + c] - x.zp) << prm[0]);
                    int32_t s2 = (int32_t)((uint32_t)(b.p[p * b.stride + c] - b.zp) << prm[0]);
                    int32_t sum = requant(s1, prm[1], prm[2]) + requant(s2, prm[3], prm[4]);
                    y.p[p * y.stride + c] = (int8_t)clamp(requant(sum, prm[5], prm[6]) + y.zp, amin, amax);
                }
        } else {
            return -1;
        }
    }
    tensor out = get_tensor(model, arena, u16(model + 22));
    int count = out.h * out.w * out.c;
    for (int i = 0; i < count; i++) output[i] = out.p[i];
    return count;
}

int naive_int8_quantize_input(const uint8_t *model, const float *x, int8_t *q, int count) {
    const uint8_t *r = model + u32(model + 28) + 32 * u16(model + 20);
    if (count != u16(r + 4) * u16(r + 6) * u16(r + 8)) return -1;
    int32_t zp = (int32_t)u32(r + 12);
    float scale;
    memcpy(&scale, r + 16, 4);
    for (int i = 0; i < count; i++) {
        float v = x[i] / scale;
        if (v != v) v = 0;
        v = roundf(v);                                 /* half away from zero */
        v = v < -1000 ? -1000 : (v > 1000 ? 1000 : v);
        q[i] = (int8_t)clamp((int32_t)v + zp, -128, 127);
    }
    return count;
}
