"""Autodiff benchmarks: MLP forward+backward against a hand-written numpy backward and, when
installed, PyTorch autograd; and the cost of recording on a gradient tape.

Usage: python benches/python/autodiff.py [--quick]

Prints median times and lamina's ratios (< 1 means lamina is faster):
- MLP 784-512-512-10 (relu, softmax cross-entropy), batch 128: loss + gradients of all weights,
  written with lamina.ops under a GradientTape;
- a chain of 100 tiny ops with and without an active tape: the recording overhead per op.
"""

import argparse
import statistics
import timeit

import numpy as np

import lamina
from lamina import ops

try:  # optional peer
    import torch
except ImportError:  # pragma: no cover
    torch = None


def median_time(fn, number, repeat):
    fn()  # warm up
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number


def mlp_params(rng):
    sizes = [784, 512, 512, 10]
    params = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        w = (rng.standard_normal((i, o)) * np.sqrt(2.0 / i)).astype("float32")
        params.append((w, np.zeros(o, dtype="float32")))
    return params


def lamina_step(params, x, y):
    with lamina.GradientTape() as tape:
        h = x
        for k, (w, b) in enumerate(params):
            h = ops.matmul(h, w) + b
            if k < len(params) - 1:
                h = ops.relu(h)
        logp = ops.log_softmax(h, axis=-1)
        loss = -ops.mean(ops.sum(logp * y, axis=-1))
    flat = [v for wb in params for v in wb]
    return tape.gradient(loss, flat)


def numpy_step(params, x, y):
    acts = [x]
    h = x
    for k, (w, b) in enumerate(params):
        h = h @ w + b
        if k < len(params) - 1:
            h = np.maximum(h, 0)
        acts.append(h)
    z = h - h.max(axis=-1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=-1, keepdims=True)
    g = (p - y) / x.shape[0]
    grads = []
    for k in range(len(params) - 1, -1, -1):
        w, _ = params[k]
        a = acts[k]
        grads.append((a.T @ g, g.sum(axis=0)))
        if k:
            g = (g @ w.T) * (acts[k] > 0)
    return grads


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = p.parse_args()
    rep = 3 if args.quick else 7
    rng = np.random.default_rng(0)
    params_np = mlp_params(rng)
    x_np = rng.standard_normal((128, 784)).astype("float32")
    y_np = np.eye(10, dtype="float32")[rng.integers(0, 10, 128)]
    print(f"lamina threads: {lamina._lamina.get_num_threads()}")

    params_l = [(lamina.Variable(w), lamina.Variable(b)) for w, b in params_np]
    x_l, y_l = ops.convert_to_tensor(x_np), ops.convert_to_tensor(y_np)
    t_l = median_time(lambda: lamina_step(params_l, x_l, y_l), 10, rep)
    t_n = median_time(lambda: numpy_step(params_np, x_np, y_np), 10, rep)
    line = (f"MLP 784-512-512-10 fwd+bwd, batch 128: lamina {t_l * 1e3:8.3f} ms  "
            f"numpy(hand-written) {t_n * 1e3:8.3f} ms  lamina/numpy {t_l / t_n:5.2f}")
    if torch is not None:
        torch.set_num_threads(lamina._lamina.get_num_threads())
        tp = [(torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)) for w, b in params_np]
        xt, yt = torch.tensor(x_np), torch.tensor(y_np)

        def torch_step():
            h = xt
            for k, (w, b) in enumerate(tp):
                h = h @ w + b
                if k < len(tp) - 1:
                    h = torch.relu(h)
            loss = -(torch.log_softmax(h, -1) * yt).sum(-1).mean()
            return torch.autograd.grad(loss, [v for wb in tp for v in wb])

        t_t = median_time(torch_step, 10, rep)
        line += f"  torch {t_t * 1e3:8.3f} ms  lamina/torch {t_l / t_t:5.2f}"
    print(line)

    # Recording overhead: 100 tiny ops on a watched tensor, with and without a tape.
    a = ops.convert_to_tensor(np.ones(4, dtype="float32"))

    def chain():
        h = a
        for _ in range(100):
            h = h + a
        return h

    def chain_taped():
        with lamina.GradientTape() as tape:
            tape.watch(a)
            chain()

    def empty_tape():
        with lamina.GradientTape() as tape:
            tape.watch(a)

    t_off = median_time(chain, 200, rep)
    t_on = median_time(chain_taped, 200, rep) - median_time(empty_tape, 200, rep)
    print(f"100 tiny adds: no tape {t_off * 1e6:8.2f} us  recording {t_on * 1e6:8.2f} us  "
          f"overhead per op {(t_on - t_off) / 100 * 1e6:6.3f} us")


if __name__ == "__main__":
    main()
