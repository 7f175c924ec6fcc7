"""One benchmark suite: lamina against numpy, PyTorch (CPU) and Keras 3 on the same machine.

Usage:
    python benches/python/compare.py --out DIR [--quick] [--only NAME[,NAME]] [--threads N]

Each peer runs every selected workload in a process of its own (this script started again with
`--worker PEER`), one peer after the other, all at the same thread count (LAMINA_NUM_THREADS,
torch.set_num_threads, OPENBLAS/OMP/MKL_NUM_THREADS and the CPU affinity of the process). Peers:
lamina (required); numpy (hand-written equivalents where they make sense); PyTorch on the CPU
when importable; Keras 3 when importable, on the torch backend if PyTorch is importable, else on
jax. Times are medians over repeats after warm-up. The script writes to DIR:

- results.md: a markdown table (median time per peer, lamina's ratio to each peer; ratio =
  lamina / peer, below 1 means lamina is faster) and a line naming the machine and the date;
- results.json: the raw medians (seconds, bytes for memory, a plain ratio for scaling);
- chart.png: lamina/peer ratios per workload, and train-step time against hidden width
  (needs matplotlib: `pip install lamina[bench]`).

Workloads (names for --only):
    sgemm         float32 n x n matmul, n = 256, 1024, 2048: time, GFLOP/s, fraction of FMA peak
    add           `add` of two 4-element tensors (per-op dispatch)
    tape_chain    100 small ops (50 x multiply+add, 4 elements) recorded on a GradientTape
    simple_dense  the seeds' SimpleDense(4) called on a 2x2 input (Layer.__call__ overhead)
    mlp_forward   MLP 784-512-512-10 (ReLU) called on a batch of 1
    mlp_predict   the same MLP, predict on a batch of 1024
    mlp_train     the same MLP, Adam train step via fit at batch 32, 128 and 1024
    threads       the training run (fit, batch 1024) at 1 and 2 threads, and the scaling ratio
    memory        peak resident memory (ru_maxrss) of a process running the training run
    width         train step (fit, batch 128) of 784-w-w-10 for hidden widths w = 128 ... 2048

--quick uses few repeats and small sizes (a smoke run of a couple of minutes at most).
"""

import argparse
import contextlib
import datetime
import importlib.util
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RESULT_TAG = "@@compare-result "
IMPORT_FAILED = 3  # a worker's exit code when its peer cannot be imported

MLP = (784, 512, 512, 10)
TRAIN_RUN_BATCH = 1024
SCALING_THREADS = (1, 2)
# f32 flop per cycle and core: 2 FMA units x lanes x 2 flop (8 lanes with AVX2, 16 with AVX-512).
FLOP_PER_CYCLE = {"avx512f": 64, "fma": 32}

# Sizes and repeat counts. `train_flop` sets how many steps one timed `fit` runs (about that many
# floating-point operations per call, between `train_steps` bounds).
FULL = {
    "sgemm": (256, 1024, 2048), "widths": (128, 256, 512, 1024, 2048), "batches": (32, 128, 1024),
    "repeats": 9, "min_time": 0.05, "train_repeats": 5, "train_flop": 25e9,
    "train_steps": (3, 100), "run_steps": 12, "run_repeats": 3, "timeout": 3600,
}
QUICK = {
    "sgemm": (128, 256, 512), "widths": (128, 256, 512), "batches": (32, 128, 1024),
    "repeats": 3, "min_time": 0.01, "train_repeats": 2, "train_flop": 2e9,
    "train_steps": (2, 16), "run_steps": 2, "run_repeats": 2, "timeout": 300,
}

GROUPS = ("sgemm", "add", "tape_chain", "simple_dense", "mlp_forward", "mlp_predict", "mlp_train",
          "threads", "memory", "width")
RUN_GROUPS = ("threads", "memory")  # measured by dedicated training-run processes


# --------------------------------------------------------------------------------------------
# Formatting


