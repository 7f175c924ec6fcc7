"""model.summary(): Keras 3's table as plain text — checked character by character against the
summaries Keras 3 prints for the same models — plus its options and errors."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina import ops
from lamina.backend import naming
from lamina.ops import operation
from lamina.utils import summary_utils


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    # The default width is min(88 or 108, terminal columns - 4), as in Keras.
    monkeypatch.setenv("COLUMNS", "200")
    operation.install_symbolic_dispatch(vars(ops), ops.__all__)


def _capture(model, **kwargs):
    calls = []
    model.summary(print_fn=calls.append, **kwargs)
    assert len(calls) == 1  # Keras 3 hands print_fn the whole summary at once
    return calls[0]


def _cases():
    """(name, model, summary kwargs) for each Keras reference summary."""
    out = []
    inp = lamina.Input((8,), name="x")
    h = layers.Dense(4, name="d1")(inp)
    out.append(("mlp", lamina.Model(inp, layers.Dense(2, name="d2")(h), name="mlp"), {}))

    a = lamina.Input((3,), name="a")
    b = lamina.Input((3,), name="b")
    d = layers.Dense(3, name="shared_dense")
    c = layers.Concatenate(name="cat")([d(a), d(b)])
    o = layers.BatchNormalization(name="batch_normalization_with_a_long_name")(c)
    out.append(("two", lamina.Model([a, b], o, name="two"), {}))
    out.append(("two_trainable", lamina.Model([a, b], o, name="two_t"), {"show_trainable": True}))

    i = lamina.Input((5,), name="i5")
    s = lamina.Sequential([layers.Dense(3, name="sd"), layers.Dense(3, name="sd2")],
                          name="inner_seq")
    x = s(i)
    y = layers.Dense(4, name="dd4")(x)
    out.append(("nested", lamina.Model(i, [x, y], name="nested"),
                {"expand_nested": True, "show_trainable": True, "line_length": 110}))

    out.append(("seq_unbuilt", lamina.Sequential(
        [layers.Dense(3, name="u1"), layers.Dense(2, name="u2")], name="unbuilt"), {}))
    seq = lamina.Sequential([lamina.Input((4,), name="sin"), layers.Dense(3, name="q1"),
                             layers.Dropout(0.2, name="qd"), layers.Dense(1, name="q2")],
                            name="seqm")
    out.append(("seq", seq, {"line_length": 70}))
    out.append(("seq_range", seq, {"layer_range": ["qd", "q2"]}))
    out.append(("seq_positions", seq, {"positions": [0.5, 0.7, 1.0], "line_length": 60}))

    p = lamina.Input((4,), name="p")
    q = lamina.Input((4,), name="q")
    z = layers.Dense(4, name="pd")(p) + q
    z = ops.concatenate([z * 2.0, p], axis=-1)
    out.append(("ops", lamina.Model({"p": p, "q": q}, {"w": z[:, 0], "s": ops.sum(z, axis=1)},
                                    name="opsm"), {}))

    class Sub(lamina.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.d = layers.Dense(3, name="sub_d")
            self.e = layers.Dense(2, name="sub_e")

        def call(self, x):
            return self.e(self.d(x))

    out.append(("sub_unbuilt", Sub(), {}))
    built = Sub()
    built(np.ones((2, 4), dtype="float32"))
    out.append(("sub", built, {}))
    big = lamina.Sequential([lamina.Input((784,), name="pixels"),
                             layers.Dense(512, name="hidden_512"), layers.Dense(10, name="logits")],
                            name="big")
    out.append(("big", big, {}))
    return out


# Keras 3.15's summaries (numpy backend, COLUMNS=200) of the models built in `_cases()`.
KERAS_SUMMARIES = {
    "mlp": """\
Model: "mlp"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ x (InputLayer)                       │ (None, 8)                   │               0 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ d1 (Dense)                           │ (None, 4)                   │              36 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ d2 (Dense)                           │ (None, 2)                   │              10 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 46 (184.00 B)
 Trainable params: 46 (184.00 B)
 Non-trainable params: 0 (0.00 B)
