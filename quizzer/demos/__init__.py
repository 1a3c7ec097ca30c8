"""The demo registry: an explicit map from demo names to modules in this package.

Rule: a deck can only *name* a demo; the name is looked up here and nothing else is
ever imported. A deck from a stranger therefore cannot make quizzer run code.
Importing this module does not import numpy; `run` does, when a demo actually runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quizzer.demos.result import DemoResult

DEFAULT_SEED = 11

# name -> module (relative to quizzer.demos). Each module defines `run(rng) -> DemoResult`.
REGISTRY: dict[str, str] = {
    "overfitting-small-data": "q01_overfitting",
    "gradient-norms-by-layer": "q02_gradient_norms",
    "sigmoid-saturation": "q03_sigmoid",
    "symmetry-breaking": "q04_symmetry",
    "glorot-variance": "q05_glorot",
    "dead-relu-units": "q06_dying_relu",
    "activation-mechanisms": "q07_activations",
    "selu-self-normalization": "q08_selu",
    "activation-minima": "q09_minima",
    "two-moons-activations": "q10_two_moons",
    "batch-norm-statistics": "q11_batch_norm",
    "batch-norm-depth": "q12_batch_norm_depth",
    "transfer-frozen-layers": "q13_transfer",
    "autoencoder-pretraining": "q14_autoencoder",
    "masked-word-prediction": "q15_masked_words",
    "early-stopping-curve": "q16_early_stopping",
    "l1-l2-penalties": "q17_l1_l2",
    "dropout-scaling": "q18_dropout",
    "dropout-convergence": "q19_dropout_convergence",
    "bn-inference-mode": "e1_bn_inference",
    "bptt-gradient-growth": "e2_bptt",
    "conv-translation": "e3_conv_translation",
    "gradient-clipping": "e4_clipping",
}


def _single_threaded_blas() -> None:
    """Demos multiply small matrices, where BLAS threads cost far more than they save:
    on a busy 2-core machine one demo took 1.8 s with two threads and 0.1 s with one.
    This only takes effect if numpy has not been imported yet in this process."""
    import os

    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


class UnknownDemo(KeyError):
    """Raised for a name that is not in the registry."""


def run(name: str, seed: int = DEFAULT_SEED) -> DemoResult:
    """Run the registered demo `name` with a fresh generator seeded by `seed`."""
    try:
        module_name = REGISTRY[name]
    except KeyError:
        raise UnknownDemo(name) from None
    _single_threaded_blas()
    import numpy as np

    module = importlib.import_module(f"quizzer.demos.{module_name}")
    result: DemoResult = module.run(np.random.default_rng(seed))
    return result