def sig3(value):
    """Formats a positive number with 3 significant digits and no exponent (`0.431`, `12.3`, `145`)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    rounded = float(f"{value:.3g}")
    digits = max(0, 2 - math.floor(math.log10(abs(rounded))))
    return f"{rounded:.{digits}f}"


def fmt_time(seconds):
    """Formats a duration in s, ms or µs with 3 significant digits (`0.431 µs`, `5.62 ms`)."""
    rounded = float(f"{seconds:.3g}")
    for unit, scale in (("s", 1.0), ("ms", 1e-3)):
        if rounded >= scale * (1 - 1e-9):
            return f"{sig3(rounded / scale)} {unit}"
    return f"{sig3(rounded / 1e-6)} µs"


def fmt_ratio(value):
    return f"{sig3(value)}x"


# --------------------------------------------------------------------------------------------
# Machine


def machine_info():
    """CPU model, clock, physical cores and logical CPUs from /proc/cpuinfo (platform as fallback)."""
    info = {"cpu": platform.processor() or platform.machine(), "mhz": None, "cores": os.cpu_count(),
            "logical_cpus": os.cpu_count(), "flags": []}
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:
        return info
    blocks = [b for b in text.split("\n\n") if b.strip()]
    fields = [dict((k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in b.splitlines()))
              for b in blocks]
    fields = [f for f in fields if "processor" in f]
    if not fields:
        return info
    first = fields[0]
    info["cpu"] = first.get("model name", info["cpu"])
    mhz = [float(f["cpu MHz"]) for f in fields if "cpu MHz" in f]
    info["mhz"] = max(mhz) if mhz else None
    pairs = {(f.get("physical id"), f.get("core id")) for f in fields}
    info["cores"] = len(pairs) if (None, None) not in pairs else len(fields)
    info["logical_cpus"] = len(fields)
    flags = set(first.get("flags", "").split())
    info["flags"] = [f for f in ("avx2", "fma", "avx512f") if f in flags]
    return info


def fma_peak(machine):
    """Estimated f32 FMA peak of the whole machine in FLOP/s, or None without a clock."""
    if not machine["mhz"]:
        return None
    return machine["cores"] * machine["mhz"] * 1e6 * flop_per_cycle(machine)


def flop_per_cycle(machine):
    """f32 flop per cycle and core for the widest FMA the CPU reports (SSE's 8 without one)."""
    return next((v for flag, v in FLOP_PER_CYCLE.items() if flag in machine["flags"]), 8)


# --------------------------------------------------------------------------------------------
# Rows of the table


def table_rows(cfg, groups):
    """The rows of the table for the selected groups, in order: key, label, kind, group."""
    rows = []

    def add(group, key, label, kind="time", **extra):
        if group in groups:
            rows.append(dict(group=group, key=key, label=label, kind=kind, **extra))

    for n in cfg["sgemm"]:
        add("sgemm", f"sgemm_{n}", f"sgemm n={n}", "gemm", n=n)
    add("add", "add", "add, 4 elements")
    add("tape_chain", "tape_chain", "100 small ops on a GradientTape")
    add("simple_dense", "simple_dense", "SimpleDense(4) call, 2x2 input")
    add("mlp_forward", "mlp_forward_b1", "MLP forward, batch 1")
    add("mlp_predict", "mlp_predict_b1024", "MLP predict, batch 1024")
    for b in cfg["batches"]:
        add("mlp_train", f"mlp_train_b{b}", f"MLP train step (fit), batch {b}")
    for t in SCALING_THREADS:
        add("threads", f"train_run_{t}t", f"train run (fit, batch {TRAIN_RUN_BATCH}), "
            f"{t} thread{'s' if t > 1 else ''}", threads=t)
    lo, hi = SCALING_THREADS
    add("threads", "scaling", f"scaling {lo} -> {hi} threads (time at {lo} / time at {hi})", "scaling")
    add("memory", "peak_rss", f"peak RSS of the train run (batch {TRAIN_RUN_BATCH})", "memory")
    for w in cfg["widths"]:
        add("width", f"width_{w}", f"train step (fit, batch 128), 784-{w}-{w}-10", width=w)
    return rows


# --------------------------------------------------------------------------------------------
# Worker: one process per peer runs the selected workloads and prints its medians as JSON


def measure(fn, repeats, min_time, number=None, warmup=1):
    """Median seconds per call of `fn` over `repeats` runs of `number` calls, after warm-up.

    Without `number`, the number of calls per run is grown until a run lasts `min_time`.
    """
    for _ in range(warmup):
        fn()
    if number is None:
        number = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
            number = min(number * 100, max(number + 1, int(number * 1.2 * min_time / max(dt, 1e-7))))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def train_steps(cfg, batch, sizes):
    """Steps per timed `fit` call: about `cfg['train_flop']` of work (6 flop per weight and example)."""
    params = sum(i * o + o for i, o in zip(sizes[:-1], sizes[1:]))
    lo, hi = cfg["train_steps"]
    return int(min(hi, max(lo, round(cfg["train_flop"] / (6 * batch * params)))))


def mlp_data(steps, batch, width_in=784, classes=10, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps * batch, width_in)).astype("float32")
    y = rng.integers(0, classes, size=steps * batch).astype("int32")
    return x, y


