"""``lamina.optimizers.Optimizer``: Keras 3's optimizer base class, with the fused Rust update.

Built-in optimizers name their update rule (`_kernel`, e.g. ``"adam"``) and their own
hyperparameters (`_hyperparameters`, set from the constructor and saved in the config), keep one
list of slot variables per model variable (`_slot_lists`, built in `build` with `group_slots`)
and give the step's scalar hyperparameters (`_kernel_hyper`). One call to the engine's
``_optimizer_update`` then applies decoupled weight decay and the update to every variable and
its slots. A subclass that overrides `update_step` gets Keras' per-variable path instead (weight
decay, then `update_step` for each variable), so custom update rules keep working.
"""

from lamina import _lamina
from lamina import ops
from lamina._lamina import Tensor
from lamina.backend.variables import Variable
from lamina.optimizers import base_optimizer

# Dtypes the engine's fused update works in; other float variables go through float32 copies.
_KERNEL_DTYPES = ("float32", "float64")
_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


def constructor_arguments(arguments):
    """The arguments a built-in optimizer's `__init__` received, to pass on to `super().__init__`.

    A built-in optimizer spells out Keras' signature and hands everything on in one call:
    ``super().__init__(**optimizer.constructor_arguments(locals()))``.

    Args:
        arguments: The `locals()` of the `__init__`, taken before it binds anything else (its
            parameters, with the extra keyword arguments under ``"kwargs"``).

    Returns:
        A dict of keyword arguments: the named parameters, then the extra keyword arguments.
    """
    named = {k: v for k, v in arguments.items() if k not in ("self", "__class__", "kwargs")}
    return {**named, **arguments.get("kwargs", {})}


def group_slots(*slot_variables):
    """Groups slot variables per model variable, in the order the fused update reads them.

    Args:
        *slot_variables: Lists of slot variables (one list per slot kind, as returned by
            `add_optimizer_variables`; None for a variable without state).

    Returns:
        One list of slot variables per model variable, or None where the model variable has no
        state (``overwrite_with_gradient``).
    """
    return [None if group[0] is None else list(group) for group in zip(*slot_variables)]


class Optimizer(base_optimizer.BaseOptimizer):
    __doc__ = base_optimizer.BaseOptimizer.__doc__

    # The kind of fused update (`lamina._lamina._optimizer_update`) of a built-in optimizer.
    _kernel = None
    # A built-in optimizer's own constructor arguments, in config order: each is set as an
    # attribute of the same name and added to `get_config`.
    _hyperparameters = ()

    def __init__(self, *args, **kwargs):
        hyperparameters = {name: kwargs.pop(name) for name in self._hyperparameters if name in kwargs}
        super().__init__(*args, **kwargs)
        for name, value in hyperparameters.items():
            setattr(self, name, value)
        # One list of slot variables per model variable (in build order), for the fused update.
        self._slot_lists = []

    def _kernel_hyper(self, learning_rate):
        """The scalar hyperparameters of the fused update at this step (``[lr, ...]``)."""
        return [learning_rate]

    def _kernel_prepare_step(self):
        """Per-step state updated once before the fused update (Nadam's momentum product)."""

    def _uses_kernel(self):
        return self._kernel is not None and type(self).update_step is Optimizer.update_step

    def update_step(self, gradient, variable, learning_rate):
        """Updates one variable from its gradient (the built-in optimizers' rule, in the engine).

        Args:
            gradient: The gradient of `variable`.
            variable: The variable to update.
            learning_rate: The current learning rate.
        """
        if self._kernel is None:
            return super().update_step(gradient, variable, learning_rate)
        self._kernel_update([gradient], [variable], float(learning_rate), None)

    def _apply_weight_decay_and_update(self, grads, trainable_variables):
        if not self._uses_kernel():
            return super()._apply_weight_decay_and_update(grads, trainable_variables)
        lr = self._learning_rate_value()
        decays = None
        wd = self.weight_decay
        if wd is not None and wd != 0:
            wd = float(wd)
            decays = [wd if self._use_weight_decay(v) else 0.0 for v in trainable_variables]
        self._kernel_prepare_step()
        self._kernel_update(grads, trainable_variables, lr, decays)

    def _kernel_update(self, grads, variables, lr, decays):
        """One fused engine call updating `variables` and their slots in place."""
        index = self._trainable_variables_indices
        slot_lists = self._slot_lists
        slots = []
        grad_tensors = []
        fallback = None
        for i, (g, v) in enumerate(zip(grads, variables)):
            slots.append(slot_lists[index[id(v)]])
            dtype = v.dtype
            if type(g) is not Tensor or g.dtype != dtype:
                g = ops.cast(g, dtype)
            if g.shape != v.shape:
                raise ValueError(
                    f"Optimizer '{self.name}': the gradient of variable '{v.path}' has shape "
                    f"{g.shape}, which does not match the variable's shape {v.shape}."
                )
            grad_tensors.append(g)
            if dtype not in _KERNEL_DTYPES:
                if dtype not in _FLOAT_DTYPES:
                    raise TypeError(
                        f"Optimizer '{self.name}' can only update floating-point variables. "
                        f"Received: variable '{v.path}' with dtype={dtype}"
                    )
                fallback = [] if fallback is None else fallback
                fallback.append(i)
        hyper = self._kernel_hyper(lr)
        if fallback is None:
            _lamina._optimizer_update(self._kernel, variables, grad_tensors, slots, hyper, decays)
            return
        native = [i for i in range(len(variables)) if i not in set(fallback)]
        if native:
            _lamina._optimizer_update(
                self._kernel,
                [variables[i] for i in native],
                [grad_tensors[i] for i in native],
                [slots[i] for i in native],
                hyper,
                None if decays is None else [decays[i] for i in native],
            )
        for i in fallback:
            self._low_precision_update(variables[i], grad_tensors[i], slots[i], hyper,
                                       None if decays is None else decays[i])

    def _low_precision_update(self, variable, gradient, slots, hyper, decay):
        """The fused update of a float16/bfloat16 variable, computed on float32 copies of the
        variable and its slots and written back in the variable's dtype."""
        def copy(v):
            return Variable(ops.cast(v, "float32"), trainable=False, name=f"{v.name}_float32")

        var32 = copy(variable)
        slots32 = [copy(s) for s in slots]
        _lamina._optimizer_update(self._kernel, [var32], [ops.cast(gradient, "float32")], [slots32], hyper,
                                  None if decay is None else [decay])
        variable.assign(var32.value)
        for s, s32 in zip(slots, slots32):
            s.assign(s32.value)

    def get_config(self):
        """Returns the config of the optimizer: the base arguments, then `_hyperparameters`."""
        config = super().get_config()
        config.update({name: getattr(self, name) for name in self._hyperparameters})
        return config


base_optimizer_keyword_args = base_optimizer.base_optimizer_keyword_args
