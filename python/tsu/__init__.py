"""tsu: block-Gibbs sampling of discrete energy-based models, from Python.

A thin package over tsu's C++ library (the same code as the ``tsu`` command line)::

    import tsu
    model = tsu.load("examples/small.json")
    print(tsu.exact(model).marginals)
    result = tsu.sample(model, chains=64, warmup=100, samples=1000, seed=0)
    result.to_dict()          # the CLI's moments.json

Errors carry the CLI's messages: bad input raises ValueError, files OSError.
"""

import numpy as _np

from ._tsu import (
    ClassifierMetric,
    ExactResult,
    Model,
    SampleResult,
    SamplingSchedule,
    TrainResult,
    bench,
    classifier_metric,
    color,
    compare,
    cost,
    cost_presets,
    dtm_coverage,
    dtm_eval,
    dtm_generate,
    dtm_study,
    dtm_train,
    exact,
    hw_calibrate,
    hw_energy,
    hw_run,
    hw_study,
    load,
    log_z,
    optimize,
    quantize,
    sample,
    train,
    verify_solution,
)

__all__ = [
    "ClassifierMetric",
    "ExactResult",
    "Model",
    "SampleResult",
    "SamplingSchedule",
    "TrainResult",
    "bench",
    "classifier_metric",
    "color",
    "compare",
    "cost",
    "cost_presets",
    "dtm_coverage",
    "dtm_eval",
    "dtm_generate",
    "dtm_study",
    "dtm_train",
    "exact",
    "hw_calibrate",
    "hw_energy",
    "hw_run",
    "hw_study",
    "ising",
    "load",
    "log_z",
    "optimize",
    "quantize",
    "sample",
    "train",
    "verify_solution",
]


def ising(h, edges, weights, beta=1.0, name="ising"):
    """An Ising model P(s) ~ exp(beta * (sum_i h_i s_i + sum_e w_e s_a s_b)).

    h: [nodes] biases; edges: [edges, 2] node pairs; weights: [edges] couplings (any array-likes).
    """
    h = _np.ascontiguousarray(h, dtype=_np.float64).reshape(-1)
    edges = _np.ascontiguousarray(edges, dtype=_np.int32).reshape(-1, 2)
    weights = _np.ascontiguousarray(weights, dtype=_np.float64).reshape(-1)
    from ._tsu import _ising

    return _ising(h, edges, weights, float(beta), str(name))