class KerasAPIPeer:
    """lamina and Keras 3 share one API, so one adapter runs both (`module` is lamina or keras)."""

    def __init__(self, module, threads):
        self.k = module
        self.ops = module.ops

    @staticmethod
    def _sync(out):
        # jax dispatches asynchronously: wait for the result inside the timed call
        if hasattr(out, "block_until_ready"):
            out.block_until_ready()
        return out

    def inference(self):
        return contextlib.nullcontext()

    def sgemm(self, a, b):
        ops, sync = self.ops, self._sync
        at, bt = ops.convert_to_tensor(a), ops.convert_to_tensor(b)
        return lambda: sync(ops.matmul(at, bt))

    def add(self, a):
        ops, sync = self.ops, self._sync
        at = ops.convert_to_tensor(a)
        return lambda: sync(ops.add(at, at))

    def tape_chain(self, a):
        tape_cls = getattr(self.k, "GradientTape", None)
        if tape_cls is None:  # Keras 3 has no backend-neutral tape
            return None
        ops = self.ops
        at = ops.convert_to_tensor(a)

        def chain():
            with tape_cls() as tape:
                tape.watch(at)
                h = at
                for _ in range(50):
                    h = ops.add(ops.multiply(h, at), at)
            return h

        return chain

    def simple_dense(self):
        ops, sync = self.ops, self._sync

        class SimpleDense(self.k.layers.Layer):  # the seeds' layer, verbatim apart from names
            def __init__(self, units=32):
                super().__init__()
                self.units = units

            def build(self, input_shape):
                self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                         initializer="random_normal", trainable=True)
                self.b = self.add_weight(shape=(self.units,), initializer="random_normal",
                                         trainable=True)

            def call(self, inputs):
                return ops.matmul(inputs, self.w) + self.b

        layer = SimpleDense(4)
        x = ops.ones((2, 2))
        return lambda: sync(layer(x))

    def _model(self, sizes):
        k = self.k
        model = k.Sequential(
            [k.Input(shape=(sizes[0],))]
            + [k.layers.Dense(w, activation="relu") for w in sizes[1:-1]]
            + [k.layers.Dense(sizes[-1])])
        model.compile(optimizer="adam",
                      loss=k.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model

    def mlp_forward(self, sizes, x):
        model, sync = self._model(sizes), self._sync
        xt = self.ops.convert_to_tensor(x)
        return lambda: sync(model(xt))

    def mlp_predict(self, sizes, x):
        model = self._model(sizes)
        return lambda: model.predict(x, batch_size=len(x), verbose=0)

    def mlp_fit(self, sizes, x, y, batch):
        model = self._model(sizes)
        return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)


class NumpyPeer:
    """Hand-written numpy equivalents; None where numpy has no counterpart (layers, autodiff)."""

    def __init__(self, threads):
        import numpy as np

        from _peers import NumpyMLP

        self.np, self.mlp_cls = np, NumpyMLP

    def inference(self):
        return contextlib.nullcontext()

    def sgemm(self, a, b):
        return lambda: a @ b

    def add(self, a):
        np = self.np
        return lambda: np.add(a, a)

    def tape_chain(self, a):
        return None

    def simple_dense(self):
        return None

    def mlp_forward(self, sizes, x):
        mlp = self.mlp_cls(sizes)
        return lambda: mlp.forward(x)

    def mlp_predict(self, sizes, x):
        return self.mlp_forward(sizes, x)

    def mlp_fit(self, sizes, x, y, batch):
        mlp = self.mlp_cls(sizes)

        def fit():
            for s in range(0, len(x), batch):
                mlp.train_step(x[s:s + batch], y[s:s + batch])

        return fit


