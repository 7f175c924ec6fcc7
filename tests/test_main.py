"""The main job, `python -m lamina`: trains on the bundled digits, reaches the accuracy the README
promises, saves a .keras file that reloads with the same predictions."""

import os
import subprocess
import sys

import numpy as np
import pytest

import lamina
from lamina import __main__ as demo


def test_digits_dataset_loads_as_keras_loaders_do():
    (x_train, y_train), (x_test, y_test) = lamina.datasets.digits.load_data()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert x_train.max() == 16 and set(np.unique(y_test)) == set(range(10))
    # The same seed gives the same split; another seed another one.
    (again, _), _ = lamina.datasets.digits.load_data()
    np.testing.assert_array_equal(x_train, again)
    (other, _), _ = lamina.datasets.digits.load_data(seed=1)
    assert not np.array_equal(x_train, other)
    (small, _), (big, _) = lamina.datasets.digits.load_data(test_split=0.5)
    assert len(small) == 898 and len(big) == 899
    with pytest.raises(ValueError, match="test_split"):
        lamina.datasets.digits.load_data(test_split=1.5)


def test_main_job_trains_saves_and_reloads(tmp_path, capsys):
    out = tmp_path / "model.keras"
    status = demo.main(["--epochs", "30", "--output", str(out), "--verbose", "0"])
    text = capsys.readouterr().out
    assert status == 0, text
    assert out.exists()
    assert "Total params: 17,226" in text
    accuracy = float(text.split("test accuracy:")[1].split()[0])
    assert accuracy >= 0.95
    assert "same predictions" in text
    model = lamina.saving.load_model(str(out))
    assert isinstance(model.get_layer("mlp_block"), demo.MLPBlock)


def test_main_job_rejects_bad_options(tmp_path):
    with pytest.raises(SystemExit):
        demo.main(["--epochs", "0", "--output", str(tmp_path / "m.keras")])


def test_python_dash_m_lamina_runs(tmp_path):
    out = tmp_path / "m.keras"
    proc = subprocess.run(
        [sys.executable, "-m", "lamina", "--epochs", "2", "--output", str(out), "--verbose", "2"],
        capture_output=True, text=True, timeout=300, cwd=str(tmp_path),
        env=dict(os.environ, LAMINA_NUM_THREADS="1"),
    )
    # Two epochs are too few for the accuracy bar: the job says so and exits with status 1,
    # after printing the summary and saving the model.
    assert proc.returncode == 1, proc.stderr
    assert "Epoch 2/2" in proc.stdout and "saved the model to" in proc.stdout
    assert "below 0.95" in proc.stderr
    assert out.exists()
