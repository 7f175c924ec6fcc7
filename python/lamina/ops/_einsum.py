"""``lamina.ops.einsum``: Einstein summation composed from transpose, reshape, broadcast_to,
matmul, multiply and sum, so it is differentiable wherever those ops are.

Operands are contracted pairwise from left to right. Each pairwise step sorts the labels into
batch (kept, in both), left-only, right-only and contracted ones and runs one batched matmul
``(batch, m, k) @ (batch, k, n)``; labels no later operand and not the output needs are summed
out first, and repeated labels within one operand (``"ii->i"``) take a diagonal.
"""

import math

from lamina._lamina import broadcast_to
from lamina._lamina import convert_to_tensor
from lamina._lamina import eye
from lamina._lamina import matmul
from lamina._lamina import multiply
from lamina._lamina import reshape
from lamina._lamina import sum as _sum
from lamina._lamina import transpose

__all__ = ["einsum"]

# Private labels for the dimensions an ellipsis stands for (never valid user subscripts).
_ELLIPSIS_BASE = 0x2460


def _parse(subscripts, operands):
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: `subscripts` must be a string. Received: subscripts={subscripts!r}")
    spec = subscripts.replace(" ", "")
    if "->" in spec:
        lhs, out = spec.split("->", 1)
        if "->" in out:
            raise ValueError(f"einsum: subscripts may contain '->' only once. Received: {subscripts!r}")
    else:
        lhs, out = spec, None
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError(
            f"einsum: the subscripts {subscripts!r} name {len(terms)} operand(s), but "
            f"{len(operands)} were given."
        )
    for part in terms + ([out] if out is not None else []):
        rest = part.replace("...", "")
        bad = [c for c in rest if not c.isalpha()]
        if bad or "." in rest:
            raise ValueError(
                f"einsum: invalid subscript {(bad or ['.'])[0]!r} in {subscripts!r}; subscripts "
                "are letters and an optional '...'."
            )
        if part.count("...") > 1:
            raise ValueError(f"einsum: an operand may contain '...' only once. Received: {subscripts!r}")
    # Expand the ellipses into private labels, aligned from the right as numpy broadcasts them.
    labels = []
    n_ell = 0
    for term, x in zip(terms, operands):
        named = len(term.replace("...", ""))
        if "..." in term:
            k = x.ndim - named
            if k < 0:
                raise ValueError(
                    f"einsum: operand of shape {tuple(x.shape)} has fewer dimensions than the "
                    f"subscripts {term!r} name."
                )
            n_ell = max(n_ell, k)
        elif named != x.ndim:
            raise ValueError(
                f"einsum: subscripts {term!r} name {named} dimension(s), but the operand has shape "
                f"{tuple(x.shape)}."
            )
    ell = [chr(_ELLIPSIS_BASE + i) for i in range(n_ell)]
    for term, x in zip(terms, operands):
        if "..." in term:
            head, tail = term.split("...")
            k = x.ndim - len(head) - len(tail)
            labels.append(list(head) + ell[n_ell - k:] + list(tail))
        else:
            labels.append(list(term))
    if out is None:
        counts = {}
        for ls in labels:
            for c in ls:
                counts[c] = counts.get(c, 0) + 1
        out_labels = ell + sorted(c for c, n in counts.items() if n == 1 and c not in ell)
    else:
        if "..." in out:
            head, tail = out.split("...")
            out_labels = list(head) + ell + list(tail)
        else:
            out_labels = list(out)
        seen = set()
        for c in out_labels:
            if c in seen:
                raise ValueError(f"einsum: output subscript {c!r} appears more than once in {subscripts!r}.")
            seen.add(c)
        every = {c for ls in labels for c in ls}
        for c in out_labels:
            if c not in every:
                raise ValueError(
                    f"einsum: output subscript {c!r} does not appear in the input subscripts of "
                    f"{subscripts!r}."
                )
    return labels, out_labels


