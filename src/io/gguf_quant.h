/* gguf_quant.h -- GGUF's quantized tensor types as MLX loads them. */
#ifndef EM_IO_GGUF_QUANT_H
#define EM_IO_GGUF_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"

typedef enum {
    GGUF_Q4_0 = 2, GGUF_Q4_1 = 3, GGUF_Q8_0 = 8,
    GGUF_Q2_K = 10, GGUF_Q4_K = 12, GGUF_Q6_K = 14
} gguf_qtype;

/* Q4_0, Q4_1, Q8_0 -> MLX's affine quantization with groups of 32: for
 * nblocks blocks, writes 16 (4-bit) or 32 (8-bit) bytes of packed weights,
 * and one float16 scale and bias, per block. */
void gguf_to_mlx_quant(gguf_qtype t, const uint8_t *blocks, size_t nblocks, uint8_t *w,
                       uint8_t *scales, uint8_t *biases);
/* Q2_K, Q4_K, Q6_K -> float16 (256 values, 512 bytes, per block). */
void gguf_dequant_f16(gguf_qtype t, const uint8_t *blocks, size_t nblocks, uint8_t *out);

#endif
