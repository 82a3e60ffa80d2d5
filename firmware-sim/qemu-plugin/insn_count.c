/*
 * insn_count.c — a QEMU TCG plugin that counts executed guest instructions exactly.
 *
 * Written for Minnow against QEMU's plugin API version 1 (QEMU 7.x). Debian's
 * QEMU ships no qemu-plugin.h, so the few types and functions used are declared
 * below; QEMU resolves them from its own executable when it loads the plugin.
 *
 * Arguments (each `-plugin insn_count.so,ARG,ARG...`):
 *   range=NAME:START:END    count instructions whose address is in [START, END)
 *                           (hex with 0x, or decimal); repeatable (up to 256).
 *                           "entries" counts executions of the instruction at START
 *                           (the number of calls when START is a function entry).
 *   window=NAME:BEGIN:END   inclusive counting between markers: every instruction
 *                           executed after the instruction at BEGIN runs and until
 *                           the instruction at END runs (callees included), summed
 *                           over all such windows; repeatable (up to 16).
 *   segments=FNSTART:FNEND:MARKS
 *                           numbered segments (e.g. one per layer), callees included:
 *                           the firmware stores to MARKS[id] (id 0..254) from code in
 *                           [FNSTART, FNEND) (startup.c's minnow_mark_segment) to start
 *                           segment `id`, which closes the segment open before; a store
 *                           to MARKS[255] closes without opening. API version 1 cannot
 *                           read registers or memory, so the id travels in the address.
 *   out=FILE                write the report to FILE instead of stderr.
 *
 * Report (at exit), one line each:
 *   insn_count total N
 *   insn_count range NAME START END insns N entries M
 *   insn_count window NAME BEGIN END insns N windows M
 *   insn_count segment ID insns N count M
 *
 * Counting uses inline adds generated into the translated code: one per
 * instruction for the total and one per (instruction, range) pair, so counts are
 * exact and identical run to run. (Counts are attributed when an instruction
 * starts; an instruction that faults is counted.) Single vCPU assumed.
 *
 * Build: gcc -O2 -shared -fPIC -o insn_count.so insn_count.c
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The subset of QEMU's plugin API (version 1) used here ---- */

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t qemu_info_t; /* only passed through */

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
typedef uint32_t qemu_plugin_meminfo_t;
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr,
                                          void *userdata);

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op, void *ptr,
                                                uint64_t imm);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;
QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv);

/* ---- State ---- */

#define MAX_RANGES 256
#define MAX_WINDOWS 16

struct range {
    char name[128];
    uint64_t start, end;
    uint64_t insns;
    uint64_t entries;
};

struct window {
    char name[128];
    uint64_t begin, end;
    uint64_t insns;
    uint64_t windows;
    uint64_t started_at;
    bool active;
};

static uint64_t total_insns;
static struct range ranges[MAX_RANGES];
static unsigned n_ranges;
static struct window windows[MAX_WINDOWS];
static unsigned n_windows;
#define N_SEGMENTS 256 /* ids 0..254; 255 = close */
static bool segments_on;
static uint64_t seg_fn_start, seg_fn_end, seg_marks;
static uint64_t seg_insns[N_SEGMENTS];
static uint64_t seg_count[N_SEGMENTS];
static int seg_open = -1;
static uint64_t seg_started_at;

static char *out_path;
static bool reported;
static bool installed;

/* ---- Execution-time callbacks (markers only; counting is inline) ---- */

static void window_begin(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    struct window *w = udata;
    if (!w->active) {
        w->active = true;
        w->started_at = total_insns;
    }
}

static void window_end(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    struct window *w = udata;
    if (w->active) {
        w->active = false;
        w->insns += total_insns - w->started_at;
        w->windows++;
    }
}

static void segment_store(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    (void)vcpu;
    (void)info;
    (void)udata;
    if (vaddr < seg_marks || vaddr >= seg_marks + N_SEGMENTS) {
        return;
    }
    unsigned id = (unsigned)(vaddr - seg_marks);
    if (seg_open >= 0) {
        seg_insns[seg_open] += total_insns - seg_started_at;
        seg_count[seg_open]++;
        seg_open = -1;
    }
    if (id != N_SEGMENTS - 1) {
        seg_open = (int)id;
        seg_started_at = total_insns;
    }
}

/* ---- Translation: attach counters to each instruction of a new block ---- */

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &total_insns, 1);
        for (unsigned r = 0; r < n_ranges; r++) {
            if (pc >= ranges[r].start && pc < ranges[r].end) {
                qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &ranges[r].insns, 1);
                if (pc == ranges[r].start) {
                    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                               &ranges[r].entries, 1);
                }
            }
        }
        if (segments_on && pc >= seg_fn_start && pc < seg_fn_end) {
            qemu_plugin_register_vcpu_mem_cb(insn, segment_store, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_W, NULL);
        }
        for (unsigned w = 0; w < n_windows; w++) {
            if (pc == windows[w].begin) {
                qemu_plugin_register_vcpu_insn_exec_cb(insn, window_begin, QEMU_PLUGIN_CB_NO_REGS, &windows[w]);
            }
            if (pc == windows[w].end) {
                qemu_plugin_register_vcpu_insn_exec_cb(insn, window_end, QEMU_PLUGIN_CB_NO_REGS, &windows[w]);
            }
        }
    }
}

