"""The seeds' custom layers (`SimpleDense` and `MLPBlock`), written once for the saving tests.

`define_seed_layers` builds them with the library `K` it is given: test_saving.py calls it with
`lamina`; test_saving_interop.py also sends this module's source to its Keras 3 subprocess and
calls it there with `keras`, so that both libraries save and load the same classes.
"""


def define_seed_layers(K, package, bias_initializer, block_units):
    """Defines `SimpleDense` and `MLPBlock` with `K` (`lamina` or `keras`) and registers them.

    Args:
        K: The library, `lamina` or `keras`.
        package: The package they are registered under (``"<package>>SimpleDense"``).
        bias_initializer: The initializer of `SimpleDense`'s bias `b`.
        block_units: The units of `MLPBlock`'s layers: its two `SimpleDense` layers, the
            `SimpleDense` and the `Dense` of its list of extra layers (which ends with a
            `BatchNormalization`).

    Returns:
        ``(SimpleDense, MLPBlock)``.
    """
    ops = K.ops

    @K.saving.register_keras_serializable(package=package)
    class SimpleDense(K.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="random_normal", name="w")
            self.b = self.add_weight(shape=(self.units,), initializer=bias_initializer, name="b")

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            config = super().get_config()
            config["units"] = self.units
            return config

    @K.saving.register_keras_serializable(package=package)
    class MLPBlock(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            units_1, units_2, units_3, units_4 = block_units
            self.linear_1 = SimpleDense(units_1)
            self.linear_2 = SimpleDense(units_2)
            self.extra = [SimpleDense(units_3), K.layers.Dense(units_4),
                          K.layers.BatchNormalization()]

        def call(self, inputs):
            x = self.linear_2(ops.relu(self.linear_1(inputs)))
            for layer in self.extra:
                x = layer(x)
            return x

    return SimpleDense, MLPBlock
