"""Keras 2 backend functions (``keras.backend`` / ``K``) that the tf.keras tutorials use, kept for
code written against them: ``K.dot``, ``K.floatx``, ``K.variable``, ..."""

from lamina import ops


def dot(x, y):
    """Keras 2's ``K.dot``: contracts the last axis of `x` with the second-to-last of `y`
    (the last for 1-D `y`); the result has shape ``x.shape[:-1] + y.shape[:-2] + y.shape[-1:]``."""
    x = ops.convert_to_tensor(x)
    y = ops.convert_to_tensor(y)
    if y.ndim <= 2:
        return ops.matmul(x, y)
    # Move y's contracted axis to the front, flatten the rest, multiply, restore the axes.
    k = y.shape[-2]
    y_front = ops.moveaxis(y, -2, 0)
    rest = y_front.shape[1:]
    y2 = ops.reshape(y_front, (k, -1))
    out = ops.matmul(x, y2)
    return ops.reshape(out, tuple(x.shape[:-1]) + tuple(rest))


def variable(value, dtype=None, name=None, constraint=None):
    """Keras 2's ``K.variable``: a Variable holding `value`."""
    from lamina.backend.variables import Variable

    v = Variable(value, dtype=dtype, name=name)
    v.constraint = constraint
    return v


def get_value(x):
    """Keras 2's ``K.get_value``: the numpy value of a variable or tensor."""
    return ops.convert_to_numpy(x)


def set_value(x, value):
    """Keras 2's ``K.set_value``: assigns `value` to variable `x`."""
    x.assign(value)


def int_shape(x):
    """Keras 2's ``K.int_shape``: the shape as a tuple of ints."""
    return tuple(x.shape)
