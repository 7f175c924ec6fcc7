"""lamina.GradientTape's contract (TensorFlow semantics): result structure, targets and
output_gradients, watching, variables, stop_recording/reset, persistence, nested tapes (higher
derivatives), stop_gradient, errors, memory stability and thread-count determinism."""

import gc
import os

import numpy as np
import pytest

import lamina
from lamina import ops


def t(a, dtype="float64"):
    return ops.convert_to_tensor(np.asarray(a, dtype=dtype))


def arr(x):
    assert isinstance(x, lamina.Tensor), type(x)
    return np.asarray(x)


RNG = np.random.default_rng(0)
A = RNG.standard_normal((2, 3))
B = RNG.standard_normal((3,))
C = RNG.standard_normal((2, 2))


# ---------------------------------------------------------------------------------------------
# Structure of results
# ---------------------------------------------------------------------------------------------


def test_single_source_gives_a_tensor():
    x = t([1.0, 2.0, 3.0])
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(x * x)
    g = tape.gradient(y, x)
    assert isinstance(g, lamina.Tensor)
    assert g.shape == (3,) and g.dtype == "float64"
    np.testing.assert_array_equal(arr(g), [2.0, 4.0, 6.0])


def test_result_structure_matches_sources():
    a, b, c = t(A), t(B), t(C)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch([a, b, c])
        y = ops.sum(a) + 2.0 * ops.sum(b) + 3.0 * ops.sum(c)

    def ok(g, src, k):
        assert isinstance(g, lamina.Tensor)
        assert g.shape == src.shape
        np.testing.assert_array_equal(arr(g), np.full(src.shape, float(k)))

    gl = tape.gradient(y, [a, b])
    assert isinstance(gl, list) and len(gl) == 2
    ok(gl[0], a, 1)
    ok(gl[1], b, 2)

    gt = tape.gradient(y, (a, b, c))
    assert isinstance(gt, tuple) and len(gt) == 3
    ok(gt[2], c, 3)

    gd = tape.gradient(y, {"a": a, "c": c})
    assert isinstance(gd, dict) and set(gd) == {"a", "c"}
    ok(gd["a"], a, 1)
    ok(gd["c"], c, 3)

    gn = tape.gradient(y, {"x": [a, b], "y": {"z": c}, "w": (b,)})
    assert isinstance(gn, dict) and set(gn) == {"x", "y", "w"}
    assert isinstance(gn["x"], list) and len(gn["x"]) == 2
    assert isinstance(gn["y"], dict) and set(gn["y"]) == {"z"}
    assert isinstance(gn["w"], tuple) and len(gn["w"]) == 1
    ok(gn["x"][0], a, 1)
    ok(gn["x"][1], b, 2)
    ok(gn["y"]["z"], c, 3)
    ok(gn["w"][0], b, 2)

    gll = tape.gradient(y, [[a], (b, [c])])
    assert isinstance(gll, list) and isinstance(gll[0], list) and isinstance(gll[1], tuple)
    ok(gll[1][1][0], c, 3)

    same = tape.gradient(y, [a, a])
    np.testing.assert_array_equal(arr(same[0]), arr(same[1]))


def test_unconnected_entries_keep_their_place_in_the_structure():
    a, b = t(A), t(B)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        y = ops.sum(a * 3.0)
    g = tape.gradient(y, {"a": a, "rest": [b]})
    assert g["rest"][0] is None
    np.testing.assert_array_equal(arr(g["a"]), np.full((2, 3), 3.0))
    gz = tape.gradient(y, {"a": a, "rest": [b]}, unconnected_gradients="zero")
    assert gz["rest"][0].shape == (3,) and gz["rest"][0].dtype == "float64"
    np.testing.assert_array_equal(arr(gz["rest"][0]), np.zeros(3))


# ---------------------------------------------------------------------------------------------
# Targets and output_gradients
# ---------------------------------------------------------------------------------------------


def test_non_scalar_target_is_summed():
    x = t(A)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x * ops.sin(x)
        s = ops.sum(y)
    g = arr(tape.gradient(y, x))
    np.testing.assert_allclose(g, arr(tape.gradient(s, x)), rtol=1e-14)
    np.testing.assert_allclose(g, 2 * A * np.sin(A) + A * A * np.cos(A), rtol=1e-12)


