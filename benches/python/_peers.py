"""Hand-written peers shared by the Python benchmarks (train.py, compare.py).

`NumpyMLP` is a plain numpy multilayer perceptron: dense layers with ReLU between them, a
softmax cross-entropy loss on integer labels, its backward pass written out by hand and Adam
with Keras' defaults. It is the numpy reference point for "forward" and "train step" timings.

    >>> import numpy as np
    >>> mlp = NumpyMLP((784, 512, 512, 10))
    >>> x = np.zeros((32, 784), "float32"); y = np.zeros(32, "int32")
    >>> mlp.forward(x).shape
    (32, 10)
    >>> mlp.train_step(x, y)  # one Adam update of every weight
"""

import numpy as np


class NumpyMLP:
    """Dense-ReLU-...-Dense network trained with softmax cross-entropy and Adam, in numpy.

    Weights start from Glorot-uniform kernels and zero biases, as Keras' `Dense` does.

    Args:
        sizes: Layer widths, input first, e.g. `(784, 512, 512, 10)`.
        seed: Seed of the generator that draws the initial kernels. Defaults to `1`.
        learning_rate: Adam's step size. Defaults to `1e-3`.
        beta_1: Decay of the first-moment estimate. Defaults to `0.9`.
        beta_2: Decay of the second-moment estimate. Defaults to `0.999`.
        epsilon: Added to the root of the second moment. Defaults to `1e-7` (Keras' default).
    """

    def __init__(self, sizes, seed=1, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(
                "Received an invalid value for `sizes`, expected at least two positive widths. "
                f"Received: sizes={sizes}")
        self.sizes = sizes
        rng = np.random.default_rng(seed)
        self.params = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            self.params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype("float32"))
            self.params.append(np.zeros(fan_out, "float32"))
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.learning_rate, self.beta_1, self.beta_2, self.epsilon = (
            learning_rate, beta_1, beta_2, epsilon)
        self.iterations = 0

    def _activations(self, x):
        acts = [x]
        h = x
        last = len(self.params) - 2
        for i in range(0, len(self.params), 2):
            h = h @ self.params[i] + self.params[i + 1]
            if i < last:
                h = np.maximum(h, 0)
            acts.append(h)
        return acts

    def forward(self, x):
        """Returns the logits of `x`, a float32 array of shape `(batch, sizes[0])`."""
        return self._activations(x)[-1]

    def train_step(self, x, y):
        """One forward pass, the loss gradient by hand, and one Adam update of every weight.

        Args:
            x: float32 array of shape `(batch, sizes[0])`.
            y: integer labels of shape `(batch,)`.
        """
        acts = self._activations(x)
        params = self.params
        # softmax cross-entropy: d(loss)/d(logits) = (softmax(z) - onehot(y)) / batch
        z = acts[-1] - acts[-1].max(axis=1, keepdims=True)
        g = np.exp(z)
        g /= g.sum(axis=1, keepdims=True)
        g[np.arange(len(y)), y] -= 1
        g /= len(y)
        grads = [None] * len(params)
        for i in range(len(params) - 2, -1, -2):
            grads[i] = acts[i // 2].T @ g          # d(h@W)/dW = h^T @ g
            grads[i + 1] = g.sum(axis=0)
            if i > 0:
                g = (g @ params[i].T) * (acts[i // 2] > 0)
        self.iterations += 1
        t = self.iterations
        b1, b2 = self.beta_1, self.beta_2
        alpha = self.learning_rate * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        for j, (param, grad) in enumerate(zip(params, grads)):
            self.m[j] += (grad - self.m[j]) * (1 - b1)
            self.v[j] += (grad * grad - self.v[j]) * (1 - b2)
            param -= alpha * self.m[j] / (np.sqrt(self.v[j]) + self.epsilon)
