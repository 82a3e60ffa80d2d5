#include "MinnowCHeader.h"
#include <stdalign.h>

size_t minnow_test_sizeof_engine(void) { return sizeof(minnow_engine); }
size_t minnow_test_alignof_engine(void) { return alignof(minnow_engine); }
size_t minnow_test_sizeof_tensor_info(void) { return sizeof(minnow_tensor_info); }
size_t minnow_test_sizeof_layer_info(void) { return sizeof(minnow_layer_info); }
