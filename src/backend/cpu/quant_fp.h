/* quant_fp.h -- the floating-point quantisation modes (mxfp4, mxfp8, nvfp4)
 * of the CPU quantisation kernels (src/backend/cpu/quant.c dispatches). */
#ifndef EMBER_CPU_QUANT_FP_H
#define EMBER_CPU_QUANT_FP_H

#include <stdint.h>

#include "../../ops/primitives.h"

/* Decode tables of one mode: the 16 fp4 or 256 fp8 element values and the
 * 256 scale values (e8m0 for mx*, e4m3 for nvfp4, times the global scale's
 * factor when there is one). */
typedef struct {
    float elem[256];
    float scale[256];
} fpq_tables;

void fpq_tables_init(fpq_tables *t, int mode, const float *global_scale);

/* Quantises rows of K floats (the values of dtype p->round_dt, or float32):
 * packed codes q (rows, K*bits/32) and scale codes s (rows, K/gs). */
void fpq_quantize_rows(const float *w, int64_t rows, int64_t K, const em_quant_params *p,
                       const float *global_scale, uint32_t *q, uint8_t *s);

/* Dequantises n elements of one packed row from element k0 (a multiple of
 * the group size) into out, with the row's scale codes. */
void fpq_dequant_row(const fpq_tables *t, const uint32_t *row, const uint8_t *s, int64_t k0,
                     int64_t n, int gs, int bits, float *out);

/* sum over the row's groups of scale_g * (decoded codes_g . x_g): one row of
 * W (K = ng * gs elements) dotted with x, vectorised where the CPU allows. */
float fpq_dot(const fpq_tables *t, const uint32_t *row, const uint8_t *s, const float *x,
              int64_t ng, int gs, int bits);

#endif
