/*
 * startup.c — reset, vector table, semihosting console/exit, fault reporting and
 * stack high-water measurement for Minnow firmware on a Cortex-M4
 * (QEMU's mps2-an386; also any ARMv7E-M part with the memory map of mps2-an386.ld).
 *
 * Reset: paint the stack with a pattern, copy .data from flash, zero .bss, run
 * C constructors (.init_array), call main(), exit through semihosting
 * SYS_EXIT_EXTENDED so main()'s return value becomes QEMU's exit status.
 *
 * No newlib stdio is used: nothing here needs malloc. Build with -nostartfiles.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>

#include "minnow_cm.h"

/* ---- Symbols from mps2-an386.ld ---- */
extern uint32_t __data_load__[];
extern uint32_t __data_start__[];
extern uint32_t __data_end__[];
extern uint32_t __bss_start__[];
extern uint32_t __bss_end__[];
extern uint32_t __stack_bottom__[];
extern uint32_t __stack_top__[];
typedef void (*mc_init_fn)(void);
extern mc_init_fn __init_array_start[];
extern mc_init_fn __init_array_end[];

extern int main(void);

#define MC_STACK_PAINT 0xC5A5C5A5u

/* ---- Semihosting ---- */
#define SH_SYS_WRITEC 0x03
#define SH_SYS_WRITE0 0x04
#define SH_SYS_EXIT 0x18
#define SH_SYS_EXIT_EXTENDED 0x20
#define SH_ADP_STOPPED_APPLICATION_EXIT 0x20026
#define SH_ADP_STOPPED_RUNTIME_ERROR 0x20023

static inline int mc_semihost(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void mc_putc(char c)
{
    mc_semihost(SH_SYS_WRITEC, &c);
}

void mc_puts(const char *s)
{
    mc_semihost(SH_SYS_WRITE0, s);
}

__attribute__((noreturn)) void mc_exit(int code)
{
    uint32_t block[2] = { SH_ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code };
    mc_semihost(SH_SYS_EXIT_EXTENDED, block);
    /* Fallback for a host without SYS_EXIT_EXTENDED: only success/failure survives. */
    mc_semihost(SH_SYS_EXIT, (const void *)(uintptr_t)(code == 0 ? SH_ADP_STOPPED_APPLICATION_EXIT
                                                                  : SH_ADP_STOPPED_RUNTIME_ERROR));
    for (;;) {
        __asm__ volatile("wfi");
    }
}

/* Embedded Swift's print() writes through putchar: send it to the semihosting
 * console (newlib's putchar would pull in stdio and malloc). One trap per
 * character: for diagnostics, not for bulk output. */
int putchar(int c)
{
    mc_putc((char)c);
    return (unsigned char)c;
}

/* ---- mc_printf: buffered, integer-only ---- */

struct mc_out {
    char buf[128];
    unsigned len;
    int total;
};

static void mc_out_flush(struct mc_out *o)
{
    if (o->len) {
        o->buf[o->len] = '\0';
        mc_puts(o->buf);
        o->len = 0;
    }
}

static void mc_out_char(struct mc_out *o, char c)
{
    if (o->len >= sizeof o->buf - 1) {
        mc_out_flush(o);
    }
    o->buf[o->len++] = c;
    o->total++;
}

static void mc_out_repeat(struct mc_out *o, char c, int n)
{
    while (n-- > 0) {
        mc_out_char(o, c);
    }
}

static void mc_out_number(struct mc_out *o, unsigned long long v, int negative, unsigned base, int upper,
                          int width, int zero_pad, int left)
{
    char digits[24];
    int n = 0;
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        digits[n++] = set[v % base];
        v /= base;
    } while (v != 0);
    int len = n + (negative ? 1 : 0);
    if (!left && !zero_pad) {
        mc_out_repeat(o, ' ', width - len);
    }
    if (negative) {
        mc_out_char(o, '-');
    }
    if (!left && zero_pad) {
        mc_out_repeat(o, '0', width - len);
    }
    while (n > 0) {
        mc_out_char(o, digits[--n]);
    }
    if (left) {
        mc_out_repeat(o, ' ', width - len);
    }
}

