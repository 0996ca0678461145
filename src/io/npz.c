/* npz.c -- .npz files: a zip archive of .npy members, stored or deflated,
 * with zip64 as NumPy writes it. The reader trusts only the central
 * directory and checks every entry against it, the local headers and the
 * file's size; the writer reproduces Python's zipfile byte for byte (as
 * np.savez and np.savez_compressed call it). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../core/array.h"
#include "../core/error.h"
#include "../core/scope.h"
#include "io.h"

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_LOC64 0x07064b50u
#define ZIP64_LIMIT (((uint64_t)1 << 31) - 1) /* Python's zipfile threshold */
#define MAX_RATIO 1032                        /* deflate's largest expansion */

/* ---------------------------------------------------------------- names */

static const uint16_t cp437_high[128] = {
    0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7,
    0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
    0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9,
    0x00ff, 0x00d6, 0x00dc, 0x00a2, 0x00a3, 0x00a5, 0x20a7, 0x0192,
    0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba,
    0x00bf, 0x2310, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
    0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
    0x2555, 0x2563, 0x2551, 0x2557, 0x255d, 0x255c, 0x255b, 0x2510,
    0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x255e, 0x255f,
    0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x2567,
    0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256b,
    0x256a, 0x2518, 0x250c, 0x2588, 0x2584, 0x258c, 0x2590, 0x2580,
    0x03b1, 0x00df, 0x0393, 0x03c0, 0x03a3, 0x03c3, 0x00b5, 0x03c4,
    0x03a6, 0x0398, 0x03a9, 0x03b4, 0x221e, 0x03c6, 0x03b5, 0x2229,
    0x2261, 0x00b1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00f7, 0x2248,
    0x00b0, 0x2219, 0x00b7, 0x221a, 0x207f, 0x00b2, 0x25a0, 0x00a0,
};

/* A member name as UTF-8 (malloc'd into *out): as is when the UTF-8 flag is
 * set (and valid), else decoded from code page 437 as Python's zipfile does. */
static em_status decode_name(const io_src *s, const uint8_t *p, size_t n, bool utf8, char **out,
                             size_t *out_len) {
    if (utf8 && !io_utf8_valid(p, n))
        return io_fail(s, "a member name is flagged UTF-8 but is not valid UTF-8");
    char *d = malloc(3 * n + 1);
    if (!d) return error_status(EM_ERR_MEMORY, "[load_npz] Out of memory.");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = p[i];
        if (utf8 || c < 0x80) {
            d[k++] = (char)c;
        } else {
            c = cp437_high[c - 0x80];
            if (c < 0x800) {
                d[k++] = (char)(0xC0 | c >> 6);
            } else {
                d[k++] = (char)(0xE0 | c >> 12);
                d[k++] = (char)(0x80 | ((c >> 6) & 0x3F));
            }
            d[k++] = (char)(0x80 | (c & 0x3F));
        }
    }
    d[k] = '\0';
    *out = d;
    *out_len = k;
    return EM_OK;
}

/* ---------------------------------------------------------------- reading */

typedef struct {
    char *name;              /* UTF-8 */
    size_t name_len;
    uint8_t *raw;            /* the name's bytes as stored */
    uint16_t flags, method;
    uint32_t crc;
    uint64_t csize, usize, local, data, end;
} zentry;

/* Reads the zip64 extra field values that the central entry marks with
 * 0xFFFFFFFF, in the order the format fixes. */
static em_status zip64_extra(const io_src *s, const uint8_t *x, size_t n, zentry *e, bool need_u,
                             bool need_c, bool need_off) {
    size_t i = 0;
    while (n - i >= 4) {
        uint16_t tag = io_le16(x + i), len = io_le16(x + i + 2);
        if (len > n - i - 4) return io_fail(s, "an extra field of member '%s' runs past its end", e->name);
        if (tag == 1) {
            const uint8_t *v = x + i + 4;
            size_t need = 8u * (need_u + need_c + need_off);
            if (len < need)
                return io_fail(s, "the zip64 field of member '%s' is %u bytes, %zu needed", e->name,
                               len, need);
            if (need_u) e->usize = io_le64(v), v += 8;
            if (need_c) e->csize = io_le64(v), v += 8;
            if (need_off) e->local = io_le64(v);
            return EM_OK;
        }
        i += 4 + (size_t)len;
    }
    if (need_u || need_c || need_off)
        return io_fail(s, "member '%s' needs a zip64 extra field and has none", e->name);
    return EM_OK;
}