def test_list_target_sums_gradients():
    x = t(B)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y1 = x * x
        y2 = ops.sum(ops.exp(x))
    g = arr(tape.gradient([y1, y2], x))
    np.testing.assert_allclose(g, 2 * B + np.exp(B), rtol=1e-12)
    g1, g2 = arr(tape.gradient(y1, x)), arr(tape.gradient(y2, x))
    np.testing.assert_allclose(g, g1 + g2, rtol=1e-14)


def test_output_gradients_scale_the_target():
    x = t(A)
    w = RNG.standard_normal((2, 3))
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        s = ops.sum(x * x)
        y2 = ops.exp(x)
    np.testing.assert_allclose(arr(tape.gradient(y, x, output_gradients=t(w))), 2 * A * w, rtol=1e-14)
    np.testing.assert_allclose(arr(tape.gradient(s, x, output_gradients=t(3.0))), 6 * A, rtol=1e-14)
    both = tape.gradient([y, y2], x, output_gradients=[t(w), t(np.ones((2, 3)) * 0.5)])
    np.testing.assert_allclose(arr(both), 2 * A * w + 0.5 * np.exp(A), rtol=1e-13)


@pytest.mark.parametrize("bad_shape", [(3,), (1, 3), (3, 2), (2, 3, 1), ()], ids=str)
def test_output_gradients_wrong_shape_raises(bad_shape):
    x = t(A)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * 2.0
    with pytest.raises(ValueError):
        tape.gradient(y, x, output_gradients=t(np.ones(bad_shape)))
    # the tape is still usable afterwards
    np.testing.assert_array_equal(arr(tape.gradient(y, x)), np.full((2, 3), 2.0))


def test_gradient_of_target_wrt_itself_is_ones():
    x = t(A)
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    g = tape.gradient(y, y)
    assert g.shape == (2, 3) and g.dtype == "float64"
    np.testing.assert_array_equal(arr(g), np.ones((2, 3)))


def test_target_not_depending_on_source_gives_none():
    x, z = t(A), t(B)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        y = ops.sum(x * 2.0)
        k = ops.sum(t(B) * 4.0)
    assert tape.gradient(y, z) is None
    assert tape.gradient(k, x) is None
    assert tape.gradient(k, [x, z]) == [None, None]


# ---------------------------------------------------------------------------------------------
# Watching tensors and variables
# ---------------------------------------------------------------------------------------------


def test_unwatched_tensors_get_none():
    x = t(A)
    with lamina.GradientTape() as tape:
        y = ops.sum(x * x)
    assert tape.gradient(y, x) is None


def test_watch_nested_structure():
    a, b, c = t(A), t(B), t(C)
    with lamina.GradientTape() as tape:
        tape.watch({"p": a, "q": [b, (c,)]})
        y = ops.sum(a) + ops.sum(b * b) + ops.sum(c * 3.0)
    ga, gb, gc_ = tape.gradient(y, [a, b, c])
    np.testing.assert_array_equal(arr(ga), np.ones((2, 3)))
    np.testing.assert_array_equal(arr(gb), 2 * B)
    np.testing.assert_array_equal(arr(gc_), np.full((2, 2), 3.0))


def test_watch_twice_is_harmless():
    x = t(B)
    with lamina.GradientTape() as tape:
        tape.watch(x)
        tape.watch(x)
        tape.watch([x, x])
        y = ops.sum(x * x)
    np.testing.assert_array_equal(arr(tape.gradient(y, x)), 2 * B)


@pytest.mark.parametrize("bad", [1.5, "abc", object()], ids=["float", "str", "object"])
def test_watch_non_tensor_raises(bad):
    with lamina.GradientTape() as tape:
        with pytest.raises((ValueError, TypeError)):
            tape.watch(bad)


def test_trainable_variables_are_watched_automatically():
    v = lamina.Variable(np.array([1.0, -2.0, 3.0]))
    assert v.dtype == "float32"
    with lamina.GradientTape() as tape:
        y = ops.sum(v * v)
    g = tape.gradient(y, v)
    assert isinstance(g, lamina.Tensor)
    assert g.dtype == "float32" and g.shape == (3,)
    np.testing.assert_allclose(arr(g), [2.0, -4.0, 6.0], rtol=1e-6)


def test_watch_accessed_variables_false():
    v = lamina.Variable(np.array([1.0, 2.0]))
    w = lamina.Variable(np.array([3.0, 4.0]))
    with lamina.GradientTape(watch_accessed_variables=False) as tape:
        y = ops.sum(v * w)
    assert tape.watched_variables() == ()
    assert tape.gradient(y, v) is None

    with lamina.GradientTape(watch_accessed_variables=False, persistent=True) as tape:
        tape.watch(v)
        y = ops.sum(v * w)
    wv = tape.watched_variables()
    assert len(wv) == 1 and wv[0] is v
    np.testing.assert_allclose(arr(tape.gradient(y, v)), [3.0, 4.0])
    assert tape.gradient(y, w) is None


