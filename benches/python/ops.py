"""lamina vs numpy (and PyTorch when installed): time ratios measured in one run.

Usage: python benches/python/ops.py [--quick]

Prints, per workload, the median time of each library and lamina's ratio to numpy
(< 1 means lamina is faster). sgemm also reports GFLOP/s. Both libraries use the same thread
count: set LAMINA_NUM_THREADS and OPENBLAS_NUM_THREADS together to compare at another count.
"""

import argparse
import os
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
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number


def row(name, t_lamina, t_numpy, t_torch=None, extra=""):
    ratio = t_lamina / t_numpy
    torch_s = f"  torch {t_torch * 1e6:10.2f} us  lamina/torch {t_lamina / t_torch:5.2f}" if t_torch else ""
    print(f"{name:28s} lamina {t_lamina * 1e6:10.2f} us  numpy {t_numpy * 1e6:10.2f} us  "
          f"lamina/numpy {ratio:5.2f}{torch_s}  {extra}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = p.parse_args()
    rep = 3 if args.quick else 7
    print(f"lamina threads: {lamina._lamina.get_num_threads()}  "
          f"(OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')})")

    # Tiny op: per-call dispatch overhead.
    a_np = np.ones(4, dtype="float32")
    a_l = ops.convert_to_tensor(a_np)
    t_l = median_time(lambda: ops.add(a_l, a_l), 20000, rep)
    t_n = median_time(lambda: np.add(a_np, a_np), 20000, rep)
    t_t = None
    if torch is not None:
        a_t = torch.ones(4)
        t_t = median_time(lambda: torch.add(a_t, a_t), 20000, rep)
    row("add 4 elements (ops.add)", t_l, t_n, t_t)
    t_l2 = median_time(lambda: a_l + a_l, 20000, rep)
    row("add 4 elements (operator)", t_l2, median_time(lambda: a_np + a_np, 20000, rep))

    # Large elementwise and reductions.
    x_np = np.random.default_rng(0).standard_normal((1024, 1024)).astype("float32")
    x_l = ops.convert_to_tensor(x_np)
    row("add 1M", median_time(lambda: x_l + x_l, 20, rep), median_time(lambda: x_np + x_np, 20, rep))
    row("exp 1M", median_time(lambda: ops.exp(x_l), 20, rep), median_time(lambda: np.exp(x_np), 20, rep))
    row("sum 1M", median_time(lambda: ops.sum(x_l), 20, rep), median_time(lambda: np.sum(x_np), 20, rep))
    row("sum 1M axis 0", median_time(lambda: ops.sum(x_l, axis=0), 20, rep),
        median_time(lambda: np.sum(x_np, axis=0), 20, rep))

    # sgemm: every lamina run first, then numpy's, because OpenBLAS's worker threads keep spinning
    # after a call and would steal the cores from a lamina call timed right after it.
    sizes = (256, 1024, 2048)
    data, t_lam = {}, {}
    for n in sizes:
        rng = np.random.default_rng(n)
        a = rng.standard_normal((n, n)).astype("float32")
        b = rng.standard_normal((n, n)).astype("float32")
        al, bl = ops.convert_to_tensor(a), ops.convert_to_tensor(b)
        number = max(1, int(2e9 / (2 * n**3)))
        ops.matmul(al, bl)
        t_lam[n] = median_time(lambda: ops.matmul(al, bl), number, rep)
        data[n] = (a, b, number)
    for n in sizes:
        a, b, number = data[n]
        a @ b
        t_n = median_time(lambda: a @ b, number, rep)
        t_t = None
        if torch is not None:
            at, bt = torch.from_numpy(a), torch.from_numpy(b)
            t_t = median_time(lambda: at @ bt, number, rep)
        flops = 2 * n**3
        row(f"sgemm n={n}", t_lam[n], t_n, t_t,
            f"GFLOP/s lamina {flops / t_lam[n] / 1e9:6.1f} numpy {flops / t_n / 1e9:6.1f}")

if __name__ == "__main__":
    main()