typedef struct {
    uint64_t count, cd_off, cd_size, eocd;
} zdir;

/* Finds the end of central directory record (and its zip64 form). */
static em_status find_eocd(const io_src *s, io_cur *c, zdir *d) {
    if (s->size < 22) return io_fail(s, "too short to be a zip file (%llu bytes)", (unsigned long long)s->size);
    uint64_t span = s->size < 22 + 65535 ? s->size : 22 + 65535;
    io_cur_init(c, s, s->size - span);
    const uint8_t *tail = io_cur_take(c, span, "the end of central directory");
    if (!tail) return em_error_code();
    uint64_t at = UINT64_MAX;
    for (uint64_t i = span - 22 + 1; i-- > 0;) {
        if (io_le32(tail + i) == SIG_EOCD && io_le16(tail + i + 20) <= span - i - 22) {
            at = i;
            break;
        }
    }
    if (at == UINT64_MAX) {
        if (s->size >= 4 && span >= 4 && io_le32(tail) == SIG_LOCAL)
            return io_fail(s, "the zip file is truncated (no end of central directory record)");
        return io_fail(s, "not a zip file (no end of central directory record)");
    }
    const uint8_t *r = tail + at;
    d->eocd = s->size - span + at;
    if (io_le16(r + 4) != 0 || io_le16(r + 6) != 0)
        return io_fail(s, "multi-disk zip files are not supported");
    d->count = io_le16(r + 10);
    d->cd_size = io_le32(r + 12);
    d->cd_off = io_le32(r + 16);
    if (io_le16(r + 8) != d->count) return io_fail(s, "the end record's entry counts disagree");
    if (d->eocd >= 20) {
        uint8_t loc[20];
        if (io_read(s, d->eocd - 20, loc, 20, "the zip64 locator") != EM_OK) return em_error_code();
        if (io_le32(loc) == SIG_LOC64) {
            uint64_t off = io_le64(loc + 8);
            uint8_t r64[56];
            if (off > d->eocd - 20 || d->eocd - 20 - off < 56)
                return io_fail(s, "the zip64 end record offset %llu is out of range",
                               (unsigned long long)off);
            if (io_read(s, off, r64, 56, "the zip64 end record") != EM_OK) return em_error_code();
            if (io_le32(r64) != SIG_EOCD64) return io_fail(s, "the zip64 end record is missing");
            if (io_le32(r64 + 16) != 0 || io_le32(r64 + 20) != 0)
                return io_fail(s, "multi-disk zip files are not supported");
            if (io_le64(r64 + 24) != io_le64(r64 + 32))
                return io_fail(s, "the zip64 end record's entry counts disagree");
            d->count = io_le64(r64 + 32);
            d->cd_size = io_le64(r64 + 40);
            d->cd_off = io_le64(r64 + 48);
            d->eocd = off;
        }
    }
    if (d->cd_off > d->eocd || d->cd_size != d->eocd - d->cd_off)
        return io_fail(s, "the central directory (offset %llu, %llu bytes) does not end where the "
                          "end record starts (%llu)", (unsigned long long)d->cd_off,
                       (unsigned long long)d->cd_size, (unsigned long long)d->eocd);
    if (d->count > d->cd_size / 46)
        return io_fail(s, "the central directory claims %llu entries but has room for %llu",
                       (unsigned long long)d->count, (unsigned long long)(d->cd_size / 46));
    return EM_OK;
}

static int by_local(const void *a, const void *b) {
    const zentry *x = a, *y = b;
    return x->local < y->local ? -1 : x->local > y->local;
}

/* Parses the central directory into entries (count of them), checking each
 * against its local header. */
