"""``model.summary()``: Keras 3's summary table, drawn as plain text.

The table has the layout Keras 3 prints (through ``rich``) — a heavy-headed box, one row per
layer, columns "Layer (type)", "Output Shape", "Param #" (and "Connected to" for functional
graphs that are not a simple chain, "Trainable" with ``show_trainable``) — followed by the
parameter counts with their memory size ("Total params: 1,234 (4.82 KB)"). Column widths,
word wrapping and the "…" of text too long for its cell follow rich's rules, so the text is
the same as Keras 3's without color.
"""

import math
import re
import shutil

from lamina import tree

_DTYPE_BITS = {
    **{f"float{i}": i for i in (16, 32, 64)},
    **{f"int{i}": i for i in (8, 16, 32, 64)},
    **{f"uint{i}": i for i in (8, 16, 32, 64)},
    "bfloat16": 16,
    "bool": 1,
}


def count_params(weights):
    """The number of scalars in `weights`."""
    return int(sum(math.prod(v.shape) for v in weights))


def weight_memory_size(weights):
    """The memory taken by `weights` (each counted once), in bytes."""
    unique = {id(w): w for w in weights}.values()
    bits = 0
    for w in unique:
        dtype = getattr(w.dtype, "name", w.dtype)
        if dtype not in _DTYPE_BITS:
            raise ValueError(f"Invalid dtype: {dtype}")
        bits += math.prod(w.shape) * _DTYPE_BITS[dtype]
    return bits / 8


def readable_memory_size(weight_memory_size):
    """A size in bytes as text: ``"184.00 B"``, ``"4.82 KB"``, ``"1.20 MB"``..."""
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    scale = 1024
    for unit in units:
        if weight_memory_size / scale < 1:
            return f"{weight_memory_size:.2f} {unit}"
        weight_memory_size /= scale
    return f"{weight_memory_size:.2f} {units[-1]}"


def _format_shape(shape):
    return "(" + ", ".join(str(d) for d in shape) + ")"


def format_layer_shape(layer):
    """The output shape of a layer as shown in the summary (``"?"`` when unknown)."""
    nodes = getattr(layer, "_inbound_nodes", None) or []
    if not nodes and not getattr(layer, "_build_shapes_dict", None):
        return "?"
    if nodes:
        output_shapes = [_format_shape(x.shape) for x in nodes[-1].output_tensors]
    else:
        try:
            if hasattr(layer, "output_shape"):
                output_shapes = _format_shape(layer.output_shape)
            else:
                outputs = layer.compute_output_shape(**layer._build_shapes_dict)
                output_shapes = _map_shapes(_format_shape, outputs)
        except Exception:
            return "?"
    flat = tree.flatten(output_shapes)
    if len(flat) == 1:
        return flat[0]
    return str(output_shapes).replace("'", "")


def _map_shapes(fn, structure):
    if isinstance(structure, (tuple, list)) and all(
            d is None or isinstance(d, int) for d in structure):
        return fn(structure)
    if isinstance(structure, dict):
        return {k: _map_shapes(fn, v) for k, v in structure.items()}
    if isinstance(structure, (tuple, list)):
        return type(structure)(_map_shapes(fn, v) for v in structure)
    return structure


def get_layer_index_bound_by_layer_name(layers, layer_range=None):
    """``[first, last + 1]``: the indices of the layers named (or matched by the regexes) in
    `layer_range` (all layers when None)."""
    if layer_range is None:
        return [0, len(layers)]
    if len(layer_range) != 2:
        raise ValueError(
            "layer_range must be a list or tuple of length 2. Received: "
            f"layer_range = {layer_range} of length {len(layer_range)}"
        )
    if not isinstance(layer_range[0], str) or not isinstance(layer_range[1], str):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError(
            "Passed layer_names do not match the layer names in the model. "
            f"Received: {layer_range}"
        )
    if min(lower) > max(upper):
        return [min(upper), max(lower) + 1]
    return [min(lower), max(upper) + 1]


# ----------------------------------------------------------------------------------------------
# Plain-text table (rich's layout rules: HEAVY_HEAD box, show_lines, padding 1)
# ----------------------------------------------------------------------------------------------

_WORD = re.compile(r"\s*\S+\s*")


def _break_positions(text, width):
    """Where to break `text` so that its words fit `width` (words too long stay whole)."""
    breaks = []
    offset = 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            if start:
                breaks.append(start)
            offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    return breaks