class TorchPeer:
    """PyTorch on the CPU; inference workloads run under `torch.no_grad()` (lamina records
    nothing outside a tape either)."""

    def __init__(self, threads):
        import torch

        torch.set_num_threads(threads)
        self.torch = torch

    def inference(self):
        return self.torch.no_grad()

    def sgemm(self, a, b):
        at, bt = self.torch.from_numpy(a), self.torch.from_numpy(b)
        return lambda: at @ bt

    def add(self, a):
        torch = self.torch
        at = torch.from_numpy(a)
        return lambda: torch.add(at, at)

    def tape_chain(self, a):
        torch = self.torch
        at = torch.from_numpy(a.copy()).requires_grad_(True)

        def chain():
            h = at
            for _ in range(50):
                h = torch.add(torch.mul(h, at), at)
            return h

        return chain

    def simple_dense(self):
        lin = self.torch.nn.Linear(2, 4)
        x = self.torch.ones(2, 2)
        return lambda: lin(x)

    def _model(self, sizes):
        nn = self.torch.nn
        mods = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            mods.append(nn.Linear(fan_in, fan_out))
            if i < len(sizes) - 2:
                mods.append(nn.ReLU())
        return nn.Sequential(*mods)

    def mlp_forward(self, sizes, x):
        model = self._model(sizes)
        xt = self.torch.from_numpy(x)
        return lambda: model(xt)

    def mlp_predict(self, sizes, x):
        return self.mlp_forward(sizes, x)

    def mlp_fit(self, sizes, x, y, batch):
        torch = self.torch
        model = self._model(sizes)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        xt, yt = torch.from_numpy(x), torch.from_numpy(y).long()

        def fit():
            for s in range(0, len(x), batch):
                opt.zero_grad()
                loss = loss_fn(model(xt[s:s + batch]), yt[s:s + batch])
                loss.backward()
                opt.step()

        return fit


def make_peer(name, threads):
    """The adapter of peer `name` and a description of it (versions, backend, threads)."""
    if name == "lamina":
        import lamina

        info = {"version": lamina.__version__, "threads": lamina._lamina.get_num_threads()}
        return KerasAPIPeer(lamina, threads), info
    if name == "numpy":
        import numpy as np

        peer = NumpyPeer(threads)
        try:
            blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
            info = {"version": np.__version__, "blas": f"{blas['name']} {blas.get('version', '')}".strip()}
        except (AttributeError, KeyError, TypeError):
            info = {"version": np.__version__}
        return peer, info
    if name == "pytorch":
        peer = TorchPeer(threads)
        return peer, {"version": peer.torch.__version__, "threads": peer.torch.get_num_threads()}
    if name == "keras":
        import keras

        backend = keras.backend.backend()
        backend_mod = importlib.import_module(backend)
        info = {"version": keras.__version__, "backend": backend,
                "backend_version": getattr(backend_mod, "__version__", "")}
        return KerasAPIPeer(keras, threads), info
    raise ValueError(f"Received an unknown peer. Received: peer={name!r}")


