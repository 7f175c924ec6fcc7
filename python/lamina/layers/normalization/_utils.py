"""Argument handling shared by the normalization layers."""

from lamina import constraints
from lamina import initializers
from lamina import regularizers


def standardize_axis(axis, error_message):
    """An int `axis` as is, a list/tuple as a list; anything else raises a `TypeError` with
    ``error_message.format(axis=axis)``."""
    if isinstance(axis, (list, tuple)):
        return list(axis)
    if isinstance(axis, int):
        return axis
    raise TypeError(error_message.format(axis=axis))


def set_beta_gamma_arguments(layer, beta_initializer, gamma_initializer, beta_regularizer,
                             gamma_regularizer, beta_constraint, gamma_constraint):
    """Resolves and stores the initializers, regularizers and constraints of `beta`/`gamma`."""
    layer.beta_initializer = initializers.get(beta_initializer)
    layer.gamma_initializer = initializers.get(gamma_initializer)
    layer.beta_regularizer = regularizers.get(beta_regularizer)
    layer.gamma_regularizer = regularizers.get(gamma_regularizer)
    layer.beta_constraint = constraints.get(beta_constraint)
    layer.gamma_constraint = constraints.get(gamma_constraint)


def beta_gamma_config(layer):
    """The serialized `beta`/`gamma` initializers, regularizers and constraints."""
    return {
        "beta_initializer": initializers.serialize(layer.beta_initializer),
        "gamma_initializer": initializers.serialize(layer.gamma_initializer),
        "beta_regularizer": regularizers.serialize(layer.beta_regularizer),
        "gamma_regularizer": regularizers.serialize(layer.gamma_regularizer),
        "beta_constraint": constraints.serialize(layer.beta_constraint),
        "gamma_constraint": constraints.serialize(layer.gamma_constraint),
    }