""",
    "two": """\
Model: "two"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to               ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ a (InputLayer)                │ (None, 3)                 │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ b (InputLayer)                │ (None, 3)                 │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ shared_dense (Dense)          │ (None, 3)                 │              12 │ a[0][0], b[0][0]           │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ cat (Concatenate)             │ (None, 6)                 │               0 │ shared_dense[0][0],        │
│                               │                           │                 │ shared_dense[1][0]         │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ batch_normalization_with_a_l… │ (None, 6)                 │              24 │ cat[0][0]                  │
│ (BatchNormalization)          │                           │                 │                            │
└───────────────────────────────┴───────────────────────────┴─────────────────┴────────────────────────────┘
 Total params: 36 (144.00 B)
 Trainable params: 24 (96.00 B)
 Non-trainable params: 12 (48.00 B)
""",
    "two_trainable": """\
Model: "two_t"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓
┃ Layer (type)                  ┃ Output Shape              ┃          Param # ┃ Connected to              ┃ Trainable ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━┩
│ a (InputLayer)                │ (None, 3)                 │                0 │ -                         │     -     │
├───────────────────────────────┼───────────────────────────┼──────────────────┼───────────────────────────┼───────────┤
│ b (InputLayer)                │ (None, 3)                 │                0 │ -                         │     -     │
├───────────────────────────────┼───────────────────────────┼──────────────────┼───────────────────────────┼───────────┤
│ shared_dense (Dense)          │ (None, 3)                 │               12 │ a[0][0], b[0][0]          │     Y     │
├───────────────────────────────┼───────────────────────────┼──────────────────┼───────────────────────────┼───────────┤
│ cat (Concatenate)             │ (None, 6)                 │                0 │ shared_dense[0][0],       │     -     │
│                               │                           │                  │ shared_dense[1][0]        │           │
├───────────────────────────────┼───────────────────────────┼──────────────────┼───────────────────────────┼───────────┤
│ batch_normalization_with_a_l… │ (None, 6)                 │               24 │ cat[0][0]                 │     Y     │
│ (BatchNormalization)          │                           │                  │                           │           │
└───────────────────────────────┴───────────────────────────┴──────────────────┴───────────────────────────┴───────────┘
 Total params: 36 (144.00 B)
 Trainable params: 24 (96.00 B)
 Non-trainable params: 12 (48.00 B)
""",
    "nested": """\
Model: "nested"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┓
┃ Layer (type)                              ┃ Output Shape                     ┃          Param # ┃ Trainab… ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━┩
│ i5 (InputLayer)                           │ (None, 5)                        │                0 │    -     │
├───────────────────────────────────────────┼──────────────────────────────────┼──────────────────┼──────────┤
│ inner_seq (Sequential)                    │ (None, 3)                        │               30 │    Y     │
├───────────────────────────────────────────┼──────────────────────────────────┼──────────────────┼──────────┤
│    └ sd (Dense)                           │ (None, 3)                        │               18 │    Y     │
├───────────────────────────────────────────┼──────────────────────────────────┼──────────────────┼──────────┤
│    └ sd2 (Dense)                          │ (None, 3)                        │               12 │    Y     │
├───────────────────────────────────────────┼──────────────────────────────────┼──────────────────┼──────────┤
│ dd4 (Dense)                               │ (None, 4)                        │               16 │    Y     │
└───────────────────────────────────────────┴──────────────────────────────────┴──────────────────┴──────────┘
 Total params: 46 (184.00 B)
 Trainable params: 46 (184.00 B)
 Non-trainable params: 0 (0.00 B)
""",
    "seq_unbuilt": """\
Model: "unbuilt"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ u1 (Dense)                           │ ?                           │     0 (unbuilt) │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ u2 (Dense)                           │ ?                           │     0 (unbuilt) │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 0 (0.00 B)
 Trainable params: 0 (0.00 B)
 Non-trainable params: 0 (0.00 B)
""",
    "seq": """\
