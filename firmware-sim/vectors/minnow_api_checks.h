/* minnow_api_checks.h — see minnow_api_checks.c. */
#ifndef MINNOW_API_CHECKS_H
#define MINNOW_API_CHECKS_H
#include <stddef.h>
#include <stdint.h>

/* Runs the error-path checks of every entry point. `model` is a valid model of
 * `model_len` bytes, `arena` a 16-aligned arena of at least `need` bytes that
 * the checks overwrite, `writable_copy` NULL or `model_len` writable 4-aligned bytes
 * (may be `model` itself if writable; enables the corrupt-model checks). Failures are printed with `print`; returns
 * their number and stores the number of status checks in *checks (may be NULL).
 * Leaves no engine initialised that the caller uses. */
int minnow_check_error_paths(const uint8_t *model, size_t model_len, uint8_t *writable_copy, void *arena, size_t need,
                              int (*print)(const char *fmt, ...), int *checks);
#endif