def _diagonal(x, labels):
    """Merges repeated labels of one operand by taking their diagonal."""
    labels = list(labels)
    while True:
        dup = next((c for i, c in enumerate(labels) if c in labels[i + 1:]), None)
        if dup is None:
            return x, labels
        p = labels.index(dup)
        q = labels.index(dup, p + 1)
        n, m = x.shape[p], x.shape[q]
        if n != m:
            raise ValueError(
                f"einsum: the repeated subscript {dup!r} has sizes {n} and {m} in one operand."
            )
        mask_shape = [1] * x.ndim
        mask_shape[p] = n
        mask_shape[q] = n
        mask = reshape(eye(n, dtype=x.dtype), mask_shape)
        x = _sum(multiply(x, mask), axis=q)
        del labels[q]


def _sum_out(x, labels, keep):
    axes = tuple(i for i, c in enumerate(labels) if c not in keep)
    if not axes:
        return x, labels
    return _sum(x, axis=axes), [c for c in labels if c in keep]


def _permute(x, labels, order):
    perm = [labels.index(c) for c in order]
    if perm != list(range(len(perm))):
        x = transpose(x, perm)
    return x


def _contract(a, la, b, lb, keep):
    """Contracts two operands whose labels are unique within each; `keep` are the labels still
    needed after this step."""
    a, la = _sum_out(a, la, keep | set(lb))
    b, lb = _sum_out(b, lb, keep | set(la))
    size = {}
    for x, ls in ((a, la), (b, lb)):
        for c, d in zip(ls, x.shape):
            if c in size and size[c] != d and 1 not in (size[c], d):
                raise ValueError(
                    f"einsum: subscript {c!r} has incompatible sizes {size[c]} and {d} "
                    "(operands cannot be broadcast)."
                )
            size[c] = max(size.get(c, d), d)
    shared = [c for c in la if c in lb]
    # Size-1 dimensions of shared labels broadcast against the other operand.
    for idx, (x, ls) in enumerate(((a, la), (b, lb))):
        target = tuple(size[c] if c in shared else d for c, d in zip(ls, x.shape))
        if target != tuple(x.shape):
            x = broadcast_to(x, target)
            if idx == 0:
                a = x
            else:
                b = x
    batch = [c for c in shared if c in keep]
    contracted = [c for c in shared if c not in keep]
    a_only = [c for c in la if c not in shared]
    b_only = [c for c in lb if c not in shared]
    nb = math.prod(size[c] for c in batch)
    m = math.prod(size[c] for c in a_only)
    k = math.prod(size[c] for c in contracted)
    n = math.prod(size[c] for c in b_only)
    a2 = reshape(_permute(a, la, batch + a_only + contracted), (nb, m, k))
    b2 = reshape(_permute(b, lb, batch + contracted + b_only), (nb, k, n))
    out = matmul(a2, b2)
    labels = batch + a_only + b_only
    return reshape(out, tuple(size[c] for c in labels)), labels


def einsum(subscripts, *operands, **kwargs):
    """Evaluates the Einstein summation convention on the operands.

    Args:
        subscripts: Specifies the subscripts for summation as comma separated list of
            subscript labels, as in numpy: ``"ij,jk->ik"``, ``"...ij,...jk->...ik"``,
            ``"ii->i"`` (diagonal), ``"ij->"`` (full sum); without ``->`` the output is the
            labels that appear once, in alphabetical order (after the ellipsis dimensions).
        *operands: The operands to compute the Einstein sum of.

    Returns:
        The calculation based on the Einstein summation convention.

    Example:

    >>> a = lamina.ops.ones((2, 3)); b = lamina.ops.ones((3, 4))
    >>> lamina.ops.einsum("ij,jk->ik", a, b).shape
    (2, 4)
    """
    if kwargs:
        raise TypeError(f"einsum: unexpected keyword arguments {sorted(kwargs)}")
    if not operands:
        raise ValueError("einsum: at least one operand is required.")
    xs = [convert_to_tensor(x) for x in operands]
    labels, out_labels = _parse(subscripts, xs)
    xs_labels = []
    for x, ls in zip(xs, labels):
        xs_labels.append(_diagonal(x, ls))
    out_set = set(out_labels)
    acc, acc_labels = xs_labels[0]
    for i in range(1, len(xs_labels)):
        keep = set(out_set)
        for _, later in xs_labels[i + 1:]:
            keep.update(later)
        b, lb = xs_labels[i]
        acc, acc_labels = _contract(acc, acc_labels, b, lb, keep)
    acc, acc_labels = _sum_out(acc, acc_labels, out_set)
    return _permute(acc, acc_labels, out_labels)
