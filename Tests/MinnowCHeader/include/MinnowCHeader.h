/* The C API header as a Clang module for the Swift tests (Tests/MinnowCTests):
 * the tests call the @_cdecl entry points through these C declarations and C
 * struct layouts, exactly as a C program does. */
#ifndef MINNOW_C_HEADER_TESTS_H
#define MINNOW_C_HEADER_TESTS_H
#include "../../../Sources/MinnowC/include/minnow.h"

/* sizeof/alignof/offsetof as the C compiler sees them, for the layout tests. */
size_t minnow_test_sizeof_engine(void);
size_t minnow_test_alignof_engine(void);
size_t minnow_test_sizeof_tensor_info(void);
size_t minnow_test_sizeof_layer_info(void);
#endif