def test_non_trainable_variables_are_not_auto_watched():
    v = lamina.Variable(np.array([1.0, 2.0]), trainable=False)
    with lamina.GradientTape(persistent=True) as tape:
        y = ops.sum(v * v)
    assert tape.gradient(y, v) is None
    assert tape.watched_variables() == ()
    with lamina.GradientTape() as tape:
        tape.watch(v)
        y = ops.sum(v * v)
    np.testing.assert_allclose(arr(tape.gradient(y, v)), [2.0, 4.0])


def test_watched_variables_order_and_contents():
    v1 = lamina.Variable(np.array([1.0]), name="v1")
    v2 = lamina.Variable(np.array([2.0]), name="v2")
    frozen = lamina.Variable(np.array([3.0]), name="frozen", trainable=False)
    explicit = lamina.Variable(np.array([4.0]), name="explicit", trainable=False)
    outside = lamina.Variable(np.array([5.0]), name="outside")
    _ = outside * 2.0  # read before the tape exists: not watched
    with lamina.GradientTape() as tape:
        a = v2 * 2.0
        b = v1 + a
        c = v2 * v1 + b  # re-reads do not duplicate
        d = frozen * c
        tape.watch(explicit)
        e = ops.sum(d + explicit)
    wv = tape.watched_variables()
    assert isinstance(wv, tuple)
    assert len(wv) == 3, [getattr(v, "name", v) for v in wv]
    assert wv[0] is v2 and wv[1] is v1 and wv[2] is explicit
    g = tape.gradient(e, [v1, v2, frozen, explicit])
    assert g[2] is None
    np.testing.assert_allclose(arr(g[3]), [1.0])


# ---------------------------------------------------------------------------------------------
# stop_recording, reset, recording scope
# ---------------------------------------------------------------------------------------------


def test_stop_recording():
    x = t(B)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        with tape.stop_recording():
            z = x * 2.0
            u = ops.exp(x)
        y = ops.sum(z * x)  # recording resumed: only the direct use of x is differentiated
    assert tape.gradient(u, x) is None
    assert tape.gradient(z, x) is None
    np.testing.assert_allclose(arr(tape.gradient(y, x)), 2 * B, rtol=1e-15)


def test_reset_clears_the_record():
    x = t(B)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y1 = ops.sum(x * x)
        tape.reset()
        tape.watch(x)
        y2 = y1 + ops.sum(x * 3.0)
    assert tape.gradient(y1, x) is None
    np.testing.assert_array_equal(arr(tape.gradient(y2, x)), np.full(3, 3.0))


def test_reset_with_variables():
    v = lamina.Variable(np.array([1.5, -0.5]))
    with lamina.GradientTape() as tape:
        loss = ops.sum(v * v)
        tape.reset()
        loss = loss + ops.sum(v * 3.0)  # variables read after the reset are watched again
    np.testing.assert_allclose(arr(tape.gradient(loss, v)), [3.0, 3.0])


def test_ops_without_a_tape_are_not_recorded():
    x = t(B)
    z = x * 2.0  # no tape active
    assert isinstance(z, lamina.Tensor)
    np.testing.assert_array_equal(arr(z), 2 * B)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = ops.sum(z * 3.0)
        k = ops.sum(x * z)
    assert tape.gradient(y, x) is None
    np.testing.assert_allclose(arr(tape.gradient(k, x)), 2 * B, rtol=1e-15)  # z is a constant here


def test_ops_after_the_with_block_are_not_recorded():
    x = t(B)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * 2.0
    z = ops.sum(y * 3.0)
    assert tape.gradient(z, x) is None
    np.testing.assert_array_equal(arr(tape.gradient(y, x)), np.full(3, 2.0))


def test_gradient_after_the_with_block_and_inside_it():
    x = t(B)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = ops.sum(ops.sin(x))
        inside = arr(tape.gradient(y, x))
    outside = arr(tape.gradient(y, x))
    np.testing.assert_allclose(inside, np.cos(B), rtol=1e-14)
    np.testing.assert_array_equal(inside, outside)


# ---------------------------------------------------------------------------------------------
# Persistence and errors
# ---------------------------------------------------------------------------------------------