Model: "seqm"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┓
┃ Layer (type)                 ┃ Output Shape          ┃     Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━┩
│ q1 (Dense)                   │ (None, 3)             │          15 │
├──────────────────────────────┼───────────────────────┼─────────────┤
│ qd (Dropout)                 │ (None, 3)             │           0 │
├──────────────────────────────┼───────────────────────┼─────────────┤
│ q2 (Dense)                   │ (None, 1)             │           4 │
└──────────────────────────────┴───────────────────────┴─────────────┘
 Total params: 19 (76.00 B)
 Trainable params: 19 (76.00 B)
 Non-trainable params: 0 (0.00 B)
""",
    "seq_range": """\
Model: "seqm"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ qd (Dropout)                         │ (None, 3)                   │               0 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ q2 (Dense)                           │ (None, 1)                   │               4 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 19 (76.00 B)
 Trainable params: 19 (76.00 B)
 Non-trainable params: 0 (0.00 B)
""",
    "seq_positions": """\
Model: "seqm"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃                             ┃ Output   ┃                 ┃
┃ Layer (type)                ┃ Shape    ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ q1 (Dense)                  │ (None,   │              15 │
│                             │ 3)       │                 │
├─────────────────────────────┼──────────┼─────────────────┤
│ qd (Dropout)                │ (None,   │               0 │
│                             │ 3)       │                 │
├─────────────────────────────┼──────────┼─────────────────┤
│ q2 (Dense)                  │ (None,   │               4 │
│                             │ 1)       │                 │
└─────────────────────────────┴──────────┴─────────────────┘
 Total params: 19 (76.00 B)
 Trainable params: 19 (76.00 B)
 Non-trainable params: 0 (0.00 B)
""",
    "ops": """\
Model: "opsm"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to               ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ p (InputLayer)                │ (None, 4)                 │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ pd (Dense)                    │ (None, 4)                 │              20 │ p[0][0]                    │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ q (InputLayer)                │ (None, 4)                 │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ add (Add)                     │ (None, 4)                 │               0 │ pd[0][0], q[0][0]          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ multiply (Multiply)           │ (None, 4)                 │               0 │ add[0][0]                  │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ concatenate (Concatenate)     │ (None, 8)                 │               0 │ multiply[0][0], p[0][0]    │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ sum (Sum)                     │ (None)                    │               0 │ concatenate[0][0]          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ get_item (GetItem)            │ (None)                    │               0 │ concatenate[0][0]          │
└───────────────────────────────┴───────────────────────────┴─────────────────┴────────────────────────────┘
 Total params: 20 (80.00 B)
 Trainable params: 20 (80.00 B)
 Non-trainable params: 0 (0.00 B)
""",
    "sub_unbuilt": """\
Model: "sub"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ sub_d (Dense)                        │ ?                           │     0 (unbuilt) │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ sub_e (Dense)                        │ ?                           │     0 (unbuilt) │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 0 (0.00 B)
 Trainable params: 0 (0.00 B)
 Non-trainable params: 0 (0.00 B)
""",
    "sub": """\
Model: "sub"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ sub_d (Dense)                        │ (2, 3)                      │              15 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ sub_e (Dense)                        │ (2, 2)                      │               8 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 23 (92.00 B)
 Trainable params: 23 (92.00 B)
 Non-trainable params: 0 (0.00 B)
""",
    "big": """\
Model: "big"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ hidden_512 (Dense)                   │ (None, 512)                 │         401,920 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ logits (Dense)                       │ (None, 10)                  │           5,130 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 407,050 (1.55 MB)
 Trainable params: 407,050 (1.55 MB)
 Non-trainable params: 0 (0.00 B)
