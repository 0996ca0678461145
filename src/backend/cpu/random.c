/* random.c -- the CPU kernel of RANDOM_BITS: counter-based Threefry-2x32
 * (20 rounds) laid out exactly as MLX lays it, so a key gives MLX's numbers.
 *
 * Layout, per key (k0, k1): the key's share of the output is B bytes, read as
 * W = ceil(B / 4) little-endian 32-bit words (the last one cut to B's bytes).
 * With H = W / 2 and O = H + (W odd), block j < H hashes the counter
 * (j, O + j) and writes its two halves to words j and O + j; when W is odd,
 * word H is the first half of the hash of (H, 0). Words are independent, so
 * large outputs are split over the pool by counter, and results never depend
 * on the thread count. */
#include <string.h>

#include "kernels.h"
#include "pool.h"

static inline uint32_t rotl32(uint32_t x, unsigned r) { return (x << r) | (x >> (32u - r)); }

/* Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as
 * easy as 1, 2, 3", 2011): five groups of four rounds, a key injection after
 * each group. */
static inline void threefry2x32(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, uint32_t *o0,
                                uint32_t *o1) {
    static const unsigned rot[2][4] = {{13, 15, 26, 6}, {17, 29, 16, 24}};
    const uint32_t ks[3] = {k0, k1, k0 ^ k1 ^ 0x1BD11BDAu};
    uint32_t x0 = c0 + ks[0], x1 = c1 + ks[1];
    for (unsigned g = 0; g < 5; g++) {
        for (unsigned r = 0; r < 4; r++) {
            x0 += x1;
            x1 = rotl32(x1, rot[g & 1][r]);
            x1 ^= x0;
        }
        x0 += ks[(g + 1) % 3];
        x1 += ks[(g + 2) % 3] + g + 1;
    }
    *o0 = x0;
    *o1 = x1;
}

/* Four blocks at once, lane i hashing (c0[i], c1[i]): the same rounds on
 * GCC/clang vector types (one SSE2 register each; 32-byte vectors would
 * change the ABI without AVX), which is where the time goes. */
typedef uint32_t u32x4 __attribute__((vector_size(16)));

static inline u32x4 rotl4(u32x4 x, unsigned r) { return (x << r) | (x >> (32u - r)); }

static inline void threefry2x32_x4(uint32_t k0, uint32_t k1, u32x4 c0, u32x4 c1, u32x4 *o0, u32x4 *o1) {
    static const unsigned rot[2][4] = {{13, 15, 26, 6}, {17, 29, 16, 24}};
    const uint32_t ks[3] = {k0, k1, k0 ^ k1 ^ 0x1BD11BDAu};
    u32x4 x0 = c0 + ks[0], x1 = c1 + ks[1];
    for (unsigned g = 0; g < 5; g++) {
        for (unsigned r = 0; r < 4; r++) {
            x0 += x1;
            x1 = rotl4(x1, rot[g & 1][r]);
            x1 ^= x0;
        }
        x0 += ks[(g + 1) % 3];
        x1 += ks[(g + 2) % 3] + g + 1;
    }
    *o0 = x0;
    *o1 = x1;
}

/* Writes word w of a key's share (base, nbytes long), cut at its end. */
static inline void put_word(unsigned char *base, size_t nbytes, size_t w, uint32_t v) {
    size_t off = 4 * w, n = nbytes - off < 4 ? nbytes - off : 4;
    memcpy(base + off, &v, n); /* little-endian hosts, as MLX */
}

typedef struct {
    unsigned char *out;
    size_t bytes_per_key;
    const uint32_t *key;  /* the key array's data */
    const int64_t *kshape, *kstrides;
    int kndim;
} bits_job;

/* The element at flat row-major index i of the key array. */
static uint32_t key_elem(const bits_job *j, int64_t i) {
    int64_t off = 0;
    for (int d = j->kndim - 1; d >= 0; d--) {
        int64_t n = j->kshape[d];
        off += (i % n) * j->kstrides[d];
        i /= n;
    }
    return j->key[off];
}

