"""``Functional``: a model defined as a directed acyclic graph of layers (and ops).

``lamina.Model(inputs, outputs)`` returns a ``Functional``. At construction the graph is walked
back from the outputs (through the KerasTensors' ``_keras_history``), checked (every output must
be computable from the inputs; names must be unique), and compiled into a flat execution plan:
a list of steps in topological order, each reading its arguments from numbered slots and writing
its outputs to others. Calling the model runs that plan eagerly.

The config (``get_config``/``from_config``) is Keras 3's functional schema: ``layers`` (each with
``inbound_nodes`` whose ``args``/``kwargs`` hold ``__keras_tensor__`` references
``[layer_name, node_index, tensor_index]``), ``input_layers``, ``output_layers``, ``name`` and
``trainable``.
"""

import copy
import inspect
import warnings

from lamina import ops
from lamina import tree
from lamina._lamina import Tensor
from lamina.backend.keras_tensor import KerasTensor
from lamina.layers.core.input_layer import Input
from lamina.layers.core.input_layer import InputLayer
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.layer import _default
from lamina.models.model import Model
from lamina.ops.node import Node
from lamina.ops.operation import Operation
from lamina.trainers.trainer import Trainer


class Functional(Model):
    """A model defined as a directed graph of layers (what ``lamina.Model(inputs, outputs)``
    returns).

    Args:
        inputs: The input KerasTensor(s): one, a list or a dict (made by ``lamina.Input``, or
            intermediate tensors of another graph, which get new ``Input``s).
        outputs: The output KerasTensor(s), any nested structure (kept as the model's outputs).
        name: The model's name (default "functional", "functional_1", ...).
        trainable: Whether the model's weights are trainable.

    Example:

    >>> inputs = {"x1": lamina.Input((10,), name="x1"), "x2": lamina.Input((1,), name="x2")}
    >>> t = lamina.layers.Dense(1, activation="relu")(inputs["x1"])
    >>> outputs = lamina.layers.Add()([t, inputs["x2"]])
    >>> model = lamina.Model(inputs, outputs)
    """

    def __init__(self, inputs, outputs, name=None, **kwargs):
        if isinstance(inputs, dict):
            for k, v in inputs.items():
                if isinstance(v, KerasTensor) and k != v.name:
                    warnings.warn(
                        "When providing `inputs` as a dict, all keys in the dict must match the "
                        f"names of the corresponding tensors. Received key '{k}' mapping to value "
                        f"{v} which has name '{v.name}'. Change the tensor name to '{k}' (via "
                        f"`Input(..., name='{k}')`)",
                        stacklevel=2,
                    )
        trainable = kwargs.pop("trainable", None)
        flat_inputs = tree.flatten(inputs)
        flat_outputs = tree.flatten(outputs)
        for x in flat_inputs:
            if not isinstance(x, KerasTensor):
                raise ValueError(
                    "All `inputs` values must be KerasTensors. Received: "
                    f"inputs={inputs} including invalid value {x} of type {type(x)}"
                )
        for x in flat_outputs:
            if not isinstance(x, KerasTensor):
                raise ValueError(
                    "All `outputs` values must be KerasTensors. Received: "
                    f"outputs={outputs} including invalid value {x} of type {type(x)}"
                )
        if not flat_inputs:
            raise ValueError(f"`inputs` argument cannot be empty. Received:\ninputs={inputs}\n"
                             f"outputs={outputs}")
        if not flat_outputs:
            raise ValueError(f"`outputs` argument cannot be empty. Received:\ninputs={inputs}\n"
                             f"outputs={outputs}")
        for x in flat_inputs + flat_outputs:
            if getattr(x, "_keras_history", None) is None:
                raise ValueError(
                    f"The KerasTensor {x} is not part of a functional graph: model inputs and "
                    "outputs must come from `lamina.Input()` and layer or op calls on them."
                )
        if not all(_is_input_tensor(x) for x in flat_inputs):
            inputs, outputs = clone_graph_nodes(inputs, outputs)

        if "compiled" not in self.__dict__:
            Trainer.__init__(self)
        Layer.__init__(self, name=name, autocast=False)
        _set(self, "_inputs_struct", tree.map_structure(lambda x: x, inputs))
        _set(self, "_outputs_struct", tree.map_structure(lambda x: x, outputs))
        _set(self, "_inputs", tree.flatten(inputs))
        _set(self, "_outputs", tree.flatten(outputs))

        graph = _map_graph(self._inputs, self._outputs)
        _set(self, "_nodes", graph.node_ids)
        _set(self, "_nodes_by_depth", graph.nodes_by_depth)
        _set(self, "_operations", graph.operations)
        _set(self, "_operations_by_depth", graph.operations_by_depth)
        _set(self, "_plan", _Plan(self._inputs, self._outputs_struct, graph.nodes_by_depth))

        if trainable is not None:
            self.trainable = trainable
        for layer in self.layers:
            if not any(existing is layer for existing in self._layers):
                self._layers.append(layer)
        self.build(None)
        _set(self, "output_names", [x._keras_history.operation.name for x in self._outputs])
        # Masks are attached by the graph's layers; the model itself passes them through.
        self._supports_masking = True

    # ------------------------------------------------------------------------------------------
    # Graph properties
    # ------------------------------------------------------------------------------------------

    @property
    def operations(self):
        """Every layer and op of the graph, inputs first (Keras' order)."""
        return list(self._operations)

    @property
    def layers(self):
        """The layers of the graph (InputLayers included), inputs first."""
        return [op for op in self._operations if isinstance(op, Layer)]

    @layers.setter
    def layers(self, _):
        raise AttributeError(
            "`Model.layers` attribute is reserved and should not be used. Please use another name."
        )

    @property
    def inputs(self):
        """The flat list of the model's input KerasTensors."""
        return list(self._inputs)

    @property
    def outputs(self):
        """The flat list of the model's output KerasTensors."""
        return list(self._outputs)

    @property
    def input(self):
        """The model's inputs, in the structure they were given in."""
        return self._inputs_struct

    @property
    def output(self):
        """The model's outputs, in the structure they were given in."""
        return self._outputs_struct

    @property
    def input_shape(self):
        """The input shape (a list of shapes for several inputs, in flattened order)."""
        shapes = [x.shape for x in self._inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        """The output shape (a list of shapes for several outputs, in flattened order)."""
        shapes = [x.shape for x in self._outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input_spec(self):
        """The ``InputSpec``s the inputs are checked against (one per input, batch size free,
        a trailing axis of size 1 may be squeezed or added)."""
        manual = self.__dict__.get("_input_spec")
        if manual is not None:
            return manual
        return self._default_input_spec()

    @input_spec.setter
    def input_spec(self, value):
        Layer.input_spec.fset(self, value)

    def _default_input_spec(self):
        def spec_for(x, name=None):
            shape = list(x.shape)
            if shape:
                shape[0] = None
            layer = x._keras_history.operation
            optional = isinstance(layer, InputLayer) and layer.optional
            return InputSpec(shape=tuple(shape), allow_last_axis_squeeze=True,
                             name=layer.name if name is None else name, optional=optional)

        struct = self._inputs_struct
        if isinstance(struct, dict):
            if all(isinstance(x, KerasTensor) for x in struct.values()):
                return [spec_for(struct[k], name=k) for k in sorted(struct)]
            return None
        return [spec_for(x) for x in self._inputs]

    # ------------------------------------------------------------------------------------------
    # Calling
    # ------------------------------------------------------------------------------------------

    def build(self, input_shape=None):
        """A functional model is built at construction."""
        self.built = True

    def call(self, inputs, training=None, mask=None, **kwargs):
        """Runs the graph on `inputs` (any structure reconcilable with the model's inputs)."""
        flat = self._standardize_inputs(inputs)
        if mask is not None:
            for x, m in zip(flat, tree.flatten(mask)):
                if m is not None and x is not None:
                    x._keras_mask = m
        outputs = self._plan.run(flat, training)
        if type(outputs) is Tensor:
            return outputs
        return _unpack_singleton(outputs)

    def compute_output_spec(self, inputs, training=None, mask=None):
        """The outputs as KerasTensors, for inputs of the model's shapes (or others)."""
        flat = tree.flatten(inputs)
        if len(flat) == len(self._inputs) and all(
                tuple(getattr(x, "shape", ())) == ref.shape for x, ref in zip(flat, self._inputs)):
            out = tree.map_structure(lambda x: KerasTensor(x.shape, dtype=x.dtype),
                                     self._outputs_struct)
            return _unpack_singleton(out)
        flat = [x if isinstance(x, KerasTensor) else KerasTensor(tuple(x.shape), dtype=x.dtype)
                for x in self._standardize_inputs(inputs, symbolic=True)]
        return _unpack_singleton(self._plan.run(flat, training, symbolic=True))

    def compute_output_shape(self, input_shape):
        """The output shape(s) for the given input shape(s)."""
        specs = _map_shapes_struct(lambda s: KerasTensor(s), input_shape)
        flat = [KerasTensor(x.shape, dtype=ref.dtype)
                for x, ref in zip(tree.flatten(specs), self._inputs)]
        out = self.compute_output_spec(tree.pack_sequence_as(specs, flat))
        return tree.map_structure(lambda x: x.shape, out)

    @_default  # only consulted when a mask is present (the layers attach the real ones)
    def compute_mask(self, inputs, mask=None):
        """Output masks are attached by the layers while the graph runs; for symbolic inputs,
        the masks of the graph's outputs (as free KerasTensors)."""
        masks = [getattr(x, "_keras_mask", None) for x in self._outputs]
        if all(m is None for m in masks) or not any(
                isinstance(x, KerasTensor) for x in tree.flatten(inputs)):
            return None
        masks = [None if m is None else KerasTensor(m.shape, dtype=m.dtype) for m in masks]
        return _unpack_singleton(tree.pack_sequence_as(self._outputs_struct, masks))

    def _standardize_inputs(self, inputs, symbolic=False):
        """The inputs as a flat list matching `self.inputs`: structure reconciled (a dict by
        input names, a lone tensor for a one-input list), converted to each input's dtype, a
        trailing axis of size 1 squeezed or added, and shapes checked."""
        cached = self.__dict__.get("_input_refs_cache")
        refs = cached[1] if cached is not None and cached[0] is self._inputs else self._input_refs()
        if len(refs) == 1 and type(inputs) is Tensor and not symbolic:
            # The usual call: one tensor of the input's dtype and rank, with its known sizes.
            _, dtype, ref_shape, fixed = refs[0]
            shape = inputs.shape
            if inputs.dtype == dtype and len(shape) == len(ref_shape):
                for axis, size in fixed:
                    if shape[axis] != size:
                        break
                else:
                    return [inputs]
        if len(refs) == 1 and (type(inputs) is Tensor or not tree.is_nested(inputs)):
            flat = [inputs]
        else:
            flat = self._flatten_inputs(inputs)
        out = []
        for i, (x, (ref, dtype, ref_shape, fixed)) in enumerate(zip(flat, refs)):
            if x is None:
                layer = ref._keras_history.operation
                if isinstance(layer, InputLayer) and not layer.optional:
                    raise ValueError(
                        f"The input '{ref.name}' is not optional, but None was passed. Please "
                        "provide a valid tensor."
                    )
                out.append(None)
                continue
            if not symbolic:
                if not isinstance(x, Tensor):
                    x = ops.convert_to_tensor(x)
                if x.dtype != dtype:
                    mask = getattr(x, "_keras_mask", None)
                    x = ops.cast(x, dtype)
                    if mask is not None:
                        x._keras_mask = mask
            shape = x.shape
            if len(shape) != len(ref_shape):
                x = self._adjust_rank(x, ref, i, symbolic)
                shape = x.shape
            for axis, size in fixed:
                if shape[axis] != size and shape[axis] is not None:
                    raise ValueError(
                        f"Input {i} of layer '{self._display_name}' is incompatible with the "
                        "layer: "
                        f"expected shape={(None,) + tuple(ref_shape[1:])}, found shape="
                        f"{tuple(shape)}"
                    )
            out.append(x)
        return out

    def _input_refs(self):
        """Per input KerasTensor: ``(tensor, dtype, shape, ((axis, size), ...))``, the sizes
        being the known ones past the batch axis (what `_standardize_inputs` checks)."""
        refs = self.__dict__.get("_input_refs_cache")
        if refs is None or refs[0] is not self._inputs:
            refs = (self._inputs, [
                (ref, ref.dtype, ref.shape,
                 tuple((axis, ref.shape[axis]) for axis in range(1, len(ref.shape))
                       if ref.shape[axis] is not None))
                for ref in self._inputs
            ])
            _set(self, "_input_refs_cache", refs)
        return refs[1]

    @property
    def _display_name(self):
        # The name in error messages: the Sequential model's when this graph is one's.
        return self.__dict__.get("_owner_name") or self.name

    def _flatten_inputs(self, inputs):
        struct = self._inputs_struct
        raise_exception = False
        if isinstance(struct, list) and len(struct) == 1 and not tree.is_nested(inputs):
            inputs = [inputs]
        elif isinstance(inputs, dict) and not isinstance(struct, dict):
            if isinstance(struct, KerasTensor):
                if struct.name in inputs:
                    inputs = [inputs[struct.name]]
                else:
                    raise_exception = True
            elif all(isinstance(x, KerasTensor) for x in struct):
                names = [x.name for x in struct]
                if set(names).issubset(inputs.keys()):
                    inputs = [inputs[n] for n in names]
                else:
                    raise_exception = True
            else:
                raise_exception = True
        if (isinstance(struct, dict) and not isinstance(inputs, dict)
                and list(struct) != sorted(struct)):
            raise_exception = True
        self._check_inputs_structure(inputs, raise_exception)
        flat = tree.flatten(inputs)
        if len(flat) != len(self._inputs):
            raise ValueError(
                f"Model '{self._display_name}' expects {len(self._inputs)} input(s), but it "
                f"received {len(flat)} input tensors. Inputs received: {inputs}"
            )
        return flat

    def _adjust_rank(self, x, ref, index, symbolic):
        rank, ref_rank = len(x.shape), len(ref.shape)
        if rank == ref_rank:
            return x
        adjusted = None
        if rank == ref_rank + 1 and x.shape[-1] == 1:
            adjusted = (KerasTensor(x.shape[:-1], dtype=x.dtype) if symbolic
                        else ops.squeeze(x, axis=-1))
        elif rank == ref_rank - 1 and ref.shape[-1] == 1:
            adjusted = (KerasTensor(tuple(x.shape) + (1,), dtype=x.dtype) if symbolic
                        else ops.expand_dims(x, -1))
        if adjusted is None:
            path = ".".join(str(p) for p in _flat_paths(self._inputs_struct)[index])
            raise ValueError(
                f"Invalid input shape for input {x} with name '{ref.name}' and path '{path}' of "
                f"model '{self._display_name}'. Expected shape {ref.shape}, but input has "
                f"incompatible shape {tuple(x.shape)}"
            )
        mask = getattr(x, "_keras_mask", None)
        if mask is not None and not symbolic:
            adjusted._keras_mask = mask
        return adjusted

    def _check_inputs_structure(self, inputs, raise_exception):
        try:
            tree.assert_same_structure(_lists_to_tuples(inputs),
                                       _lists_to_tuples(self._inputs_struct))
            return
        except ValueError:
            pass
        expected = tree.map_structure(lambda x: "None" if x is None else x.name,
                                      self._inputs_struct)
        received = tree.map_structure(
            lambda x: "None" if x is None else f"Tensor(shape={tuple(x.shape)})"
            if hasattr(x, "shape") else repr(x), inputs)
        message = ("The structure of `inputs` doesn't match the expected structure.\n"
                   f"Expected: {expected}\nReceived: inputs={received}")
        if raise_exception:
            raise ValueError(message)
        warnings.warn(message, stacklevel=4)

    # ------------------------------------------------------------------------------------------
    # Config
    # ------------------------------------------------------------------------------------------

    def get_config(self):
        """Keras 3's functional config: ``name``, ``trainable``, ``layers`` (with their
        ``inbound_nodes``), ``input_layers`` and ``output_layers``."""
        if not _functional_like_constructor(self.__class__):
            return Model.get_config(self)
        from lamina.saving import serialization_lib

        own = self._nodes
        config = {"name": self.name, "trainable": self.trainable}
        reindex = {}
        for op in self._operations:
            kept = 1 if isinstance(op, Functional) else 0
            for node in op._inbound_nodes:
                if id(node) in own:
                    reindex[id(node)] = kept
                    kept += 1

        layer_configs = []
        for op in self._operations:
            nodes = [_serialize_node(node, own) for node in op._inbound_nodes if id(node) in own]
            if isinstance(op, Operation):
                layer_config = op.serialize()
            else:
                layer_config = serialization_lib.serialize_keras_object(op)
                _keras_module(layer_config)
            layer_config["name"] = op.name
            layer_config["inbound_nodes"] = [n for n in nodes if n is not None]
            layer_configs.append(layer_config)
        config["layers"] = layer_configs

        def tensor_config(x):
            op, node_index, tensor_index = x._keras_history
            node = op._inbound_nodes[node_index]
            return [op.name, reindex[id(node)], tensor_index]

        config["input_layers"] = tree.map_structure(tensor_config, self._inputs_struct)
        config["output_layers"] = tree.map_structure(tensor_config, self._outputs_struct)
        return copy.deepcopy(config)


# ----------------------------------------------------------------------------------------------
# Graph mapping
# ----------------------------------------------------------------------------------------------


class _Graph:
    __slots__ = ("node_ids", "nodes_by_depth", "operations", "operations_by_depth")


def _build_map(inputs, outputs):
    """The nodes from `inputs` to `outputs` in topological order (a depth-first walk from each
    output, parents first), and each operation's first-visit index."""
    input_ids = {id(x) for x in inputs}
    finished = set()
    in_progress = set()
    ordered = []
    op_index = {}

    def enter(tensor):
        history = getattr(tensor, "_keras_history", None)
        if history is None or history.operation is None:
            return None
        op = history.operation
        node = op._inbound_nodes[history.node_index]
        if id(node) in finished:
            return None
        if not node.is_input and id(tensor) in input_ids:
            # An intermediate tensor given as an input: the graph starts here.
            finished.add(id(node))
            return None
        if id(node) in in_progress:
            raise ValueError(f"Tensor {tensor} from operation '{op.name}' is part of a cycle.")
        op_index.setdefault(id(op), len(op_index))
        in_progress.add(id(node))
        return node

    for output in outputs:
        node = enter(output)
        if node is None:
            continue
        stack = [(node, iter(() if node.is_input else node.input_tensors))]
        while stack:
            node, pending = stack[-1]
            for x in pending:
                child = enter(x)
                if child is not None:
                    stack.append((child, iter(() if child.is_input else child.input_tensors)))
                    break
            else:
                stack.pop()
                finished.add(id(node))
                in_progress.discard(id(node))
                ordered.append(node)
    return ordered, op_index


def _map_graph(inputs, outputs):
    """Orders the graph's nodes and operations by depth (Keras' order) and checks it."""
    ordered, op_index = _build_map(inputs, outputs)
    in_graph = {id(node) for node in ordered}
    node_ids = set(in_graph)
    node_depth = {}  # id(node) -> (node, depth), in insertion order
    op_depth = {}  # id(op) -> (op, depth)
    for node in reversed(ordered):
        depth = node_depth.get(id(node), (node, 0))[1]
        op = node.operation
        depth = max(depth, op_depth.get(id(op), (op, 0))[1])
        op_depth[id(op)] = (op, depth)
        node_depth[id(node)] = (node, depth)
        for parent in node.parent_nodes:
            if id(parent) not in in_graph:
                continue
            previous = node_depth.get(id(parent), (parent, 0))[1]
            node_depth[id(parent)] = (parent, max(depth + 1, previous))
    # Inputs that no output depends on still belong to the model.
    for x in inputs:
        op, node_index, _ = x._keras_history
        if op is not None and id(op) not in op_depth:
            node = op._inbound_nodes[node_index]
            if node.is_input:
                op_depth[id(op)] = (op, 0)
                op_index[id(op)] = -1
                node_depth[id(node)] = (node, 0)
                node_ids.add(id(node))

    nodes_by_depth = {}
    for node, depth in node_depth.values():
        nodes_by_depth.setdefault(depth, []).append(node)
    operations_by_depth = {}
    for op, depth in op_depth.values():
        operations_by_depth.setdefault(depth, []).append(op)
    operations = []
    for depth in sorted(operations_by_depth, reverse=True):
        ops_at_depth = operations_by_depth[depth]
        ops_at_depth.sort(key=lambda o: op_index[id(o)])
        operations.extend(ops_at_depth)

    names = [op.name for op in operations]
    for name in names:
        count = names.count(name)
        if count != 1:
            raise ValueError(
                f'The name "{name}" is used {count} times in the model. All operation names '
                "should be unique."
            )
    graph = _Graph()
    graph.node_ids = node_ids
    graph.nodes_by_depth = nodes_by_depth
    graph.operations = operations
    graph.operations_by_depth = operations_by_depth
    return graph


# ----------------------------------------------------------------------------------------------
# Execution plan
# ----------------------------------------------------------------------------------------------


def _compile_struct(structure, slot_of):
    """A function ``values -> structure`` with each KerasTensor replaced by ``values[slot]``
    (or None when the structure holds no KerasTensor: it is then a constant)."""
    if isinstance(structure, KerasTensor):
        # A tensor no step produces gets an empty slot (reported by _check_connected).
        index = slot_of.setdefault(id(structure), len(slot_of))
        return lambda values: values[index]
    if isinstance(structure, dict):
        parts = {k: _compile_struct(v, slot_of) for k, v in structure.items()}
        if all(p is None for p in parts.values()):
            return None
        items = [(k, p if p is not None else _constant(structure[k])) for k, p in parts.items()]
        return lambda values: {k: p(values) for k, p in items}
    if isinstance(structure, (list, tuple)):
        parts = [_compile_struct(v, slot_of) for v in structure]
        if all(p is None for p in parts):
            return None
        parts = [p if p is not None else _constant(v) for p, v in zip(parts, structure)]
        if all(isinstance(v, KerasTensor) for v in structure):
            indices = [slot_of.setdefault(id(v), len(slot_of)) for v in structure]
            if type(structure) is tuple and len(indices) == 1:
                index = indices[0]
                return lambda values: (values[index],)  # the usual `args` of a layer call
            if isinstance(structure, list):
                return lambda values: [values[i] for i in indices]
            return lambda values: tuple([values[i] for i in indices])
        kind = type(structure)
        if kind is list:
            return lambda values: [p(values) for p in parts]
        if kind is tuple:
            return lambda values: tuple([p(values) for p in parts])
        return lambda values: kind(*[p(values) for p in parts])
    return None


def _constant(value):
    return lambda values: value


def _all_none(structure):
    return all(m is None for m in tree.flatten(structure))


class _Plan:
    """The graph compiled into steps in topological order, each reading its arguments from a
    list of slots (one per tensor) and writing its outputs to others: ``(operation, callable,
    args_fn, args, kwargs, kwargs_fn, out_slots, is_layer, input_slots, node)``."""

    def __init__(self, inputs, outputs_struct, nodes_by_depth):
        slot_of = {}
        for x in inputs:
            slot_of.setdefault(id(x), len(slot_of))
        self.n_inputs = len(inputs)
        self.input_slots = [slot_of[id(x)] for x in inputs]
        steps = []
        for depth in sorted(nodes_by_depth, reverse=True):
            for node in nodes_by_depth[depth]:
                if node.is_input or node.operation is None:
                    continue
                needs = [slot_of.get(id(x)) for x in node.input_tensors]
                args_fn = _compile_struct(node.call_args, slot_of)
                kwargs = dict(node.call_kwargs)
                if "mask" in kwargs and _all_none(kwargs["mask"]):
                    del kwargs["mask"]  # the eager call uses the tensors' own masks
                kwargs_fn = _compile_struct(kwargs, slot_of)
                args = node.call_args if args_fn is None else None
                out_slots = []
                for x in node.outputs:
                    slot_of.setdefault(id(x), len(slot_of))
                    out_slots.append(slot_of[id(x)])
                op = node.operation
                # Ops run their engine function directly (no symbolic check per call).
                run = op._invoke if isinstance(op, Operation) else op
                steps.append((op, run, args_fn, args, kwargs, kwargs_fn, out_slots,
                              isinstance(op, Layer), needs, node))
        self.n_slots = len(slot_of)
        self.steps = steps
        # When every step takes one tensor (no other arguments) and gives one, `run` walks
        # this shorter form: ``(callable, input slot, output slot, is_layer)``.
        simple = []
        for op, run, args_fn, args, kwargs, kwargs_fn, out_slots, is_layer, needs, node in steps:
            call_args = node.call_args
            if (args_fn is None or kwargs or kwargs_fn is not None or len(out_slots) != 1
                    or type(call_args) is not tuple or len(call_args) != 1
                    or not isinstance(call_args[0], KerasTensor)):
                simple = None
                break
            simple.append((run, slot_of[id(call_args[0])], out_slots[0], is_layer))
        self.simple_steps = simple
        self.slot_of = slot_of
        self.outputs_struct = outputs_struct
        self.output_fn = _compile_struct(outputs_struct, slot_of)
        self._check_connected(inputs, outputs_struct)

    def _check_connected(self, inputs, outputs_struct):
        """Raises ValueError when an output needs a tensor the inputs do not give."""
        known = set(self.input_slots)
        for _, _, _, _, _, _, out_slots, _, needs, node in self.steps:
            missing = [x for x, s in zip(node.input_tensors, needs) if s is None or s not in known]
            if not missing:
                known.update(out_slots)
        for path, x in zip(_flat_paths(outputs_struct), tree.flatten(outputs_struct)):
            slot = self.slot_of.get(id(x))
            if slot is None or slot not in known:
                path = ".".join(str(p) for p in path)
                culprit = _first_missing(x, set(id(t) for t in inputs))
                raise ValueError(
                    f"Output with path `{path}` is not connected to `inputs`: it depends on "
                    f"{culprit}, which cannot be computed from the model's inputs."
                )

    def run(self, flat_inputs, training=None, symbolic=False):
        values = [None] * self.n_slots
        for slot, x in zip(self.input_slots, flat_inputs):
            values[slot] = x
        if self.simple_steps is not None and not symbolic:
            for call, in_slot, out_slot, is_layer in self.simple_steps:
                if is_layer and training is not None:
                    out = call(values[in_slot], training=training)
                else:
                    out = call(values[in_slot])
                if type(out) is Tensor:
                    values[out_slot] = out
                else:
                    for y in tree.flatten(out)[:1]:
                        values[out_slot] = y
            return self.output_fn(values)
        for op, call, args_fn, args, kwargs, kwargs_fn, out_slots, is_layer, _, _ in self.steps:
            if args_fn is not None:
                args = args_fn(values)
            if kwargs_fn is not None:
                kwargs = kwargs_fn(values)
            if is_layer and training is not None:
                kwargs = dict(kwargs)
                kwargs["training"] = training
            if symbolic:
                out = op.compute_output_spec(*args, **kwargs)
            else:
                out = call(*args, **kwargs)
            if len(out_slots) == 1 and (type(out) is Tensor or isinstance(out, KerasTensor)):
                values[out_slots[0]] = out
            else:
                for slot, y in zip(out_slots, tree.flatten(out)):
                    values[slot] = y
        return self.output_fn(values)


def _first_missing(tensor, input_ids):
    """Describes the graph input (an InputLayer's tensor not among the model's inputs) that
    `tensor` depends on."""
    seen = set()
    stack = [tensor]
    while stack:
        x = stack.pop()
        if id(x) in seen or id(x) in input_ids:
            continue
        seen.add(id(x))
        history = getattr(x, "_keras_history", None)
        if history is None or history.operation is None:
            return f"the tensor {x}, which was not produced by any layer"
        node = history.operation._inbound_nodes[history.node_index]
        if node.is_input:
            return (f"the tensor {x} of layer '{history.operation.name}' "
                    f"({history.operation.__class__.__name__})")
        stack.extend(reversed(node.input_tensors))
    return f"the tensor {tensor}"


# ----------------------------------------------------------------------------------------------
# Serialization
# ----------------------------------------------------------------------------------------------


def _serialize_keras_tensor(x, own):
    op, node_index, tensor_index = x._keras_history
    skipped = sum(1 for node in op._inbound_nodes[:node_index] if id(node) not in own)
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": x.shape, "dtype": x.dtype,
                   "keras_history": [op.name, node_index - skipped, tensor_index]},
    }


