/*
 * minnow_vectors.h — one model and its test vectors, under fixed names, for the
 * C host example (firmware-sim/c-host) and the Cortex-M4 firmware
 * (firmware-sim/cortex-m/firmware).
 *
 * The definitions come from a small glue file that firmware-sim/vectors/glue.sh
 * writes for one model, from either
 *   - the C arrays of `export-int8 --c-array DIR` (or minnow-fixtures): DIR/<sym>_model.h/.c
 *     with the model bytes, quantized test images, labels and the Swift engine's
 *     int8 outputs; or
 *   - a bare model file (.mnw): the model bytes only (mv_test_count = 0).
 * The glue also defines the static arena, sized exactly to the model's plan.
 */
#ifndef MINNOW_VECTORS_H
#define MINNOW_VECTORS_H
#include <stddef.h>
#include <stdint.h>

extern const char mv_symbol[];            /* the C array's symbol base, e.g. "lenet5" */
extern const uint8_t *const mv_model;     /* the model file bytes, 16-byte aligned */
extern const size_t mv_model_size;
extern const uint32_t mv_test_count;      /* 0 when built from a bare model file */
extern const uint32_t mv_input_size;      /* int8 values per test image */
extern const uint32_t mv_output_size;     /* int8 values per output */
extern const int8_t *const mv_test_inputs;    /* [mv_test_count][mv_input_size], quantized */
extern const uint8_t *const mv_test_labels;   /* [mv_test_count] */
extern const int8_t *const mv_test_outputs;   /* [mv_test_count][mv_output_size], the Swift engine's */

/* A static arena of exactly the model's arena size (from the model header), 16-byte
 * aligned; in .bss, so a firmware's footprint counts it. */
extern uint8_t minnow_arena[];
extern const size_t minnow_arena_bytes;
#endif
