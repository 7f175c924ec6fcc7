"""lamina demo: trains a small network built from custom Keras-style layers with a GradientTape.

Two layers written exactly as Keras 3 teaches (`build`, `call`, `add_weight`) make a 2-layer MLP
that learns a noisy non-linear regression target; plain gradient descent runs on the gradients
`lamina.GradientTape` computes. Every number is computed by lamina's Rust engine. It prints the
loss as it falls and checks it against a small bound. (`python -m lamina` is the main job: the
same kind of custom layers in a functional model trained with `fit` and saved.)
"""

import sys

import lamina
from lamina import ops


class Dense(lamina.layers.Layer):
    """A fully connected layer with an optional tanh."""

    def __init__(self, units, use_tanh=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.use_tanh = use_tanh

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        y = ops.matmul(inputs, self.kernel) + self.bias
        return ops.tanh(y) if self.use_tanh else y


class MLP(lamina.layers.Layer):
    """Two Dense layers, tracked as sublayers and built on the first call."""

    def __init__(self, hidden, **kwargs):
        super().__init__(**kwargs)
        self.hidden = Dense(hidden, use_tanh=True)
        self.out = Dense(1)

    def call(self, inputs):
        return self.out(self.hidden(inputs))


def main():
    n = 2048
    x = lamina.random.uniform((n, 2), minval=-1.0, maxval=1.0, seed=0)
    # Target: a smooth non-linear function of the two inputs, plus a little noise.
    y = ops.sin(2.0 * x[:, :1]) * ops.cos(x[:, 1:]) + 0.01 * lamina.random.normal((n, 1), seed=1)

    model = MLP(32)
    lr = 0.5
    loss = None
    for step in range(401):
        with lamina.GradientTape() as tape:
            loss = ops.mean(ops.square(model(x) - y))
        grads = tape.gradient(loss, model.trainable_weights)
        for w, g in zip(model.trainable_weights, grads):
            w.assign_sub(lr * g)
        if step % 80 == 0:
            print(f"step {step:4d}  loss {float(loss):.6f}")

    print(f"weights: {[w.path for w in model.weights]}")
    print(f"parameters: {model.count_params()}, threads: {lamina._lamina.get_num_threads()}")
    ok = float(loss) < 0.01
    print("demo OK" if ok else "demo FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
