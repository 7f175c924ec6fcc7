"""Training and prediction benchmark: MLP 784-512-512-10 (ReLU), Adam, batch 128.

Prints milliseconds per `fit` step (one epoch over synthetic data) and the batch-1 `predict`
latency for lamina, a hand-written numpy training loop (forward, backward and Adam in numpy),
and, when installed, PyTorch (a plain training loop) and Keras 3 (run in a subprocess with
whatever backend it can load), with lamina's ratio to each. Ratios below 1 mean lamina is faster.

    python benches/python/train.py [--steps 40] [--threads N]
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

from _peers import NumpyMLP

SIZES = (784, 512, 512, 10)
BATCH = 128


def synthetic(steps, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps * BATCH, SIZES[0])).astype("float32")
    y = rng.integers(0, SIZES[-1], size=steps * BATCH).astype("int32")
    return x, y


def median_time(fn, repeat=20, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def bench_lamina(steps):
    import lamina
    from lamina import layers

    x, y = synthetic(steps)
    model = lamina.Sequential([
        lamina.Input(shape=(SIZES[0],)),
        layers.Dense(SIZES[1], activation="relu"),
        layers.Dense(SIZES[2], activation="relu"),
        layers.Dense(SIZES[3]),
    ])
    model.compile(optimizer="adam",
                  loss=lamina.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x[: 4 * BATCH], y[: 4 * BATCH], batch_size=BATCH, epochs=1, verbose=0)  # warm up
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    step = (time.perf_counter() - t0) / steps
    x1 = x[:1]
    predict = median_time(lambda: model.predict_on_batch(x1), repeat=200)
    forward = median_time(lambda: model(x1), repeat=200)
    return {"train_step": step, "predict_b1": predict, "forward_b1": forward}


def bench_numpy(steps):
    """A plain numpy loop (benches/python/_peers.py): forward, softmax cross-entropy, backward, Adam."""
    x, y = synthetic(steps)
    mlp = NumpyMLP(SIZES)
    for _ in range(3):
        mlp.train_step(x[:BATCH], y[:BATCH])
    t0 = time.perf_counter()
    for s in range(steps):
        mlp.train_step(x[s * BATCH:(s + 1) * BATCH], y[s * BATCH:(s + 1) * BATCH])
    train = (time.perf_counter() - t0) / steps
    x1 = x[:1]
    f = median_time(lambda: mlp.forward(x1), repeat=200)
    return {"train_step": train, "predict_b1": f, "forward_b1": f}


def bench_torch(steps):
    try:
        import torch
    except ImportError:
        return None
    x, y = synthetic(steps)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).long()
    model = torch.nn.Sequential(
        torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.ReLU(),
        torch.nn.Linear(SIZES[1], SIZES[2]), torch.nn.ReLU(),
        torch.nn.Linear(SIZES[2], SIZES[3]),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(s):
        opt.zero_grad()
        loss = loss_fn(model(xt[s * BATCH:(s + 1) * BATCH]), yt[s * BATCH:(s + 1) * BATCH])
        loss.backward()
        opt.step()

    for s in range(3):
        step(s)
    t0 = time.perf_counter()
    for s in range(steps):
        step(s)
    train = (time.perf_counter() - t0) / steps
    x1 = xt[:1]
    with torch.no_grad():
        f = median_time(lambda: model(x1), repeat=200)
    return {"train_step": train, "predict_b1": f, "forward_b1": f}


_KERAS_SCRIPT = r"""
import json, sys, time
import numpy as np
import keras
steps = int(sys.argv[1])
rng = np.random.default_rng(0)
x = rng.standard_normal((steps * 128, 784)).astype("float32")
y = rng.integers(0, 10, size=steps * 128).astype("int32")
model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(512, activation="relu"),
                          keras.layers.Dense(512, activation="relu"), keras.layers.Dense(10)])
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(x[:512], y[:512], batch_size=128, epochs=1, verbose=0)
t0 = time.perf_counter()
model.fit(x, y, batch_size=128, epochs=1, verbose=0, shuffle=False)
train = (time.perf_counter() - t0) / steps
x1 = x[:1]
for _ in range(5):
    model.predict_on_batch(x1)
ts = []
for _ in range(100):
    t0 = time.perf_counter(); model.predict_on_batch(x1); ts.append(time.perf_counter() - t0)
print(json.dumps({"train_step": train, "predict_b1": float(np.median(ts)),
                  "backend": keras.backend.backend()}))
"""


def bench_keras(steps):
    for backend in ("torch", "jax", "tensorflow"):
        env = dict(os.environ, KERAS_BACKEND=backend)
        try:
            out = subprocess.run([sys.executable, "-c", _KERAS_SCRIPT, str(steps)], env=env,
                                 capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip():
            return json.loads(out.stdout.strip().splitlines()[-1])
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--threads", type=int, default=None,
                        help="LAMINA_NUM_THREADS for lamina (default: all cores)")
    args = parser.parse_args()
    if args.threads:
        os.environ["LAMINA_NUM_THREADS"] = str(args.threads)
    results = {"lamina": bench_lamina(args.steps), "numpy (hand-written loop)": bench_numpy(args.steps)}
    torch_res = bench_torch(args.steps)
    if torch_res:
        results["pytorch"] = torch_res
    keras_res = bench_keras(args.steps)
    if keras_res:
        results[f"keras 3 ({keras_res.pop('backend')})"] = keras_res
    base = results["lamina"]
    print(f"MLP {'-'.join(map(str, SIZES))}, Adam, batch {BATCH}, {args.steps} steps")
    print(f"{'':28s}{'train step':>14s}{'ratio':>8s}{'predict b1':>14s}{'ratio':>8s}")
    for name, r in results.items():
        tr = base["train_step"] / r["train_step"]
        pr = base["predict_b1"] / r["predict_b1"]
        print(f"{name:28s}{r['train_step'] * 1e3:11.3f} ms{tr:8.2f}{r['predict_b1'] * 1e6:11.1f} us{pr:8.2f}")
    print(f"lamina forward at batch 1 (model(x)): {base['forward_b1'] * 1e6:.1f} us")
    print("ratio = lamina time / peer time (below 1: lamina is faster)")


if __name__ == "__main__":
    main()