def test_non_persistent_tape_allows_one_gradient_call():
    x = t(B)
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(x * x)
        z = ops.sum(x)
    np.testing.assert_array_equal(arr(tape.gradient(y, x)), 2 * B)
    with pytest.raises(RuntimeError):
        tape.gradient(y, x)
    with pytest.raises(RuntimeError):
        tape.gradient(z, x)


def test_persistent_tape_allows_many_gradient_calls():
    x = t(A)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = ops.sum(ops.tanh(x) * x)
        z = ops.sum(x**3)
    g1 = arr(tape.gradient(y, x))
    g2 = arr(tape.gradient(z, x))
    g3 = arr(tape.gradient(y, x))
    np.testing.assert_array_equal(g1, g3)
    np.testing.assert_allclose(g1, np.tanh(A) + A * (1 - np.tanh(A) ** 2), rtol=1e-13)
    np.testing.assert_allclose(g2, 3 * A**2, rtol=1e-13)
    del tape


def test_bad_unconnected_gradients_value_raises():
    x = t(B)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = ops.sum(x)
    with pytest.raises(ValueError):
        tape.gradient(y, x, unconnected_gradients="foo")
    with pytest.raises(ValueError):
        tape.gradient(y, x, unconnected_gradients="zeros")


def test_unconnected_gradients_enum_and_strings():
    x, z = t(B), t(A)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        y = ops.sum(x)
    assert tape.gradient(y, z) is None
    assert tape.gradient(y, z, unconnected_gradients="none") is None
    assert tape.gradient(y, z, unconnected_gradients=lamina.UnconnectedGradients.NONE) is None
    for how in ("zero", lamina.UnconnectedGradients.ZERO):
        g = tape.gradient(y, z, unconnected_gradients=how)
        assert g.shape == (2, 3) and g.dtype == "float64"
        np.testing.assert_array_equal(arr(g), np.zeros((2, 3)))


# ---------------------------------------------------------------------------------------------
# Accumulation, intermediates, stop_gradient
# ---------------------------------------------------------------------------------------------


def test_source_used_several_times_accumulates():
    x = t(B)
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = x * x + x * 3.0 + ops.sin(x) + ops.sum(x) * ops.sum(x)
    g = arr(tape.gradient(y, x))
    # the last term is a scalar broadcast into y, so it counts len(x) times in sum(y)
    exp = 2 * B + 3.0 + np.cos(B) + 3 * 2 * np.sum(B)
    np.testing.assert_allclose(g, exp, rtol=1e-13)


def test_gradient_wrt_a_watched_intermediate():
    x = t(B)
    c = t(A)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        z = x * 2.0
        tape.watch(z)
        y = ops.sum(z * z)
        k = c * 2.0
        tape.watch(k)
        m = ops.sum(k**2)
    np.testing.assert_allclose(arr(tape.gradient(y, z)), 2 * (2 * B), rtol=1e-15)
    np.testing.assert_allclose(arr(tape.gradient(y, x)), 8 * B, rtol=1e-15)
    np.testing.assert_allclose(arr(tape.gradient(m, k)), 4 * A, rtol=1e-15)
    assert tape.gradient(m, c) is None


def test_stop_gradient_blocks():
    x = t(B)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        s = ops.stop_gradient(x)
        y = ops.sum(s * x)
        k = ops.sum(ops.stop_gradient(x * x) * 3.0)
    assert isinstance(s, lamina.Tensor)
    np.testing.assert_array_equal(arr(s), B)
    np.testing.assert_array_equal(arr(tape.gradient(y, x)), B)
    assert tape.gradient(k, x) is None
    assert tape.gradient(s, x) is None


# ---------------------------------------------------------------------------------------------
# Nested tapes: higher derivatives
# ---------------------------------------------------------------------------------------------


def second_derivative(f, a):
    """(f'(a), f''(a)) elementwise, via an inner tape computed inside an outer tape."""
    x = t(a)
    with lamina.GradientTape() as outer:
        outer.watch(x)
        with lamina.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        g = inner.gradient(y, x)
    h = outer.gradient(g, x)
    assert isinstance(g, lamina.Tensor) and isinstance(h, lamina.Tensor)
    assert h.shape == x.shape and h.dtype == "float64"
    return arr(g), arr(h)


XS = np.array([-1.3, -0.4, 0.2, 0.9, 1.7])


def _sig(a):
    return 1 / (1 + np.exp(-a))


