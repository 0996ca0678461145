"""Embedding: a lookup table from integer ids to vectors."""
import math

import ember.core as mx

from .base import Module


class Embedding(Module):
    r"""Map integer ids in ``[0, num_embeddings)`` to ``dims``-vectors, rows of
    ``weight`` (initialised from :math:`\mathcal N(0, 1/\text{dims})`)."""

    def __init__(self, num_embeddings: int, dims: int):
        super().__init__()
        scale = math.sqrt(1 / dims)
        self.weight = mx.random.normal(shape=(num_embeddings, dims), scale=scale)

    def _extra_repr(self):
        return f"{self.weight.shape[0]}, {self.weight.shape[1]}"

    def __call__(self, x):
        return self.weight[x]

    def as_linear(self, x):
        """Use the table as an output projection (tied weights): ``x @
        weight.T``, scores over the vocabulary."""
        return x @ self.weight.T

    def to_quantized(self, group_size: int = None, bits: int = None, mode: str = "affine",
                     quantize_input: bool = False):
        """A QuantizedEmbedding approximation of this layer."""
        from .quantized import QuantizedEmbedding
        if quantize_input:
            raise ValueError("Quantized input is not supported.")
        return QuantizedEmbedding.from_embedding(self, group_size, bits, mode)