static em_status read_entries(const io_src *s, const zdir *d, zentry *es) {
    io_cur c;
    io_cur_init(&c, s, d->cd_off);
    c.end = d->cd_off + d->cd_size;
    em_status st = EM_OK;
    for (uint64_t k = 0; k < d->count && st == EM_OK; k++) {
        zentry *e = &es[k];
        const uint8_t *h = io_cur_take(&c, 46, "a central directory entry");
        if (!h) { st = em_error_code(); break; }
        if (io_le32(h) != SIG_CENTRAL) {
            st = io_fail(s, "central directory entry %llu has a bad signature", (unsigned long long)k);
            break;
        }
        e->flags = io_le16(h + 8);
        e->method = io_le16(h + 10);
        e->crc = io_le32(h + 16);
        e->csize = io_le32(h + 20);
        e->usize = io_le32(h + 24);
        uint16_t nlen = io_le16(h + 28), xlen = io_le16(h + 30), clen = io_le16(h + 32);
        uint16_t disk = io_le16(h + 34);
        e->local = io_le32(h + 42);
        const uint8_t *name = io_cur_take(&c, nlen, "a member name");
        if (!name) { st = em_error_code(); break; }
        e->raw = malloc(nlen ? nlen : 1);
        if (!e->raw) { st = error_status(EM_ERR_MEMORY, "[load_npz] Out of memory."); break; }
        memcpy(e->raw, name, nlen);
        st = decode_name(s, name, nlen, e->flags & 0x800, &e->name, &e->name_len);
        if (st != EM_OK) break;
        const uint8_t *x = io_cur_take(&c, xlen, "a member's extra field");
        if (!x) { st = em_error_code(); break; }
        bool nu = e->usize == 0xFFFFFFFFu, nc = e->csize == 0xFFFFFFFFu,
             no = e->local == 0xFFFFFFFFu;
        st = zip64_extra(s, x, xlen, e, nu, nc, no);
        if (st != EM_OK) break;
        if (!io_cur_take(&c, clen, "a member's comment")) { st = em_error_code(); break; }
        if (disk != 0 && disk != 0xFFFF) { st = io_fail(s, "multi-disk zip files are not supported"); break; }
        if (e->flags & 0x41) { st = io_fail(s, "member '%s' is encrypted", e->name); break; }
        if (e->method != 0 && e->method != 8) {
            st = io_fail(s, "member '%s' uses compression method %u (only stored and deflated are "
                            "supported)", e->name, e->method);
            break;
        }
        /* the local header: same name, then the data */
        uint8_t lh[30];
        if (!io_range(s, e->local, 30) || e->local + 30 > d->cd_off) {
            st = io_fail(s, "member '%s' has a local header offset %llu outside the archive",
                         e->name, (unsigned long long)e->local);
            break;
        }
        if ((st = io_read(s, e->local, lh, 30, "a local header")) != EM_OK) break;
        if (io_le32(lh) != SIG_LOCAL) {
            st = io_fail(s, "member '%s' has no local header at offset %llu", e->name,
                         (unsigned long long)e->local);
            break;
        }
        uint16_t lnlen = io_le16(lh + 26), lxlen = io_le16(lh + 28);
        uint64_t data = e->local + 30 + lnlen + lxlen;
        if (lnlen != nlen || data > d->cd_off) {
            st = io_fail(s, "the local header of member '%s' does not match its directory entry", e->name);
            break;
        }
        uint8_t lname[256];
        bool same = true;
        for (uint32_t at = 0; at < lnlen && same; at += (uint32_t)sizeof lname) {
            size_t part = (size_t)(lnlen - at) < sizeof lname ? (size_t)(lnlen - at) : sizeof lname;
            if ((st = io_read(s, e->local + 30 + at, lname, part, "a local member name")) != EM_OK) break;
            same = memcmp(lname, e->raw + at, part) == 0;
        }
        if (st != EM_OK) break;
        if (!same) {
            st = io_fail(s, "the local header of member '%s' names another member", e->name);
            break;
        }
        if (e->csize > d->cd_off - data) {
            st = io_fail(s, "member '%s' (%llu bytes at offset %llu) runs into the central directory",
                         e->name, (unsigned long long)e->csize, (unsigned long long)data);
            break;
        }
        e->data = data;
        e->end = data + e->csize;
        if (e->method == 0 && e->usize != e->csize) {
            st = io_fail(s, "stored member '%s' has sizes %llu and %llu", e->name,
                         (unsigned long long)e->csize, (unsigned long long)e->usize);
            break;
        }
        if (e->method == 8 && e->usize / MAX_RATIO > e->csize + 1) {
            st = io_fail(s, "member '%s' claims %llu bytes from %llu compressed, more than deflate "
                            "can produce", e->name, (unsigned long long)e->usize,
                         (unsigned long long)e->csize);
            break;
        }
    }
    io_cur_free(&c);
    if (st != EM_OK) return st;
    /* members may not overlap */
    zentry *sorted = malloc((size_t)(d->count ? d->count : 1) * sizeof *sorted);
    if (!sorted) return error_status(EM_ERR_MEMORY, "[load_npz] Out of memory.");
    memcpy(sorted, es, (size_t)d->count * sizeof *sorted);
    qsort(sorted, (size_t)d->count, sizeof *sorted, by_local);
    for (uint64_t k = 1; k < d->count && st == EM_OK; k++)
        if (sorted[k].local < sorted[k - 1].end)
            st = io_fail(s, "members '%s' and '%s' overlap", sorted[k - 1].name, sorted[k].name);
    free(sorted);
    return st;
}