SECOND = [
    ("x**3", lambda x: x**3, lambda a: 3 * a**2, lambda a: 6 * a),
    ("power(x,3)", lambda x: ops.power(x, 3.0), lambda a: 3 * a**2, lambda a: 6 * a),
    ("x*x*x", lambda x: x * x * x, lambda a: 3 * a**2, lambda a: 6 * a),
    ("sin", ops.sin, np.cos, lambda a: -np.sin(a)),
    ("tanh", ops.tanh, lambda a: 1 - np.tanh(a) ** 2, lambda a: -2 * np.tanh(a) * (1 - np.tanh(a) ** 2)),
    ("exp(x)*x", lambda x: ops.exp(x) * x, lambda a: np.exp(a) * (a + 1), lambda a: np.exp(a) * (a + 2)),
    ("sigmoid", ops.sigmoid, lambda a: _sig(a) * (1 - _sig(a)), lambda a: _sig(a) * (1 - _sig(a)) * (1 - 2 * _sig(a))),
    ("square", ops.square, lambda a: 2 * a, lambda a: np.full_like(a, 2.0)),
    ("log(x^2+1)", lambda x: ops.log(x * x + 1.0), lambda a: 2 * a / (a * a + 1), lambda a: 2 * (1 - a * a) / (a * a + 1) ** 2),
]


@pytest.mark.parametrize("name,f,d1,d2", SECOND, ids=[c[0] for c in SECOND])
def test_second_derivative_elementwise(name, f, d1, d2):
    g, h = second_derivative(f, XS)
    np.testing.assert_allclose(g, d1(XS), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h, d2(XS), rtol=1e-12, atol=1e-14)


def test_outer_tape_also_records_first_order():
    x = t(XS)
    with lamina.GradientTape() as outer:
        outer.watch(x)
        with lamina.GradientTape() as inner:
            inner.watch(x)
            y = ops.sum(x**3)
        g = inner.gradient(y, x)
    np.testing.assert_allclose(arr(g), 3 * XS**2, rtol=1e-13)
    with lamina.GradientTape() as outer:
        outer.watch(x)
        with lamina.GradientTape() as inner:
            inner.watch(x)
            y = ops.sum(x**3)
    np.testing.assert_allclose(arr(outer.gradient(y, x)), 3 * XS**2, rtol=1e-13)
    np.testing.assert_allclose(arr(inner.gradient(y, x)), 3 * XS**2, rtol=1e-13)


def test_hessian_vector_product_of_matmul_quadratic():
    rng = np.random.default_rng(3)
    a_np = rng.standard_normal((4, 3))
    x_np = rng.standard_normal(3)
    v_np = rng.standard_normal(3)
    a, x, v = t(a_np), t(x_np), t(v_np)
    with lamina.GradientTape(persistent=True) as outer:
        outer.watch(x)
        with lamina.GradientTape() as inner:
            inner.watch(x)
            f = ops.sum(ops.matmul(a, x) ** 2)
        g = inner.gradient(f, x)
        s = ops.sum(g * v)
        rows = [g[i] for i in range(3)]
    hess = 2 * a_np.T @ a_np
    np.testing.assert_allclose(arr(g), hess @ x_np, rtol=1e-12)
    np.testing.assert_allclose(arr(outer.gradient(s, x)), hess @ v_np, rtol=1e-12)
    np.testing.assert_allclose(arr(outer.gradient(g, x, output_gradients=v)), hess @ v_np, rtol=1e-12)
    full = np.stack([arr(outer.gradient(r, x)) for r in rows])
    np.testing.assert_allclose(full, hess, rtol=1e-12, atol=1e-14)


def test_second_derivative_through_reductions():
    a = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    _, h = second_derivative(lambda x: ops.sum(x * x), a)
    np.testing.assert_allclose(h, np.full((2, 3), 2.0), rtol=1e-15)
    _, h = second_derivative(lambda x: ops.mean(x**3), a)
    np.testing.assert_allclose(h, 6 * a / a.size, rtol=1e-13)
    _, h = second_derivative(lambda x: ops.sum(x, axis=1) ** 2, a)
    np.testing.assert_allclose(h, np.full((2, 3), 2.0 * 3), rtol=1e-13)


