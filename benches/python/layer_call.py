"""Layer.__call__ overhead: the seeds' SimpleDense(4) called on a 2x2 input, against PyTorch's
nn.Linear when installed, and against the bare ops the layer runs (matmul + add).

Usage: python benches/python/layer_call.py [--quick]
"""

import argparse
import statistics
import timeit

import lamina
from lamina import ops

try:  # optional peer
    import torch
except ImportError:  # pragma: no cover
    torch = None


class SimpleDense(lamina.layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", trainable=True, name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True,
                                    name="bias")

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel) + self.bias


def median_time(fn, number, repeat):
    fn()
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    rep = 3 if args.quick else 7
    n = 20000
    layer = SimpleDense(4)
    x = ops.ones((2, 2))
    t_layer = median_time(lambda: layer(x), n, rep)
    k, b = layer.kernel, layer.bias
    t_ops = median_time(lambda: ops.matmul(x, k) + b, n, rep)
    line = (f"SimpleDense(4) on 2x2: layer call {t_layer * 1e6:6.2f} us  bare ops {t_ops * 1e6:6.2f} us  "
            f"Layer.__call__ overhead {(t_layer - t_ops) * 1e6:6.2f} us")
    if torch is not None:
        lin = torch.nn.Linear(2, 4)
        xt = torch.ones(2, 2)
        with torch.no_grad():
            t_torch = median_time(lambda: lin(xt), n, rep)
        line += f"  torch nn.Linear {t_torch * 1e6:6.2f} us  lamina/torch {t_layer / t_torch:5.2f}"
    print(line)


if __name__ == "__main__":
    main()