""",
}


def test_summaries_match_keras_3():
    naming.reset_uids()  # op names ("add", "multiply", ...) as in a fresh Keras session
    cases = _cases()
    assert sorted(name for name, _, _ in cases) == sorted(KERAS_SUMMARIES)
    for name, model, kwargs in cases:
        assert _capture(model, **kwargs) == KERAS_SUMMARIES[name], name


def test_summary_prints_to_stdout_by_default(capsys):
    x = lamina.Input((2,), name="stdout_in")
    model = lamina.Model(x, layers.Dense(1, name="stdout_dense")(x), name="stdout_model")
    model.summary()
    printed = capsys.readouterr().out
    assert printed == _capture(model)
    assert printed.startswith('Model: "stdout_model"\n┏')
    assert " Total params: 3 (12.00 B)\n" in printed


def test_terminal_width_caps_the_default_line_length(monkeypatch):
    x = lamina.Input((2,), name="narrow_in")
    model = lamina.Model(x, layers.Dense(1)(x))
    monkeypatch.setenv("COLUMNS", "64")
    lines = _capture(model).splitlines()
    assert max(len(line) for line in lines[1:-3]) == 60
    assert max(len(line) for line in _capture(model, line_length=100).splitlines()[1:-3]) == 100


def test_summary_errors():
    seq = lamina.Sequential([lamina.Input((3,)), layers.Dense(2, name="only")])
    with pytest.raises(ValueError, match="Insufficient console width"):
        seq.summary(line_length=10, print_fn=lambda s: None)
    with pytest.raises(ValueError, match="layer_range must be a list or tuple of length 2"):
        seq.summary(layer_range=["only"], print_fn=lambda s: None)
    with pytest.raises(ValueError, match="layer_range should contain string type only"):
        seq.summary(layer_range=[0, 1], print_fn=lambda s: None)
    with pytest.raises(ValueError, match="do not match the layer names"):
        seq.summary(layer_range=["nothing", "only"], print_fn=lambda s: None)


def test_param_counts_and_memory_sizes():
    x = lamina.Input((10,))
    h = layers.Dense(20)(x)
    h = layers.BatchNormalization()(h)
    model = lamina.Model(x, layers.Dense(5, dtype="float64")(h))
    text = _capture(model)
    trainable = 10 * 20 + 20 + 20 * 2 + 20 * 5 + 5
    non_trainable = 20 * 2
    float64_bytes = (20 * 5 + 5) * 8
    total_bytes = (trainable + non_trainable) * 4 + (20 * 5 + 5) * 4
    assert f" Total params: {trainable + non_trainable:,} " in text
    assert f" Trainable params: {trainable:,} " in text
    assert f" Non-trainable params: {non_trainable:,} ({non_trainable * 4:.2f} B)" in text
    assert summary_utils.weight_memory_size(model.weights) == total_bytes
    assert float64_bytes == 840
    assert summary_utils.readable_memory_size(184) == "184.00 B"
    assert summary_utils.readable_memory_size(4936) == "4.82 KB"
    assert summary_utils.readable_memory_size(1628200) == "1.55 MB"
    assert summary_utils.readable_memory_size(3 * 1024 ** 3) == "3.00 GB"
    assert summary_utils.count_params(model.weights) == trainable + non_trainable


def test_format_layer_shape():
    assert summary_utils.format_layer_shape(layers.Dense(3)) == "?"
    layer = layers.Dense(3)
    layer.build((None, 4))
    assert summary_utils.format_layer_shape(layer) == "(None, 3)"
    x = lamina.Input((6,))

    class Two(layers.Layer):
        def call(self, t):
            return t[:, :2], t[:, 2:]

    two = Two()
    two(x)
    assert summary_utils.format_layer_shape(two) == "[(None, 2), (None, 4)]"


def test_text_wrapping_follows_rich():
    # Words wrap at spaces; a word longer than its cell is cut with an ellipsis.
    assert summary_utils._wrap_cell("sh[0][0], sh[1][0]", 17, "left") == [
        "sh[0][0],        ", "sh[1][0]         "]
    assert summary_utils._wrap_cell("bn (BatchNormalization)", 19, "left") == [
        "bn                 ", "(BatchNormalizatio…"]
    assert summary_utils._wrap_cell("Trainable", 5, "center") == ["Trai…"]
    assert summary_utils._wrap_cell("0 (unbuilt)", 13, "right") == ["  0 (unbuilt)"]
