"""``lamina.testing.run_layer_test``: the checks every built-in layer (and any custom one) must
pass — Keras 3's ``TestCase.run_layer_test`` as a plain function."""

import json

import numpy as np

from lamina import tree


def _make_input(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype in ("int32", "int64", "uint8"):
        return rng.integers(0, 4, size=shape).astype(dtype)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    arr = rng.standard_normal(shape)
    if dtype == "bfloat16":
        return arr.astype("float32")
    return arr.astype(dtype)


def _as_tensors(data, dtype=None):
    from lamina import ops

    def conv(x):
        if x is None:
            return None
        t = ops.convert_to_tensor(x)
        return ops.cast(t, dtype) if dtype is not None and t.dtype != dtype else t

    return tree.map_structure(conv, data)


def _as_json(config):
    return json.loads(json.dumps(config))


def _check_serialization(layer, custom_objects):
    from lamina.saving import custom_object_scope
    from lamina.saving import deserialize_keras_object
    from lamina.saving import serialize_keras_object

    config = layer.get_config()
    json.dumps(config)  # the config must be JSON-serializable
    revived = type(layer).from_config(config)
    # Compared as JSON: a tuple and a list of the same values are the same config.
    assert _as_json(revived.get_config()) == _as_json(config), (
        f"{type(layer).__name__}: from_config(get_config()) changed the config:\n"
        f"{config}\n!=\n{revived.get_config()}"
    )
    serialized = serialize_keras_object(layer)
    # The class under test resolves even when it is not registered.
    objects = {type(layer).__name__: type(layer), **(custom_objects or {})}
    with custom_object_scope(objects):
        again = deserialize_keras_object(json.loads(json.dumps(serialized)), custom_objects=objects)
    ref = _as_json({k: v for k, v in serialized.items() if k != "build_config"})
    got = _as_json({k: v for k, v in serialize_keras_object(again).items() if k != "build_config"})
    assert ref == got, f"{type(layer).__name__}: serialize/deserialize changed the object:\n{ref}\n!=\n{got}"


def _count(layer, attr):
    return len(getattr(layer, attr))


def _assert_counts(layer, expected):
    for attr, want in expected.items():
        if want is None:
            continue
        got = _count(layer, attr)
        assert got == want, f"{layer.name}: expected {want} {attr}, found {got}"


def run_layer_test(layer_cls, init_kwargs, input_shape=None, input_dtype=None, input_sparse=False,
                   input_data=None, call_kwargs=None, expected_output_shape=None,
                   expected_output_dtype=None, expected_output_sparse=False, expected_output=None,
                   expected_num_trainable_weights=None, expected_num_non_trainable_weights=None,
                   expected_num_non_trainable_variables=None, expected_num_seed_generators=None,
                   expected_num_losses=None, supports_masking=None, expected_mask_shape=None,
                   custom_objects=None, run_training_check=True, run_mixed_precision_check=True,
                   assert_built_after_instantiation=False, rtol=1e-6, atol=1e-6):
    """Runs the standard checks of a layer class.

    Config round trip (``from_config(get_config())`` and ``serialize``/``deserialize``);
    ``supports_masking``; building from `input_shape` (weight counts); calling on `input_data`
    (or random data of `input_shape`/`input_dtype`): output shape, dtype, values, mask, losses;
    one gradient step on the trainable weights (every one gets a finite gradient); and, for
    float layers, a ``mixed_float16`` call (float16 outputs, float32 weights).

    Raises AssertionError (or the layer's own error) on the first failed check.
    """
    from lamina import GradientTape
    from lamina import ops

    if input_shape is not None and input_data is not None:
        raise ValueError("input_shape and input_data cannot be passed at the same time.")
    if expected_output_shape is not None and expected_output is not None:
        raise ValueError("expected_output_shape and expected_output cannot be passed at the same time.")
    if input_sparse or expected_output_sparse:
        raise ValueError("lamina has no sparse tensors: input_sparse/expected_output_sparse must be False.")
    init_kwargs = dict(init_kwargs or {})
    call_kwargs = dict(call_kwargs or {})
    input_dtype = input_dtype or "float32"
    counts = {
        "trainable_weights": expected_num_trainable_weights,
        "non_trainable_weights": expected_num_non_trainable_weights,
        "non_trainable_variables": expected_num_non_trainable_variables,
        "_seed_generators": expected_num_seed_generators,
    }

    layer = layer_cls(**init_kwargs)
    if assert_built_after_instantiation:
        assert layer.built, f"{layer.name} should be built right after instantiation"
    _check_serialization(layer, custom_objects)
    if supports_masking is not None:
        assert layer.supports_masking == supports_masking, (
            f"{layer.name}: supports_masking is {layer.supports_masking}, expected {supports_masking}"
        )

    # Build from the shape alone.
    if input_shape is not None:
        layer = layer_cls(**init_kwargs)
        shapes = input_shape
        if isinstance(shapes, dict):
            layer.build(**{f"{k}_shape" if not k.endswith("_shape") else k: v for k, v in shapes.items()})
        else:
            layer.build(shapes)
        assert layer.built, f"{layer.name} is not built after build()"
        _assert_counts(layer, counts)

    if input_data is None and input_shape is None:
        return
    if input_data is None:
        if isinstance(input_shape, dict):
            input_data = {k: _make_input(v, input_dtype) for k, v in input_shape.items()}
        elif isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple)):
            input_data = [_make_input(s, input_dtype, seed=i) for i, s in enumerate(input_shape)]
        else:
            input_data = _make_input(input_shape, input_dtype)
    x = _as_tensors(input_data, input_dtype if input_dtype == "bfloat16" else None)

    # Eager call.
    layer = layer_cls(**init_kwargs)
    if isinstance(x, dict) and not isinstance(input_shape, dict) and input_shape is None:
        outputs = layer(**x, **call_kwargs)
    else:
        outputs = layer(x, **call_kwargs)
    assert layer.built, f"{layer.name} is not built after being called"
    _assert_counts(layer, counts)
    if expected_output_shape is not None:
        got = tree.map_structure(lambda t: tuple(t.shape), outputs)
        want = tree.map_structure(lambda s: s, expected_output_shape)
        if tree.is_nested(want) and want and not isinstance(want[0], (list, tuple, dict)):
            want = tuple(want)
        assert _shape_eq(got, want), f"{layer.name}: output shape {got}, expected {want}"
    if expected_output_dtype is not None:
        for t in tree.flatten(outputs):
            assert t.dtype == expected_output_dtype, (
                f"{layer.name}: output dtype {t.dtype}, expected {expected_output_dtype}"
            )
    if expected_output is not None:
        for got, want in zip(tree.flatten(outputs), tree.flatten(expected_output)):
            np.testing.assert_allclose(np.asarray(got, dtype="float64"), np.asarray(want, dtype="float64"),
                                       rtol=rtol, atol=atol)
    if expected_num_losses is not None:
        assert len(layer.losses) == expected_num_losses, (
            f"{layer.name}: expected {expected_num_losses} losses, found {len(layer.losses)}"
        )
    if expected_mask_shape is not None:
        masks = [getattr(t, "_keras_mask", None) for t in tree.flatten(outputs)]
        for m, want in zip(masks, tree.flatten(expected_mask_shape) if isinstance(expected_mask_shape, list) and expected_mask_shape and isinstance(expected_mask_shape[0], (list, tuple)) else [expected_mask_shape]):
            assert m is not None, f"{layer.name}: the output has no mask"
            assert tuple(m.shape) == tuple(want), f"{layer.name}: mask shape {tuple(m.shape)}, expected {tuple(want)}"
    if expected_output_shape is not None and type(layer).compute_output_shape is not _base_compute_output_shape():
        shapes = tree.map_structure(lambda t: tuple(t.shape), x)
        try:
            computed = layer.compute_output_shape(shapes)
        except NotImplementedError:
            computed = None
        if computed is not None:
            assert _shape_eq(tree.map_structure(lambda s: s, computed), got, allow_none=True), (
                f"{layer.name}: compute_output_shape gave {computed}, the call gave {got}"
            )

    # One training step: every trainable weight gets a finite gradient.
    if run_training_check and layer.trainable_weights:
        train_kwargs = dict(call_kwargs)
        if layer._call_sig.has_training:
            train_kwargs["training"] = True
        with GradientTape() as tape:
            out = layer(x, **train_kwargs)
            floats = [t for t in tree.flatten(out) if t.dtype in ("float16", "bfloat16", "float32", "float64")]
            loss = None
            for t in floats + list(layer.losses):
                term = ops.sum(ops.cast(t, "float32"))
                loss = term if loss is None else loss + term
        if loss is not None:
            weights = layer.trainable_weights
            grads = tape.gradient(loss, weights)
            for w, g in zip(weights, grads):
                if g is None:
                    continue
                g_np = np.asarray(g, dtype="float64")
                assert np.all(np.isfinite(g_np)), f"{layer.name}: non-finite gradient for {w.path}"
                w.assign_sub(ops.cast(g, w.dtype) * 1e-3)

    # Mixed precision: float16 computations, float32 weights.
    if run_mixed_precision_check and input_dtype in ("float32", "float64"):
        layer = layer_cls(**{**init_kwargs, "dtype": "mixed_float16"})
        out = layer(x, **call_kwargs)
        for w in layer.weights:
            if w.dtype in ("float16", "bfloat16", "float32", "float64"):
                assert w.dtype == "float32", f"{layer.name}: weight {w.path} is {w.dtype} under mixed_float16"
        for t in tree.flatten(out):
            if t.dtype in ("float16", "bfloat16", "float32", "float64") and expected_output_dtype in (None, "float32", "float16"):
                assert t.dtype == "float16", f"{layer.name}: output dtype {t.dtype} under mixed_float16"


def _shape_eq(a, b, allow_none=False):
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() and all(
            _shape_eq(a[k], b[k], allow_none) for k in a)
    a_nested = isinstance(a, (list, tuple)) and a and isinstance(a[0], (list, tuple, dict))
    b_nested = isinstance(b, (list, tuple)) and b and isinstance(b[0], (list, tuple, dict))
    if a_nested or b_nested:
        return len(a) == len(b) and all(_shape_eq(x, y, allow_none) for x, y in zip(a, b))
    a, b = tuple(a), tuple(b)
    if len(a) != len(b):
        return False
    return all(x == y or (allow_none and (x is None or y is None)) for x, y in zip(a, b))


def _base_compute_output_shape():
    from lamina.layers.layer import Layer

    return Layer.compute_output_shape
