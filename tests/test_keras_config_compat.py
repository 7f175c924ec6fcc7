"""Configs move between Keras 3.15.1 and lamina: every built-in layer, initializer, regularizer,
constraint and dtype policy.

The literal dicts below were written by Keras 3.15.1 (numpy backend) for the constructor
arguments of each case (`KERAS_LAYER_CONFIGS`: ``layer.get_config()``; `KERAS_LAYER_SERIALIZED`:
the rest of ``keras.saving.serialize_keras_object(layer)`` once the layer was called on the case's
input; `KERAS_OBJECTS`: ``serialize_keras_object`` of initializers, regularizers, constraints).
Keras is not needed to run these tests. For each case:

(a) ``from_config`` accepts Keras' config and the layer computes what the config says (weights
    set, output compared with a numpy reference written here);
(b) lamina's ``get_config()`` for the same arguments equals Keras' dict, key for key;
(c) the options lamina cannot honour (quantization, batch renormalization, synchronized batch
    normalization, quantized dtype policies) raise a ValueError naming the layer and the option.
"""

import json
import math

import numpy as np
import pytest

import lamina
from lamina import constraints
from lamina import dtype_policies
from lamina import initializers
from lamina import layers
from lamina import regularizers
from lamina import saving


@saving.register_keras_serializable(package="compat")
def scale_by(x, k):
    """The Lambda function of the Lambda case (registered, so its config is its name)."""
    return x * k


def _rng(case_id):
    return np.random.default_rng(sum(ord(c) for c in case_id))


