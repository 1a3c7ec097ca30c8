"""Demo for E2 (where gradient clipping is used): why RNN gradients explode or vanish.

Back-propagation through time multiplies the gradient by the same recurrent matrix at
every step. With W = s·Q (Q orthogonal) the gradient norm after 50 steps is exactly
s^50: 1.2^50 ≈ 9100 explodes and 0.8^50 ≈ 1.4e-5 vanishes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import CHECK, VALUE, Claim, DemoResult, Plot, Series, above, below, close

Mat = npt.NDArray[np.float64]

STEPS = 50
WIDTH = 16


def _orthogonal(rng: np.random.Generator, n: int) -> Mat:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    result: Mat = q * np.sign(np.diag(r))
    return result


def _bptt_norms(w: Mat, grad_last: Mat, steps: int) -> list[float]:
    """Norm of dL/dh_{T-k} for k = 0..steps in the linear RNN h_t = W h_{t-1}."""
    grad = grad_last.copy()
    norms = [float(np.linalg.norm(grad))]
    for _ in range(steps):
        grad = w.T @ grad
        norms.append(float(np.linalg.norm(grad)))
    return norms


def run(rng: np.random.Generator) -> DemoResult:
    q = _orthogonal(rng, WIDTH)
    grad_last = rng.standard_normal(WIDTH)
    grad_last /= np.linalg.norm(grad_last)
    grow = _bptt_norms(1.2 * q, grad_last, STEPS)
    shrink = _bptt_norms(0.8 * q, grad_last, STEPS)
    # A general recurrent matrix (not orthogonal) scaled to spectral radius 1.2 or 0.8:
    # the gradient still explodes or vanishes, though no longer by exactly s^50.
    w = rng.standard_normal((WIDTH, WIDTH))
    w /= float(np.max(np.abs(np.linalg.eigvals(w))))
    grow_general = _bptt_norms(1.2 * w, grad_last, STEPS)[-1]
    shrink_general = _bptt_norms(0.8 * w, grad_last, STEPS)[-1]

    claims: list[Claim] = [
        close("1.2⁵⁰ ≈ 9100.4", 1.2**STEPS, 9100.4, 0.05, key=True, kind=VALUE),
        close("0.8⁵⁰ ≈ 1.43e-5", 0.8**STEPS, 1.43e-5, 5e-8, kind=VALUE),
        close(
            "BPTT through 50 steps with W = 1.2·Q multiplies the gradient norm by 1.2⁵⁰ "
            "(relative error)",
            grow[-1] / 1.2**STEPS - 1.0,
            0.0,
            1e-9,
            kind=VALUE,
        ),
        close(
            "BPTT through 50 steps with W = 0.8·Q multiplies the gradient norm by 0.8⁵⁰ "
            "(relative error)",
            shrink[-1] / 0.8**STEPS - 1.0,
            0.0,
            1e-9,
            kind=VALUE,
        ),
        above(
            "A random recurrent matrix with spectral radius 1.2: gradient norm after 50 steps",
            grow_general,
            10.0,
            key=True,
            kind=CHECK,
        ),
        below(
            "The same matrix scaled to spectral radius 0.8: gradient norm after 50 steps",
            shrink_general,
            1e-3,
            key=True,
            kind=CHECK,
        ),
    ]
    ks = [float(k) for k in range(STEPS + 1)]
    plot = Plot(
        title="Gradient norm through time (linear RNN, W = s·orthogonal)",
        xlabel="steps back in time",
        ylabel="‖∂L/∂h‖",
        series=[Series(ks, grow, "s = 1.2"), Series(ks, shrink, "s = 0.8")],
        log_y=True,
    )
    return DemoResult(
        title="BPTT: the same matrix, 50 times",
        sentence=(
            "Clipping is used mainly in RNNs because back-propagation through time multiplies "
            "the gradient by the same matrix at every step, so a factor of 1.2 per step "
            "grows to about 9100 after 50 steps and 0.8 shrinks to about 1.4e-5."
        ),
        claims=claims,
        plots=[plot],
    )