def _serialize_node(node, own):
    """A node's ``{"args", "kwargs"}`` with KerasTensors as ``__keras_tensor__`` references
    (node indices counted among the nodes of this model); None for an input node."""
    from lamina.saving import serialization_lib

    if node.is_input:
        return None

    def convert(x):
        return _serialize_keras_tensor(x, own) if isinstance(x, KerasTensor) else x

    args = tree.map_structure(convert, node.call_args)
    kwargs = tree.map_structure(convert, node.call_kwargs)
    return {
        "args": serialization_lib.serialize_keras_object(args),
        "kwargs": serialization_lib.serialize_keras_object(kwargs),
    }


def _keras_module(layer_config):
    """Writes a lamina class that Keras keeps outside its public API (``Functional``) under
    Keras' module (``keras.src.models.functional``), as Keras 3 does."""
    module = layer_config.get("module")
    if isinstance(module, str) and module.startswith("lamina."):
        layer_config["module"] = "keras.src." + module[len("lamina."):]


def _deserialize_node(node_data, created_layers, custom_objects):
    """``(args, kwargs)`` of a serialized node, with references resolved to the outputs of
    already created nodes (IndexError when a referenced node does not exist yet)."""
    from lamina.saving import serialization_lib

    if not node_data:
        return (), {}
    if isinstance(node_data, list):
        # Legacy (tf.keras) format: [[layer_name, node_index, tensor_index, kwargs], ...]
        tensors = []
        kwargs = {}
        for entry in node_data:
            if len(entry) not in (3, 4):
                raise ValueError("Cannot deserialize the model (invalid config data?)")
            tensors.append(_tensor_from_history(entry[:3], created_layers))
            if len(entry) == 4:
                kwargs = entry[3]
        return (_unpack_singleton(tensors),), kwargs

    def revive(x):
        if isinstance(x, dict):
            if x.get("class_name") == "__keras_tensor__":
                return _tensor_from_history(x["config"]["keras_history"], created_layers)
            if "class_name" in x and "config" in x:
                return serialization_lib.deserialize_keras_object(x, custom_objects=custom_objects)
            return {k: revive(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return type(x)(revive(v) for v in x)
        return x

    return tuple(revive(node_data.get("args", ()))), revive(node_data.get("kwargs", {}))


def _tensor_from_history(history, created_layers):
    name, node_index, tensor_index = history
    layer = created_layers.get(name)
    if layer is None:
        raise ValueError(f"Invalid Functional model configuration. Unknown layer: {name}")
    if len(layer._inbound_nodes) <= node_index:
        raise IndexError(
            f"Layer node index out of bounds.\ninbound_layer = {layer}\n"
            f"inbound_layer._inbound_nodes = {layer._inbound_nodes}\n"
            f"inbound_node_index = {node_index}"
        )
    return layer._inbound_nodes[node_index].output_tensors[tensor_index]


def _is_op_config(layer_data):
    module = layer_data.get("module")
    return isinstance(module, str) and (module.startswith("keras.src.ops.")
                                        or module == "lamina.ops"
                                        or module.startswith("lamina.ops."))


def functional_from_config(cls, config, custom_objects=None):
    """Rebuilds a functional model of class `cls` from its config (Keras 3's schema).

    Layers are created first; their calls (the nodes) are then replayed in the order of the
    config, a node waiting while the nodes it reads from do not exist yet (a layer shared at
    different depths).
    """
    from lamina.saving import serialization_lib

    config = dict(config)
    created_layers = {}
    pending = {}  # id(layer) -> [layer, [node_data, ...]]
    layer_data_list = config.pop("layers")
    input_layers = config.pop("input_layers")
    output_layers = config.pop("output_layers")
    name = config.pop("name", None)
    trainable = config.pop("trainable", None)

    for layer_data in layer_data_list:
        layer_name = layer_data["name"]
        if _is_op_config(layer_data):
            layer = Operation.from_config(layer_data.get("config") or {},
                                          class_name=layer_data.get("class_name"),
                                          module=layer_data.get("module"))
        else:
            layer = serialization_lib.deserialize_keras_object(layer_data,
                                                               custom_objects=custom_objects)
        if not isinstance(layer, (Layer, Operation)):
            raise ValueError(
                "Unexpected object from deserialization, expected a layer or operation, got a "
                f"{type(layer)}"
            )
        created_layers[layer_name] = layer
        for node_data in layer_data.get("inbound_nodes", []):
            pending.setdefault(id(layer), [layer, []])[1].append(node_data)

    while pending:
        progressed = False
        for layer_data in layer_data_list:
            layer = created_layers[layer_data["name"]]
            entry = pending.get(id(layer))
            if entry is None:
                continue
            node_list = entry[1]
            done = 0
            while done < len(node_list):
                try:
                    args, kwargs = _deserialize_node(node_list[done], created_layers,
                                                     custom_objects)
                except IndexError:
                    break
                if isinstance(layer, Operation) and layer.fn_name == "get_item" and len(args) == 2:
                    args = (args[0], _index_key(args[1]))
                layer(*args, **kwargs)
                done += 1
            if done >= len(node_list):
                progressed = True
                del pending[id(layer)]
            elif done > 0:
                progressed = True
                entry[1] = node_list[done:]
        if not progressed:
            names = {entry[0].name: entry[1] for entry in pending.values()}
            raise ValueError(
                "Invalid Functional model configuration. The graph of the Functional model "
                "either has loops or disconnected nodes. The following nodes failed to be "
                f"resolved: {names}"
            )

    def get_tensor(layer_name, node_index, tensor_index):
        layer = created_layers.get(layer_name)
        if layer is None:
            raise ValueError(
                f"Invalid Functional model configuration. Could not find layer {layer_name}."
            )
        if isinstance(layer, Functional):
            node_index -= 1  # functional models count a built-in node first
        return layer._inbound_nodes[node_index].output_tensors[tensor_index]

    def map_tensors(tensors):
        if (isinstance(tensors, (list, tuple)) and len(tensors) == 3
                and isinstance(tensors[0], str)):
            return get_tensor(*tensors)
        if isinstance(tensors, dict):
            return {k: map_tensors(v) for k, v in tensors.items()}
        if isinstance(tensors, tuple):
            return tuple(map_tensors(v) for v in tensors)
        return [map_tensors(v) for v in tensors]

    inputs = map_tensors(input_layers)
    outputs = map_tensors(output_layers)
    return cls(inputs=inputs, outputs=outputs, name=name, trainable=trainable, **config)


def _index_key(key):
    """A JSON-revived indexing key: a list of slices/None/Ellipsis was a tuple."""
    if isinstance(key, list) and any(k is None or k is Ellipsis or isinstance(k, slice)
                                     for k in key):
        return tuple(key)
    return key


# ----------------------------------------------------------------------------------------------
# Intermediate tensors as inputs
# ----------------------------------------------------------------------------------------------


def _is_input_tensor(x):
    op, node_index, _ = x._keras_history
    return op is not None and op._inbound_nodes[node_index].is_input


def clone_graph_nodes(inputs, outputs):
    """Copies the nodes between `inputs` and `outputs` so that a model can start from
    intermediate tensors: each intermediate input gets a new ``Input`` (named
    ``<tensor name>CLONE``), and the layers get new nodes reading from it.

    Returns:
        The new ``(inputs, outputs)``, in the structures given.
    """
    nodes, _ = _build_map(tree.flatten(inputs), tree.flatten(outputs))
    kt_map = {}
    op_map = {}
    cloned_inputs = []
    for x in tree.flatten(inputs):
        if _is_input_tensor(x):
            cloned_inputs.append(x)
            kt_map[id(x)] = x
            continue
        original = x._keras_history.operation
        optional = isinstance(original, InputLayer) and original.optional
        clone = Input(batch_shape=x.shape, dtype=x.dtype, name=f"{x.name}CLONE", optional=optional)
        cloned_inputs.append(clone)
        kt_map[id(x)] = clone
        op_map[id(original)] = clone._keras_history.operation
    cloned_outputs = []
    for x in tree.flatten(outputs):
        copy_ = KerasTensor(x.shape, dtype=x.dtype, name=f"{x.name}_clone")
        copy_._keras_history = x._keras_history
        cloned_outputs.append(copy_)
        kt_map[id(x)] = copy_

    def swap(x):
        if not isinstance(x, KerasTensor):
            return x
        if id(x) not in kt_map:
            new = KerasTensor(x.shape, dtype=x.dtype, name=f"{x.name}_clone")
            mask = getattr(x, "_keras_mask", None)
            if mask is not None:
                new._keras_mask = mask
            kt_map[id(x)] = new
        return kt_map[id(x)]

    for node in nodes:
        op = op_map.get(id(node.operation), node.operation)
        outputs_copy = [swap(x) for x in node.outputs]
        if isinstance(op, InputLayer):
            args, kwargs = (), {}
        else:
            args = tree.map_structure(swap, node.call_args)
            kwargs = tree.map_structure(swap, node.call_kwargs)
        Node(op, call_args=args, call_kwargs=kwargs, outputs=outputs_copy)
    return (tree.pack_sequence_as(inputs, cloned_inputs),
            tree.pack_sequence_as(outputs, cloned_outputs))


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------


def _set(obj, name, value):
    """Sets an internal attribute without Layer's tracking (no list wrapping)."""
    object.__setattr__(obj, name, value)


def _unpack_singleton(x):
    if isinstance(x, (list, tuple)) and len(x) == 1:
        return x[0]
    return x


def _lists_to_tuples(structure):
    if isinstance(structure, dict):
        return {k: _lists_to_tuples(v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return tuple(_lists_to_tuples(v) for v in structure)
    return structure


def _flat_paths(structure, prefix=()):
    """The path (tuple of keys/indices) of each leaf of `structure`, in flatten order."""
    if isinstance(structure, dict):
        out = []
        for k in sorted(structure):
            out.extend(_flat_paths(structure[k], prefix + (k,)))
        return out
    if isinstance(structure, (list, tuple)):
        out = []
        for i, v in enumerate(structure):
            out.extend(_flat_paths(v, prefix + (i,)))
        return out
    return [prefix]


def _map_shapes_struct(fn, structure):
    if isinstance(structure, (list, tuple)) and all(
            d is None or isinstance(d, int) for d in structure):
        return fn(tuple(structure))
    if isinstance(structure, dict):
        return {k: _map_shapes_struct(fn, v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map_shapes_struct(fn, v) for v in structure)
    raise ValueError(f"Not a shape or a structure of shapes: {structure!r}")


def _functional_like_constructor(cls):
    init = inspect.getfullargspec(cls.__init__)
    args = init.args[1:]
    functional_args = inspect.getfullargspec(Functional.__init__).args[1:]
    if args == functional_args:
        return True
    return init.varargs is not None and init.varkw is not None


__all__ = ["Functional", "clone_graph_nodes", "functional_from_config"]