/* Inflates member e into a fresh owner block, checking its size and CRC, and
 * loads the .npy inside it. */
static em_status load_deflated(const io_src *s, const zentry *e, em_array **out) {
    uint8_t *buf = NULL;
    io_owner *o = io_owner_heap((size_t)e->usize, &buf);
    if (!o) return em_error_code();
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK) {
        io_owner_release(o);
        return error_status(EM_ERR_MEMORY, "[load_npz] zlib could not start.");
    }
    em_status st = EM_OK;
    uint8_t *chunk = NULL, spare;
    uint64_t in_off = e->data, in_left = e->csize, out_done = 0;
    for (;;) {
        if (z.avail_in == 0 && in_left) {
            size_t n = in_left > (1u << 20) ? 1u << 20 : (size_t)in_left;
            if (s->base) {
                z.next_in = (Bytef *)(s->base + in_off);
            } else {
                if (!chunk && !(chunk = malloc(1u << 20))) {
                    st = error_status(EM_ERR_MEMORY, "[load_npz] Out of memory.");
                    break;
                }
                if ((st = io_read(s, in_off, chunk, n, "compressed data")) != EM_OK) break;
                z.next_in = chunk;
            }
            z.avail_in = (uInt)n;
            in_off += n;
            in_left -= n;
        }
        /* with the buffer full, a spare byte catches output past the declared size */
        uint64_t room = e->usize - out_done;
        uInt give = room > (1u << 30) ? 1u << 30 : (uInt)room;
        z.next_out = give ? buf + out_done : &spare;
        z.avail_out = give ? give : 1;
        int zr = inflate(&z, Z_NO_FLUSH);
        size_t made = (give ? give : 1) - z.avail_out;
        if (!give && made) {
            st = io_fail(s, "the member inflates to more than its declared %llu bytes",
                         (unsigned long long)e->usize);
            break;
        }
        out_done += made;
        if (zr == Z_STREAM_END) break;
        if (zr == Z_BUF_ERROR && z.avail_in == 0 && in_left == 0) {
            st = io_fail(s, "the member's compressed data is truncated");
            break;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            st = io_fail(s, "the member's compressed data is corrupt (%s)", z.msg ? z.msg : "zlib error");
            break;
        }
    }
    inflateEnd(&z);
    free(chunk);
    if (st == EM_OK && out_done != e->usize)
        st = io_fail(s, "the member inflates to %llu bytes, not its declared %llu",
                     (unsigned long long)out_done, (unsigned long long)e->usize);
    if (st == EM_OK) {
        uLong crc = crc32_z(0, buf, (size_t)e->usize);
        if (crc != e->crc)
            st = io_fail(s, "the member fails its CRC check (0x%08lx, expected 0x%08x)",
                         (unsigned long)crc, e->crc);
    }
    if (st == EM_OK) {
        io_src m = {.name = s->name, .member = s->member, .op = s->op, .size = e->usize,
                    .base = buf, .owner = o, .flags = s->flags & ~(unsigned)EM_IO_COPY};
        st = io_load_npy(&m, out);
    }
    io_owner_release(o);
    return st;
}

