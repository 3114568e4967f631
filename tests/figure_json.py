"""Plotly figures as the browser holds them: numeric arrays as base64 typed arrays, turned into lists."""

from __future__ import annotations

import base64

import numpy as np


def decoded(value):
    """Plotly sends numeric arrays as base64 typed arrays ({dtype, bdata, shape}); turn them into lists."""
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return [[None if np.isnan(v) else v.item() for v in row] for row in array] if array.ndim == 2 \
            else [None if np.isnan(v) else v.item() for v in array.astype(float)] if array.dtype.kind == "f" \
            else array.tolist()
    if isinstance(value, dict):
        return {k: decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decoded(v) for v in value]
    return value
