"""``lamina.layers``: the Layer base class and the built-in layers (Keras 3's ``keras.layers``)."""

from lamina.layers.activations import ELU
from lamina.layers.activations import LeakyReLU
from lamina.layers.activations import PReLU
from lamina.layers.activations import ReLU
from lamina.layers.activations import Softmax
from lamina.layers.core import Activation
from lamina.layers.core import Dense
from lamina.layers.core import EinsumDense
from lamina.layers.core import Embedding
from lamina.layers.core import Identity
from lamina.layers.core.input_layer import Input
from lamina.layers.core.input_layer import InputLayer
from lamina.layers.core import Lambda
from lamina.layers.core import Masking
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.merging import Add
from lamina.layers.merging import Average
from lamina.layers.merging import Concatenate
from lamina.layers.merging import Dot
from lamina.layers.merging import Maximum
from lamina.layers.merging import Minimum
from lamina.layers.merging import Multiply
from lamina.layers.merging import Subtract
from lamina.layers.merging import add
from lamina.layers.merging import average
from lamina.layers.merging import concatenate
from lamina.layers.merging import dot
from lamina.layers.merging import maximum
from lamina.layers.merging import minimum
from lamina.layers.merging import multiply
from lamina.layers.merging import subtract
from lamina.layers.normalization import BatchNormalization
from lamina.layers.normalization import GroupNormalization
from lamina.layers.normalization import LayerNormalization
from lamina.layers.normalization import UnitNormalization
from lamina.layers.regularization import ActivityRegularization
from lamina.layers.regularization import AlphaDropout
from lamina.layers.regularization import Dropout
from lamina.layers.regularization import GaussianDropout
from lamina.layers.regularization import GaussianNoise
from lamina.layers.regularization import SpatialDropout1D
from lamina.layers.regularization import SpatialDropout2D
from lamina.layers.regularization import SpatialDropout3D
from lamina.layers.reshaping import Cropping1D
from lamina.layers.reshaping import Cropping2D
from lamina.layers.reshaping import Flatten
from lamina.layers.reshaping import Permute
from lamina.layers.reshaping import RepeatVector
from lamina.layers.reshaping import Reshape
from lamina.layers.reshaping import UpSampling1D
from lamina.layers.reshaping import UpSampling2D
from lamina.layers.reshaping import ZeroPadding1D
from lamina.layers.reshaping import ZeroPadding2D

__all__ = [
    "Activation", "ActivityRegularization", "Add", "AlphaDropout", "Average",
    "BatchNormalization", "Concatenate", "Cropping1D", "Cropping2D", "Dense", "Dot", "Dropout",
    "ELU", "EinsumDense", "Embedding", "Flatten", "GaussianDropout", "GaussianNoise",
    "GroupNormalization", "Identity", "Input", "InputLayer", "InputSpec", "Lambda", "Layer",
    "LayerNormalization",
    "LeakyReLU", "Masking", "Maximum", "Minimum", "Multiply", "PReLU", "Permute", "ReLU",
    "RepeatVector", "Reshape", "Softmax", "SpatialDropout1D", "SpatialDropout2D",
    "SpatialDropout3D", "Subtract", "UnitNormalization", "UpSampling1D", "UpSampling2D",
    "ZeroPadding1D", "ZeroPadding2D", "add", "average", "concatenate", "dot", "maximum", "minimum",
    "multiply", "subtract",
]
