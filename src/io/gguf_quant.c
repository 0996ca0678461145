/* gguf_quant.c -- GGUF's block-quantized tensors, converted as MLX loads
 * them: Q4_0, Q4_1 and Q8_0 become MLX's affine quantization (packed uint32
 * weights, float16 scales and biases, groups of 32); Q2_K, Q4_K and Q6_K are
 * dequantized to float16 (ggml's reference arithmetic). The caller has
 * checked that `blocks` holds nblocks whole blocks. */
#include <string.h>

#include "../core/half.h"
#include "gguf_quant.h"

static float h2f(const uint8_t *p) {
    em_f16 h = {io_le16(p)};
    return em_f16_to_f32(h);
}
static void put_f16(uint8_t *p, float v) {
    em_f16 h = em_f32_to_f16(v);
    io_put16(p, h.bits);
}

/* 32 4-bit values of a Q4 block, as MLX packs them: element i in bits
 * 4 * (i % 8) of 32-bit word i / 8 (GGUF keeps elements 0-15 in the low
 * nibbles and 16-31 in the high ones). */
static void pack_q4(const uint8_t *qs, uint8_t *w) {
    for (int j = 0; j < 8; j++) {
        w[j] = (uint8_t)((qs[2 * j] & 0x0F) | (qs[2 * j + 1] & 0x0F) << 4);
        w[8 + j] = (uint8_t)(qs[2 * j] >> 4 | (qs[2 * j + 1] >> 4) << 4);
    }
}

void gguf_to_mlx_quant(gguf_qtype t, const uint8_t *blocks, size_t nblocks, uint8_t *w,
                       uint8_t *scales, uint8_t *biases) {
    for (size_t b = 0; b < nblocks; b++) {
        switch (t) {
        case GGUF_Q4_0: {
            const uint8_t *q = blocks + 18 * b;
            float d = h2f(q);
            memcpy(scales + 2 * b, q, 2);
            put_f16(biases + 2 * b, -8.0f * d);
            pack_q4(q + 2, w + 16 * b);
            break;
        }
        case GGUF_Q4_1: {
            const uint8_t *q = blocks + 20 * b;
            memcpy(scales + 2 * b, q, 2);
            memcpy(biases + 2 * b, q + 2, 2);
            pack_q4(q + 4, w + 16 * b);
            break;
        }
        case GGUF_Q8_0: {
            const uint8_t *q = blocks + 34 * b;
            float d = h2f(q);
            memcpy(scales + 2 * b, q, 2);
            put_f16(biases + 2 * b, -128.0f * d);
            for (int j = 0; j < 32; j++) w[32 * b + (size_t)j] = (uint8_t)(q[2 + j] + 128);
            break;
        }
        default: break;
        }
    }
}

/* ggml's get_scale_min_k4: the 6-bit scale and min j of a Q4_K block. */
static void scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m) {
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

static void q2_k(const uint8_t *x, float *y) {
    const uint8_t *scales = x, *q = x + 16;
    float d = h2f(x + 80), min = h2f(x + 82);
    int is = 0;
    for (int n = 0; n < 256; n += 128) {
        int shift = 0;
        for (int j = 0; j < 4; j++) {
            for (int half = 0; half < 2; half++) {
                uint8_t sc = scales[is++];
                float dl = d * (float)(sc & 0xF), ml = min * (float)(sc >> 4);
                for (int l = 0; l < 16; l++)
                    *y++ = dl * (float)((q[l + 16 * half] >> shift) & 3) - ml;
            }
            shift += 2;
        }
        q += 32;
    }
}

static void q4_k(const uint8_t *x, float *y) {
    float d = h2f(x), min = h2f(x + 2);
    const uint8_t *scales = x + 4, *q = x + 16;
    int is = 0;
    for (int j = 0; j < 256; j += 64) {
        uint8_t sc, m;
        scale_min_k4(is, scales, &sc, &m);
        float d1 = d * sc, m1 = min * m;
        scale_min_k4(is + 1, scales, &sc, &m);
        float d2 = d * sc, m2 = min * m;
        for (int l = 0; l < 32; l++) *y++ = d1 * (float)(q[l] & 0xF) - m1;
        for (int l = 0; l < 32; l++) *y++ = d2 * (float)(q[l] >> 4) - m2;
        q += 32;
        is += 2;
    }
}

static void q6_k(const uint8_t *x, float *y) {
    const uint8_t *ql = x, *qh = x + 128;
    const int8_t *sc = (const int8_t *)(x + 192);
    float d = h2f(x + 208);
    for (int n = 0; n < 256; n += 128) {
        for (int l = 0; l < 32; l++) {
            int is = l / 16;
            int q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32;
            int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            y[l] = d * sc[is] * (float)q1;
            y[l + 32] = d * sc[is + 2] * (float)q2;
            y[l + 64] = d * sc[is + 4] * (float)q3;
            y[l + 96] = d * sc[is + 6] * (float)q4;
        }
        y += 128;
        ql += 64;
        qh += 32;
        sc += 8;
    }
}

void gguf_dequant_f16(gguf_qtype t, const uint8_t *blocks, size_t nblocks, uint8_t *out) {
    float y[256];
    size_t ts = t == GGUF_Q2_K ? 84 : t == GGUF_Q4_K ? 144 : 210;
    for (size_t b = 0; b < nblocks; b++) {
        const uint8_t *x = blocks + ts * b;
        if (t == GGUF_Q2_K) q2_k(x, y);
        else if (t == GGUF_Q4_K) q4_k(x, y);
        else q6_k(x, y);
        for (int i = 0; i < 256; i++) put_f16(out + 2 * (256 * b + (size_t)i), y[i]);
    }
}
