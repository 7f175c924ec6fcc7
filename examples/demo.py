"""lamina demo: fits a linear model to noisy data with lamina.ops alone.

Until lamina grows layers and autodiff (next issues), this demo computes the least-squares
solution's gradient by hand and runs plain gradient descent, every number computed by the engine.
It prints the loss as it falls and checks the recovered weights against the true ones.
"""

import sys

import numpy as np

import lamina
from lamina import ops


def main():
    n, d = 4096, 16
    x = lamina.random.normal((n, d), seed=0)
    w_true = lamina.random.uniform((d, 1), minval=-2.0, maxval=2.0, seed=1)
    noise = lamina.random.normal((n, 1), stddev=0.01, seed=2)
    y = ops.matmul(x, w_true) + 0.5 + noise

    w = ops.zeros((d, 1))
    b = ops.zeros((1,))
    lr = 0.1
    for step in range(201):
        pred = ops.matmul(x, w) + b
        err = pred - y
        loss = ops.mean(ops.square(err))
        # d(loss)/dw = 2/n * x^T err ;  d(loss)/db = 2 * mean(err)
        grad_w = ops.matmul(ops.transpose(x), err) * (2.0 / n)
        grad_b = ops.mean(err, axis=0) * 2.0
        w = w - lr * grad_w
        b = b - lr * grad_b
        if step % 40 == 0:
            print(f"step {step:4d}  loss {float(loss):.6f}")

    max_err = float(ops.max(ops.abs(w - w_true)))
    print(f"bias {float(b[0]):.4f} (true 0.5), max |w - w_true| = {max_err:.5f}")
    print(f"threads: {lamina._lamina.get_num_threads()}, result dtype: {w.dtype}")
    ok = max_err < 0.01 and abs(float(b[0]) - 0.5) < 0.01
    print("demo OK" if ok else "demo FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
