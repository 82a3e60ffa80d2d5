/* A deliberately straightforward C implementation of the same int8 network a
 * Minnow model file describes (docs/model-format.md): plain loops, the TFLite
 * arithmetic with double rounding, the model's own arena plan. It is the
 * floor any engine must beat in tools/bench-engine.sh, and a second,
 * independent implementation the benchmark checks Minnow against bit for bit.
 * Not part of the library. */
#ifndef MINNOW_NAIVE_INT8_H
#define MINNOW_NAIVE_INT8_H
#include <stddef.h>
#include <stdint.h>

/* Runs `model` (a valid model file, 4-byte aligned) on `input` (the model
 * input's int8 values) using `arena` (at least the model's arena bytes).
 * Returns the number of output values written to `output`, or -1 for an op
 * this baseline does not implement (softmax). */
int naive_int8_run(const uint8_t *model, uint8_t *arena, const int8_t *input, int8_t *output);

/* Quantizes `count` real input values with the model input's scale and zero
 * point (x / scale rounded half away from zero, plus the zero point, saturated
 * to int8) into `q`. Returns `count`, or -1 if it differs from the input's size. */
int naive_int8_quantize_input(const uint8_t *model, const float *x, int8_t *q, int count);

#endif
