"""LoRA (Low-Rank Adaptation) pieces shared by `Dense`, `EinsumDense` and `Embedding`.

Each of those layers stores its frozen matrix as ``layer._<name>`` and, once LoRA is enabled,
the factors ``layer.lora_<name>_a`` (``matrix.shape[:-1] + (rank,)``) and
``layer.lora_<name>_b`` (``(rank, matrix.shape[-1])``)."""

from lamina import initializers
from lamina import ops


def init_lora(layer, lora_rank, lora_alpha):
    """Sets the LoRA attributes a layer's ``__init__`` starts with."""
    layer.lora_rank = lora_rank
    layer.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
    layer.lora_enabled = False


def effective_weight(layer, name, cast=False):
    """The stored ``layer._<name>``, plus ``(lora_alpha / lora_rank) * a @ b`` when LoRA is
    enabled (cast to the compute dtype when `cast`)."""
    if not layer.built:
        raise AttributeError(f"You must build the layer before accessing `{name}`.")
    weight = getattr(layer, "_" + name)
    if layer.lora_enabled:
        delta = ops.matmul(getattr(layer, f"lora_{name}_a"), getattr(layer, f"lora_{name}_b"))
        if cast:
            return ops.cast(ops.add(weight, (layer.lora_alpha / layer.lora_rank) * delta),
                            layer.compute_dtype)
        return weight + (layer.lora_alpha / layer.lora_rank) * delta
    return weight


def enable_lora(layer, name, rank, lora_alpha, a_initializer, b_initializer, constraint,
                constraint_error, regularizer, dtype=None):
    """Freezes ``layer._<name>`` and adds the trainable LoRA factors (with `regularizer`, and
    `dtype` when given). Refuses a layer with a `constraint` on the matrix (`constraint_error`
    is the message), one not built yet, and one where LoRA is already enabled."""
    if constraint:
        raise ValueError(constraint_error)
    if not layer.built:
        raise ValueError("Cannot enable lora on a layer that isn't yet built.")
    if layer.lora_enabled:
        raise ValueError("lora is already enabled. This can only be done once per layer.")
    frozen = getattr(layer, "_" + name)
    shape = tuple(frozen.shape)
    dtype_kwargs = {} if dtype is None else {"dtype": dtype}
    setattr(layer, f"lora_{name}_a", layer.add_weight(
        name=f"lora_{name}_a",
        shape=shape[:-1] + (rank,),
        initializer=initializers.get(a_initializer),
        regularizer=regularizer,
        **dtype_kwargs,
    ))
    setattr(layer, f"lora_{name}_b", layer.add_weight(
        name=f"lora_{name}_b",
        shape=(rank, shape[-1]),
        initializer=initializers.get(b_initializer),
        regularizer=regularizer,
        **dtype_kwargs,
    ))
    frozen.trainable = False
    layer.lora_enabled = True
    layer.lora_rank = rank
    layer.lora_alpha = lora_alpha if lora_alpha is not None else rank


def add_lora_config(layer, config):
    """Adds ``lora_rank`` and ``lora_alpha`` to `config` when the layer uses LoRA."""
    if layer.lora_rank:
        config["lora_rank"] = layer.lora_rank
        config["lora_alpha"] = layer.lora_alpha
    return config


def finish_build(layer):
    """Marks the layer built, then enables the LoRA its constructor asked for."""
    layer.built = True
    if layer.lora_rank:
        layer.enable_lora(layer.lora_rank, lora_alpha=layer.lora_alpha)
