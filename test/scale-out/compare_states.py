"""Compares pairs of safetensors files (states written by ddp_train.py --dump-states, or
exports): `python compare_states.py a1 b1 [a2 b2 ...]` prints a JSON list, one object per
pair: the keys each side lacks, the keys whose tensors are not bit-identical, the largest
|a - b| (in float64) and its key, and the share of values differing by more than 1e-6 and
1e-5. numpy only, which starts far faster than torch."""
import json
import sys

import numpy as np
from safetensors.numpy import load_file

rows = []
args = sys.argv[1:]
for path_a, path_b in zip(args[::2], args[1::2]):
    a, b = load_file(path_a), load_file(path_b)
    common = sorted(a.keys() & b.keys())
    delta = {k: np.abs(a[k].astype(np.float64) - b[k].astype(np.float64)).ravel() for k in common}
    diffs = {k: float(d.max(initial=0)) for k, d in delta.items()}
    worst = max(common, key=diffs.get, default=None)
    values = np.concatenate(list(delta.values())) if delta else np.zeros(0)
    shares = {f'above_{t:.0e}': float((values > t).mean()) if values.size else 0.0 for t in (1e-6, 1e-5)}
    differing = [k for k in common if not (a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]))]
    only_a, only_b = sorted(a.keys() - b.keys()), sorted(b.keys() - a.keys())
    rows.append(dict(a=path_a, b=path_b, only_a=only_a, only_b=only_b, keys=len(common), differing=differing,
                     bitwise=not (differing or only_a or only_b), max_abs=diffs.get(worst, 0.0), worst=worst, **shares))
print(json.dumps(rows))
