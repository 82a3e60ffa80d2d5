#ifndef MINNOW_MALLOC_COUNTER_H
#define MINNOW_MALLOC_COUNTER_H
/// Counts heap allocations made by the calling thread between begin and end.
/// The test binary interposes malloc, calloc, realloc, free and the aligned
/// allocators (forwarding to glibc's __libc_* functions); counting is per
/// thread so tests running in parallel do not disturb each other.
void minnow_allocation_count_begin(void);
long minnow_allocation_count_end(void);
#endif
