/*
 * minnow_cm.h — the Cortex-M4 harness services a firmware main() can use.
 *
 * Provided by startup.c (firmware-sim/cortex-m). Everything here works without
 * newlib's stdio, so a firmware that uses only these services contains no
 * allocator at all (newlib's printf would pull in malloc for its buffers).
 *
 * Output goes to the QEMU console through ARM semihosting (run QEMU with
 * -semihosting). main()'s return value becomes QEMU's exit status.
 */
#ifndef MINNOW_CM_H
#define MINNOW_CM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Console (semihosting SYS_WRITE0 / SYS_WRITEC) ---- */

/* Writes a NUL-terminated string (no newline added). */
void mc_puts(const char *s);
/* Writes one character. */
void mc_putc(char c);
/* A small printf: %d %i %u %x %X %c %s %% with optional '-', '0', width and the
 * 'l'/'ll'/'z' length modifiers (%lld, %llu, %llx, %zu). No floating point:
 * print fixed-point values as integers. Returns the number of characters written. */
int mc_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- Exit ---- */

/* Ends the program: QEMU exits with `code` (0..255) via semihosting
 * SYS_EXIT_EXTENDED. Returning `code` from main() does the same. */
__attribute__((noreturn)) void mc_exit(int code);

/* ---- Stack high-water mark ----
 * At reset the whole stack region is painted with a pattern; the high-water
 * mark is the deepest word no longer holding it. */

/* Bytes of stack ever used since reset (or since the last mc_stack_repaint()). */
size_t minnow_stack_high_water_bytes(void);
/* Size of the stack region (the linker's __stack_size). */
size_t minnow_stack_size_bytes(void);
/* Repaints the unused part of the stack below the current stack pointer, so the
 * next minnow_stack_high_water_bytes() measures from here on (e.g. one invoke). */
void mc_stack_repaint(void);

/* ---- Instruction-count markers ----
 * Empty, never-inlined functions. count.sh --window NAME=minnow_mark_begin:minnow_mark_end
 * counts every instruction executed between a call of the first and the next call
 * of the second (callees included), over all such windows. */
void minnow_mark_begin(void);
void minnow_mark_end(void);

/* Numbered segments (e.g. one per layer), callees included: minnow_mark_segment(id)
 * starts segment id (0..254) and closes the one open before; minnow_mark_segment_end()
 * closes without opening. count.sh reports instructions per id (summed over repeats,
 * with the number of repeats). Costs a few instructions when not counting. */
void minnow_mark_segment(unsigned id);
void minnow_mark_segment_end(void);
#define MINNOW_SEGMENT_END 255u

/* ---- Fault codes (QEMU exit status) ---- */
#define MC_EXIT_HARDFAULT 0xF1   /* 241: HardFault / MemManage / BusFault / UsageFault */
#define MC_EXIT_UNEXPECTED_IRQ 0xF2 /* 242: an exception with no handler */

#ifdef __cplusplus
}
#endif
#endif /* MINNOW_CM_H */
