// Heap allocation counter for the zero-allocation tests. Defining malloc and
// friends in the test executable interposes them for every library in the
// process; the real work is done by glibc's exported __libc_* allocators.
#include "MallocCounter.h"
#include <stddef.h>
#include <errno.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static __thread int counting;
static __thread long allocations;

static inline void note(void) { if (counting) allocations++; }

#if defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define MINNOW_ASAN 1
#  endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(MINNOW_ASAN)
#  define MINNOW_ASAN 1
#endif

#ifdef MINNOW_ASAN
// Under AddressSanitizer (tools/test-sanitizers.sh) ASan owns malloc: defining
// it here would hand ASan's pointers to glibc's free and crash the test binary.
// Count through ASan's allocation hooks instead (the same calls are counted).
extern int __sanitizer_install_malloc_and_free_hooks(void (*)(const volatile void *, size_t),
                                                     void (*)(const volatile void *));
static void malloc_hook(const volatile void *p, size_t n) { (void)p; (void)n; note(); }
static void free_hook(const volatile void *p) { if (p) note(); }
static int hooks_installed;

void minnow_allocation_count_begin(void) {
    if (!hooks_installed) {
        hooks_installed = 1;
        __sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook);
    }
    allocations = 0;
    counting = 1;
}
long minnow_allocation_count_end(void) { counting = 0; return allocations; }
#else
void minnow_allocation_count_begin(void) { allocations = 0; counting = 1; }
long minnow_allocation_count_end(void) { counting = 0; return allocations; }

void *malloc(size_t n) { note(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { note(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { note(); return __libc_realloc(p, n); }
void free(void *p) { if (p) note(); __libc_free(p); }
void *memalign(size_t a, size_t n) { note(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { note(); return __libc_memalign(a, n); }
void *valloc(size_t n) { note(); return __libc_memalign(4096, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    note();
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
#endif