def _f32(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


# ----------------------------------------------------------------------------------------------
# numpy references
# ----------------------------------------------------------------------------------------------

def np_softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def np_normalize(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def np_l2_normalize(x, axis):
    return x / np.sqrt(np.maximum(np.sum(x * x, axis=axis, keepdims=True), 1e-12))


# ----------------------------------------------------------------------------------------------
# Layer cases: constructor arguments (`m` is the library: lamina here, keras when the literal
# dicts were written), inputs, and the numpy reference of the output given the weights.
# ----------------------------------------------------------------------------------------------

class Case:
    """One layer case.

    Args:
        case_id: The key of its literal dicts.
        class_name: The layer class.
        kwargs: ``m -> constructor kwargs`` (`m` gives ``initializers``, ``regularizers``,
            ``constraints``, ``activations``).
        inputs: ``() -> list of call arguments`` (numpy arrays).
        reference: ``(inputs, weights) -> expected output`` (numpy), `weights` as set by the test
            (the layer's weights in order, drawn from a fixed seed), or None when the layer has
            no numeric output to check beyond its inputs.
        dtype: The expected output dtype.
    """

    def __init__(self, case_id, class_name, kwargs, inputs, reference, dtype="float32",
                 positive_weights=False):
        self.id = case_id
        self.class_name = class_name
        self.kwargs = kwargs
        self.inputs = inputs
        self.reference = reference
        self.dtype = dtype
        self.positive_weights = positive_weights


def _dense_a_ref(inputs, w):
    (x,) = inputs
    return np.tanh(x.astype("float64") @ w[0] + w[1])


def _merge_inputs(shape=(2, 3)):
    return lambda: [[_f32(*shape, seed=1), _f32(*shape, seed=2)]]


CASES = [
    Case("dense_a", "Dense",
         lambda m: dict(units=4, activation="tanh", kernel_initializer="he_normal",
                        bias_initializer=m.initializers.Constant(0.5),
                        kernel_regularizer=m.regularizers.L1L2(0.1, 0.2), bias_regularizer="l2",
                        activity_regularizer=m.regularizers.L1(0.3),
                        kernel_constraint=m.constraints.MaxNorm(3.0, axis=1),
                        bias_constraint="non_neg", name="dense_a", trainable=False,
                        dtype="float64"),
         lambda: [_f32(2, 5)], _dense_a_ref, dtype="float64"),
    Case("dense_lora", "Dense",
         lambda m: dict(units=3, use_bias=False, lora_rank=2, activation="relu",
                        kernel_initializer=m.initializers.VarianceScaling(
                            2.0, "fan_out", "uniform", seed=4),
                        name="dense_lora"),
         lambda: [_f32(2, 4)],
         # lora_alpha defaults to lora_rank: kernel + (2 / 2) * a @ b.
         lambda inputs, w: np.maximum(inputs[0] @ (w[0] + w[1] @ w[2]), 0.0)),
    Case("einsum_a", "EinsumDense",
         lambda m: dict(equation="abc,cd->abd", output_shape=(None, 4), bias_axes="d",
                        activation="relu", kernel_initializer=m.initializers.GlorotNormal(seed=1),
                        name="einsum_a"),
         lambda: [_f32(2, 3, 5)],
         lambda inputs, w: np.maximum(np.einsum("abc,cd->abd", inputs[0], w[0]) + w[1], 0.0)),
    Case("einsum_lora", "EinsumDense",
         lambda m: dict(equation="ab,bc->ac", output_shape=3, lora_rank=2, lora_alpha=4.0,
                        name="einsum_lora"),
         lambda: [_f32(2, 5)],
         # lora_alpha / lora_rank = 2.
         lambda inputs, w: inputs[0] @ (w[0] + 2.0 * w[1] @ w[2])),
    Case("embedding_a", "Embedding",
         lambda m: dict(input_dim=10, output_dim=3, mask_zero=True, embeddings_initializer="ones",
                        embeddings_regularizer="l1", name="embedding_a"),
         lambda: [np.array([[0, 3, 9], [1, 0, 2]], dtype="int32")],
         lambda inputs, w: w[0][inputs[0]]),
    Case("embedding_b", "Embedding",
         lambda m: dict(input_dim=6, output_dim=2,
                        embeddings_initializer=m.initializers.RandomUniform(-1.0, 1.0, seed=1),
                        embeddings_constraint="unit_norm", activity_regularizer="l2",
                        name="embedding_b", dtype="float64"),
         lambda: [np.array([[5, 0], [2, 2]], dtype="int32")],
         lambda inputs, w: w[0][inputs[0]], dtype="float64"),
    Case("activation_a", "Activation", lambda m: dict(activation="softmax", name="activation_a"),
         lambda: [_f32(2, 3)], lambda inputs, w: np_softmax(inputs[0])),
    Case("identity_a", "Identity", lambda m: dict(name="identity_a", dtype="float64"),
         lambda: [_f32(2, 3)], lambda inputs, w: inputs[0], dtype="float64"),
    Case("masking_a", "Masking", lambda m: dict(mask_value=1.5, name="masking_a"),
         lambda: [np.array([[[1.5, 1.5], [1.0, 2.0]], [[0.0, 1.5], [1.5, 1.5]]], "float32")],
         lambda inputs, w: inputs[0] * np.any(inputs[0] != 1.5, axis=-1, keepdims=True)),
    Case("lambda_a", "Lambda",
         lambda m: dict(function=scale_by, output_shape=(3,), arguments={"k": 3.0},
                        name="lambda_a"),
         lambda: [_f32(2, 3)], lambda inputs, w: 3.0 * inputs[0]),
    Case("elu_a", "ELU", lambda m: dict(alpha=0.5, name="elu_a"), lambda: [_f32(2, 3)],
         lambda inputs, w: np.where(inputs[0] > 0, inputs[0], 0.5 * np.expm1(inputs[0]))),
    Case("leaky_relu_a", "LeakyReLU", lambda m: dict(negative_slope=0.2, name="leaky_relu_a"),
         lambda: [_f32(2, 3)],
         lambda inputs, w: np.where(inputs[0] >= 0, inputs[0], 0.2 * inputs[0])),
    Case("prelu_a", "PReLU",
         lambda m: dict(alpha_initializer="ones", alpha_regularizer="l2",
                        alpha_constraint="non_neg", shared_axes=[1], name="prelu_a"),
         lambda: [_f32(2, 3, 4)],
         lambda inputs, w: np.where(inputs[0] >= 0, inputs[0], w[0] * inputs[0]),
         positive_weights=True),
    Case("relu_a", "ReLU",
         lambda m: dict(max_value=1.0, negative_slope=0.1, threshold=0.5, name="relu_a"),
         lambda: [_f32(3, 4)],
         lambda inputs, w: np.where(inputs[0] >= 0.5, np.minimum(inputs[0], 1.0),
                                    0.1 * (inputs[0] - 0.5))),
    Case("softmax_a", "Softmax", lambda m: dict(axis=1, name="softmax_a"), lambda: [_f32(2, 3, 4)],
         lambda inputs, w: np_softmax(inputs[0], axis=1)),
    Case("softmax_b", "Softmax", lambda m: dict(axis=[1, 2], name="softmax_b"),
         lambda: [_f32(2, 3, 4)], lambda inputs, w: np_softmax(inputs[0], axis=(1, 2))),
    Case("add_a", "Add", lambda m: dict(name="add_a", dtype="float64"), _merge_inputs(),
         lambda inputs, w: inputs[0][0] + inputs[0][1], dtype="float64"),
    Case("average_a", "Average", lambda m: dict(name="average_a"), _merge_inputs(),
         lambda inputs, w: (inputs[0][0] + inputs[0][1]) / 2),
    Case("concatenate_a", "Concatenate", lambda m: dict(axis=1, name="concatenate_a"),
         _merge_inputs((2, 3, 2)), lambda inputs, w: np.concatenate(inputs[0], axis=1)),
    Case("dot_a", "Dot", lambda m: dict(axes=(1, 1), normalize=True, name="dot_a"),
         _merge_inputs((2, 3)),
         lambda inputs, w: np.sum(np_l2_normalize(inputs[0][0], 1)
                                  * np_l2_normalize(inputs[0][1], 1), axis=1, keepdims=True)),
    Case("maximum_a", "Maximum", lambda m: dict(name="maximum_a"), _merge_inputs(),
         lambda inputs, w: np.maximum(*inputs[0])),
    Case("minimum_a", "Minimum", lambda m: dict(name="minimum_a"), _merge_inputs(),
         lambda inputs, w: np.minimum(*inputs[0])),
    Case("multiply_a", "Multiply", lambda m: dict(name="multiply_a"), _merge_inputs(),
         lambda inputs, w: inputs[0][0] * inputs[0][1]),
    Case("subtract_a", "Subtract", lambda m: dict(name="subtract_a"), _merge_inputs(),
         lambda inputs, w: inputs[0][0] - inputs[0][1]),
    Case("batch_norm_a", "BatchNormalization",
         lambda m: dict(axis=1, momentum=0.9, epsilon=0.01, center=False,
                        gamma_initializer="zeros",
                        moving_variance_initializer=m.initializers.Constant(2.0),
                        gamma_regularizer="l2", gamma_constraint="non_neg", name="batch_norm_a"),
         lambda: [_f32(2, 3, 4)],
         # Weights: gamma, moving_mean, moving_variance (features on axis 1).
         lambda inputs, w: ((inputs[0] - w[1][:, None]) / np.sqrt(w[2][:, None] + 0.01)
                            * w[0][:, None]),
         positive_weights=True),
    Case("batch_norm_b", "BatchNormalization",
         lambda m: dict(renorm_clipping={"rmax": 3.0}, renorm_momentum=0.9,
                        beta_regularizer=m.regularizers.L1L2(0.1, 0.2),
                        beta_constraint=m.constraints.MinMaxNorm(0.1, 1.0), name="batch_norm_b"),
         lambda: [_f32(2, 3)],
         lambda inputs, w: (inputs[0] - w[2]) / np.sqrt(w[3] + 1e-3) * w[0] + w[1],
         positive_weights=True),
    Case("group_norm_a", "GroupNormalization",
         lambda m: dict(groups=2, epsilon=0.01, center=False, gamma_regularizer="l1",
                        name="group_norm_a"),
         lambda: [_f32(2, 3, 4)],
         lambda inputs, w: (np_normalize(inputs[0].reshape(2, 3, 2, 2), (1, 3), 0.01)
                            .reshape(2, 3, 4) * w[0])),
    Case("layer_norm_a", "LayerNormalization",
         lambda m: dict(axis=[1, 2], epsilon=0.01, scale=False,
                        beta_initializer=m.initializers.Constant(2.0), name="layer_norm_a"),
         lambda: [_f32(2, 3, 4)],
         lambda inputs, w: np_normalize(inputs[0], (1, 2), 0.01) + w[0]),
    Case("layer_norm_b", "LayerNormalization",
         lambda m: dict(axis=1, center=False, gamma_constraint="non_neg", name="layer_norm_b"),
         lambda: [_f32(2, 3, 4)],
         lambda inputs, w: np_normalize(inputs[0], 1, 1e-3) * w[0][:, None]),
    Case("unit_norm_a", "UnitNormalization", lambda m: dict(axis=[1], name="unit_norm_a"),
         lambda: [_f32(2, 3, 4)], lambda inputs, w: np_l2_normalize(inputs[0], 1)),
    Case("activity_reg_a", "ActivityRegularization",
         lambda m: dict(l1=0.1, l2=0.2, name="activity_reg_a"),
         lambda: [_f32(2, 3)], lambda inputs, w: inputs[0]),
    Case("alpha_dropout_a", "AlphaDropout",
         lambda m: dict(rate=0.3, noise_shape=(None, 1), seed=3, name="alpha_dropout_a"),
         lambda: [_f32(2, 3)], lambda inputs, w: inputs[0]),
    Case("dropout_a", "Dropout",
         lambda m: dict(rate=0.3, noise_shape=(None, 1), seed=3, name="dropout_a"),
         lambda: [_f32(2, 3)], lambda inputs, w: inputs[0]),
    Case("gaussian_dropout_a", "GaussianDropout",
         lambda m: dict(rate=0.3, seed=3, name="gaussian_dropout_a"),
         lambda: [_f32(2, 3)], lambda inputs, w: inputs[0]),
    Case("gaussian_noise_a", "GaussianNoise",
         lambda m: dict(stddev=0.3, seed=3, name="gaussian_noise_a"),
         lambda: [_f32(2, 3)], lambda inputs, w: inputs[0]),
    Case("spatial_dropout1d_a", "SpatialDropout1D",
         lambda m: dict(rate=0.3, seed=3, name="spatial_dropout1d_a"),
         lambda: [_f32(2, 3, 4)], lambda inputs, w: inputs[0]),
    Case("spatial_dropout2d_a", "SpatialDropout2D",
         lambda m: dict(rate=0.3, data_format="channels_first", seed=3,
                        name="spatial_dropout2d_a"),
         lambda: [_f32(2, 3, 4, 5)], lambda inputs, w: inputs[0]),
    Case("spatial_dropout3d_a", "SpatialDropout3D",
         lambda m: dict(rate=0.3, seed=3, name="spatial_dropout3d_a", dtype="float64"),
         lambda: [_f32(2, 3, 2, 2, 4)], lambda inputs, w: inputs[0], dtype="float64"),
    Case("cropping1d_a", "Cropping1D", lambda m: dict(cropping=(1, 2), name="cropping1d_a"),
         lambda: [_f32(2, 6, 3)], lambda inputs, w: inputs[0][:, 1:-2]),
    Case("cropping2d_a", "Cropping2D",
         lambda m: dict(cropping=((1, 2), (0, 1)), data_format="channels_first",
                        name="cropping2d_a"),
         lambda: [_f32(2, 3, 6, 5)], lambda inputs, w: inputs[0][:, :, 1:-2, 0:-1]),
    Case("flatten_a", "Flatten", lambda m: dict(data_format="channels_first", name="flatten_a"),
         # channels_first: the channels axis moves last before flattening.
         lambda: [_f32(2, 3, 4)], lambda inputs, w: inputs[0].transpose(0, 2, 1).reshape(2, 12)),
    Case("permute_a", "Permute", lambda m: dict(dims=(2, 1), name="permute_a"),
         lambda: [_f32(2, 3, 4)], lambda inputs, w: inputs[0].transpose(0, 2, 1)),
    Case("repeat_vector_a", "RepeatVector", lambda m: dict(n=3, name="repeat_vector_a"),
         lambda: [_f32(2, 4)],
         lambda inputs, w: np.repeat(inputs[0][:, None, :], 3, axis=1)),
    Case("reshape_a", "Reshape", lambda m: dict(target_shape=(2, -1), name="reshape_a"),
         lambda: [_f32(2, 3, 4)], lambda inputs, w: inputs[0].reshape(2, 2, 6)),
    Case("up_sampling1d_a", "UpSampling1D", lambda m: dict(size=3, name="up_sampling1d_a"),
         lambda: [_f32(2, 3, 2)], lambda inputs, w: np.repeat(inputs[0], 3, axis=1)),
    Case("up_sampling2d_a", "UpSampling2D",
         lambda m: dict(size=(2, 3), data_format="channels_first", interpolation="nearest",
                        name="up_sampling2d_a"),
         lambda: [_f32(2, 3, 2, 2)],
         lambda inputs, w: np.repeat(np.repeat(inputs[0], 2, axis=2), 3, axis=3)),
    Case("zero_padding1d_a", "ZeroPadding1D",
         lambda m: dict(padding=(1, 2), name="zero_padding1d_a"),
         lambda: [_f32(2, 3, 2)],
         lambda inputs, w: np.pad(inputs[0], ((0, 0), (1, 2), (0, 0)))),
    Case("zero_padding2d_a", "ZeroPadding2D",
         lambda m: dict(padding=((1, 2), (0, 1)), data_format="channels_first",
                        name="zero_padding2d_a"),
         lambda: [_f32(2, 3, 2, 2)],
         lambda inputs, w: np.pad(inputs[0], ((0, 0), (0, 0), (1, 2), (0, 1)))),
]

CASE_IDS = [c.id for c in CASES]


def draw_weights(case, weights):
    """The weights the tests set on a case's layer: normal draws of each weight's shape and dtype
    from the case's own seed (absolute values plus 0.1 when the case needs positive ones)."""
    rng = _rng(case.id)
    values = []
    for w in weights:
        v = rng.standard_normal(tuple(w.shape))
        if case.positive_weights:
            v = np.abs(v) + 0.1
        values.append(v.astype(str(w.dtype)))
    return values
CASES_BY_ID = {c.id: c for c in CASES}


# ----------------------------------------------------------------------------------------------
# Initializer / regularizer / constraint cases: constructor arguments.
# ----------------------------------------------------------------------------------------------

OBJECT_CASES = {
    "constant": ("initializers", "Constant", dict(value=2.5)),
    "zeros": ("initializers", "Zeros", {}),
    "ones": ("initializers", "Ones", {}),
    "identity": ("initializers", "Identity", dict(gain=2.0)),
    "random_normal": ("initializers", "RandomNormal", dict(mean=1.0, stddev=0.5, seed=7)),
    "truncated_normal": ("initializers", "TruncatedNormal", dict(mean=1.0, stddev=0.5, seed=7)),
    "random_uniform": ("initializers", "RandomUniform", dict(minval=-1.0, maxval=2.0, seed=7)),
    "variance_scaling": ("initializers", "VarianceScaling",
                         dict(scale=2.0, mode="fan_avg", distribution="uniform", seed=7)),
    "variance_scaling_axes": ("initializers", "VarianceScaling",
                              dict(scale=2.0, mode="fan_out", distribution="untruncated_normal",
                                   seed=7, input_axes=[0], output_axes=[1, 2])),
    "glorot_uniform": ("initializers", "GlorotUniform", dict(seed=7)),
    "glorot_normal_axes": ("initializers", "GlorotNormal",
                           dict(seed=7, input_axes=[0, 1], output_axes=[2])),
    "he_normal": ("initializers", "HeNormal", dict(seed=7)),
    "he_uniform": ("initializers", "HeUniform", dict(seed=7, input_axes=[0], output_axes=[1])),
    "lecun_normal": ("initializers", "LecunNormal", dict(seed=7)),
    "lecun_uniform": ("initializers", "LecunUniform", dict(seed=7)),
    "orthogonal": ("initializers", "Orthogonal", dict(gain=2.0, seed=7)),
    "l1": ("regularizers", "L1", dict(l1=0.3)),
    "l2": ("regularizers", "L2", dict(l2=0.3)),
    "l1_l2": ("regularizers", "L1L2", dict(l1=0.3, l2=0.1)),
    "orthogonal_regularizer": ("regularizers", "OrthogonalRegularizer",
                               dict(factor=0.3, mode="columns")),
    "max_norm": ("constraints", "MaxNorm", dict(max_value=3.0, axis=1)),
    "non_neg": ("constraints", "NonNeg", {}),
    "unit_norm": ("constraints", "UnitNorm", dict(axis=[0, 1])),
    "min_max_norm": ("constraints", "MinMaxNorm",
                     dict(min_value=0.5, max_value=2.0, rate=0.5, axis=1)),
}

# BEGIN KERAS LITERALS: written by Keras 3.15.1 (KERAS_BACKEND=numpy) from CASES and OBJECT_CASES:
# get_config() of each case's layer; serialize_keras_object(layer) once called on its inputs (the
# config there only where building changed it); serialize_keras_object of each object.
KERAS_LAYER_CONFIGS = {'dense_a': {'name': 'dense_a',
             'trainable': False,
             'dtype': {'module': 'keras',
                       'class_name': 'DTypePolicy',
                       'config': {'name': 'float64'},
                       'registered_name': None},
             'activity_regularizer': {'module': 'keras.regularizers',
                                      'class_name': 'L1',
                                      'config': {'l1': 0.30000001192092896},
                                      'registered_name': None},
             'units': 4,
             'activation': 'tanh',
             'use_bias': True,
             'kernel_initializer': {'module': 'keras.initializers',
                                    'class_name': 'HeNormal',
                                    'config': {'seed': None,
                                               'input_axes': None,
                                               'output_axes': None},
                                    'registered_name': None},
             'bias_initializer': {'module': 'keras.initializers',
                                  'class_name': 'Constant',
                                  'config': {'value': 0.5},
                                  'registered_name': None},
             'kernel_regularizer': {'module': 'keras.regularizers',
                                    'class_name': 'L1L2',
                                    'config': {'l1': 0.1, 'l2': 0.2},
                                    'registered_name': None},
             'bias_regularizer': {'module': 'keras.regularizers',
                                  'class_name': 'L2',
                                  'config': {'l2': 0.01},
                                  'registered_name': None},
             'kernel_constraint': {'module': 'keras.constraints',
                                   'class_name': 'MaxNorm',
                                   'config': {'max_value': 3.0, 'axis': 1},
                                   'registered_name': None},
             'bias_constraint': {'module': 'keras.constraints',
                                 'class_name': 'NonNeg',
                                 'config': {},
                                 'registered_name': None},
             'quantization_config': None},
 'dense_lora': {'name': 'dense_lora',
                'trainable': True,
                'dtype': {'module': 'keras',
                          'class_name': 'DTypePolicy',
                          'config': {'name': 'float32'},
                          'registered_name': None},
                'units': 3,
                'activation': 'relu',
                'use_bias': False,
                'kernel_initializer': {'module': 'keras.initializers',
                                       'class_name': 'VarianceScaling',
                                       'config': {'seed': 4,
                                                  'scale': 2.0,
                                                  'mode': 'fan_out',
                                                  'distribution': 'uniform',
                                                  'input_axes': None,
                                                  'output_axes': None},
                                       'registered_name': None},
                'bias_initializer': {'module': 'keras.initializers',
                                     'class_name': 'Zeros',
                                     'config': {},
                                     'registered_name': None},
                'kernel_regularizer': None,
                'bias_regularizer': None,
                'kernel_constraint': None,
                'bias_constraint': None,
                'quantization_config': None,
                'lora_rank': 2,
                'lora_alpha': 2},
 'einsum_a': {'name': 'einsum_a',
              'trainable': True,
              'dtype': {'module': 'keras',
                        'class_name': 'DTypePolicy',
                        'config': {'name': 'float32'},
                        'registered_name': None},
              'output_shape': (None, 4),
              'equation': 'abc,cd->abd',
              'activation': 'relu',
              'bias_axes': 'd',
              'kernel_initializer': {'module': 'keras.initializers',
                                     'class_name': 'GlorotNormal',
                                     'config': {'seed': 1,
                                                'input_axes': None,
                                                'output_axes': None},
                                     'registered_name': None},
              'bias_initializer': {'module': 'keras.initializers',
                                   'class_name': 'Zeros',
                                   'config': {},
                                   'registered_name': None},
              'kernel_regularizer': None,
              'bias_regularizer': None,
              'activity_regularizer': None,
              'kernel_constraint': None,
              'bias_constraint': None,
              'quantization_config': None},
 'einsum_lora': {'name': 'einsum_lora',
                 'trainable': True,
                 'dtype': {'module': 'keras',
                           'class_name': 'DTypePolicy',
                           'config': {'name': 'float32'},
                           'registered_name': None},
                 'output_shape': (3,),
                 'equation': 'ab,bc->ac',
                 'activation': 'linear',
                 'bias_axes': None,
                 'kernel_initializer': {'module': 'keras.initializers',
                                        'class_name': 'GlorotUniform',
                                        'config': {'seed': None,
                                                   'input_axes': None,
                                                   'output_axes': None},
                                        'registered_name': None},
                 'bias_initializer': {'module': 'keras.initializers',
                                      'class_name': 'Zeros',
                                      'config': {},
                                      'registered_name': None},
                 'kernel_regularizer': None,
                 'bias_regularizer': None,
                 'activity_regularizer': None,
                 'kernel_constraint': None,
                 'bias_constraint': None,
                 'quantization_config': None,
                 'lora_rank': 2,
                 'lora_alpha': 4.0},
 'embedding_a': {'name': 'embedding_a',
                 'trainable': True,
                 'dtype': {'module': 'keras',
                           'class_name': 'DTypePolicy',
                           'config': {'name': 'float32'},
                           'registered_name': None},
                 'input_dim': 10,
                 'output_dim': 3,
                 'embeddings_initializer': {'module': 'keras.initializers',
                                            'class_name': 'Ones',
                                            'config': {},
                                            'registered_name': None},
                 'embeddings_regularizer': {'module': 'keras.regularizers',
                                            'class_name': 'L1',
                                            'config': {'l1': 0.009999999776482582},
                                            'registered_name': None},
                 'activity_regularizer': None,
                 'embeddings_constraint': None,
                 'mask_zero': True,
                 'quantization_config': None},
 'embedding_b': {'name': 'embedding_b',
                 'trainable': True,
                 'dtype': {'module': 'keras',
                           'class_name': 'DTypePolicy',
                           'config': {'name': 'float64'},
                           'registered_name': None},
                 'activity_regularizer': {'module': 'keras.regularizers',
                                          'class_name': 'L2',
                                          'config': {'l2': 0.01},
                                          'registered_name': None},
                 'input_dim': 6,
                 'output_dim': 2,
                 'embeddings_initializer': {'module': 'keras.initializers',
                                            'class_name': 'RandomUniform',
                                            'config': {'seed': 1, 'minval': -1.0, 'maxval': 1.0},
                                            'registered_name': None},
                 'embeddings_regularizer': None,
                 'embeddings_constraint': {'module': 'keras.constraints',
                                           'class_name': 'UnitNorm',
                                           'config': {'axis': 0},
                                           'registered_name': None},
                 'mask_zero': False,
                 'quantization_config': None},
 'activation_a': {'name': 'activation_a',
                  'trainable': True,
                  'dtype': {'module': 'keras',
                            'class_name': 'DTypePolicy',
                            'config': {'name': 'float32'},
                            'registered_name': None},
                  'activation': 'softmax'},
 'identity_a': {'name': 'identity_a',
                'dtype': {'module': 'keras',
                          'class_name': 'DTypePolicy',
                          'config': {'name': 'float64'},
                          'registered_name': None},
                'trainable': True},
 'masking_a': {'name': 'masking_a',
               'trainable': True,
               'dtype': {'module': 'keras',
                         'class_name': 'DTypePolicy',
                         'config': {'name': 'float32'},
                         'registered_name': None},
               'mask_value': 1.5},
 'lambda_a': {'name': 'lambda_a',
              'trainable': True,
              'dtype': {'module': 'keras',
                        'class_name': 'DTypePolicy',
                        'config': {'name': 'float32'},
                        'registered_name': None},
              'function': {'module': 'builtins',
                           'class_name': 'function',
                           'config': 'compat>scale_by',
                           'registered_name': 'function'},
              'output_shape': (3,),
              'arguments': {'k': 3.0}},
 'elu_a': {'name': 'elu_a',
           'alpha': 0.5,
           'trainable': True,
           'dtype': {'module': 'keras',
                     'class_name': 'DTypePolicy',
                     'config': {'name': 'float32'},
                     'registered_name': None}},
 'leaky_relu_a': {'name': 'leaky_relu_a',
                  'trainable': True,
                  'dtype': {'module': 'keras',
                            'class_name': 'DTypePolicy',
                            'config': {'name': 'float32'},
                            'registered_name': None},
                  'negative_slope': 0.2},
 'prelu_a': {'name': 'prelu_a',
             'trainable': True,
             'dtype': {'module': 'keras',
                       'class_name': 'DTypePolicy',
                       'config': {'name': 'float32'},
                       'registered_name': None},
             'alpha_initializer': {'module': 'keras.initializers',
                                   'class_name': 'Ones',
                                   'config': {},
                                   'registered_name': None},
             'alpha_regularizer': {'module': 'keras.regularizers',
                                   'class_name': 'L2',
                                   'config': {'l2': 0.01},
                                   'registered_name': None},
             'alpha_constraint': {'module': 'keras.constraints',
                                  'class_name': 'NonNeg',
                                  'config': {},
                                  'registered_name': None},
             'shared_axes': [1]},
 'relu_a': {'name': 'relu_a',
            'trainable': True,
            'dtype': {'module': 'keras',
                      'class_name': 'DTypePolicy',
                      'config': {'name': 'float32'},
                      'registered_name': None},
            'max_value': 1.0,
            'negative_slope': 0.1,
            'threshold': 0.5},
 'softmax_a': {'name': 'softmax_a',
               'trainable': True,
               'dtype': {'module': 'keras',
                         'class_name': 'DTypePolicy',
                         'config': {'name': 'float32'},
                         'registered_name': None},
               'axis': 1},
 'softmax_b': {'name': 'softmax_b',
               'trainable': True,
               'dtype': {'module': 'keras',
                         'class_name': 'DTypePolicy',
                         'config': {'name': 'float32'},
                         'registered_name': None},
               'axis': [1, 2]},
 'add_a': {'name': 'add_a',
           'trainable': True,
           'dtype': {'module': 'keras',
                     'class_name': 'DTypePolicy',
                     'config': {'name': 'float64'},
                     'registered_name': None}},
 'average_a': {'name': 'average_a',
               'trainable': True,
               'dtype': {'module': 'keras',
                         'class_name': 'DTypePolicy',
                         'config': {'name': 'float32'},
                         'registered_name': None}},
 'concatenate_a': {'name': 'concatenate_a',
                   'trainable': True,
                   'dtype': {'module': 'keras',
                             'class_name': 'DTypePolicy',
                             'config': {'name': 'float32'},
                             'registered_name': None},
                   'axis': 1},
 'dot_a': {'name': 'dot_a',
           'trainable': True,
           'dtype': {'module': 'keras',
                     'class_name': 'DTypePolicy',
                     'config': {'name': 'float32'},
                     'registered_name': None},
           'axes': (1, 1),
           'normalize': True},
 'maximum_a': {'name': 'maximum_a',
               'trainable': True,
               'dtype': {'module': 'keras',
                         'class_name': 'DTypePolicy',
                         'config': {'name': 'float32'},
                         'registered_name': None}},
 'minimum_a': {'name': 'minimum_a',
               'trainable': True,
               'dtype': {'module': 'keras',
                         'class_name': 'DTypePolicy',
                         'config': {'name': 'float32'},
                         'registered_name': None}},
 'multiply_a': {'name': 'multiply_a',
                'trainable': True,
                'dtype': {'module': 'keras',
                          'class_name': 'DTypePolicy',
                          'config': {'name': 'float32'},
                          'registered_name': None}},
 'subtract_a': {'name': 'subtract_a',
                'trainable': True,
                'dtype': {'module': 'keras',
                          'class_name': 'DTypePolicy',
                          'config': {'name': 'float32'},
                          'registered_name': None}},
 'batch_norm_a': {'name': 'batch_norm_a',
                  'trainable': True,
                  'dtype': {'module': 'keras',
                            'class_name': 'DTypePolicy',
                            'config': {'name': 'float32'},
                            'registered_name': None},
                  'axis': 1,
                  'momentum': 0.9,
                  'epsilon': 0.01,
                  'center': False,
                  'scale': True,
                  'beta_initializer': {'module': 'keras.initializers',
                                       'class_name': 'Zeros',
                                       'config': {},
                                       'registered_name': None},
                  'gamma_initializer': {'module': 'keras.initializers',
                                        'class_name': 'Zeros',
                                        'config': {},
                                        'registered_name': None},
                  'moving_mean_initializer': {'module': 'keras.initializers',
                                              'class_name': 'Zeros',
                                              'config': {},
                                              'registered_name': None},
                  'moving_variance_initializer': {'module': 'keras.initializers',
                                                  'class_name': 'Constant',
                                                  'config': {'value': 2.0},
                                                  'registered_name': None},
                  'beta_regularizer': None,
                  'gamma_regularizer': {'module': 'keras.regularizers',
                                        'class_name': 'L2',
                                        'config': {'l2': 0.01},
                                        'registered_name': None},
                  'beta_constraint': None,
                  'gamma_constraint': {'module': 'keras.constraints',
                                       'class_name': 'NonNeg',
                                       'config': {},
                                       'registered_name': None},
                  'synchronized': False,
                  'renorm': False,
                  'renorm_clipping': None,
                  'renorm_momentum': 0.99},
 'batch_norm_b': {'name': 'batch_norm_b',
                  'trainable': True,
                  'dtype': {'module': 'keras',
                            'class_name': 'DTypePolicy',
                            'config': {'name': 'float32'},
                            'registered_name': None},
                  'axis': -1,
                  'momentum': 0.99,
                  'epsilon': 0.001,
                  'center': True,
                  'scale': True,
                  'beta_initializer': {'module': 'keras.initializers',
                                       'class_name': 'Zeros',
                                       'config': {},
                                       'registered_name': None},
                  'gamma_initializer': {'module': 'keras.initializers',
                                        'class_name': 'Ones',
                                        'config': {},
                                        'registered_name': None},
                  'moving_mean_initializer': {'module': 'keras.initializers',
                                              'class_name': 'Zeros',
                                              'config': {},
                                              'registered_name': None},
                  'moving_variance_initializer': {'module': 'keras.initializers',
                                                  'class_name': 'Ones',
                                                  'config': {},
                                                  'registered_name': None},
                  'beta_regularizer': {'module': 'keras.regularizers',
                                       'class_name': 'L1L2',
                                       'config': {'l1': 0.1, 'l2': 0.2},
                                       'registered_name': None},
                  'gamma_regularizer': None,
                  'beta_constraint': {'module': 'keras.constraints',
                                      'class_name': 'MinMaxNorm',
                                      'config': {'min_value': 0.1,
                                                 'max_value': 1.0,
                                                 'rate': 1.0,
                                                 'axis': 0},
                                      'registered_name': None},
                  'gamma_constraint': None,
                  'synchronized': False,
                  'renorm': False,
                  'renorm_clipping': {'rmax': 3.0},
                  'renorm_momentum': 0.9},
 'group_norm_a': {'name': 'group_norm_a',
                  'trainable': True,
                  'dtype': {'module': 'keras',
                            'class_name': 'DTypePolicy',
                            'config': {'name': 'float32'},
                            'registered_name': None},
                  'groups': 2,
                  'axis': -1,
                  'epsilon': 0.01,
                  'center': False,
                  'scale': True,
                  'beta_initializer': {'module': 'keras.initializers',
                                       'class_name': 'Zeros',
                                       'config': {},
                                       'registered_name': None},
                  'gamma_initializer': {'module': 'keras.initializers',
                                        'class_name': 'Ones',
                                        'config': {},
                                        'registered_name': None},
                  'beta_regularizer': None,
                  'gamma_regularizer': {'module': 'keras.regularizers',
                                        'class_name': 'L1',
                                        'config': {'l1': 0.009999999776482582},
                                        'registered_name': None},
                  'beta_constraint': None,
                  'gamma_constraint': None},
 'layer_norm_a': {'name': 'layer_norm_a',
                  'trainable': True,
                  'dtype': {'module': 'keras',
                            'class_name': 'DTypePolicy',
                            'config': {'name': 'float32'},
                            'registered_name': None},
                  'axis': [1, 2],
                  'epsilon': 0.01,
                  'center': True,
                  'scale': False,
                  'rms_scaling': False,
                  'beta_initializer': {'module': 'keras.initializers',
                                       'class_name': 'Constant',
                                       'config': {'value': 2.0},
                                       'registered_name': None},
                  'gamma_initializer': {'module': 'keras.initializers',
                                        'class_name': 'Ones',
                                        'config': {},
                                        'registered_name': None},
                  'beta_regularizer': None,
                  'gamma_regularizer': None,
                  'beta_constraint': None,
                  'gamma_constraint': None},
 'layer_norm_b': {'name': 'layer_norm_b',
                  'trainable': True,
                  'dtype': {'module': 'keras',
                            'class_name': 'DTypePolicy',
                            'config': {'name': 'float32'},
                            'registered_name': None},
                  'axis': 1,
                  'epsilon': 0.001,
                  'center': False,
                  'scale': True,
                  'rms_scaling': False,
                  'beta_initializer': {'module': 'keras.initializers',
                                       'class_name': 'Zeros',
                                       'config': {},
                                       'registered_name': None},
                  'gamma_initializer': {'module': 'keras.initializers',
                                        'class_name': 'Ones',
                                        'config': {},
                                        'registered_name': None},
                  'beta_regularizer': None,
                  'gamma_regularizer': None,
                  'beta_constraint': None,
                  'gamma_constraint': {'module': 'keras.constraints',
                                       'class_name': 'NonNeg',
                                       'config': {},
                                       'registered_name': None}},
 'unit_norm_a': {'name': 'unit_norm_a',
                 'trainable': True,
                 'dtype': {'module': 'keras',
                           'class_name': 'DTypePolicy',
                           'config': {'name': 'float32'},
                           'registered_name': None},
                 'axis': [1]},
 'activity_reg_a': {'name': 'activity_reg_a',
                    'trainable': True,
                    'dtype': {'module': 'keras',
                              'class_name': 'DTypePolicy',
                              'config': {'name': 'float32'},
                              'registered_name': None},
                    'l1': 0.1,
                    'l2': 0.2},
 'alpha_dropout_a': {'name': 'alpha_dropout_a',
                     'trainable': True,
                     'dtype': {'module': 'keras',
                               'class_name': 'DTypePolicy',
                               'config': {'name': 'float32'},
                               'registered_name': None},
                     'rate': 0.3,
                     'seed': 3,
                     'noise_shape': (None, 1)},
 'dropout_a': {'name': 'dropout_a',
               'trainable': True,
               'dtype': {'module': 'keras',
                         'class_name': 'DTypePolicy',
                         'config': {'name': 'float32'},
                         'registered_name': None},
               'rate': 0.3,
               'seed': 3,
               'noise_shape': (None, 1)},
 'gaussian_dropout_a': {'name': 'gaussian_dropout_a',
                        'trainable': True,
                        'dtype': {'module': 'keras',
                                  'class_name': 'DTypePolicy',
                                  'config': {'name': 'float32'},
                                  'registered_name': None},
                        'rate': 0.3,
                        'seed': 3},
 'gaussian_noise_a': {'name': 'gaussian_noise_a',
                      'trainable': True,
                      'dtype': {'module': 'keras',
                                'class_name': 'DTypePolicy',
                                'config': {'name': 'float32'},
                                'registered_name': None},
                      'stddev': 0.3,
                      'seed': 3},
 'spatial_dropout1d_a': {'rate': 0.3,
                         'seed': 3,
                         'name': 'spatial_dropout1d_a',
                         'dtype': 'float32'},
 'spatial_dropout2d_a': {'rate': 0.3,
                         'seed': 3,
                         'name': 'spatial_dropout2d_a',
                         'dtype': 'float32',
                         'data_format': 'channels_first'},
 'spatial_dropout3d_a': {'rate': 0.3,
                         'seed': 3,
                         'name': 'spatial_dropout3d_a',
                         'dtype': 'float64',
                         'data_format': 'channels_last'},
 'cropping1d_a': {'name': 'cropping1d_a',
                  'trainable': True,
                  'dtype': {'module': 'keras',
                            'class_name': 'DTypePolicy',
                            'config': {'name': 'float32'},
                            'registered_name': None},
                  'cropping': (1, 2)},
 'cropping2d_a': {'name': 'cropping2d_a',
                  'trainable': True,
                  'dtype': {'module': 'keras',
                            'class_name': 'DTypePolicy',
                            'config': {'name': 'float32'},
                            'registered_name': None},
                  'cropping': ((1, 2), (0, 1)),
                  'data_format': 'channels_first'},
 'flatten_a': {'name': 'flatten_a',
               'trainable': True,
               'dtype': {'module': 'keras',
                         'class_name': 'DTypePolicy',
                         'config': {'name': 'float32'},
                         'registered_name': None},
               'data_format': 'channels_first'},
 'permute_a': {'name': 'permute_a',
               'trainable': True,
               'dtype': {'module': 'keras',
                         'class_name': 'DTypePolicy',
                         'config': {'name': 'float32'},
                         'registered_name': None},
               'dims': (2, 1)},
 'repeat_vector_a': {'name': 'repeat_vector_a',
                     'trainable': True,
                     'dtype': {'module': 'keras',
                               'class_name': 'DTypePolicy',
                               'config': {'name': 'float32'},
                               'registered_name': None},
                     'n': 3},
 'reshape_a': {'name': 'reshape_a',
               'trainable': True,
               'dtype': {'module': 'keras',
                         'class_name': 'DTypePolicy',
                         'config': {'name': 'float32'},
                         'registered_name': None},
               'target_shape': (2, -1)},
 'up_sampling1d_a': {'name': 'up_sampling1d_a',
                     'trainable': True,
                     'dtype': {'module': 'keras',
                               'class_name': 'DTypePolicy',
                               'config': {'name': 'float32'},
                               'registered_name': None},
                     'size': 3},
 'up_sampling2d_a': {'name': 'up_sampling2d_a',
                     'trainable': True,
                     'dtype': {'module': 'keras',
                               'class_name': 'DTypePolicy',
                               'config': {'name': 'float32'},
                               'registered_name': None},
                     'size': (2, 3),
                     'data_format': 'channels_first',
                     'interpolation': 'nearest'},
 'zero_padding1d_a': {'name': 'zero_padding1d_a',
                      'trainable': True,
                      'dtype': {'module': 'keras',
                                'class_name': 'DTypePolicy',
                                'config': {'name': 'float32'},
                                'registered_name': None},
                      'padding': (1, 2),
                      'data_format': 'channels_last'},
 'zero_padding2d_a': {'name': 'zero_padding2d_a',
                      'trainable': True,
                      'dtype': {'module': 'keras',
                                'class_name': 'DTypePolicy',
                                'config': {'name': 'float32'},
                                'registered_name': None},
                      'padding': ((1, 2), (0, 1)),
                      'data_format': 'channels_first'}}

KERAS_LAYER_SERIALIZED = {'dense_a': {'module': 'keras.layers',
             'class_name': 'Dense',
             'registered_name': None,
             'build_config': {'input_shape': (2, 5)}},
 'dense_lora': {'module': 'keras.layers',
                'class_name': 'Dense',
                'registered_name': None,
                'build_config': {'input_shape': (2, 4)}},
 'einsum_a': {'module': 'keras.layers',
              'class_name': 'EinsumDense',
              'registered_name': None,
              'build_config': {'input_shape': (2, 3, 5)}},
 'einsum_lora': {'module': 'keras.layers',
                 'class_name': 'EinsumDense',
                 'registered_name': None,
                 'build_config': {'input_shape': (2, 5)}},
 'embedding_a': {'module': 'keras.layers',
                 'class_name': 'Embedding',
                 'registered_name': None,
                 'build_config': {'input_shape': (2, 3)}},
 'embedding_b': {'module': 'keras.layers',
                 'class_name': 'Embedding',
                 'registered_name': None,
                 'build_config': {'input_shape': (2, 2)}},
 'activation_a': {'module': 'keras.layers', 'class_name': 'Activation', 'registered_name': None},
 'identity_a': {'module': 'keras.layers', 'class_name': 'Identity', 'registered_name': None},
 'masking_a': {'module': 'keras.layers', 'class_name': 'Masking', 'registered_name': None},
 'lambda_a': {'module': 'keras.layers',
              'class_name': 'Lambda',
              'registered_name': None,
              'build_config': {'input_shape': (2, 3)}},
 'elu_a': {'module': 'keras.layers', 'class_name': 'ELU', 'registered_name': None},
 'leaky_relu_a': {'module': 'keras.layers', 'class_name': 'LeakyReLU', 'registered_name': None},
 'prelu_a': {'module': 'keras.layers',
             'class_name': 'PReLU',
             'registered_name': None,
             'build_config': {'input_shape': (2, 3, 4)}},
 'relu_a': {'module': 'keras.layers', 'class_name': 'ReLU', 'registered_name': None},
 'softmax_a': {'module': 'keras.layers', 'class_name': 'Softmax', 'registered_name': None},
 'softmax_b': {'module': 'keras.layers', 'class_name': 'Softmax', 'registered_name': None},
 'add_a': {'module': 'keras.layers',
           'class_name': 'Add',
           'registered_name': None,
           'build_config': {'input_shape': [(2, 3), (2, 3)]}},
 'average_a': {'module': 'keras.layers',
               'class_name': 'Average',
               'registered_name': None,
               'build_config': {'input_shape': [(2, 3), (2, 3)]}},
 'concatenate_a': {'module': 'keras.layers',
                   'class_name': 'Concatenate',
                   'registered_name': None,
                   'build_config': {'input_shape': [(2, 3, 2), (2, 3, 2)]}},
 'dot_a': {'module': 'keras.layers',
           'class_name': 'Dot',
           'registered_name': None,
           'build_config': {'input_shape': [(2, 3), (2, 3)]}},
 'maximum_a': {'module': 'keras.layers',
               'class_name': 'Maximum',
               'registered_name': None,
               'build_config': {'input_shape': [(2, 3), (2, 3)]}},
 'minimum_a': {'module': 'keras.layers',
               'class_name': 'Minimum',
               'registered_name': None,
               'build_config': {'input_shape': [(2, 3), (2, 3)]}},
 'multiply_a': {'module': 'keras.layers',
                'class_name': 'Multiply',
                'registered_name': None,
                'build_config': {'input_shape': [(2, 3), (2, 3)]}},
 'subtract_a': {'module': 'keras.layers',
                'class_name': 'Subtract',
                'registered_name': None,
                'build_config': {'input_shape': [(2, 3), (2, 3)]}},
 'batch_norm_a': {'module': 'keras.layers',
                  'class_name': 'BatchNormalization',
                  'registered_name': None,
                  'build_config': {'input_shape': (2, 3, 4)}},
 'batch_norm_b': {'module': 'keras.layers',
                  'class_name': 'BatchNormalization',
                  'registered_name': None,
                  'build_config': {'input_shape': (2, 3)}},
 'group_norm_a': {'module': 'keras.layers',
                  'class_name': 'GroupNormalization',
                  'registered_name': None,
                  'build_config': {'input_shape': (2, 3, 4)}},
 'layer_norm_a': {'module': 'keras.layers',
                  'class_name': 'LayerNormalization',
                  'registered_name': None,
                  'build_config': {'input_shape': (2, 3, 4)}},
 'layer_norm_b': {'config': {'name': 'layer_norm_b',
                             'trainable': True,
                             'dtype': {'module': 'keras',
                                       'class_name': 'DTypePolicy',
                                       'config': {'name': 'float32'},
                                       'registered_name': None},
                             'axis': [1],
                             'epsilon': 0.001,
                             'center': False,
                             'scale': True,
                             'rms_scaling': False,
                             'beta_initializer': {'module': 'keras.initializers',
                                                  'class_name': 'Zeros',
                                                  'config': {},
                                                  'registered_name': None},
                             'gamma_initializer': {'module': 'keras.initializers',
                                                   'class_name': 'Ones',
                                                   'config': {},
                                                   'registered_name': None},
                             'beta_regularizer': None,
                             'gamma_regularizer': None,
                             'beta_constraint': None,
                             'gamma_constraint': {'module': 'keras.constraints',
                                                  'class_name': 'NonNeg',
                                                  'config': {},
                                                  'registered_name': None}},
                  'module': 'keras.layers',
                  'class_name': 'LayerNormalization',
                  'registered_name': None,
                  'build_config': {'input_shape': (2, 3, 4)}},
 'unit_norm_a': {'module': 'keras.layers',
                 'class_name': 'UnitNormalization',
                 'registered_name': None},
 'activity_reg_a': {'module': 'keras.layers',
                    'class_name': 'ActivityRegularization',
                    'registered_name': None},
 'alpha_dropout_a': {'module': 'keras.layers',
                     'class_name': 'AlphaDropout',
                     'registered_name': None},
 'dropout_a': {'module': 'keras.layers', 'class_name': 'Dropout', 'registered_name': None},
 'gaussian_dropout_a': {'module': 'keras.layers',
                        'class_name': 'GaussianDropout',
                        'registered_name': None},
 'gaussian_noise_a': {'module': 'keras.layers',
                      'class_name': 'GaussianNoise',
                      'registered_name': None},
 'spatial_dropout1d_a': {'module': 'keras.layers',
                         'class_name': 'SpatialDropout1D',
                         'registered_name': None},
 'spatial_dropout2d_a': {'module': 'keras.layers',
                         'class_name': 'SpatialDropout2D',
                         'registered_name': None},
 'spatial_dropout3d_a': {'module': 'keras.layers',
                         'class_name': 'SpatialDropout3D',
                         'registered_name': None},
 'cropping1d_a': {'module': 'keras.layers',
                  'class_name': 'Cropping1D',
                  'registered_name': None,
                  'build_config': {'input_shape': (2, 6, 3)}},
 'cropping2d_a': {'module': 'keras.layers',
                  'class_name': 'Cropping2D',
                  'registered_name': None,
                  'build_config': {'input_shape': (2, 3, 6, 5)}},
 'flatten_a': {'module': 'keras.layers',
               'class_name': 'Flatten',
               'registered_name': None,
               'build_config': {'input_shape': (2, 3, 4)}},
 'permute_a': {'module': 'keras.layers',
               'class_name': 'Permute',
               'registered_name': None,
               'build_config': {'input_shape': (2, 3, 4)}},
 'repeat_vector_a': {'module': 'keras.layers',
                     'class_name': 'RepeatVector',
                     'registered_name': None,
                     'build_config': {'input_shape': (2, 4)}},
 'reshape_a': {'module': 'keras.layers', 'class_name': 'Reshape', 'registered_name': None},
 'up_sampling1d_a': {'module': 'keras.layers',
                     'class_name': 'UpSampling1D',
                     'registered_name': None,
                     'build_config': {'input_shape': (2, 3, 2)}},
 'up_sampling2d_a': {'module': 'keras.layers',
                     'class_name': 'UpSampling2D',
                     'registered_name': None,
                     'build_config': {'input_shape': (2, 3, 2, 2)}},
 'zero_padding1d_a': {'module': 'keras.layers',
                      'class_name': 'ZeroPadding1D',
                      'registered_name': None,
                      'build_config': {'input_shape': (2, 3, 2)}},
 'zero_padding2d_a': {'module': 'keras.layers',
                      'class_name': 'ZeroPadding2D',
                      'registered_name': None,
                      'build_config': {'input_shape': (2, 3, 2, 2)}}}

KERAS_OBJECTS = {'constant': {'module': 'keras.initializers',
              'class_name': 'Constant',
              'config': {'value': 2.5},
              'registered_name': None},
 'zeros': {'module': 'keras.initializers',
           'class_name': 'Zeros',
           'config': {},
           'registered_name': None},
 'ones': {'module': 'keras.initializers',
          'class_name': 'Ones',
          'config': {},
          'registered_name': None},
 'identity': {'module': 'keras.initializers',
              'class_name': 'Identity',
              'config': {},
              'registered_name': None},
 'random_normal': {'module': 'keras.initializers',
                   'class_name': 'RandomNormal',
                   'config': {'seed': 7, 'mean': 1.0, 'stddev': 0.5},
                   'registered_name': None},
 'truncated_normal': {'module': 'keras.initializers',
                      'class_name': 'TruncatedNormal',
                      'config': {'seed': 7, 'mean': 1.0, 'stddev': 0.5},
                      'registered_name': None},
 'random_uniform': {'module': 'keras.initializers',
                    'class_name': 'RandomUniform',
                    'config': {'seed': 7, 'minval': -1.0, 'maxval': 2.0},
                    'registered_name': None},
 'variance_scaling': {'module': 'keras.initializers',
                      'class_name': 'VarianceScaling',
                      'config': {'seed': 7,
                                 'scale': 2.0,
                                 'mode': 'fan_avg',
                                 'distribution': 'uniform',
                                 'input_axes': None,
                                 'output_axes': None},
                      'registered_name': None},
 'variance_scaling_axes': {'module': 'keras.initializers',
                           'class_name': 'VarianceScaling',
                           'config': {'seed': 7,
                                      'scale': 2.0,
                                      'mode': 'fan_out',
                                      'distribution': 'untruncated_normal',
                                      'input_axes': [0],
                                      'output_axes': [1, 2]},
                           'registered_name': None},
 'glorot_uniform': {'module': 'keras.initializers',
                    'class_name': 'GlorotUniform',
                    'config': {'seed': 7, 'input_axes': None, 'output_axes': None},
                    'registered_name': None},
 'glorot_normal_axes': {'module': 'keras.initializers',
                        'class_name': 'GlorotNormal',
                        'config': {'seed': 7, 'input_axes': [0, 1], 'output_axes': [2]},
                        'registered_name': None},
 'he_normal': {'module': 'keras.initializers',
               'class_name': 'HeNormal',
               'config': {'seed': 7, 'input_axes': None, 'output_axes': None},
               'registered_name': None},
 'he_uniform': {'module': 'keras.initializers',
                'class_name': 'HeUniform',
                'config': {'seed': 7, 'input_axes': [0], 'output_axes': [1]},
                'registered_name': None},
 'lecun_normal': {'module': 'keras.initializers',
                  'class_name': 'LecunNormal',
                  'config': {'seed': 7, 'input_axes': None, 'output_axes': None},
                  'registered_name': None},
 'lecun_uniform': {'module': 'keras.initializers',
                   'class_name': 'LecunUniform',
                   'config': {'seed': 7, 'input_axes': None, 'output_axes': None},
                   'registered_name': None},
 'orthogonal': {'module': 'keras.initializers',
                'class_name': 'Orthogonal',
                'config': {'seed': 7, 'gain': 2.0},
                'registered_name': None},
 'l1': {'module': 'keras.regularizers',
        'class_name': 'L1',
        'config': {'l1': 0.30000001192092896},
        'registered_name': None},
 'l2': {'module': 'keras.regularizers',
        'class_name': 'L2',
        'config': {'l2': 0.3},
        'registered_name': None},
 'l1_l2': {'module': 'keras.regularizers',
           'class_name': 'L1L2',
           'config': {'l1': 0.3, 'l2': 0.1},
           'registered_name': None},
 'orthogonal_regularizer': {'module': 'keras.regularizers',
                            'class_name': 'OrthogonalRegularizer',
                            'config': {'factor': 0.30000001192092896, 'mode': 'columns'},
                            'registered_name': None},
 'max_norm': {'module': 'keras.constraints',
              'class_name': 'MaxNorm',
              'config': {'max_value': 3.0, 'axis': 1},
              'registered_name': None},
 'non_neg': {'module': 'keras.constraints',
             'class_name': 'NonNeg',
             'config': {},
             'registered_name': None},
 'unit_norm': {'module': 'keras.constraints',
               'class_name': 'UnitNorm',
               'config': {'axis': [0, 1]},
               'registered_name': None},
 'min_max_norm': {'module': 'keras.constraints',
                  'class_name': 'MinMaxNorm',
                  'config': {'min_value': 0.5, 'max_value': 2.0, 'rate': 0.5, 'axis': 1},
                  'registered_name': None}}
# END KERAS LITERALS


# ----------------------------------------------------------------------------------------------
# (a) Keras' configs load and the layers compute what they say
# ----------------------------------------------------------------------------------------------

def _lamina_kwargs(case):
    return case.kwargs(lamina)


def _to_numpy(x):
    return np.asarray(x)


def _as_float64(x):
    if isinstance(x, list):
        return [_as_float64(v) for v in x]
    return x.astype("float64") if x.dtype.kind == "f" else x


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_keras_config_loads_and_computes_the_reference(case_id):
    case = CASES_BY_ID[case_id]
    config = json.loads(json.dumps(KERAS_LAYER_CONFIGS[case_id]))  # as read from config.json
    layer = getattr(layers, case.class_name).from_config(config)
    assert type(layer) is getattr(layers, case.class_name)
    assert layer.name == config["name"] and layer.trainable == config.get("trainable", True)
    inputs = case.inputs()
    layer(*inputs)
    weights = draw_weights(case, layer.weights)
    layer.set_weights(weights)
    out = layer(*inputs)
    # A float64 layer computes in float64: so does its reference.
    expected = case.reference(_as_float64(inputs) if case.dtype == "float64" else inputs, weights)
    assert str(out.dtype) == case.dtype
    tol = 1e-12 if case.dtype == "float64" else 1e-5
    np.testing.assert_allclose(_to_numpy(out).astype("float64"),
                               np.asarray(expected, "float64"), rtol=tol, atol=tol)


def test_keras_configs_carry_their_arguments():
    """Beyond the output: the options of the configs reach the layers."""
    dense = layers.Dense.from_config(KERAS_LAYER_CONFIGS["dense_a"])
    dense.build((None, 5))
    assert dense.dtype_policy.name == "float64" and dense.kernel.dtype == "float64"
    assert not dense.trainable and dense.trainable_weights == []
    assert isinstance(dense.kernel_initializer, initializers.HeNormal)
    assert dense.bias_initializer.value == 0.5
    assert isinstance(dense.kernel_constraint, constraints.MaxNorm)
    assert dense.kernel_constraint.axis == 1
    assert math.isclose(dense.activity_regularizer.l1, 0.3, rel_tol=1e-6)
    assert dense.quantization_config is None

    lora = layers.Dense.from_config(KERAS_LAYER_CONFIGS["dense_lora"])
    lora.build((None, 4))
    assert lora.lora_enabled and lora.lora_rank == 2 and lora.lora_alpha == 2
    assert [w.path for w in lora.trainable_weights] == [
        "dense_lora/lora_kernel_a", "dense_lora/lora_kernel_b"]

    embedding = layers.Embedding.from_config(KERAS_LAYER_CONFIGS["embedding_a"])
    ids = np.array([[0, 3, 9], [1, 0, 2]], dtype="int32")
    np.testing.assert_array_equal(_to_numpy(embedding.compute_mask(ids)), ids != 0)
    np.testing.assert_array_equal(_to_numpy(embedding(ids)), np.ones((2, 3, 3), "float32"))

    bn = layers.BatchNormalization.from_config(KERAS_LAYER_CONFIGS["batch_norm_b"])
    assert (bn.renorm, bn.renorm_clipping, bn.renorm_momentum) == (False, {"rmax": 3.0}, 0.9)
    assert bn.synchronized is False

    reg = layers.ActivityRegularization.from_config(KERAS_LAYER_CONFIGS["activity_reg_a"])
    x = _f32(2, 3)
    reg(x)
    # The activity loss is divided by the batch size, as in Keras 3.
    np.testing.assert_allclose(float(reg.losses[0]),
                               (0.1 * np.abs(x).sum() + 0.2 * np.square(x).sum()) / 2, rtol=1e-5)


def test_keras_batch_norm_config_trains_with_its_momentum():
    layer = layers.BatchNormalization.from_config(KERAS_LAYER_CONFIGS["batch_norm_a"])
    x = _f32(4, 3, 2, seed=3)
    layer.build(x.shape)
    gamma = np.array([1.0, 2.0, 0.5], "float32")
    layer.set_weights([gamma, np.zeros(3, "float32"), np.full(3, 2.0, "float32")])
    out = layer(x, training=True)
    mean = x.mean(axis=(0, 2))
    var = x.var(axis=(0, 2))
    expected = (x - mean[:, None]) / np.sqrt(var[:, None] + 0.01) * gamma[:, None]
    np.testing.assert_allclose(_to_numpy(out), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_to_numpy(layer.moving_mean), 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_to_numpy(layer.moving_variance), 0.9 * 2.0 + 0.1 * var,
                               rtol=1e-5)


@pytest.mark.parametrize("case_id,axes", [
    ("dropout_a", (1,)),                     # noise_shape (None, 1): whole rows
    ("spatial_dropout1d_a", (1,)),           # (batch, steps, channels): whole channels
    ("spatial_dropout2d_a", (2, 3)),         # channels_first: whole (H, W) maps
    ("spatial_dropout3d_a", (1, 2, 3)),      # channels_last: whole (D, H, W) volumes
])
def test_keras_dropout_configs_drop_what_they_say(case_id, axes):
    layer = getattr(layers, CASES_BY_ID[case_id].class_name).from_config(
        KERAS_LAYER_CONFIGS[case_id])
    assert layer.rate == 0.3 and layer.seed == 3
    x = np.abs(_f32(16, 3, 2, 2, 4)[..., 0]) + 1.0 if case_id == "spatial_dropout2d_a" else None
    if x is None:
        shape = {"dropout_a": (16, 5), "spatial_dropout1d_a": (16, 3, 4),
                 "spatial_dropout3d_a": (16, 2, 2, 2, 3)}[case_id]
        x = np.abs(np.random.default_rng(1).standard_normal(shape)).astype("float32") + 1.0
    out = _to_numpy(layer(x, training=True)).astype("float64")
    kept = out != 0
    # Each dropped or kept block is whole, and what is kept is scaled by 1 / (1 - rate).
    np.testing.assert_array_equal(kept.all(axis=axes), kept.any(axis=axes))
    np.testing.assert_allclose(out[kept], x[kept] / 0.7, rtol=1e-5)
    assert 0 < kept.mean() < 1


# ----------------------------------------------------------------------------------------------
# (b) lamina's configs equal Keras' for the same arguments, and (3) so do the serialized forms
# ----------------------------------------------------------------------------------------------

def _plain(x):
    """Tracked lists (the layers' list attributes) as plain lists, for an exact comparison."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_plain(v) for v in x)
    return x


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_lamina_config_equals_keras_config(case_id):
    case = CASES_BY_ID[case_id]
    layer = getattr(layers, case.class_name)(**_lamina_kwargs(case))
    assert _plain(layer.get_config()) == KERAS_LAYER_CONFIGS[case_id]
    # And a lamina config reads back to itself.
    again = getattr(layers, case.class_name).from_config(layer.get_config())
    assert _plain(again.get_config()) == KERAS_LAYER_CONFIGS[case_id]


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_lamina_serialized_layer_equals_keras(case_id):
    case = CASES_BY_ID[case_id]
    layer = getattr(layers, case.class_name)(**_lamina_kwargs(case))
    layer(*case.inputs())
    serialized = _plain(saving.serialize_keras_object(layer))
    keras_serialized = KERAS_LAYER_SERIALIZED[case_id]
    # The config once built (LayerNormalization's int axis becomes a list, as in Keras).
    assert serialized["config"] == keras_serialized.get("config", KERAS_LAYER_CONFIGS[case_id])
    for key in ("module", "class_name", "registered_name"):
        assert serialized[key] == keras_serialized[key]
    # The build config as config.json holds it (lists for the shapes of several inputs).
    assert json.dumps(serialized.get("build_config")) == json.dumps(
        keras_serialized.get("build_config"))
    restored = saving.deserialize_keras_object(json.loads(json.dumps(serialized)))
    assert type(restored) is type(layer) and restored.built


def test_every_layer_class_has_a_case():
    covered = {c.class_name for c in CASES}
    public = {n for n in layers.__all__ if n[0].isupper()} - {"Input", "InputLayer", "InputSpec",
                                                             "Layer"}
    assert public <= covered, sorted(public - covered)


# ----------------------------------------------------------------------------------------------
# Initializers, regularizers, constraints
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(OBJECT_CASES))
def test_lamina_object_serializes_as_keras(key):
    family, class_name, kwargs = OBJECT_CASES[key]
    obj = getattr(getattr(lamina, family), class_name)(**kwargs)
    expected = KERAS_OBJECTS[key]
    if key == "identity":
        # Keras 3.15's Identity drops `gain` from its config (so its own files lose it); lamina
        # keeps it so that the value round-trips. Keras reads it back (Identity(gain=2.0)).
        assert saving.serialize_keras_object(obj) == {**expected, "config": {"gain": 2.0}}
    else:
        assert saving.serialize_keras_object(obj) == expected


@pytest.mark.parametrize("key", sorted(OBJECT_CASES))
def test_keras_object_config_loads(key):
    family, class_name, kwargs = OBJECT_CASES[key]
    module = getattr(lamina, family)
    obj = module.deserialize(json.loads(json.dumps(KERAS_OBJECTS[key])))
    assert type(obj).__name__ == class_name
    assert module.get(KERAS_OBJECTS[key]).get_config() == obj.get_config()
    if key != "identity":
        assert saving.serialize_keras_object(obj) == KERAS_OBJECTS[key]


def test_keras_initializer_configs_draw_what_they_say():
    def load(key):
        return initializers.deserialize(KERAS_OBJECTS[key])

    np.testing.assert_array_equal(_to_numpy(load("constant")((2, 3))), np.full((2, 3), 2.5))
    np.testing.assert_array_equal(_to_numpy(load("zeros")((2,))), np.zeros(2))
    np.testing.assert_array_equal(_to_numpy(load("ones")((2,))), np.ones(2))
    # Keras wrote Identity(gain=2.0) as an empty config: the identity with gain 1, as in Keras.
    np.testing.assert_array_equal(_to_numpy(load("identity")((2, 3))), np.eye(2, 3))

    normal = _to_numpy(load("random_normal")((200, 100))).astype("float64")
    assert abs(normal.mean() - 1.0) < 0.01 and abs(normal.std() - 0.5) < 0.01
    truncated = _to_numpy(load("truncated_normal")((200, 100)))
    assert truncated.min() >= 0.0 and truncated.max() <= 2.0
    assert abs(truncated.mean() - 1.0) < 0.01
    uniform = _to_numpy(load("random_uniform")((200, 100)))
    assert uniform.min() >= -1.0 and uniform.max() < 2.0 and abs(uniform.mean() - 0.5) < 0.02
    # Same seed, same values: an int seed draws the same numbers on every call.
    np.testing.assert_array_equal(_to_numpy(load("random_uniform")((3, 3))),
                                  _to_numpy(load("random_uniform")((3, 3))))

    # VarianceScaling: fan_avg of (30, 40) is 35; limit = sqrt(3 * 2 / 35).
    vs = _to_numpy(load("variance_scaling")((30, 40)))
    limit = math.sqrt(6.0 / 35.0)
    assert np.abs(vs).max() <= limit and np.abs(vs).max() > 0.95 * limit
    # With input_axes=[0], output_axes=[1, 2] on (10, 20, 30): fan_out = 600, untruncated
    # normal with stddev sqrt(2 / 600).
    axes = _to_numpy(load("variance_scaling_axes")((10, 20, 30))).astype("float64")
    assert abs(axes.std() - math.sqrt(2.0 / 600.0)) < 0.05 * math.sqrt(2.0 / 600.0)
    # GlorotNormal with input_axes=[0, 1], output_axes=[2] on (10, 20, 30): fans 200 and 30,
    # truncated normal of stddev sqrt(2 / 230) (before truncation at 2 stddev).
    glorot = _to_numpy(load("glorot_normal_axes")((10, 20, 30))).astype("float64")
    target = math.sqrt(2.0 / 230.0)
    assert np.abs(glorot).max() <= 2 * target / 0.87962566103423978
    assert abs(glorot.std() - target) < 0.05 * target
    # HeUniform with explicit axes on (40, 50): fan_in = 40, limit sqrt(6 / 40).
    he = _to_numpy(load("he_uniform")((40, 50)))
    assert np.abs(he).max() <= math.sqrt(6.0 / 40.0) and np.abs(he).max() > 0.95 * math.sqrt(
        6.0 / 40.0)
    orth = _to_numpy(load("orthogonal")((4, 6))).astype("float64")
    np.testing.assert_allclose(orth @ orth.T, 4.0 * np.eye(4), atol=1e-5)


def test_einsum_dense_kernel_fans_follow_the_equation():
    # "abc,cde->abde": kernel (c, d, e) = (3, 4, 5) with c contracted (fan in 3) and d, e carried
    # to the output (fan out 20): GlorotUniform's limit is sqrt(6 / 23), not the convolution
    # rule's sqrt(6 / 27).
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(None, 4, 5),
                               kernel_initializer=initializers.GlorotUniform(seed=1))
    layer.build((None, 2, 3))
    kernel = np.abs(_to_numpy(layer.kernel))
    assert kernel.max() <= math.sqrt(6.0 / 23.0) and kernel.max() > math.sqrt(6.0 / 27.0)
    # The layer's own initializer (and so its config) is left as given.
    assert layer.kernel_initializer.input_axes is None
    assert layer.get_config()["kernel_initializer"]["config"] == {
        "seed": 1, "input_axes": None, "output_axes": None}
    # Given axes are used as they are.
    given = layers.EinsumDense("abc,cde->abde", output_shape=(None, 4, 5),
                               kernel_initializer=initializers.GlorotUniform(
                                   seed=1, input_axes=[0, 1], output_axes=[2]))
    given.build((None, 2, 3))
    assert np.abs(_to_numpy(given.kernel)).max() <= math.sqrt(6.0 / 17.0)


def test_keras_regularizer_and_constraint_configs_compute_what_they_say():
    w = _f32(4, 3, seed=5).astype("float64")

    def value(key, x):
        family = OBJECT_CASES[key][0]
        obj = getattr(lamina, family).deserialize(KERAS_OBJECTS[key])
        return _to_numpy(obj(lamina.ops.convert_to_tensor(x.astype("float32")))).astype("float64")

    np.testing.assert_allclose(value("l1", w), 0.3 * np.abs(w).sum(), rtol=1e-5)
    np.testing.assert_allclose(value("l2", w), 0.3 * np.square(w).sum(), rtol=1e-5)
    np.testing.assert_allclose(value("l1_l2", w), 0.3 * np.abs(w).sum() + 0.1 * np.square(w).sum(),
                               rtol=1e-5)
    cols = w / np.linalg.norm(w, axis=0, keepdims=True)
    product = cols.T @ cols
    penalty = 0.3 * 0.5 * np.abs(product - np.diag(np.diag(product))).sum() / 3.0
    np.testing.assert_allclose(value("orthogonal_regularizer", w), penalty, rtol=1e-5)

    norms = np.linalg.norm(w, axis=1, keepdims=True)
    np.testing.assert_allclose(value("max_norm", w), w * np.clip(norms, 0, 3.0) / (norms + 1e-7),
                               rtol=1e-5)
    np.testing.assert_allclose(value("non_neg", w), np.maximum(w, 0.0))
    np.testing.assert_allclose(value("unit_norm", w), w / (np.linalg.norm(w) + 1e-7), rtol=1e-5)
    desired = 0.5 * np.clip(norms, 0.5, 2.0) + 0.5 * norms
    np.testing.assert_allclose(value("min_max_norm", w), w * desired / (norms + 1e-7), rtol=1e-5)


# ----------------------------------------------------------------------------------------------
# dtype policies as Keras writes them
# ----------------------------------------------------------------------------------------------

KERAS_MIXED_POLICY = {"module": "keras", "class_name": "DTypePolicy",
                      "config": {"name": "mixed_bfloat16"}, "registered_name": None}
# keras.dtype_policies.serialize(QuantizedDTypePolicy("int8", "float32")) and the policy map a
# quantized functional model carries.
KERAS_INT8_POLICY = {"module": "keras.dtype_policies", "class_name": "QuantizedDTypePolicy",
                     "config": {"mode": "int8", "source_name": "float32"},
                     "registered_name": None}
KERAS_POLICY_MAP = {"module": "keras.dtype_policies", "class_name": "DTypePolicyMap",
                    "config": {"default_policy": None,
                               "policy_map": {"a/b": KERAS_INT8_POLICY}},
                    "registered_name": None}
# keras.saving.serialize_keras_object(Dense(3).quantize("int8"))["config"]["quantization_config"]
KERAS_INT8_QUANTIZATION_CONFIG = {
    "module": "keras.quantizers", "class_name": "Int8QuantizationConfig",
    "config": {"weight_quantizer": None,
               "activation_quantizer": {"module": "keras.quantizers",
                                        "class_name": "AbsMaxQuantizer",
                                        "config": {"value_range": (-127, 127), "epsilon": 1e-07,
                                                   "output_dtype": "int8"},
                                        "registered_name": None}},
    "registered_name": None,
}


def test_keras_dtype_policy_dicts():
    policy = dtype_policies.get(KERAS_MIXED_POLICY)
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (
        "mixed_bfloat16", "bfloat16", "float32")
    assert dtype_policies.serialize(policy) == KERAS_MIXED_POLICY
    assert dtype_policies.deserialize(KERAS_MIXED_POLICY) == policy
    assert dtype_policies.get({"name": "float16"}).name == "float16"
    assert dtype_policies.get({"class_name": "FloatDTypePolicy",
                               "config": {"name": "float64"}}).name == "float64"
    layer = layers.Dense.from_config({**KERAS_LAYER_CONFIGS["dense_lora"],
                                      "dtype": KERAS_MIXED_POLICY})
    assert layer.compute_dtype == "bfloat16" and layer.variable_dtype == "float32"
    assert layer.get_config()["dtype"] == KERAS_MIXED_POLICY


@pytest.mark.parametrize("policy", [KERAS_INT8_POLICY, KERAS_POLICY_MAP, "int8_from_float32"])
def test_quantized_dtype_policies_are_refused(policy):
    with pytest.raises(ValueError, match="Quantized dtype policies are not supported by lamina"):
        dtype_policies.get(policy)


def test_unknown_dtype_policy_dicts_are_refused():
    with pytest.raises(ValueError, match="unknown dtype policy class"):
        dtype_policies.get({"class_name": "FancyPolicy", "config": {"name": "float32"}})
    with pytest.raises(ValueError, match="has only a `name`"):
        dtype_policies.get({"class_name": "DTypePolicy", "config": {"name": "float32", "x": 1}})


# ----------------------------------------------------------------------------------------------
# (c) the options lamina cannot honour
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case_id", ["dense_a", "einsum_a", "embedding_a"])
def test_quantization_config_is_refused(case_id):
    class_name = CASES_BY_ID[case_id].class_name
    cls = getattr(layers, class_name)
    config = {**KERAS_LAYER_CONFIGS[case_id], "quantization_config": KERAS_INT8_QUANTIZATION_CONFIG}
    message = (rf"Layer '{case_id}' \({class_name}\): `quantization_config` is not supported by "
               r"lamina .*Received: quantization_config=\{'module': 'keras.quantizers'")
    with pytest.raises(ValueError, match=message):
        cls.from_config(config)
    kwargs = {**_lamina_kwargs(CASES_BY_ID[case_id]),
              "quantization_config": KERAS_INT8_QUANTIZATION_CONFIG}
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)
    # The quantized dtype policy a quantized Keras layer carries names the layer too.
    config = {**KERAS_LAYER_CONFIGS[case_id], "dtype": KERAS_INT8_POLICY}
    with pytest.raises(ValueError, match=rf"Layer '{case_id}' \({class_name}\): Quantized dtype"):
        cls.from_config(config)


@pytest.mark.parametrize("option,value,message", [
    ("renorm", True, "Batch Renormalization is not implemented"),
    ("synchronized", True, "synchronized=True is only supported with the TensorFlow backend"),
])
def test_batch_norm_options_lamina_cannot_honour(option, value, message):
    config = {**KERAS_LAYER_CONFIGS["batch_norm_b"], option: value}
    expected = (rf"Layer 'batch_norm_b' \(BatchNormalization\): `{option}` is not supported by "
                rf"lamina \({message}.*\)\. Received: {option}=True")
    with pytest.raises(ValueError, match=expected):
        layers.BatchNormalization.from_config(config)
    with pytest.raises(ValueError, match=expected):
        layers.BatchNormalization(name="batch_norm_b", **{option: value})


def test_no_op_values_of_those_options_are_accepted():
    for case_id in ("dense_a", "einsum_a", "embedding_a"):
        layer = getattr(layers, CASES_BY_ID[case_id].class_name).from_config(
            {**KERAS_LAYER_CONFIGS[case_id], "quantization_config": None})
        assert layer.quantization_config is None
    bn = layers.BatchNormalization(renorm=False, synchronized=False, renorm_clipping={"dmax": 1.0},
                                   renorm_momentum=0.5)
    config = bn.get_config()
    assert (config["renorm"], config["synchronized"], config["renorm_clipping"],
            config["renorm_momentum"]) == (False, False, {"dmax": 1.0}, 0.5)
    # gptq_unpacked_column_size only matters for a GPTQ-quantized kernel: kept, written back.
    einsum = layers.EinsumDense("ab,bc->ac", output_shape=3, gptq_unpacked_column_size=8)
    assert einsum.get_config()["gptq_unpacked_column_size"] == 8
    assert "gptq_unpacked_column_size" not in layers.EinsumDense("ab,bc->ac", 3).get_config()


def test_initializer_axes_are_checked():
    with pytest.raises(ValueError, match=r"Argument `input_axes` must be None or a list of "
                                         r"integers.*Received: input_axes='0'"):
        initializers.VarianceScaling(input_axes="0")
    with pytest.raises(ValueError, match="Received: output_axes=\\[1.5\\]"):
        initializers.GlorotUniform(output_axes=[1.5])
