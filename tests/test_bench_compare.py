"""benches/python/compare.py (the one benchmark suite): a --quick smoke run writes results.md,
results.json and chart.png with the right table columns; time formatting; --only errors; and the
hand-written numpy peer in benches/python/_peers.py checked against finite differences."""

import importlib.util
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benches", "python")
SCRIPT = os.path.join(BENCH, "compare.py")


def _load(name):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", os.path.join(BENCH, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compare = _load("compare")
peers = _load("_peers")

TIME_CELL = re.compile(r"^\d+(\.\d+)? (s|ms|µs)$")


def test_quick_run_writes_table_json_and_chart(tmp_path):
    out = tmp_path / "bench"
    proc = subprocess.run([sys.executable, SCRIPT, "--quick", "--only", "add,simple_dense",
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for name in ("results.md", "results.json", "chart.png"):
        assert (out / name).is_file(), name
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    report = json.loads((out / "results.json").read_text())
    labels = report["peers"]
    assert labels[0] == "lamina" and "numpy" in labels
    assert report["workloads"] == ["add", "simple_dense"]
    assert [r["key"] for r in report["rows"]] == ["add", "simple_dense"]
    med = report["medians"]
    assert set(med) == {"add", "simple_dense"}
    assert 0 < med["add"]["lamina"] < 1e-3 and 0 < med["add"]["numpy"] < 1e-3
    assert 0 < med["simple_dense"]["lamina"] < 1e-2
    assert "numpy" not in med["simple_dense"]  # numpy has no layers: n/a

    lines = (out / "results.md").read_text(encoding="utf-8").splitlines()
    table = [line for line in lines if line.startswith("|")]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in table]
    others = labels[1:]
    assert cells[0] == ["workload"] + labels + [f"lamina / {p}" for p in others]
    assert all(set(c) <= set("-:") for c in cells[1])
    assert len(table) == 4 and all(len(row) == len(cells[0]) for row in cells)
    rows = {row[0]: dict(zip(cells[0], row)) for row in cells[2:]}
    add = rows["add, 4 elements"]
    assert TIME_CELL.match(add["lamina"]) and TIME_CELL.match(add["numpy"])
    assert add["lamina / numpy"] == compare.fmt_ratio(med["add"]["lamina"] / med["add"]["numpy"])
    dense = rows["SimpleDense(4) call, 2x2 input"]
    assert dense["numpy"] == "n/a" and dense["lamina / numpy"] == "—"
    machine = [line for line in lines if line.startswith("Machine: ")]
    assert len(machine) == 1
    assert re.search(r"\d+ cores .*\d+ thread\(s\) used .*; \d{4}-\d\d-\d\d \d\d:\d\d UTC\.$", machine[0])


def test_only_rejects_unknown_names(tmp_path):
    proc = subprocess.run([sys.executable, SCRIPT, "--quick", "--only", "add,bogus",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "--only=add,bogus" in proc.stderr and "simple_dense" in proc.stderr
    proc = subprocess.run([sys.executable, SCRIPT, "--quick"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "--out" in proc.stderr


@pytest.mark.parametrize("seconds, text", [
    (4.314e-7, "0.431 µs"), (3.0e-6, "3.00 µs"), (82.14e-6, "82.1 µs"), (999.96e-6, "1.00 ms"),
    (5.624e-3, "5.62 ms"), (0.15149, "151 ms"), (12.34, "12.3 s"),
])
def test_fmt_time_three_significant_digits(seconds, text):
    assert compare.fmt_time(seconds) == text


def test_sig3_and_table_rows():
    assert [compare.sig3(v) for v in (0.04551, 1.0, 145.2, 1234.0)] == ["0.0455", "1.00", "145", "1230"]
    rows = compare.table_rows(compare.FULL, list(compare.GROUPS))
    keys = [r["key"] for r in rows]
    assert keys[:3] == ["sgemm_256", "sgemm_1024", "sgemm_2048"]
    assert ["mlp_train_b32", "mlp_train_b128", "mlp_train_b1024"] == [k for k in keys if "mlp_train" in k]
    assert [k for k in keys if k.startswith("width_")] == [f"width_{w}" for w in (128, 256, 512, 1024, 2048)]
    assert {"train_run_1t", "train_run_2t", "scaling", "peak_rss", "add", "tape_chain",
            "simple_dense", "mlp_forward_b1", "mlp_predict_b1024"} <= set(keys)


def _reference_loss(params, x, y):
    h = x.astype("float64")
    for i in range(0, len(params), 2):
        h = h @ params[i].astype("float64") + params[i + 1].astype("float64")
        if i < len(params) - 2:
            h = np.maximum(h, 0)
    z = h - h.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


def test_numpy_mlp_forward_and_first_adam_step():
    rng = np.random.default_rng(3)
    mlp = peers.NumpyMLP((5, 6, 3), seed=4)
    x = rng.standard_normal((8, 5)).astype("float32")
    y = rng.integers(0, 3, 8).astype("int32")
    w1, b1, w2, b2 = [p.copy() for p in mlp.params]
    expected = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    np.testing.assert_allclose(mlp.forward(x), expected, rtol=1e-6, atol=1e-6)
    assert mlp.forward(x).shape == (8, 3)

    before = [p.copy() for p in mlp.params]
    mlp.train_step(x, y)
    assert mlp.iterations == 1
    # Adam's first step moves each weight by lr * g / (|g| + eps), i.e. about -lr * sign(g):
    # compare its direction with a central finite difference of the float64 loss.
    checked = 0
    for j, p in enumerate(before):
        for idx in np.ndindex(p.shape):
            plus = [q.copy() for q in before]
            minus = [q.copy() for q in before]
            plus[j][idx] += 1e-3
            minus[j][idx] -= 1e-3
            grad = (_reference_loss(plus, x, y) - _reference_loss(minus, x, y)) / 2e-3
            step = mlp.params[j][idx] - p[idx]
            if abs(grad) > 1e-2:
                assert step == pytest.approx(-1e-3 * np.sign(grad), rel=1e-2), (j, idx, grad)
                checked += 1
            else:
                assert abs(step) <= 1e-3 * (1 + 1e-3)
    assert checked > 10


def test_numpy_mlp_rejects_bad_sizes():
    with pytest.raises(ValueError, match=r"`sizes`.*Received: sizes=\(5,\)"):
        peers.NumpyMLP((5,))
    with pytest.raises(ValueError, match=r"Received: sizes=\(5, 0, 3\)"):
        peers.NumpyMLP((5, 0, 3))