/* ---- Report ---- */

static void report(void)
{
    if (reported || !installed) {
        return;
    }
    reported = true;
    FILE *f = stderr;
    if (out_path) {
        f = fopen(out_path, "w");
        if (!f) {
            fprintf(stderr, "insn_count: cannot write %s\n", out_path);
            f = stderr;
        }
    }
    fprintf(f, "insn_count total %" PRIu64 "\n", total_insns);
    for (unsigned r = 0; r < n_ranges; r++) {
        fprintf(f, "insn_count range %s 0x%08" PRIx64 " 0x%08" PRIx64 " insns %" PRIu64 " entries %" PRIu64 "\n",
                ranges[r].name, ranges[r].start, ranges[r].end, ranges[r].insns, ranges[r].entries);
    }
    for (unsigned w = 0; w < n_windows; w++) {
        fprintf(f, "insn_count window %s 0x%08" PRIx64 " 0x%08" PRIx64 " insns %" PRIu64 " windows %" PRIu64 "%s\n",
                windows[w].name, windows[w].begin, windows[w].end, windows[w].insns, windows[w].windows,
                windows[w].active ? " (last window still open at exit)" : "");
    }
    for (unsigned i = 0; i < N_SEGMENTS; i++) {
        if (seg_count[i] || (int)i == seg_open) {
            fprintf(f, "insn_count segment %u insns %" PRIu64 " count %" PRIu64 "%s\n", i, seg_insns[i], seg_count[i],
                    (int)i == seg_open ? " (still open at exit)" : "");
        }
    }
    fflush(f);
    if (f != stderr) {
        fclose(f);
    }
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    report();
}

/* The guest's semihosting exit ends QEMU with exit(); the destructor makes sure the
 * report is written even if the plugin's atexit callback has not run by then. */
__attribute__((destructor)) static void at_unload(void)
{
    report();
}

/* ---- Arguments ---- */

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!*s) {
        return false;
    }
    *v = strtoull(s, &end, 0);
    return *end == '\0';
}

/* "NAME:A:B" → name, a, b. NAME may not contain ':'. */
static bool parse_triple(const char *arg, char *name, size_t name_size, uint64_t *a, uint64_t *b)
{
    const char *c1 = strchr(arg, ':');
    if (!c1) {
        return false;
    }
    const char *c2 = strchr(c1 + 1, ':');
    if (!c2) {
        return false;
    }
    size_t len = (size_t)(c1 - arg);
    if (len == 0 || len >= name_size) {
        return false;
    }
    memcpy(name, arg, len);
    name[len] = '\0';
    char buf[64];
    size_t alen = (size_t)(c2 - c1 - 1);
    if (alen == 0 || alen >= sizeof buf) {
        return false;
    }
    memcpy(buf, c1 + 1, alen);
    buf[alen] = '\0';
    return parse_u64(buf, a) && parse_u64(c2 + 1, b);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "range=", 6) == 0) {
            if (n_ranges == MAX_RANGES) {
                fprintf(stderr, "insn_count: more than %d ranges\n", MAX_RANGES);
                return -1;
            }
            struct range *r = &ranges[n_ranges];
            if (!parse_triple(arg + 6, r->name, sizeof r->name, &r->start, &r->end) || r->end <= r->start) {
                fprintf(stderr, "insn_count: bad argument '%s' (want range=NAME:START:END, START < END)\n", arg);
                return -1;
            }
            n_ranges++;
        } else if (strncmp(arg, "window=", 7) == 0) {
            if (n_windows == MAX_WINDOWS) {
                fprintf(stderr, "insn_count: more than %d windows\n", MAX_WINDOWS);
                return -1;
            }
            struct window *w = &windows[n_windows];
            if (!parse_triple(arg + 7, w->name, sizeof w->name, &w->begin, &w->end)) {
                fprintf(stderr, "insn_count: bad argument '%s' (want window=NAME:BEGIN:END)\n", arg);
                return -1;
            }
            n_windows++;
        } else if (strncmp(arg, "segments=", 9) == 0) {
            char a[32], b[32], c[32];
            const char *v = arg + 9;
            const char *c1 = strchr(v, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
            bool ok = c1 && c2 && (size_t)(c1 - v) < sizeof a && (size_t)(c2 - c1 - 1) < sizeof b &&
                      strlen(c2 + 1) < sizeof c;
            if (ok) {
                memcpy(a, v, (size_t)(c1 - v));
                a[c1 - v] = '\0';
                memcpy(b, c1 + 1, (size_t)(c2 - c1 - 1));
                b[c2 - c1 - 1] = '\0';
                strcpy(c, c2 + 1);
                ok = parse_u64(a, &seg_fn_start) && parse_u64(b, &seg_fn_end) && parse_u64(c, &seg_marks) &&
                     seg_fn_start < seg_fn_end;
            }
            if (!ok) {
                fprintf(stderr, "insn_count: bad argument '%s' (want segments=FNSTART:FNEND:MARKS)\n", arg);
                return -1;
            }
            segments_on = true;
        } else if (strncmp(arg, "out=", 4) == 0) {
            out_path = strdup(arg + 4);
        } else {
            fprintf(stderr, "insn_count: unknown argument '%s'\n", arg);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    installed = true;
    return 0;
}
