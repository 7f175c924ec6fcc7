"""Saving benchmarks: `model.save` / `load_model` (.keras) and `save_weights` / `load_weights`
(.weights.h5) for the 784-512-512-10 MLP and a ~54M-parameter MLP, against Keras 3 (numpy
backend, run in a subprocess) when it is installed.

Usage: python benches/python/saving.py [--quick]

Prints median times and, with Keras present, lamina's ratio to it (< 1 means lamina is faster;
the target is <= 0.5).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap

# (name, hidden layer sizes): 784 inputs, 10 outputs.
MODELS = [
    ("mlp 784-512-512-10", [512, 512]),
    ("mlp 784-4096x4-10 (~54M params)", [4096, 4096, 4096, 4096]),
]

# Shared by both sides: builds the model and times the four operations.
TIMING = textwrap.dedent('''
    import os, statistics, time

    def build(K, hidden):
        model = K.Sequential([K.Input((784,))] + [K.layers.Dense(h, activation="relu")
                                                   for h in hidden] + [K.layers.Dense(10)])
        return model

    def median_time(fn, repeat):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    def run(K, hidden, folder, repeat):
        model = build(K, hidden)
        params = sum(int(w.size) for w in model.get_weights())
        keras_path = os.path.join(folder, "m.keras")
        weights_path = os.path.join(folder, "m.weights.h5")
        twin = build(K, hidden)
        out = {"params": params}
        out["save"] = median_time(lambda: model.save(keras_path), repeat)
        out["load"] = median_time(lambda: K.saving.load_model(keras_path), repeat)
        out["save_weights"] = median_time(lambda: model.save_weights(weights_path), repeat)
        out["load_weights"] = median_time(lambda: twin.load_weights(weights_path), repeat)
        return out
''')

KERAS_SIDE = textwrap.dedent('''
    import json, os, sys
    os.environ["KERAS_BACKEND"] = "numpy"
    import keras
    namespace = {}
    exec(sys.argv[1], namespace)
    hidden, folder, repeat = json.loads(sys.argv[2])
    print(json.dumps(namespace["run"](keras, hidden, folder, repeat)))
''')


def keras_available():
    try:
        import importlib.util

        return importlib.util.find_spec("keras") is not None
    except (ImportError, ValueError):
        return False


def run_keras(hidden, folder, repeat):
    env = dict(os.environ, KERAS_BACKEND="numpy")
    result = subprocess.run(
        [sys.executable, "-c", KERAS_SIDE, TIMING, json.dumps([hidden, folder, repeat])],
        capture_output=True, text=True, env=env, check=False,
    )
    if result.returncode != 0:
        print(f"  (Keras run failed: {result.stderr.strip().splitlines()[-1:]})")
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7

    import lamina

    namespace = {}
    exec(TIMING, namespace)
    with_keras = keras_available()
    print(f"lamina threads: {lamina._lamina.get_num_threads()}; Keras 3 (numpy backend): "
          f"{'yes' if with_keras else 'not installed'}")
    for name, hidden in MODELS:
        with tempfile.TemporaryDirectory() as folder:
            mine = namespace["run"](lamina, hidden, folder, repeat)
        theirs = None
        if with_keras:
            with tempfile.TemporaryDirectory() as folder:
                theirs = run_keras(hidden, folder, repeat)
        print(f"{name} ({mine['params'] / 1e6:.1f}M parameters, "
              f"{mine['params'] * 4 / 2**20:.0f} MiB float32)")
        for op in ("save", "load", "save_weights", "load_weights"):
            line = f"  {op:14s} lamina {mine[op] * 1e3:9.2f} ms"
            if theirs is not None:
                line += (f"  keras {theirs[op] * 1e3:9.2f} ms  "
                         f"lamina/keras {mine[op] / theirs[op]:5.2f}")
            print(line)


if __name__ == "__main__":
    main()