em_status io_load_npz(const io_src *s, em_map *out) {
    io_cur c = {0};   /* find_eocd may fail before it starts the cursor */
    zdir d = {0};
    em_status st = find_eocd(s, &c, &d);
    io_cur_free(&c);
    if (st != EM_OK) return st;
    zentry *es = calloc((size_t)(d.count ? d.count : 1), sizeof *es);
    if (!es) return error_status(EM_ERR_MEMORY, "[load_npz] Out of memory.");
    st = read_entries(s, &d, es);
    for (uint64_t k = 0; k < d.count && st == EM_OK; k++) {
        zentry *e = &es[k];
        size_t klen = e->name_len;
        if (klen >= 4 && memcmp(e->name + klen - 4, ".npy", 4) == 0) klen -= 4;
        if (io_map_has(out, e->name, klen)) {
            st = io_fail(s, "the archive has two members named '%s'", e->name);
            break;
        }
        em_array *a = NULL;
        io_src ms = *s;
        ms.member = e->name;   /* messages name the member */
        if (e->method == 0) {
            io_src m = io_sub(&ms, e->data, e->csize);
            st = io_load_npy(&m, &a);
        } else {
            st = load_deflated(&ms, e, &a);
        }
        if (st != EM_OK) break;
        bool dup;
        st = io_map_put(out, e->name, klen, a, &dup);
        if (st != EM_OK) em_array_release(a);
    }
    for (uint64_t k = 0; k < d.count; k++) {
        free(es[k].name);
        free(es[k].raw);
    }
    free(es);
    return st;
}

/* ---------------------------------------------------------------- writing */

typedef struct {
    uint64_t offset, csize, usize;
    uint32_t crc;
    uint16_t method, flags;
    const char *name;        /* the key */
    size_t name_len;         /* the key's length (".npy" is added) */
} zout;

static em_status put_name(io_sink *k, const zout *z) {
    em_status st = io_put(k, z->name, z->name_len);
    return st == EM_OK ? io_put(k, ".npy", 4) : st;
}

static em_status put_local(io_sink *k, const zout *z) {
    uint8_t h[30 + 20];
    io_put32(h, SIG_LOCAL);
    io_put16(h + 4, 45);
    io_put16(h + 6, z->flags);
    io_put16(h + 8, z->method);
    io_put16(h + 10, 0);      /* 00:00:00 */
    io_put16(h + 12, 0x21);   /* 1980-01-01, as NumPy writes */
    io_put32(h + 14, z->crc);
    io_put32(h + 18, 0xFFFFFFFFu);
    io_put32(h + 22, 0xFFFFFFFFu);
    io_put16(h + 26, (uint16_t)(z->name_len + 4));
    io_put16(h + 28, 20);
    em_status st = io_put(k, h, 30);
    if (st == EM_OK) st = put_name(k, z);
    io_put16(h + 30, 1);
    io_put16(h + 32, 16);
    io_put64(h + 34, z->usize);
    io_put64(h + 42, z->csize);
    return st == EM_OK ? io_put(k, h + 30, 20) : st;
}

