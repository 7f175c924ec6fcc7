"""``lamina.layers.Embedding`` (Keras 3's ``keras.layers.Embedding``)."""

import warnings

from lamina import constraints
from lamina import initializers
from lamina import ops
from lamina import regularizers
from lamina.layers import _unsupported
from lamina.layers.core import _lora
from lamina.layers.layer import Layer


class Embedding(Layer):
    """Turns nonnegative integers (indexes) into dense vectors of fixed size.

    e.g. ``[[4], [20]] -> [[0.25, 0.1], [0.6, -0.2]]``. This layer can only be used on
    nonnegative integer inputs of a fixed range.

    Args:
        input_dim: Integer. Size of the vocabulary, i.e. maximum integer index + 1.
        output_dim: Integer. Dimension of the dense embedding.
        embeddings_initializer: Initializer for the `embeddings` matrix.
            Defaults to ``"uniform"``.
        embeddings_regularizer: Regularizer function applied to the `embeddings` matrix.
        embeddings_constraint: Constraint function applied to the `embeddings` matrix.
        mask_zero: Boolean, whether the input value 0 is a special "padding" value that
            should be masked out (the output mask is ``inputs != 0``). Index 0 then cannot be
            used in the vocabulary. Defaults to `False`.
        weights: Optional floating-point matrix of size ``(input_dim, output_dim)``: the
            initial embeddings values.
        lora_rank: Optional integer: LoRA on the embeddings matrix (see `enable_lora`).
        lora_alpha: Optional scale of the LoRA delta (``lora_alpha / lora_rank``).
        quantization_config: Accepted for Keras 3 compatibility: only `None` (no quantization,
            the default). lamina has no quantized layers, so any other value raises a
            `ValueError`.
        input_length: Accepted for compatibility with Keras 2 and ignored (with a warning).

    Input shape:
        2D tensor with shape ``(batch_size, input_length)`` (any rank works).

    Output shape:
        3D tensor with shape ``(batch_size, input_length, output_dim)``.

    Example:

    >>> layer = lamina.layers.Embedding(1000, 64)
    >>> layer(np.random.randint(1000, size=(32, 10))).shape
    (32, 10, 64)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None,
                 **kwargs):
        input_length = kwargs.pop("input_length", None)
        if input_length is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        super().__init__(**kwargs)
        _unsupported.check_quantization_config(self, quantization_config)
        self.quantization_config = quantization_config
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.autocast = False
        _lora.init_lora(self, lora_rank, lora_alpha)
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        self._embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            name="embeddings",
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
            trainable=True,
        )
        _lora.finish_build(self)

    @property
    def embeddings(self):
        """The effective embeddings: the stored matrix, plus the scaled LoRA delta when enabled."""
        return _lora.effective_weight(self, "embeddings")

    def call(self, inputs):
        if inputs.dtype != "int32" and inputs.dtype != "int64":
            inputs = ops.cast(inputs, "int32")
        outputs = ops.take(self.embeddings, inputs, axis=0)
        return ops.cast(outputs, dtype=self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"):
        """Turns on LoRA: freezes `embeddings` and adds the trainable `lora_embeddings_a`
        (input_dim, rank) and `lora_embeddings_b` (rank, output_dim)."""
        _lora.enable_lora(
            self, "embeddings", rank, lora_alpha, a_initializer, b_initializer,
            constraint=self.embeddings_constraint,
            constraint_error=(
                "Lora is incompatible with embedding constraints. In order to enable lora on "
                "this layer, remove the `embeddings_constraint` argument."
            ),
            regularizer=self.embeddings_regularizer,
        )

    def get_config(self):
        base_config = super().get_config()
        config = {
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": self.quantization_config,
        }
        return {**base_config, **_lora.add_lora_config(self, config)}

    @classmethod
    def from_config(cls, config):
        """Creates the layer from its config (Keras 3's included); refuses, with a ValueError
        naming the layer, a `quantization_config` or a quantized dtype policy."""
        _unsupported.check_config(
            cls, config, {"quantization_config": _unsupported.NO_QUANTIZATION}
        )
        return super().from_config(config)
