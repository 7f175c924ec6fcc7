"""``python -m lamina``: lamina's demo and main job.

Loads the 8x8 handwritten digits shipped with lamina (``lamina.datasets.digits``), builds a
functional model whose hidden block is a custom ``Layer`` subclass written as in the Keras
guides (``Linear`` layers with ``build``/``add_weight``, composed by an ``MLPBlock``), trains it
with ``fit`` and its progress bar, prints ``summary()`` and the test accuracy, saves the model as
a ``.keras`` file, reloads it and checks that the reloaded model predicts the same values.

Options: ``--epochs`` (default 30), ``--seed`` (default 1337), ``--output`` (default
``digits_mlp.keras``), ``--batch-size`` (default 32), ``--verbose`` (0, 1 or 2; default 1).
Exits with status 1 if the test accuracy is below 0.95 or the reloaded model disagrees.
"""

import argparse
import os
import sys

import numpy as np

import lamina
from lamina import layers
from lamina import ops


@lamina.saving.register_keras_serializable(package="lamina_demo")
class Linear(layers.Layer):
    """`inputs @ w + b`, with its weights created in `build` from the input shape."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="glorot_uniform", trainable=True,
            name="w",
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True, name="b")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@lamina.saving.register_keras_serializable(package="lamina_demo")
class MLPBlock(layers.Layer):
    """Linear layers with ReLU between them, then dropout (active in training only)."""

    def __init__(self, hidden_units=(128, 64), dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = tuple(hidden_units)
        self.dropout_rate = dropout
        self.linears = [Linear(units) for units in self.hidden_units]
        self.dropout = layers.Dropout(dropout)

    def call(self, inputs, training=None):
        x = inputs
        for linear in self.linears:
            x = ops.relu(linear(x))
        return self.dropout(x, training=training)

    def get_config(self):
        return {
            **super().get_config(),
            "hidden_units": list(self.hidden_units),
            "dropout": self.dropout_rate,
        }


def build_model(num_classes=10):
    """The digits classifier: 64 pixels -> MLPBlock -> softmax over the classes."""
    inputs = lamina.Input(shape=(64,), name="pixels")
    x = MLPBlock((128, 64), dropout=0.1, name="mlp_block")(inputs)
    outputs = layers.Dense(num_classes, activation="softmax", name="classifier")(x)
    return lamina.Model(inputs, outputs, name="digits_mlp")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m lamina",
        description="Train a model of custom layers on the bundled 8x8 digits and save it.",
    )
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--output", default="digits_mlp.keras")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be a positive integer. Received: {args.epochs}")

    lamina.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = lamina.datasets.digits.load_data()
    x_train = x_train.reshape(len(x_train), 64).astype("float32") / 16.0
    x_test = x_test.reshape(len(x_test), 64).astype("float32") / 16.0
    print(f"digits: {len(x_train)} training and {len(x_test)} test images of 8x8 pixels")

    model = build_model()
    model.compile(
        optimizer=lamina.optimizers.Adam(learning_rate=1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.summary()
    model.fit(
        x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
        validation_split=0.1, verbose=args.verbose,
    )
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss: {test_loss:.4f}  test accuracy: {test_accuracy:.4f}")

    output = os.path.abspath(args.output)
    model.save(output)
    reloaded = lamina.saving.load_model(output)
    same = np.allclose(
        model.predict(x_test, verbose=0), reloaded.predict(x_test, verbose=0), atol=1e-6
    )
    print(f"saved the model to {output} (reloaded: {'same predictions' if same else 'MISMATCH'})")
    if not same:
        print("error: the reloaded model predicts different values", file=sys.stderr)
        return 1
    if test_accuracy < 0.95:
        print(f"error: test accuracy {test_accuracy:.4f} is below 0.95", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