def run_worker(peer_name, groups, cfg, threads):
    """Runs the selected groups for one peer; returns {"info", "results", "errors"}."""
    import numpy as np

    try:
        peer, info = make_peer(peer_name, threads)
    except Exception as e:  # noqa: BLE001 - any import failure means "peer unavailable"
        print(f"cannot import peer {peer_name}: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(IMPORT_FAILED)
    results, errors = {}, {}
    rep, min_time = cfg["repeats"], cfg["min_time"]

    def record(key, build, inference=False, number=None, repeats=rep, per_call=1):
        try:
            fn = build()
            if fn is None:
                return
            with peer.inference() if inference else contextlib.nullcontext():
                results[key] = measure(fn, repeats, min_time, number=number) / per_call
        except Exception as e:  # noqa: BLE001 - report the failure in the table, keep going
            errors[key] = f"{type(e).__name__}: {e}"

    def record_fit(key, sizes, batch):
        steps = train_steps(cfg, batch, sizes)
        x, y = mlp_data(steps, batch, sizes[0], sizes[-1])
        record(key, lambda: peer.mlp_fit(sizes, x, y, batch), number=1,
               repeats=cfg["train_repeats"], per_call=steps)

    if "sgemm" in groups:
        for n in cfg["sgemm"]:
            rng = np.random.default_rng(n)
            a = rng.standard_normal((n, n)).astype("float32")
            b = rng.standard_normal((n, n)).astype("float32")
            record(f"sgemm_{n}", lambda: peer.sgemm(a, b), inference=True)
    tiny = np.array([1.0, 2.0, 3.0, 4.0], dtype="float32")
    if "add" in groups:
        record("add", lambda: peer.add(tiny), inference=True)
    if "tape_chain" in groups:
        record("tape_chain", lambda: peer.tape_chain(np.full(4, 0.5, "float32")))
    if "simple_dense" in groups:
        record("simple_dense", peer.simple_dense, inference=True)
    x_pred, _ = mlp_data(1, 1024)
    if "mlp_forward" in groups:
        record("mlp_forward_b1", lambda: peer.mlp_forward(MLP, x_pred[:1]), inference=True)
    if "mlp_predict" in groups:
        record("mlp_predict_b1024", lambda: peer.mlp_predict(MLP, x_pred), inference=True,
               repeats=max(3, rep // 2))
    if "mlp_train" in groups:
        for b in cfg["batches"]:
            record_fit(f"mlp_train_b{b}", MLP, b)
    if "width" in groups:
        for w in cfg["widths"]:
            record_fit(f"width_{w}", (784, w, w, 10), 128)
    if "train_run" in groups:
        steps = cfg["run_steps"]
        x, y = mlp_data(steps, TRAIN_RUN_BATCH)
        record("train_run", lambda: peer.mlp_fit(MLP, x, y, TRAIN_RUN_BATCH), number=1,
               repeats=cfg["run_repeats"], per_call=steps)
        import resource

        results["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB -> bytes
    return {"info": info, "results": results, "errors": errors}


# --------------------------------------------------------------------------------------------
# Driver


def worker_env(peer, threads, keras_backend=None):
    env = dict(os.environ)
    for var in ("LAMINA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join([HERE] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    if peer == "keras":
        env["KERAS_BACKEND"] = keras_backend
        env.setdefault("JAX_PLATFORMS", "cpu")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        if threads == 1:  # XLA's CPU client otherwise keeps an Eigen pool of its own size
            env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
                                " intra_op_parallelism_threads=1").strip()
    return env


def spawn_worker(peer, groups, threads, args, cfg, keras_backend=None):
    """Runs one worker process; returns (payload or None, error text or None, returncode)."""
    cmd = ([sys.executable, os.path.abspath(__file__), "--worker", peer, "--threads", str(threads)]
           + (["--only", ",".join(groups)] if groups else []) + (["--quick"] if args.quick else []))
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = None
    if cpus and threads < len(cpus):
        chosen = set(cpus[:threads])
        pin = lambda: os.sched_setaffinity(0, chosen)  # noqa: E731 - runs in the child before exec
    label = peer if peer != "keras" else f"keras ({keras_backend})"
    print(f"[compare] {label}: {','.join(groups)} at {threads} thread(s) ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=worker_env(peer, threads, keras_backend), capture_output=True,
                              text=True, timeout=cfg["timeout"], preexec_fn=pin)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {cfg['timeout']} s", None
    print(f"[compare]   done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG):]), None, proc.returncode
    tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
    return None, f"exit code {proc.returncode}: {tail}", proc.returncode


def available_peers():
    """Peers to run, lamina first; Keras with its backend candidates in order of preference."""
    peers = [("lamina", None), ("numpy", None)]
    has = lambda mod: importlib.util.find_spec(mod) is not None  # noqa: E731
    if has("torch"):
        peers.append(("pytorch", None))
    if has("keras"):
        backends = [b for b in ("torch", "jax") if has(b)]
        if backends:
            peers.append(("keras", backends))
    return peers


def peer_label(peer, info):
    if peer == "keras":
        return f"keras 3 ({info.get('backend', '?')})"
    return peer


def run_all(args, cfg, groups):
    """Runs every peer's workers; returns (peer labels, infos, medians, notes)."""
    main_groups = [g for g in groups if g not in RUN_GROUPS]
    run_threads = set()
    if "threads" in groups:
        run_threads.update(SCALING_THREADS)
    if "memory" in groups:
        run_threads.add(args.threads)
    labels, infos, medians, notes = [], {}, {}, []

    for peer, backends in available_peers():
        label, info = None, None
        chosen_backend = None
        candidates = backends or [None]
        jobs = ([(main_groups, args.threads)] if main_groups else []) + \
               [(["train_run"], t) for t in sorted(run_threads)]
        if not jobs:
            jobs = [([], args.threads)]  # nothing selected: still describe the peer
        runs = {}
        for job_groups, threads in jobs:
            payload = error = None
            for backend in ([chosen_backend] if chosen_backend else candidates):
                payload, error, code = spawn_worker(peer, job_groups, threads, args, cfg, backend)
                if payload is not None:
                    chosen_backend = backend
                    break
                if code != IMPORT_FAILED:
                    break
            if payload is None:
                notes.append(f"{peer}{f' ({chosen_backend or candidates[-1]})' if backends else ''}: "
                             f"worker failed ({error})")
                if peer == "lamina":
                    raise SystemExit(f"lamina's worker failed: {error}")
                continue
            info = payload["info"]
            label = peer_label(peer, info)
            for key, msg in payload["errors"].items():
                notes.append(f"{label}, {key}: failed ({msg})")
            if job_groups == ["train_run"]:
                runs[threads] = payload["results"]
            else:
                for key, value in payload["results"].items():
                    medians.setdefault(key, {})[label] = value
        if label is None:
            continue
        labels.append(label)
        infos[label] = info
        for t in SCALING_THREADS:
            if "threads" in groups and "train_run" in runs.get(t, {}):
                medians.setdefault(f"train_run_{t}t", {})[label] = runs[t]["train_run"]
        lo, hi = SCALING_THREADS
        if "threads" in groups and "train_run" in runs.get(lo, {}) and "train_run" in runs.get(hi, {}):
            medians.setdefault("scaling", {})[label] = runs[lo]["train_run"] / runs[hi]["train_run"]
        if "memory" in groups and "peak_rss" in runs.get(args.threads, {}):
            medians.setdefault("peak_rss", {})[label] = runs[args.threads]["peak_rss"]
    return labels, infos, medians, notes


def cell(row, value, peak):
    if value is None:
        return "n/a"
    if row["kind"] == "memory":
        return f"{sig3(value / 2**20)} MiB"
    if row["kind"] == "scaling":
        return fmt_ratio(value)
    text = fmt_time(value)
    if row["kind"] == "gemm":
        gflops = 2 * row["n"] ** 3 / value / 1e9
        text += f" · {sig3(gflops)} GFLOP/s"
        if peak:
            text += f" · {sig3(100 * gflops * 1e9 / peak)}% of peak"
    return text


def ratio_cell(row, mine, theirs):
    if row["kind"] == "scaling" or mine is None or theirs is None or theirs == 0:
        return "—"
    return fmt_ratio(mine / theirs)


def peer_description(label, info):
    if label == "lamina":
        return f"lamina {info['version']} ({info['threads']} threads)"
    if label == "numpy":
        blas = f", {info['blas']}" if info.get("blas") else ""
        return f"numpy {info['version']} (hand-written equivalents{blas})"
    if label == "pytorch":
        return f"PyTorch {info['version']} (CPU, {info['threads']} threads)"
    return f"Keras {info['version']} on {info['backend']} {info['backend_version']}"


def write_markdown(path, report, rows):
    labels, medians = report["peers"], report["medians"]
    machine, peak = report["machine"], report["fma_peak_flops"]
    others = labels[1:]
    header = ["workload"] + labels + [f"lamina / {p}" for p in others]
    lines = [f"# lamina vs {', '.join(others) or 'nothing'}", "",
             "| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    for row in rows:
        values = medians.get(row["key"], {})
        if not values:
            continue
        mine = values.get("lamina")
        cells = ([row["label"]] + [cell(row, values.get(p), peak) for p in labels]
                 + [ratio_cell(row, mine, values.get(p)) for p in others])
        lines.append("| " + " | ".join(cells) + " |")
    mhz = f", {machine['mhz'] / 1000:.2f} GHz" if machine["mhz"] else ""
    lines += ["",
              f"Machine: {machine['cpu']}{mhz}, {machine['cores']} cores "
              f"({machine['logical_cpus']} logical CPUs), {report['threads']} thread(s) used by every "
              f"peer; {report['date']}.", ""]
    ran = {r["group"] for r in rows if medians.get(r["key"])}
    notes = [f"Times are medians over repeats after warm-up"
             f"{' (--quick: few repeats, small sizes)' if report['quick'] else ''}; "
             "ratio = lamina / peer, below 1 means lamina is faster (for memory: uses less).",
             "Peers: " + "; ".join(peer_description(p, report["peer_info"][p]) for p in labels)
             + "".join(f"; {name}: not installed" for name in report["missing"]) + "."]
    if peak and "sgemm" in ran:
        isa = "AVX-512" if "avx512f" in machine["flags"] else "AVX2+FMA"
        notes.append(f"FMA peak estimate: {machine['cores']} cores x {machine['mhz'] / 1000:.2f} GHz "
                     f"(/proc/cpuinfo \"cpu MHz\") x {flop_per_cycle(machine)} flop/cycle ({isa}, "
                     f"two FMA units, f32) = {sig3(peak / 1e9)} GFLOP/s; turbo clocks can exceed it, "
                     "and a CPU with one 512-bit FMA unit per core peaks at half of it.")
    if any(medians.get(r["key"], {}).get(p) is None for r in rows if medians.get(r["key"])
           for p in labels):
        notes.append("n/a: the peer has no equivalent (numpy has no layers or autodiff; Keras 3 has "
                     "no backend-neutral GradientTape)"
                     + (" or its run failed (listed below)." if report["notes"] else "."))
    if "pytorch" in labels and ran & {"sgemm", "add", "simple_dense", "mlp_forward", "mlp_predict"}:
        notes.append("PyTorch runs the inference workloads under torch.no_grad() (lamina records "
                     "nothing outside a GradientTape either).")
    if ran & {"mlp_train", "width", "threads", "memory"}:
        notes.append("Train steps: lamina and Keras through `fit` (Adam, sparse softmax cross-entropy "
                     "from logits), numpy (forward, backward and Adam by hand) and PyTorch through a "
                     "plain loop; time per step = median time of one epoch / its steps.")
    if ran & {"threads", "memory"}:
        notes.append(f"Train run: MLP {'-'.join(map(str, MLP))}, batch {TRAIN_RUN_BATCH}, in a process "
                     "of its own per peer and thread count (LAMINA_NUM_THREADS, torch threads, "
                     "OPENBLAS/OMP/MKL_NUM_THREADS and CPU affinity set to that count); peak RSS is "
                     "that process's ru_maxrss, imports included.")
    notes += report["notes"]
    lines += [f"- {n}" for n in notes]
    lines += ["", f"Command: `{report['command']}`", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def write_chart(path, report, rows, cfg):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("[compare] matplotlib is not installed (pip install lamina[bench]): no chart.png",
              file=sys.stderr)
        return False
    labels, medians = report["peers"], report["medians"]
    others = labels[1:]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(15, 6), gridspec_kw={"width_ratios": [2.2, 1]})
    bar_rows = [r for r in rows if r["kind"] != "scaling" and r["group"] != "width"
                and medians.get(r["key"], {}).get("lamina") is not None
                and any(medians[r["key"]].get(p) for p in others)]
    width = 0.8 / max(1, len(others))
    for i, peer in enumerate(others):
        xs, ys = [], []
        for j, row in enumerate(bar_rows):
            theirs = medians[row["key"]].get(peer)
            if theirs:
                xs.append(j - 0.4 + width * (i + 0.5))
                ys.append(medians[row["key"]]["lamina"] / theirs)
        # bars grow from 1 (parity) up or down, so a log axis shows both directions alike
        bars = ax1.bar(xs, [y - 1 for y in ys], bottom=1, width=width, label=f"lamina / {peer}")
        for bar, y in zip(bars, ys):
            ax1.annotate(fmt_ratio(y), (bar.get_x() + bar.get_width() / 2, y), ha="center",
                         va="bottom" if y >= 1 else "top", fontsize=6,
                         xytext=(0, 2 if y >= 1 else -2), textcoords="offset points")
    ax1.axhline(1.0, color="black", linewidth=0.8)
    ax1.set_yscale("log")
    ax1.set_xticks(range(len(bar_rows)))
    ax1.set_xticklabels([r["label"] for r in bar_rows], rotation=40, ha="right", fontsize=8)
    ax1.set_ylabel("lamina / peer (below 1: lamina faster)")
    ax1.set_title("lamina's ratio to each peer")
    if others and bar_rows:
        ax1.legend(fontsize=8)
    width_rows = [r for r in rows if r["group"] == "width"]
    plotted = False
    for peer in labels:
        pts = [(r["width"], medians.get(r["key"], {}).get(peer)) for r in width_rows]
        pts = [(w, t * 1e3) for w, t in pts if t]
        if pts:
            ax2.plot(*zip(*pts), marker="o", label=peer)
            plotted = True
    if plotted:
        ax2.set_xscale("log", base=2)
        ax2.set_yscale("log")
        ax2.set_xticks(list(cfg["widths"]))
        ax2.set_xticklabels([str(w) for w in cfg["widths"]])
        ax2.set_xlabel("hidden width w (MLP 784-w-w-10, batch 128)")
        ax2.set_ylabel("train step (ms)")
        ax2.legend(fontsize=8)
    else:
        ax2.text(0.5, 0.5, "width workload not run", ha="center", va="center", transform=ax2.transAxes)
        ax2.set_xticks([])
        ax2.set_yticks([])
    ax2.set_title("train step time against hidden width")
    m = report["machine"]
    fig.suptitle(f"lamina benchmarks — {m['cpu']}, {report['threads']} thread(s), {report['date']}",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def parse_only(parser, text, allowed):
    if text is None:
        return list(allowed)
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown or not names:
        parser.error(f"Received an invalid value for `--only`, expected names among "
                     f"{', '.join(allowed)}. Received: --only={text}")
    return [g for g in allowed if g in names]


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="lamina vs numpy, PyTorch and Keras 3: one table, one JSON, one chart.",
        epilog=__doc__[__doc__.index("Workloads"):], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="folder for results.md, results.json and chart.png (required)")
    parser.add_argument("--quick", action="store_true", help="few repeats and small sizes (smoke run)")
    parser.add_argument("--only", metavar="NAME[,NAME]", help="run a subset of the workloads")
    default_threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    parser.add_argument("--threads", type=int, default=default_threads,
                        help=f"threads for every peer (default: {default_threads}, the usable CPUs)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"Received an invalid value for `--threads`, expected a positive integer. "
                     f"Received: --threads={args.threads}")
    cfg = QUICK if args.quick else FULL

    if args.worker:
        groups = parse_only(parser, args.only, GROUPS + ("train_run",)) if args.only else []
        payload = run_worker(args.worker, groups, cfg, args.threads)
        print(RESULT_TAG + json.dumps(payload), flush=True)
        return 0

    if not args.out:
        parser.error("the following arguments are required: --out")
    groups = parse_only(parser, args.only, GROUPS)
    os.makedirs(args.out, exist_ok=True)
    started = datetime.datetime.now(datetime.timezone.utc)
    labels, infos, medians, notes = run_all(args, cfg, groups)
    machine = machine_info()
    rows = table_rows(cfg, groups)
    present = {p for p, _ in available_peers()}
    missing = [name for peer, name in (("pytorch", "PyTorch"), ("keras", "Keras 3"))
               if peer not in present]
    report = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python benches/python/compare.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "quick": args.quick, "threads": args.threads, "workloads": groups,
        "machine": machine, "fma_peak_flops": fma_peak(machine),
        "peers": labels, "peer_info": infos, "missing": missing,
        "units": {"time": "seconds per call (train rows: per step)", "memory": "bytes (ru_maxrss)",
                  "scaling": "time at 1 thread / time at 2 threads"},
        "rows": [{k: v for k, v in r.items()} for r in rows],
        "medians": medians, "notes": notes,
    }
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    write_markdown(os.path.join(args.out, "results.md"), report, rows)
    write_chart(os.path.join(args.out, "chart.png"), report, rows, cfg)
    print(open(os.path.join(args.out, "results.md"), encoding="utf-8").read())
    return 0


if __name__ == "__main__":
    sys.exit(main())
