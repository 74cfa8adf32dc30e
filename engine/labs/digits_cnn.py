"""The digits lab's convolutional model: what it adds to the lab beside the MLP.

``model = "cnn"`` trains ``engine.conv.ConvNet(filters)``: one or two conv 3×3
layers (ReLU, 2×2 max-pool), then a dense layer to the 10 classes. The lab
trains it exactly as it trains the MLP (same batches, optimizers, rates and
regularisers); this module holds the parts only the CNN has: its cost, its
float32 evaluation, the filters and feature maps the page draws, and the
parameter counts that make weight sharing visible.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Annotated, Any

import numpy as np
from annotated_types import Ge, Le

from engine import optdigits
from engine.conv import KERNEL, SIDE, ConvNet, windows

FilterCount = Annotated[int, Ge(1), Le(16)]  # per conv layer: 16·16 3×3 filters stay cheap


# An activation (or an im2col entry) costs NumPy about as long as this many multiply-adds
# of a dense layer's matrix product: strided copies, pooling and its way back are slow per
# element (measured on one core: a CNN's update and frame take 10–40× longer than their
# multiply-adds alone would at the rate of the MLP's products).
ELEMENT_COST = 40


def macs(filters: Sequence[int]) -> int:
    """The work of one image through the net, in multiply-adds: each conv layer's products
    plus ``ELEMENT_COST`` per value it copies into windows or computes (Z, ReLU, pooling),
    then the dense layer. The app refuses params past its limits on this count."""
    total, side, channels = 0, SIDE, 1
    for k in filters:
        positions = side * side
        total += positions * channels * KERNEL * KERNEL * k  # the products
        total += ELEMENT_COST * positions * (channels * KERNEL * KERNEL + k)  # the rest
        side, channels = side // 2, k
    return total + side * side * channels * optdigits.N_CLASSES


def logits32(net: ConvNet, X: np.ndarray) -> np.ndarray:
    """Logits (m, 10) in float32 for float32 images ``X`` (m, 64), without dropout.

    The same arithmetic as ``ConvNet.forward`` with every array in float32, and
    nothing kept for a backward pass: the lab measures its loss this way.
    """
    A = X.reshape(len(X), SIDE, SIDE, 1)
    for n, k in enumerate(net.filters, 1):
        K = net.params[f"K{n}"].astype(np.float32).reshape(-1, k)
        Z = (windows(A) @ K).reshape(*A.shape[:3], k) + net.params[f"c{n}"].astype(np.float32)
        A = max_pool(np.maximum(Z, np.float32(0.0)))
    Z = A.reshape(len(X), -1) @ net.params["W"].astype(np.float32)
    Z += net.params["b"].astype(np.float32)
    return Z


def max_pool(A: np.ndarray) -> np.ndarray:
    """2×2 max-pooling of A (m, h, w, c) as the maximum of its four strided quarters: the
    same values as ``engine.conv.pool``, ten times faster, without which cell won (no
    backward pass follows an evaluation)."""
    top = np.maximum(A[:, 0::2, 0::2], A[:, 0::2, 1::2])
    bottom = np.maximum(A[:, 1::2, 0::2], A[:, 1::2, 1::2])
    pooled: np.ndarray = np.maximum(top, bottom)
    return pooled


def filter_images(net: ConvNet) -> list[np.ndarray]:
    """Each conv layer's filters as 3×3 images: float32 (k, c, 9), filter f's input c row-major."""
    return [np.ascontiguousarray(K.transpose(3, 0, 1, 2).reshape(K.shape[3], K.shape[0], -1),
                                 dtype=np.float32) for K in net.kernels]  # fmt: skip


def feature_maps(net: ConvNet, x: np.ndarray) -> list[np.ndarray]:
    """One image's ReLU activations after each conv layer: float32 (k, h, w), 8×8 then 4×4."""
    return [np.ascontiguousarray(R.transpose(2, 0, 1), dtype=np.float32)
            for R in net.feature_maps(x)]  # fmt: skip


def layer_counts(filters: Sequence[int]) -> list[dict[str, Any]]:
    """The CNN layer by layer: its parameters beside those of a dense layer with the same
    inputs and outputs. Each conv layer shares 9·c·k weights over every position, where a
    dense layer would need one weight per input value and output value."""
    rows, side, channels = [], SIDE, 1
    for n, k in enumerate(filters, 1):
        n_in, n_out = side * side * channels, side * side * k
        params = channels * KERNEL * KERNEL * k + k
        rows.append({"layer": f"conv{n}", "shape": [side, side, k], "params": params,
                     "dense": n_in * n_out + n_out})  # fmt: skip
        side, channels = side // 2, k
    n_in = side * side * channels
    last = n_in * optdigits.N_CLASSES + optdigits.N_CLASSES
    rows.append({"layer": "dense", "shape": [optdigits.N_CLASSES], "params": last, "dense": last})
    return rows


def mlp_counts(hidden: Sequence[int]) -> list[int]:
    """Parameters of each dense layer of an MLP 64 → hidden… → 10: d_in·d_out + d_out."""
    sizes = [optdigits.N_PIXELS, *hidden, optdigits.N_CLASSES]
    return [a * b + b for a, b in itertools.pairwise(sizes)]


def counts(filters: Sequence[int], hidden: Sequence[int]) -> dict[str, Any]:
    """The parameter counts the page shows side by side: this CNN, and the MLP of the
    ``hidden`` widths (the network the learner would get by choosing it)."""
    layers = layer_counts(filters)
    per_mlp = mlp_counts(hidden)
    return {
        "cnn": {"layers": layers, "total": sum(r["params"] for r in layers)},
        "mlp": {"hidden": list(hidden), "layers": per_mlp, "total": sum(per_mlp)},
    }