/* Blocks [b, e) of one key's share. */
static void key_blocks(unsigned char *base, size_t nbytes, uint32_t k0, uint32_t k1, int64_t b,
                       int64_t e) {
    size_t words = (nbytes + 3) / 4, half = words / 2, odd = words & 1, o = half + odd;
    /* blocks whose two words are whole, four at a time */
    size_t whole = nbytes / 4, vend = half < whole - o ? half : whole - o; /* o <= whole when half > 0 */
    if (half == 0) vend = 0;
    const u32x4 lane = {0, 1, 2, 3};
    for (; b + 4 <= e && (size_t)b + 4 <= vend; b += 4) {
        u32x4 c0 = lane + (uint32_t)b, r0, r1;
        threefry2x32_x4(k0, k1, c0, c0 + (uint32_t)o, &r0, &r1);
        memcpy(base + 4 * (size_t)b, &r0, sizeof r0);
        memcpy(base + 4 * (o + (size_t)b), &r1, sizeof r1);
    }
    for (int64_t c = b; c < e; c++) {
        uint32_t r0, r1;
        if ((size_t)c < half) {
            threefry2x32(k0, k1, (uint32_t)c, (uint32_t)(o + (size_t)c), &r0, &r1);
            put_word(base, nbytes, (size_t)c, r0);
            put_word(base, nbytes, o + (size_t)c, r1);
        } else { /* c == half, W odd: the middle word */
            threefry2x32(k0, k1, (uint32_t)half, 0, &r0, &r1);
            put_word(base, nbytes, half, r0);
        }
    }
}

static int64_t blocks_of(size_t nbytes) {
    size_t words = (nbytes + 3) / 4;
    return (int64_t)(words / 2 + (words & 1));
}

/* One key's blocks [b, e): a single key's output spread over the pool. */
typedef struct { const bits_job *j; uint32_t k0, k1; } one_key_job;

static void one_key_part(void *v, int64_t b, int64_t e) {
    const one_key_job *o = v;
    key_blocks(o->j->out, o->j->bytes_per_key, o->k0, o->k1, b, e);
}

/* Keys [b, e), each whole. */
static void keys_part(void *v, int64_t b, int64_t e) {
    const bits_job *j = v;
    for (int64_t i = b; i < e; i++)
        key_blocks(j->out + (size_t)i * j->bytes_per_key, j->bytes_per_key, key_elem(j, 2 * i),
                   key_elem(j, 2 * i + 1), 0, blocks_of(j->bytes_per_key));
}

static em_status random_bits(em_array *key, em_array *out) {
    int64_t nkeys = key->size / 2;
    if (out->size == 0 || nkeys == 0) return EM_OK;
    bits_job j = {(unsigned char *)array_ptr(out), (size_t)out->size * array_itemsize(out) / (size_t)nkeys,
                  (const uint32_t *)(const void *)array_ptr(key), key->shape, key->strides, key->ndim};
    int64_t blocks = blocks_of(j.bytes_per_key);
    /* about 64 bytes of output per block-equivalent of work: grains in blocks */
    if (nkeys == 1) {
        one_key_job o = {&j, key_elem(&j, 0), key_elem(&j, 1)};
        cpu_pool_parallel_for(blocks, CPU_GRAIN_ELEMS / 4, one_key_part, &o);
    } else {
        int64_t grain = (CPU_GRAIN_ELEMS / 4) / (blocks > 0 ? blocks : 1);
        cpu_pool_parallel_for(nkeys, grain > 0 ? grain : 1, keys_part, &j);
    }
    return EM_OK;
}

em_status cpu_random_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    switch (n->prim) {
    case EM_PRIM_RANDOM_BITS: return random_bits(in[0], out[0]);
    default: return cpu_unsupported(n, out[0]->dtype);
    }
}
