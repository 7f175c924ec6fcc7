"""Nodes of a functional graph: one ``Node`` per call of a layer or op on KerasTensors.

A functional model is a directed acyclic graph whose edges are ``KerasTensor``s and whose
vertices are ``Node``s. Every call of a layer (or of a recorded ``lamina.ops`` function) on
symbolic inputs appends a ``Node`` to ``operation._inbound_nodes``; every output KerasTensor
gets a ``_keras_history`` (``KerasHistory(operation, node_index, tensor_index)``) that points
back at the node that made it, so the graph is recovered by walking back from the outputs.
"""

import collections

from lamina import tree
from lamina.backend.keras_tensor import KerasTensor


class KerasHistory(collections.namedtuple("KerasHistory",
                                          ["operation", "node_index", "tensor_index"])):
    """Where a KerasTensor comes from:
    ``operation._inbound_nodes[node_index].outputs[tensor_index]``.

    Attributes:
        operation: The layer or op that produced the tensor (None for a free KerasTensor).
        node_index: Which call of the operation produced it.
        tensor_index: The tensor's position in the flattened outputs of that call.
    """

    __slots__ = ()


class Node:
    """One call of an operation (a layer, a model or an op) on symbolic inputs.

    Args:
        operation: The layer or op that was called.
        call_args: The positional arguments of the call (KerasTensors nested anywhere).
        call_kwargs: The keyword arguments of the call.
        outputs: The KerasTensor(s) the call returned (any nested structure).

    Creating a Node wires it into the graph: it is appended to ``operation._inbound_nodes``
    and to the ``_outbound_nodes`` of the operations that produced its inputs, and its outputs
    get their ``_keras_history``.
    """

    def __init__(self, operation, call_args=None, call_kwargs=None, outputs=None):
        self.operation = operation
        self.call_args = tuple(call_args or ())
        self.call_kwargs = dict(call_kwargs or {})
        self.input_tensors = [x for x in tree.flatten((self.call_args, self.call_kwargs))
                              if isinstance(x, KerasTensor)]
        self.outputs = [] if outputs is None else tree.flatten(outputs)
        for x in self.outputs:
            if not isinstance(x, KerasTensor):
                raise ValueError(
                    "All operation outputs must be tensors. Operation "
                    f"'{getattr(operation, 'name', operation)}' returned a non-tensor. "
                    f"Non-tensor received: {x!r}"
                )
        record = all(x.record_history for x in self.input_tensors)
        if record:
            for x in self.input_tensors:
                if getattr(x, "_keras_history", None) is None:
                    x._keras_history = KerasHistory(None, 0, 0)
        operation._inbound_nodes.append(self)
        for x in self.input_tensors:
            history = getattr(x, "_keras_history", None)
            if history is not None and history.operation is not None:
                history.operation._outbound_nodes.append(self)
        if record:
            node_index = len(operation._inbound_nodes) - 1
            for i, x in enumerate(self.outputs):
                x._keras_history = KerasHistory(operation, node_index, i)
        # A node without symbolic inputs is a graph entry point (an InputLayer's node).
        self.is_input = not self.input_tensors

    @property
    def output_tensors(self):
        """The flat list of output KerasTensors."""
        return self.outputs

    @property
    def parent_nodes(self):
        """The nodes whose outputs this node consumes (in input order, repeats included)."""
        parents = []
        for x in self.input_tensors:
            history = x._keras_history
            if history.operation is not None:
                parents.append(history.operation._inbound_nodes[history.node_index])
        return parents

    def __repr__(self):
        return f"<Node operation={getattr(self.operation, 'name', self.operation)}, id={id(self)}>"


def is_keras_tensor(x):
    """Whether `x` is a KerasTensor that belongs to a graph (has a ``_keras_history``)."""
    return isinstance(x, KerasTensor) and getattr(x, "_keras_history", None) is not None