def test_logsumexp_hessian_is_softmax_jacobian():
    a_np = np.array([0.3, -1.2, 2.0, 0.5])
    v_np = np.array([1.0, -2.0, 0.5, 3.0])
    x = t(a_np)
    with lamina.GradientTape() as outer:
        outer.watch(x)
        with lamina.GradientTape() as inner:
            inner.watch(x)
            y = ops.logsumexp(x)
        g = inner.gradient(y, x)
    p = np.exp(a_np - np.max(a_np))
    p /= p.sum()
    np.testing.assert_allclose(arr(g), p, rtol=1e-13)
    hv = arr(outer.gradient(g, x, output_gradients=t(v_np)))
    np.testing.assert_allclose(hv, p * v_np - p * np.dot(p, v_np), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "f,d3", [(ops.sin, lambda a: -np.cos(a)), (lambda x: x**4, lambda a: 24 * a), (ops.exp, np.exp)], ids=["sin", "x**4", "exp"]
)
def test_third_derivative_with_three_tapes(f, d3):
    x = t(XS)
    with lamina.GradientTape() as t3:
        t3.watch(x)
        with lamina.GradientTape() as t2:
            t2.watch(x)
            with lamina.GradientTape() as t1:
                t1.watch(x)
                y = f(x)
            g1 = t1.gradient(y, x)
        g2 = t2.gradient(g1, x)
    g3 = t3.gradient(g2, x)
    np.testing.assert_allclose(arr(g3), d3(XS), rtol=1e-12, atol=1e-13)


def test_gradient_of_gradient_through_a_variable():
    v = lamina.Variable(np.array([0.5, -1.0, 2.0]), dtype="float64")
    with lamina.GradientTape() as t2:
        with lamina.GradientTape() as t1:
            y = ops.sum(v**3)
        g = t1.gradient(y, v)
    h = t2.gradient(g, v)
    np.testing.assert_allclose(arr(g), 3 * np.array([0.5, -1.0, 2.0]) ** 2, rtol=1e-14)
    np.testing.assert_allclose(arr(h), 6 * np.array([0.5, -1.0, 2.0]), rtol=1e-14)


# ---------------------------------------------------------------------------------------------
# Memory and determinism
# ---------------------------------------------------------------------------------------------


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_repeated_tape_steps_do_not_leak():
    if not os.path.exists("/proc/self/statm"):
        pytest.skip("needs /proc/self/statm")
    rng = np.random.default_rng(5)
    x = t(rng.standard_normal((64, 64)), "float32")
    w = lamina.Variable(rng.standard_normal((64, 64)).astype("float32") * 0.05)
    losses = []
    base = None
    for i in range(3000):
        persistent = i % 2 == 1
        with lamina.GradientTape(persistent=persistent) as tape:
            y = ops.sum(ops.tanh(ops.matmul(x, w)))
        g = tape.gradient(y, w)
        if persistent:
            g2 = tape.gradient(y, [w])[0]
            if i % 500 == 1:
                np.testing.assert_array_equal(arr(g), arr(g2))
        w.assign_sub(0.001 * g)
        del tape
        if i % 500 == 0:
            losses.append(float(y))
        if i == 500:
            gc.collect()
            base = _rss_bytes()
    gc.collect()
    grown = _rss_bytes() - base
    assert grown < 30 * 2**20, f"resident memory grew by {grown / 2**20:.1f} MB over 2500 tape steps"
    assert losses[-1] < losses[0]  # the steps really trained


def _thread_fns():
    set_n = getattr(ops, "set_num_threads", None) or lamina._lamina.set_num_threads
    get_n = getattr(ops, "get_num_threads", None) or lamina._lamina.get_num_threads
    return set_n, get_n


def test_gradients_bitwise_identical_at_1_and_2_threads():
    set_n, get_n = _thread_fns()
    rng = np.random.default_rng(9)
    a = (rng.standard_normal((512, 512)) / 16).astype("float32")
    b = (rng.standard_normal((512, 512)) / 16).astype("float32")

    def grads():
        x, y = t(a, "float32"), t(b, "float32")
        with lamina.GradientTape() as tape:
            tape.watch([x, y])
            s = ops.sum(ops.tanh(ops.matmul(x, y)))
        gx, gy = tape.gradient(s, [x, y])
        return np.array(arr(gx)), np.array(arr(gy))

    old = get_n()
    try:
        set_n(1)
        one = grads()
        set_n(2)
        two = grads()
    finally:
        set_n(old)
    assert get_n() == old
    assert one[0].dtype == np.float32 and one[0].shape == (512, 512)
    assert np.array_equal(one[0], two[0])
    assert np.array_equal(one[1], two[1])
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    d = 1 - np.tanh(a64 @ b64) ** 2
    np.testing.assert_allclose(one[0], d @ b64.T, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(one[1], a64.T @ d, rtol=1e-3, atol=1e-4)