static em_status put_central(io_sink *k, const zout *z) {
    uint8_t h[46 + 28];
    uint64_t x[3];
    int nx = 0;
    uint32_t csize = (uint32_t)z->csize, usize = (uint32_t)z->usize, off = (uint32_t)z->offset;
    if (z->usize > ZIP64_LIMIT || z->csize > ZIP64_LIMIT) {
        x[nx++] = z->usize;
        x[nx++] = z->csize;
        csize = usize = 0xFFFFFFFFu;
    }
    if (z->offset > ZIP64_LIMIT) {
        x[nx++] = z->offset;
        off = 0xFFFFFFFFu;
    }
    size_t xlen = nx ? 4 + 8 * (size_t)nx : 0;
    io_put32(h, SIG_CENTRAL);
    io_put16(h + 4, 45 | 3 << 8);  /* made by: 4.5, Unix */
    io_put16(h + 6, 45);
    io_put16(h + 8, z->flags);
    io_put16(h + 10, z->method);
    io_put16(h + 12, 0);
    io_put16(h + 14, 0x21);
    io_put32(h + 16, z->crc);
    io_put32(h + 20, csize);
    io_put32(h + 24, usize);
    io_put16(h + 28, (uint16_t)(z->name_len + 4));
    io_put16(h + 30, (uint16_t)xlen);
    io_put16(h + 32, 0);
    io_put16(h + 34, 0);
    io_put16(h + 36, 0);
    io_put32(h + 38, 0600u << 16);  /* ?rw------- */
    io_put32(h + 42, off);
    em_status st = io_put(k, h, 46);
    if (st == EM_OK) st = put_name(k, z);
    if (st == EM_OK && nx) {
        io_put16(h + 46, 1);
        io_put16(h + 48, (uint16_t)(8 * nx));
        for (int i = 0; i < nx; i++) io_put64(h + 50 + 8 * i, x[i]);
        st = io_put(k, h + 46, xlen);
    }
    return st;
}

static em_status put_end(io_sink *k, uint64_t count, uint64_t cd_off, uint64_t cd_size) {
    uint8_t r[56 + 20 + 22];
    em_status st = EM_OK;
    if (count > 0xFFFF || cd_off > ZIP64_LIMIT || cd_size > ZIP64_LIMIT) {
        uint64_t pos = k->written;
        io_put32(r, SIG_EOCD64);
        io_put64(r + 4, 44);
        io_put16(r + 12, 45);
        io_put16(r + 14, 45);
        io_put32(r + 16, 0);
        io_put32(r + 20, 0);
        io_put64(r + 24, count);
        io_put64(r + 32, count);
        io_put64(r + 40, cd_size);
        io_put64(r + 48, cd_off);
        io_put32(r + 56, SIG_LOC64);
        io_put32(r + 60, 0);
        io_put64(r + 64, pos);
        io_put32(r + 72, 1);
        st = io_put(k, r, 76);
        if (count > 0xFFFF) count = 0xFFFF;
        if (cd_size > 0xFFFFFFFFu) cd_size = 0xFFFFFFFFu;
        if (cd_off > 0xFFFFFFFFu) cd_off = 0xFFFFFFFFu;
    }
    io_put32(r, SIG_EOCD);
    io_put16(r + 4, 0);
    io_put16(r + 6, 0);
    io_put16(r + 8, (uint16_t)count);
    io_put16(r + 10, (uint16_t)count);
    io_put32(r + 12, (uint32_t)cd_size);
    io_put32(r + 16, (uint32_t)cd_off);
    io_put16(r + 20, 0);
    return st == EM_OK ? io_put(k, r, 22) : st;
}

/* An evaluated array in the layout its .npy member records: itself when row-
 * or column-contiguous, else a row-major copy. New reference. */
static em_array *member_array(em_array *a, bool *fortran) {
    *fortran = (a->flags & EM_AF_COL_CONTIG) && !(a->flags & EM_AF_ROW_CONTIG);
    if (*fortran || (a->flags & EM_AF_ROW_CONTIG)) return em_array_retain(a);
    scope_op_depth++;
    em_array *c = em_copy(a);
    scope_op_depth--;
    if (c && em_eval1(c) != EM_OK) {
        em_array_release(c);
        return NULL;
    }
    return c;
}

static uint32_t crc_of(uint32_t crc, const void *p, size_t n) {
    /* zlib restarts the CRC when given a NULL buffer, even of length 0 */
    return n ? (uint32_t)crc32_z(crc, p, n) : crc;
}