int mc_printf(const char *fmt, ...)
{
    struct mc_out o;
    o.len = 0;
    o.total = 0;
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            mc_out_char(&o, *p);
            continue;
        }
        p++;
        int left = 0, zero_pad = 0, width = 0, lng = 0;
        for (;; p++) {
            if (*p == '-') {
                left = 1;
            } else if (*p == '0') {
                zero_pad = 1;
            } else {
                break;
            }
        }
        while (*p >= '0' && *p <= '9') {
            width = width * 10 + (*p++ - '0');
        }
        if (*p == 'z') { /* size_t is unsigned long on this target */
            lng = 1;
            p++;
        } else if (*p == 'l') {
            lng = 1;
            p++;
            if (*p == 'l') {
                lng = 2;
                p++;
            }
        }
        switch (*p) {
        case 'd':
        case 'i': {
            long long v = lng == 2 ? va_arg(ap, long long) : lng == 1 ? (long long)va_arg(ap, long) : va_arg(ap, int);
            unsigned long long mag = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
            mc_out_number(&o, mag, v < 0, 10, 0, width, zero_pad, left);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            unsigned long long v = lng == 2 ? va_arg(ap, unsigned long long)
                                 : lng == 1 ? (unsigned long long)va_arg(ap, unsigned long)
                                            : va_arg(ap, unsigned int);
            mc_out_number(&o, v, 0, *p == 'u' ? 10 : 16, *p == 'X', width, zero_pad, left);
            break;
        }
        case 'c':
            mc_out_char(&o, (char)va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) {
                s = "(null)";
            }
            int len = 0;
            while (s[len]) {
                len++;
            }
            if (!left) {
                mc_out_repeat(&o, ' ', width - len);
            }
            while (*s) {
                mc_out_char(&o, *s++);
            }
            if (left) {
                mc_out_repeat(&o, ' ', width - len);
            }
            break;
        }
        case '%':
            mc_out_char(&o, '%');
            break;
        case '\0':
            p--;
            break;
        default:
            mc_out_char(&o, '%');
            mc_out_char(&o, *p);
            break;
        }
    }
    va_end(ap);
    mc_out_flush(&o);
    return o.total;
}

/* ---- Stack high-water mark ---- */

size_t minnow_stack_size_bytes(void)
{
    return (size_t)((uintptr_t)__stack_top__ - (uintptr_t)__stack_bottom__);
}

size_t minnow_stack_high_water_bytes(void)
{
    const volatile uint32_t *p = __stack_bottom__;
    const volatile uint32_t *top = __stack_top__;
    while (p < top && *p == MC_STACK_PAINT) {
        p++;
    }
    return (size_t)((uintptr_t)top - (uintptr_t)p);
}

__attribute__((noinline)) void mc_stack_repaint(void)
{
    uintptr_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    volatile uint32_t *p = __stack_bottom__;
    volatile uint32_t *end = (volatile uint32_t *)((sp - 32u) & ~(uintptr_t)3u);
    while (p < end) {
        *p++ = MC_STACK_PAINT;
    }
}

/* ---- Markers for instruction counting (see count.sh) ---- */

__attribute__((noinline, used)) void minnow_mark_begin(void)
{
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline, used)) void minnow_mark_end(void)
{
    __asm__ volatile("" ::: "memory");
}

/* One byte per segment id; the plugin sees which byte a store hits (the id is in
 * the address, as API version 1 plugins cannot read registers or memory). */
volatile uint8_t minnow_segment_marks[256] __attribute__((used));

__attribute__((noinline, used)) void minnow_mark_segment(unsigned id)
{
    minnow_segment_marks[id > MINNOW_SEGMENT_END ? MINNOW_SEGMENT_END : id] = 1;
}

__attribute__((noinline, used)) void minnow_mark_segment_end(void)
{
    minnow_mark_segment(MINNOW_SEGMENT_END);
}

/* ---- Reset ---- */

__attribute__((noreturn, used)) void mc_reset_c(void);

/* Entered with SP = __stack_top__ (from the vector table). Paints the whole stack
 * before anything has been pushed, then continues in C. */
__attribute__((naked, noreturn)) void Reset_Handler(void)
{
    __asm__ volatile(
        "    ldr   r0, =__stack_top__      \n"
        "    mov   sp, r0                  \n"
        "    ldr   r1, =__stack_bottom__   \n"
        "    ldr   r2, =0xC5A5C5A5         \n"
        "1:  cmp   r1, r0                  \n"
        "    bhs   2f                      \n"
        "    str   r2, [r1], #4            \n"
        "    b     1b                      \n"
        "2:  b     mc_reset_c              \n"
        "    .ltorg                        \n");
}

void mc_reset_c(void)
{
    uint32_t *src = __data_load__;
    uint32_t *dst = __data_start__;
    while (dst < __data_end__) {
        *dst++ = *src++;
    }
    for (uint32_t *p = __bss_start__; p < __bss_end__; p++) {
        *p = 0;
    }
    for (mc_init_fn *f = __init_array_start; f < __init_array_end; f++) {
        (*f)();
    }
    int rc = main();
    mc_printf("[minnow-cm] main returned %d; stack high water %u of %u bytes\n", rc,
              (unsigned)minnow_stack_high_water_bytes(), (unsigned)minnow_stack_size_bytes());
    mc_exit(rc);
}

/* Embedded Swift seeds its Hasher (Set, Dictionary, hashValue) and
 * SystemRandomNumberGenerator with arc4random_buf. Bare metal has no entropy
 * source (newlib's version needs getentropy/_getpid/_kill): give a fixed,
 * deterministic byte stream instead, so runs stay reproducible.
 * tools/check-no-allocator.sh reports which engine functions reach it. */
void arc4random_buf(void *buf, size_t n)
{
    static uint32_t state = 0x2545F491u;
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        p[i] = (uint8_t)state;
    }
}

