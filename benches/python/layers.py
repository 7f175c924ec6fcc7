"""Built-in layer benchmarks: Dense(512, relu) forward and forward+backward at batch 1 and 128,
LayerNormalization and BatchNormalization at (128, 512), against numpy (the same forward written
in numpy) and PyTorch when installed.

Usage: python benches/python/layers.py [--quick]

Prints median times and lamina's ratio to each peer (< 1 means lamina is faster).
"""

import argparse
import statistics
import timeit

import numpy as np

import lamina
from lamina import layers
from lamina import ops

try:  # optional peer
    import torch
except ImportError:  # pragma: no cover
    torch = None


def median_time(fn, number, repeat):
    fn()
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number


def lamina_fwd_bwd(layer, x):
    def step():
        with lamina.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = ops.sum(y)
        return tape.gradient(loss, [x] + layer.trainable_weights)

    return step


def torch_fwd_bwd(module, x):
    def step():
        y = module(x)
        return torch.autograd.grad(y.sum(), [x] + list(module.parameters()))

    return step


def report(name, t_lamina, t_torch=None, t_numpy=None):
    line = f"{name:44s} lamina {t_lamina * 1e6:10.1f} us"
    if t_numpy is not None:
        line += f"  numpy {t_numpy * 1e6:10.1f} us  lamina/numpy {t_lamina / t_numpy:5.2f}"
    if t_torch is not None:
        line += f"  torch {t_torch * 1e6:10.1f} us  lamina/torch {t_lamina / t_torch:5.2f}"
    print(line)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    rep = 3 if args.quick else 7
    rng = np.random.default_rng(0)
    if torch is not None:
        torch.set_num_threads(lamina._lamina.get_num_threads())
    print(f"lamina threads: {lamina._lamina.get_num_threads()}")

    for batch in (1, 128):
        x_np = rng.standard_normal((batch, 512)).astype("float32")
        x = ops.convert_to_tensor(x_np)
        dense = layers.Dense(512, activation="relu")
        dense(x)
        n = 2000 if batch == 1 else 200
        t_f = median_time(lambda: dense(x), n, rep)
        t_b = median_time(lamina_fwd_bwd(dense, x), n // 4, rep)
        tt_f = tt_b = None
        if torch is not None:
            lin = torch.nn.Sequential(torch.nn.Linear(512, 512), torch.nn.ReLU())
            xt = torch.tensor(x_np, requires_grad=True)
            with torch.no_grad():
                tt_f = median_time(lambda: lin(xt), n, rep)
            tt_b = median_time(torch_fwd_bwd(lin, xt), n // 4, rep)
        kernel, bias = np.asarray(dense.kernel), np.asarray(dense.bias)
        tn_f = median_time(lambda: np.maximum(x_np @ kernel + bias, 0), n, rep)
        report(f"Dense(512, relu) forward, batch {batch}", t_f, tt_f, tn_f)
        report(f"Dense(512, relu) forward+backward, batch {batch}", t_b, tt_b)

    x_np = rng.standard_normal((128, 512)).astype("float32")
    x = ops.convert_to_tensor(x_np)
    def numpy_norm(axis):
        def fwd():
            mean = x_np.mean(axis=axis, keepdims=True)
            var = x_np.var(axis=axis, keepdims=True)
            return (x_np - mean) / np.sqrt(var + 1e-3)
        return fwd

    for name, layer, make_torch, numpy_fwd in (
        ("LayerNormalization (128, 512)", layers.LayerNormalization(),
         lambda: torch.nn.LayerNorm(512, eps=1e-3), numpy_norm(-1)),
        ("BatchNormalization (128, 512), training", layers.BatchNormalization(),
         lambda: torch.nn.BatchNorm1d(512, eps=1e-3, momentum=0.01), numpy_norm(0)),
    ):
        layer(x, training=True)
        t_f = median_time(lambda: layer(x, training=True), 500, rep)
        t_b = median_time(lamina_fwd_bwd(layer, x), 100, rep)
        tt_f = tt_b = None
        if torch is not None:
            mod = make_torch()
            mod.train()
            xt = torch.tensor(x_np, requires_grad=True)
            with torch.no_grad():
                tt_f = median_time(lambda: mod(xt), 500, rep)
            tt_b = median_time(torch_fwd_bwd(mod, xt), 100, rep)
        report(f"{name} forward", t_f, tt_f, median_time(numpy_fwd, 500, rep))
        report(f"{name} forward+backward", t_b, tt_b)


if __name__ == "__main__":
    main()