/* Deflates the member's bytes into a malloc'd buffer, as Python's
 * zlib.compressobj(-1, DEFLATED, -15) does. */
static em_status deflate_member(io_sink *k, const char *h, size_t hn, const void *data, size_t dn,
                                uint8_t **out, size_t *out_n) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return error_status(EM_ERR_MEMORY, "[%s] zlib could not start.", k->op);
    size_t cap = deflateBound(&z, (uLong)(hn + dn > ULONG_MAX ? ULONG_MAX : hn + dn)) + 64, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        deflateEnd(&z);
        return error_status(EM_ERR_MEMORY, "[%s] Out of memory compressing a member.", k->op);
    }
    const uint8_t *parts[2] = {(const uint8_t *)h, data};
    size_t lens[2] = {hn, dn};
    int zr = Z_OK;
    for (int part = 0; part < 2; part++) {
        const uint8_t *p = parts[part];
        size_t left = lens[part];
        do {
            uInt give = left > (1u << 30) ? 1u << 30 : (uInt)left;
            z.next_in = (Bytef *)p;
            z.avail_in = give;
            int flush = part == 1 && give == left ? Z_FINISH : Z_NO_FLUSH;
            do {
                if (cap - n < 65536) {
                    uint8_t *b = realloc(buf, cap * 2);
                    if (!b) {
                        free(buf);
                        deflateEnd(&z);
                        return error_status(EM_ERR_MEMORY, "[%s] Out of memory compressing a member.", k->op);
                    }
                    buf = b;
                    cap *= 2;
                }
                size_t room = cap - n > (1u << 30) ? 1u << 30 : cap - n;
                z.next_out = buf + n;
                z.avail_out = (uInt)room;
                zr = deflate(&z, flush);
                n += room - z.avail_out;
            } while (z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
            p += give;
            left -= give;
        } while (left);
    }
    deflateEnd(&z);
    *out = buf;
    *out_n = n;
    return EM_OK;
}

em_status io_save_npz(io_sink *k, const em_map *m, bool compress) {
    size_t n = em_map_size(m);
    zout *zs = calloc(n ? n : 1, sizeof *zs);
    if (!zs) return error_status(EM_ERR_MEMORY, "[%s] Out of memory.", k->op);
    em_status st = EM_OK;
    for (size_t i = 0; i < n && st == EM_OK; i++) {
        const io_entry *e = io_map_array_entry(m, i);
        zout *z = &zs[i];
        z->name = e->key;
        z->name_len = e->key_len;
        z->method = compress ? 8 : 0;
        bool ascii = true;
        for (size_t j = 0; j < e->key_len; j++) ascii &= (unsigned char)e->key[j] < 0x80;
        z->flags = ascii ? 0 : 0x800;
        z->offset = k->written;
        bool fortran;
        em_array *a = member_array(e->arr, &fortran);
        if (!a) {
            st = em_error_code();
            break;
        }
        char h[IO_NPY_HEADER_MAX];
        size_t hn = io_npy_header(h, a->dtype, a->shape, a->ndim, fortran);
        size_t dn = em_array_nbytes(a);
        const void *data = dn ? array_ptr(a) : NULL;
        z->usize = hn + dn;
        z->crc = crc_of(crc_of(0, h, hn), data, dn);
        if (compress) {
            uint8_t *buf = NULL;
            size_t cn = 0;
            st = deflate_member(k, h, hn, data, dn, &buf, &cn);
            if (st == EM_OK) {
                z->csize = cn;
                st = put_local(k, z);
                if (st == EM_OK) st = io_put(k, buf, cn);
            }
            free(buf);
        } else {
            z->csize = z->usize;
            st = put_local(k, z);
            if (st == EM_OK) st = io_put(k, h, hn);
            if (st == EM_OK) st = io_put(k, data, dn);
        }
        em_array_release(a);
    }
    uint64_t cd_off = k->written;
    for (size_t i = 0; i < n && st == EM_OK; i++) st = put_central(k, &zs[i]);
    if (st == EM_OK) st = put_end(k, n, cd_off, k->written - cd_off);
    free(zs);
    return st;
}