/* Stubs so -nostartfiles links even if a library object mentions them. */
void _init(void) {}
void _fini(void) {}

/* ---- Faults ---- */

#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_MMFAR (*(volatile uint32_t *)0xE000ED34u)
#define SCB_BFAR (*(volatile uint32_t *)0xE000ED38u)

static const char *mc_exception_name(unsigned n)
{
    switch (n) {
    case 2: return "NMI";
    case 3: return "HardFault";
    case 4: return "MemManage";
    case 5: return "BusFault";
    case 6: return "UsageFault";
    case 11: return "SVCall";
    case 12: return "DebugMonitor";
    case 14: return "PendSV";
    case 15: return "SysTick";
    default: return n >= 16 ? "IRQ" : "reserved";
    }
}

/* frame: the exception stack frame r0 r1 r2 r3 r12 lr pc xpsr. */
__attribute__((noreturn, used)) void mc_fault_report(const uint32_t *frame, uint32_t exc_return)
{
    unsigned n = SCB_ICSR & 0x1FFu;
    mc_printf("\n[minnow-cm] FAULT: %s (exception %u)\n", mc_exception_name(n), n);
    mc_printf("[minnow-cm]   pc=0x%08x lr=0x%08x xpsr=0x%08x sp=0x%08x exc_return=0x%08x\n",
              (unsigned)frame[6], (unsigned)frame[5], (unsigned)frame[7], (unsigned)(uintptr_t)frame,
              (unsigned)exc_return);
    mc_printf("[minnow-cm]   r0=0x%08x r1=0x%08x r2=0x%08x r3=0x%08x r12=0x%08x\n", (unsigned)frame[0],
              (unsigned)frame[1], (unsigned)frame[2], (unsigned)frame[3], (unsigned)frame[4]);
    mc_printf("[minnow-cm]   CFSR=0x%08x HFSR=0x%08x MMFAR=0x%08x BFAR=0x%08x\n", (unsigned)SCB_CFSR,
              (unsigned)SCB_HFSR, (unsigned)SCB_MMFAR, (unsigned)SCB_BFAR);
    uint32_t cfsr = SCB_CFSR;
    if (cfsr & (1u << 16)) {
        mc_puts("[minnow-cm]   UNDEFINSTR: an undefined instruction - Embedded Swift traps this way "
                "(overflow, out of bounds, precondition, fatalError)\n");
    }
    if (cfsr & (1u << 24)) {
        mc_puts("[minnow-cm]   UNALIGNED access\n");
    }
    if (cfsr & (1u << 25)) {
        mc_puts("[minnow-cm]   DIVBYZERO\n");
    }
    if (cfsr & 0x8200u) {
        mc_puts("[minnow-cm]   precise bus error at BFAR (bad address)\n");
    }
    if (cfsr & (1u << 17)) {
        mc_puts("[minnow-cm]   INVSTATE (jump to an address without the Thumb bit?)\n");
    }
    mc_puts("[minnow-cm]   (firmware-sim/cortex-m/symbolize.sh APP.elf PC names the function)\n");
    if ((uintptr_t)frame < (uintptr_t)__stack_bottom__ + 64u) {
        mc_puts("[minnow-cm]   (stack pointer at the bottom of the stack region: stack overflow?)\n");
    }
    mc_exit((n >= 3 && n <= 6) ? MC_EXIT_HARDFAULT : MC_EXIT_UNEXPECTED_IRQ);
}

/* All faults and unexpected exceptions: pass the active stack frame to the reporter. */
__attribute__((naked)) void Fault_Handler(void)
{
    __asm__ volatile(
        "    tst   lr, #4                  \n"
        "    ite   eq                      \n"
        "    mrseq r0, msp                 \n"
        "    mrsne r0, psp                 \n"
        "    mov   r1, lr                  \n"
        "    b     mc_fault_report         \n");
}

/* ---- Vector table ---- */

#define MC_IRQ_VECTORS 48 /* mps2-an386 has fewer external interrupts than this */

__attribute__((section(".vectors"), used)) const void *const mc_vector_table[16 + MC_IRQ_VECTORS] = {
    [0] = __stack_top__,
    [1] = (const void *)Reset_Handler,
    [2] = (const void *)Fault_Handler,  /* NMI */
    [3] = (const void *)Fault_Handler,  /* HardFault */
    [4] = (const void *)Fault_Handler,  /* MemManage */
    [5] = (const void *)Fault_Handler,  /* BusFault */
    [6] = (const void *)Fault_Handler,  /* UsageFault */
    [11] = (const void *)Fault_Handler, /* SVCall */
    [12] = (const void *)Fault_Handler, /* DebugMonitor */
    [14] = (const void *)Fault_Handler, /* PendSV */
    [15] = (const void *)Fault_Handler, /* SysTick */
    [16 ... 16 + MC_IRQ_VECTORS - 1] = (const void *)Fault_Handler,
};
