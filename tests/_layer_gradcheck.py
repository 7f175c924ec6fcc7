"""Finite-difference gradient check of a layer's call, in float64 (shared by the layer tests)."""

import numpy as np

import lamina
from lamina import ops


def check_layer_gradients(layer, inputs, call_kwargs=None, eps=1e-6, rtol=1e-5, atol=1e-6, seed=0,
                          input_grad=True):
    """Compares the tape's gradients of ``sum(layer(inputs) * g)`` (via `output_gradients`)
    with central differences, for every input array (when `input_grad`; pass `False` for
    integer inputs such as an `Embedding`'s ids) and trainable weight of the layer."""
    call_kwargs = dict(call_kwargs or {})
    single = not isinstance(inputs, (list, tuple))
    arrays = [np.asarray(inputs, dtype="float64")] if single else [np.asarray(a, dtype="float64") for a in inputs]

    def run(arrs):
        xs = [ops.convert_to_tensor(a) for a in arrs]
        return layer(xs[0] if single else xs, **call_kwargs), xs

    out, _ = run(arrays)  # builds the layer
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(tuple(out.shape))
    xs = [ops.convert_to_tensor(a) for a in arrays]
    weights = list(layer.trainable_weights)
    watched = xs if input_grad else []
    with lamina.GradientTape() as tape:
        for x in watched:
            tape.watch(x)
        y = layer(xs[0] if single else xs, **call_kwargs)
    grads = tape.gradient(y, watched + weights, output_gradients=ops.convert_to_tensor(g))

    def objective():
        y, _ = run(arrays)
        return float(np.sum(np.asarray(y, dtype="float64") * g))

    # Inputs.
    for k, a in enumerate(arrays if input_grad else []):
        num = np.zeros_like(a)
        flat = a.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            up = objective()
            flat[i] = old - eps
            down = objective()
            flat[i] = old
            num.reshape(-1)[i] = (up - down) / (2 * eps)
        got = np.zeros_like(a) if grads[k] is None else np.asarray(grads[k], dtype="float64")
        np.testing.assert_allclose(got, num, rtol=rtol, atol=atol, err_msg=f"input {k}")
    # Weights.
    for w, gw in zip(weights, grads[len(watched):]):
        value = np.array(w.numpy(), dtype="float64")
        num = np.zeros_like(value)
        flat = value.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            w.assign(value)
            up = objective()
            flat[i] = old - eps
            w.assign(value)
            down = objective()
            flat[i] = old
            w.assign(value)
            num.reshape(-1)[i] = (up - down) / (2 * eps)
        got = np.zeros_like(value) if gw is None else np.asarray(gw, dtype="float64")
        np.testing.assert_allclose(got, num, rtol=rtol, atol=atol, err_msg=f"weight {w.path}")