def _truncate(line, width):
    if len(line) > width:
        return line[:max(width - 1, 0)] + "…"
    return line


def _wrap_cell(text, width, justify):
    """The lines of a cell's text, wrapped and justified to `width`."""
    lines = []
    for paragraph in text.split("\n"):
        breaks = _break_positions(paragraph, width)
        bounds = [0] + breaks + [len(paragraph)]
        for a, b in zip(bounds, bounds[1:]):
            line = paragraph[a:b]
            if len(line) > width:
                line = line[:width] + line[width:].rstrip()
            if justify == "left":
                line = _truncate(line, width)
                line = line + " " * (width - len(line))
            elif justify == "right":
                line = _truncate(line.rstrip(), width)
                line = " " * (width - len(line)) + line
            else:  # center
                line = _truncate(line.rstrip(), width)
                left = (width - len(line)) // 2
                line = " " * left + line
                line = line + " " * (width - len(line))
            lines.append(line)
    return lines


def _ratio_reduce(total, ratios, maximums, values):
    ratios = [r if m else 0 for r, m in zip(ratios, maximums)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return list(values)
    remaining = total
    out = []
    for ratio, maximum, value in zip(ratios, maximums, values):
        if ratio and total_ratio > 0:
            distributed = min(maximum, round(ratio * remaining / total_ratio))
            out.append(value - distributed)
            remaining -= distributed
            total_ratio -= ratio
        else:
            out.append(value)
    return out


def _render_table(header, alignment, column_widths, rows, line_length):
    """The lines of the table, laid out as rich lays out ``Table(width=line_length,
    show_lines=True)`` with fixed-width columns."""
    n = len(header)
    max_width = line_length - (n + 1)
    widths = [min(w + 2, max_width) for w in column_widths]
    if sum(widths) > max_width:
        excess = sum(widths) - max_width
        widths = _ratio_reduce(excess, [1] * n, widths, widths)
    widths = [max(w, 0) for w in widths]

    def render_row(cells, left, sep, right, bottom=False):
        wrapped = [_wrap_cell(str(c), max(w - 2, 1), a)
                   for c, w, a in zip(cells, widths, alignment)]
        height = max(len(c) for c in wrapped)
        if bottom:  # header cells sit on the bottom line (rich aligns header rows down)
            wrapped = [[" " * max(w - 2, 1)] * (height - len(c)) + c
                       for c, w in zip(wrapped, widths)]
        out = []
        for i in range(height):
            parts = []
            for cell_lines, w in zip(wrapped, widths):
                content = cell_lines[i] if i < len(cell_lines) else " " * max(w - 2, 1)
                parts.append((" " + content + " ")[:w] if w >= 2 else content[:w])
            out.append(left + sep.join(parts) + right)
        return out

    def rule(left, fill, sep, right):
        return left + sep.join(fill * w for w in widths) + right

    lines = [rule("┏", "━", "┳", "┓")]
    lines.extend(render_row(header, "┃", "┃", "┃", bottom=True))
    lines.append(rule("┡", "━", "╇", "┩"))
    for i, row in enumerate(rows):
        if i:
            lines.append(rule("├", "─", "┼", "┤"))
        lines.extend(render_row(row, "│", "│", "│"))
    lines.append(rule("└", "─", "┴", "┘"))
    return lines


def _is_sequential_like(model):
    nodes = []
    for group in model._nodes_by_depth.values():
        if len(group) > 1 or (len(group) == 1 and len(group[0].input_tensors) > 1):
            return False
        nodes.extend(group)
    node_ids = {id(n) for n in nodes}
    for layer in model.layers:
        seen = False
        for node in layer._inbound_nodes:
            if id(node) in node_ids:
                if seen:
                    return False
                seen = True
    return True


def summary_text(model, line_length=None, positions=None, expand_nested=False,
                 show_trainable=False, layer_range=None):
    """The summary of `model` as text (what `print_summary` prints)."""
    from lamina.models.functional import Functional
    from lamina.models.sequential import Sequential
    from lamina.ops.operation import Operation

    relevant_nodes = None
    if isinstance(model, Sequential) or not isinstance(model, Functional):
        sequential_like = True
        layers = model.layers
    else:
        layers = model._operations
        sequential_like = _is_sequential_like(model)

    if sequential_like:
        default_line_length = 88
        positions = positions or [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        alignment = ["left", "left", "right"]
    else:
        default_line_length = 108
        positions = positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        alignment = ["left", "left", "right", "left"]
        relevant_nodes = {id(n) for group in model._nodes_by_depth.values() for n in group}
    if show_trainable:
        default_line_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        alignment.append("center")

    default_line_length = min(default_line_length, shutil.get_terminal_size().columns - 4)
    line_length = line_length or default_line_length
    column_widths = []
    current = 0
    for pos in positions:
        width = int(pos * line_length) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        column_widths.append(width)
        current += width

    def connections(layer):
        parts = []
        for node in layer._inbound_nodes:
            if relevant_nodes and id(node) not in relevant_nodes:
                continue
            for x in node.input_tensors:
                op, node_index, tensor_index = x._keras_history
                parts.append(f"{op.name}[{node_index}][{tensor_index}]")
        return ", ".join(parts) if parts else "-"

    def fields(layer, prefix=""):
        type_name = layer.class_name if isinstance(layer, Operation) else type(layer).__name__
        name = f"{prefix}{layer.name} ({type_name})"
        if not hasattr(layer, "built"):
            params = "0"
        elif not layer.built:
            params = "0 (unbuilt)"
        else:
            params = f"{layer.count_params():,}"
        row = [name, format_layer_shape(layer), params]
        if not sequential_like:
            row.append(connections(layer))
        if show_trainable:
            if len(getattr(layer, "weights", ())) > 0:
                row.append("Y" if layer.trainable else "N")
            else:
                row.append("-")
        return row

    def layer_rows(layer, level=0):
        prefix = "   " * level + "└ " if level else ""
        rows = [fields(layer, prefix)]
        nested = getattr(layer, "layers", None) if expand_nested else None
        if nested:
            for sub in nested:
                rows.extend(layer_rows(sub, level + 1))
        return rows

    start, stop = get_layer_index_bound_by_layer_name(layers, layer_range)
    rows = []
    for layer in layers[start:stop]:
        rows.extend(layer_rows(layer))

    trainable_weights = getattr(model, "_collected_trainable_weights", None)
    if trainable_weights is None:
        trainable_weights = model.trainable_weights
    non_trainable_weights = model.non_trainable_weights
    trainable_count = count_params(trainable_weights)
    trainable_size = weight_memory_size(trainable_weights)
    non_trainable_count = count_params(non_trainable_weights)
    non_trainable_size = weight_memory_size(non_trainable_weights)
    optimizer = getattr(model, "optimizer", None)
    optimizer_built = bool(getattr(model, "compiled", False) and optimizer is not None
                           and getattr(optimizer, "built", False))
    if optimizer_built:
        optimizer_count = count_params(optimizer.variables)
        optimizer_size = weight_memory_size(optimizer.variables)
    else:
        optimizer_count = optimizer_size = 0
    total_count = trainable_count + non_trainable_count + optimizer_count
    total_size = trainable_size + non_trainable_size + optimizer_size

    lines = [f'Model: "{model.name}"']
    lines.extend(_render_table(header, alignment, column_widths, rows, line_length))
    lines.append(f" Total params: {total_count:,} ({readable_memory_size(total_size)})")
    lines.append(f" Trainable params: {trainable_count:,} ({readable_memory_size(trainable_size)})")
    lines.append(f" Non-trainable params: {non_trainable_count:,} "
                 f"({readable_memory_size(non_trainable_size)})")
    if optimizer_built:
        lines.append(f" Optimizer params: {optimizer_count:,} "
                     f"({readable_memory_size(optimizer_size)})")
    return "\n".join(lines) + "\n"


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Prints the summary of a model (see ``Model.summary``).

    Args:
        model: The model.
        line_length: Total length of printed lines.
        positions: Relative positions of the columns' right edges.
        print_fn: Called with the whole summary text (default: printed to stdout).
        expand_nested: Whether to expand the nested models.
        show_trainable: Whether to show if a layer is trainable.
        layer_range: Two layer names (or regexes): the first and last layers to print.
    """
    text = summary_text(model, line_length=line_length, positions=positions,
                        expand_nested=expand_nested, show_trainable=show_trainable,
                        layer_range=layer_range)
    if print_fn is None:
        print(text, end="")
    else:
        print_fn(text)


__all__ = ["count_params", "format_layer_shape", "get_layer_index_bound_by_layer_name",
           "print_summary", "readable_memory_size", "summary_text", "weight_memory_size"]
