"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, Cropping1D/2D, UpSampling1D/2D,
ZeroPadding1D/2D — run_layer_test, numpy references, finite-difference gradients, errors."""

import numpy as np
import pytest
from _layer_gradcheck import check_layer_gradients as fd_check

from lamina import layers
from lamina.testing import run_layer_test

RNG = np.random.default_rng(0)


def _np(x):
    return np.asarray(x, dtype="float64")


def _check(layer_cls, kwargs, x, ref_fn):
    """numpy reference (float32), then a finite-difference gradient check in float64."""
    y = layer_cls(**kwargs)(x.astype("float32"))
    ref = ref_fn(x)
    assert tuple(y.shape) == ref.shape
    np.testing.assert_allclose(_np(y), ref, rtol=1e-6, atol=1e-6)
    fd_check(layer_cls(**kwargs, dtype="float64"), x.astype("float64"))


# Each case: class, kwargs, input shape, expected output shape, numpy reference.
CASES = [
    (layers.Flatten, {}, (2, 3, 4), (2, 12), lambda x: x.reshape(2, -1)),
    (layers.Flatten, {}, (3,), (3, 1), lambda x: x.reshape(3, 1)),
    (layers.Flatten, {"data_format": "channels_first"}, (2, 3, 4, 2), (2, 24),
     lambda x: np.transpose(x, (0, 2, 3, 1)).reshape(2, -1)),
    (layers.Reshape, {"target_shape": (4, 3)}, (2, 12), (2, 4, 3), lambda x: x.reshape(2, 4, 3)),
    (layers.Reshape, {"target_shape": (-1, 2)}, (2, 3, 4), (2, 6, 2), lambda x: x.reshape(2, 6, 2)),
    (layers.Permute, {"dims": (2, 1)}, (2, 3, 4), (2, 4, 3), lambda x: np.transpose(x, (0, 2, 1))),
    (layers.Permute, {"dims": (3, 1, 2)}, (2, 3, 4, 5), (2, 5, 3, 4),
     lambda x: np.transpose(x, (0, 3, 1, 2))),
    (layers.RepeatVector, {"n": 3}, (2, 4), (2, 3, 4), lambda x: np.repeat(x[:, None], 3, axis=1)),
    (layers.Cropping1D, {}, (2, 5, 3), (2, 3, 3), lambda x: x[:, 1:4]),
    (layers.Cropping1D, {"cropping": (2, 0)}, (2, 5, 3), (2, 3, 3), lambda x: x[:, 2:]),
    (layers.Cropping2D, {"cropping": ((1, 0), (1, 2))}, (2, 4, 5, 3), (2, 3, 2, 3),
     lambda x: x[:, 1:, 1:3]),
    (layers.Cropping2D, {"cropping": 1, "data_format": "channels_first"}, (2, 3, 4, 5),
     (2, 3, 2, 3), lambda x: x[:, :, 1:3, 1:4]),
    (layers.Cropping2D, {"cropping": (1, 2)}, (1, 4, 6, 2), (1, 2, 2, 2), lambda x: x[:, 1:3, 2:4]),
    (layers.UpSampling1D, {"size": 3}, (2, 2, 3), (2, 6, 3), lambda x: np.repeat(x, 3, axis=1)),
    (layers.UpSampling2D, {"size": (2, 3)}, (2, 2, 3, 2), (2, 4, 9, 2),
     lambda x: np.repeat(np.repeat(x, 2, axis=1), 3, axis=2)),
    (layers.UpSampling2D, {"size": 2, "data_format": "channels_first"}, (1, 2, 2, 3),
     (1, 2, 4, 6), lambda x: np.repeat(np.repeat(x, 2, axis=2), 2, axis=3)),
    (layers.ZeroPadding1D, {}, (2, 3, 2), (2, 5, 2), lambda x: np.pad(x, ((0, 0), (1, 1), (0, 0)))),
    (layers.ZeroPadding1D, {"padding": (0, 2), "data_format": "channels_first"}, (2, 3, 2),
     (2, 3, 4), lambda x: np.pad(x, ((0, 0), (0, 0), (0, 2)))),
    (layers.ZeroPadding2D, {}, (1, 2, 3, 2), (1, 4, 5, 2),
     lambda x: np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))),
    (layers.ZeroPadding2D, {"padding": ((1, 0), (0, 2)), "data_format": "channels_first"},
     (1, 2, 2, 3), (1, 2, 3, 5), lambda x: np.pad(x, ((0, 0), (0, 0), (1, 0), (0, 2)))),
]


@pytest.mark.parametrize("cls,kwargs,in_shape,out_shape,ref", CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_reshaping_layer(cls, kwargs, in_shape, out_shape, ref):
    run_layer_test(cls, kwargs, input_shape=in_shape, expected_output_shape=out_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=False)
    _check(cls, kwargs, RNG.standard_normal(in_shape), ref)
    assert cls(**kwargs).compute_output_shape(in_shape) == out_shape


def _bilinear_reference(x, sh, sw):
    """Half-pixel-centre bilinear upsampling (tf.image.resize), channels_last, in numpy."""
    def weights(n, s):
        src = np.clip((np.arange(n * s) + 0.5) / s - 0.5, 0, n - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n - 1)
        w = np.zeros((n * s, n))
        w[np.arange(n * s), lo] += 1 - (src - lo)
        w[np.arange(n * s), hi] += src - lo
        return w
    return np.einsum("oh,pw,bhwc->bopc", weights(x.shape[1], sh), weights(x.shape[2], sw), x)


def test_upsampling2d_bilinear():
    x = RNG.standard_normal((2, 3, 4, 2))
    run_layer_test(layers.UpSampling2D, {"size": 2, "interpolation": "bilinear"},
                   input_shape=(2, 3, 4, 2), expected_output_shape=(2, 6, 8, 2))
    _check(layers.UpSampling2D, {"size": (2, 3), "interpolation": "bilinear"}, x,
           lambda v: _bilinear_reference(v, 2, 3))
    # Known values: [0, 1] upsampled by 2 -> [0, 0.25, 0.75, 1].
    row = np.array([0.0, 1.0], "float32").reshape(1, 1, 2, 1)
    y = layers.UpSampling2D((1, 2), interpolation="bilinear")(row)
    np.testing.assert_allclose(_np(y).ravel(), [0, 0.25, 0.75, 1.0], atol=1e-7)
    xf = np.transpose(x, (0, 3, 1, 2))
    y = layers.UpSampling2D(2, data_format="channels_first", interpolation="bilinear")(xf.astype("float32"))
    np.testing.assert_allclose(_np(y), np.transpose(_bilinear_reference(x, 2, 2), (0, 3, 1, 2)),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="Invalid value for argument `interpolation`"):
        layers.UpSampling2D(interpolation="cubic")(x.astype("float32"))


def _kernel_reference(x, sh, sw, kernel):
    """Separable half-pixel-centre resize with normalized kernel weights, one output pixel at
    a time (the definition ``jax.image.resize`` uses), channels_last, in numpy."""
    def axis_weights(n, s):
        w = np.zeros((n * s, n))
        for o in range(n * s):
            src = (o + 0.5) / s - 0.5
            for i in range(n):
                w[o, i] = kernel(abs(src - i))
            w[o] /= w[o].sum()
        return w
    wh, ww = axis_weights(x.shape[1], sh), axis_weights(x.shape[2], sw)
    return np.einsum("oh,bhwc->bowc", wh, np.einsum("pw,bhwc->bhpc", ww, x))


def _keys(d):
    return (1.5 * d - 2.5) * d * d + 1 if d < 1 else ((-0.5 * d + 2.5) * d - 4) * d + 2 if d < 2 else 0.0


def _lanczos(a):
    return lambda d: 1.0 if d <= 1e-3 else 0.0 if d > a else (
        a * np.sin(np.pi * d) * np.sin(np.pi * d / a) / (np.pi * d) ** 2)


@pytest.mark.parametrize("method,kernel", [
    ("bicubic", _keys), ("lanczos3", _lanczos(3.0)), ("lanczos5", _lanczos(5.0)),
    ("bilinear", lambda d: max(0.0, 1 - d)),
])
def test_upsampling2d_kernel_interpolations(method, kernel):
    x = RNG.standard_normal((2, 4, 5, 3))
    _check(layers.UpSampling2D, {"size": (2, 3), "interpolation": method}, x,
           lambda v: _kernel_reference(v, 2, 3, kernel))
    # A constant image stays constant (the weights of each output pixel sum to one).
    y = _np(layers.UpSampling2D(3, interpolation=method)(np.full((1, 3, 3, 1), 2.5, "float32")))
    np.testing.assert_allclose(y, 2.5, rtol=1e-6)


def test_upsampling2d_area_is_nearest_for_integer_factors():
    x = RNG.standard_normal((2, 3, 4, 2)).astype("float32")
    area = _np(layers.UpSampling2D((2, 3), interpolation="area")(x))
    nearest = _np(layers.UpSampling2D((2, 3), interpolation="nearest")(x))
    np.testing.assert_array_equal(area, nearest)


def test_configs():
    assert layers.Flatten().get_config()["data_format"] == "channels_last"
    assert layers.Reshape([2, -1]).get_config()["target_shape"] == (2, -1)
    assert layers.Permute([2, 1]).get_config()["dims"] == (2, 1)
    assert layers.RepeatVector(4).get_config()["n"] == 4
    assert layers.Cropping1D(2).get_config()["cropping"] == (2, 2)
    assert layers.Cropping2D((1, 2)).get_config()["cropping"] == ((1, 1), (2, 2))
    assert layers.UpSampling1D().get_config()["size"] == 2
    cfg = layers.UpSampling2D(3, interpolation="BILINEAR").get_config()
    assert cfg["size"] == (3, 3) and cfg["interpolation"] == "bilinear"
    assert cfg["data_format"] == "channels_last"
    assert layers.ZeroPadding1D(2).get_config()["padding"] == (2, 2)
    assert layers.ZeroPadding2D(2).get_config()["padding"] == ((2, 2), (2, 2))


def test_unknown_dims_in_output_shapes():
    assert layers.Flatten().compute_output_shape((None, None, 3)) == (None, None)
    assert layers.Reshape((-1, 2)).compute_output_shape((None, None, 4)) == (None, None, 2)
    assert layers.Reshape((-1, 2)).compute_output_shape((None, 3, 4)) == (None, 6, 2)
    assert layers.Cropping1D().compute_output_shape((None, None, 3)) == (None, None, 3)
    assert layers.UpSampling1D().compute_output_shape((None, None, 3)) == (None, None, 3)
    assert layers.ZeroPadding2D().compute_output_shape((None, None, 4, 1)) == (None, None, 6, 1)


@pytest.mark.parametrize("make,exc,message", [
    (lambda: layers.Reshape((-1, -1)), ValueError,
     "The `target_shape` argument must not contain more than one `-1` value. "
     "Received: target_shape=(-1, -1)"),
    (lambda: layers.Permute((1, 3)), ValueError,
     "Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` must be "
     "consecutive and start from 1. Received dims=(1, 3)"),
    (lambda: layers.RepeatVector(2.0), TypeError,
     "Expected an integer value for `n`, got <class 'float'>."),
    (lambda: layers.Cropping1D((1, 2, 3)), ValueError,
     "The `cropping` argument must be a tuple of 2 integers. Received cropping=(1, 2, 3)"),
    (lambda: layers.Cropping1D(-1), ValueError,
     "The `cropping` argument must be a tuple of 2 integers. Received cropping=-1, including "
     "values {-1} that do not satisfy `value >= 0`"),
    (lambda: layers.Cropping2D(-1), ValueError, "`cropping` cannot be negative. Received: cropping=-1."),
    (lambda: layers.Cropping2D((1, 2, 3)), ValueError,
     "`cropping` should have two elements. Received: cropping=(1, 2, 3)."),
    (lambda: layers.Cropping2D(1.5), ValueError, "`cropping` should be either an int"),
    (lambda: layers.ZeroPadding2D((1, 2, 3)), ValueError,
     "`padding` should have two elements. Received: padding=(1, 2, 3)."),
    (lambda: layers.ZeroPadding2D(((1, 2, 3), 1)), ValueError,
     "The `1st entry of padding` argument must be a tuple of 2 integers."),
    (lambda: layers.ZeroPadding1D(-2), ValueError, "do not satisfy `value >= 0`"),
    (lambda: layers.UpSampling2D(size=0), ValueError,
     "The `size` argument must be a tuple of 2 integers. Received size=0, including values {0} "
     "that do not satisfy `value > 0`"),
    (lambda: layers.Flatten(data_format="channels_middle"), ValueError,
     "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
     "Received: data_format=channels_middle"),
    (lambda: layers.Cropping2D(data_format="nchw"), ValueError, "Received: data_format=nchw"),
])
def test_constructor_errors(make, exc, message):
    with pytest.raises(exc) as e:
        make()
    assert message in str(e.value)


def test_call_errors():
    x3 = np.ones((2, 4, 3), "float32")
    with pytest.raises(ValueError, match="The total size of the tensor must be unchanged"):
        layers.Reshape((5,))(x3)
    with pytest.raises(ValueError, match="cannot by divided"):
        layers.Reshape((-1, 5))(x3)
    with pytest.raises(ValueError, match="`cropping` parameter of `Cropping1D` layer must be smaller"):
        layers.Cropping1D((2, 2))(x3)
    with pytest.raises(ValueError, match="Values in `cropping` argument should be smaller"):
        layers.Cropping2D(((2, 2), (0, 0)))(np.ones((1, 4, 4, 1), "float32"))
    for layer, bad in [(layers.Permute((2, 1), name="perm"), np.ones((2, 3, 4, 5), "float32")),
                       (layers.RepeatVector(2, name="rep"), x3),
                       (layers.Cropping1D(name="crop"), np.ones((2, 3), "float32")),
                       (layers.UpSampling2D(name="up"), x3),
                       (layers.ZeroPadding2D(name="pad"), x3),
                       (layers.ZeroPadding1D(name="pad1"), np.ones((2, 3), "float32"))]:
        with pytest.raises(ValueError, match=f"layer '{layer.name}'.*expected ndim"):
            layer(bad)
