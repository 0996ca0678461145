/* fuzz_safetensors.c -- libFuzzer target for .safetensors files (see fuzz_common.h). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_one(data, size, EM_FORMAT_SAFETENSORS);
}
