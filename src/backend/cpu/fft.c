/* fft.c -- CPU kernel of FFT (placeholder). */
#include "kernels.h"

em_status cpu_fft_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    (void)out;
    return cpu_unsupported(n, in[0]->dtype);
}
