"""Demo for Q15 (self-supervised learning): predicting a masked word needs no human labels.

Generates a small synthetic corpus, hides the verb of each sentence, and learns to fill
it in by counting which verb appears between which words. The targets are the hidden
words themselves, so nobody labeled anything.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable

import numpy as np

from quizzer.demos.result import CHECK, VALUE, Claim, DemoResult, Plot, Series, above, below, close

SUBJECTS = ["cat", "dog", "child", "farmer", "chef", "teacher", "robot", "bird"]
# Each object goes with one verb: the context determines the hidden word.
OBJECTS = {
    "book": "reads",
    "letter": "reads",
    "apple": "eats",
    "bread": "eats",
    "soup": "eats",
    "water": "drinks",
    "tea": "drinks",
    "ball": "kicks",
    "piano": "plays",
    "song": "plays",
    "car": "drives",
}
ADVERBS = ["slowly", "quickly", "today", "again", "happily", "quietly"]
N_TRAIN = 2000
N_TEST = 1000
MASK = "[MASK]"


def _sentences(rng: np.random.Generator, n: int) -> list[list[str]]:
    objects = list(OBJECTS)
    out = []
    for _ in range(n):
        subject = SUBJECTS[int(rng.integers(len(SUBJECTS)))]
        obj = objects[int(rng.integers(len(objects)))]
        adverb = ADVERBS[int(rng.integers(len(ADVERBS)))]
        out.append(["the", subject, OBJECTS[obj], "the", obj, adverb])
    return out


def _mask(sentence: list[str]) -> tuple[list[str], str]:
    """Self-supervision: hide the verb (position 2); the hidden word is the target."""
    masked = list(sentence)
    target = masked[2]
    masked[2] = MASK
    return masked, target


def _context(masked: list[str]) -> tuple[str, str]:
    """The nearest content words left and right of the mask (skipping 'the')."""
    i = masked.index(MASK)
    left = next(w for w in reversed(masked[:i]) if w != "the")
    right = next(w for w in masked[i + 1 :] if w != "the")
    return left, right


def _learn(train: list[tuple[list[str], str]]) -> Callable[[list[str]], str]:
    """Count which hidden word appears in which context; predict the most frequent one,
    backing off to the right-hand word alone, then to the most frequent word overall."""
    counts: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    by_right: defaultdict[str, Counter[str]] = defaultdict(Counter)
    overall: Counter[str] = Counter()
    for masked, target in train:
        left, right = _context(masked)
        counts[left, right][target] += 1
        by_right[right][target] += 1
        overall[target] += 1
    majority = overall.most_common(1)[0][0]

    def predict(masked: list[str]) -> str:
        left, right = _context(masked)
        if counts[left, right]:
            return counts[left, right].most_common(1)[0][0]
        if by_right[right]:
            return by_right[right].most_common(1)[0][0]
        return majority

    return predict


def _accuracy(predict: Callable[[list[str]], str], test: list[tuple[list[str], str]]) -> float:
    return float(np.mean([predict(m) == t for m, t in test]))


def run(rng: np.random.Generator) -> DemoResult:
    corpus = _sentences(rng, N_TRAIN)  # raw, unlabeled text
    train = [_mask(s) for s in corpus]
    test = [_mask(s) for s in _sentences(rng, N_TEST)]

    predict = _learn(train)
    accuracy = _accuracy(predict, test)
    overall = Counter(t for _, t in train)
    majority = overall.most_common(1)[0][0]
    baseline = float(np.mean([majority == t for _, t in test]))
    # The same counting on the first n raw sentences only: more text, better guesses.
    sizes = [5, 10, 20, 50, 100, 200, 500, 1000, N_TRAIN]
    curve = [_accuracy(_learn(train[:n]), test) for n in sizes]
    from_text = np.mean(
        [
            t == s[2] and m[:2] + m[3:] == s[:2] + s[3:]
            for (m, t), s in zip(train, corpus, strict=True)
        ]
    )

    claims: list[Claim] = [
        close(
            "Training pairs (masked sentence, hidden word) made from 2000 raw, unlabeled sentences",
            float(len(train)),
            float(N_TRAIN),
            0.0,
            kind=VALUE,
        ),
        close(
            "Fraction of training targets that are simply the hidden word of the raw sentence",
            float(from_text),
            1.0,
            0.0,
            kind=VALUE,
        ),
        above(
            "Accuracy at predicting the masked verb on new sentences",
            accuracy,
            0.99,
            key=True,
            kind=CHECK,
        ),
        below(
            "Majority baseline (always the most frequent verb)", baseline, 0.4, key=True, kind=CHECK
        ),
    ]
    return DemoResult(
        title="Self-supervised masked-word prediction",
        sentence=(
            "Self-supervised learning makes its labels from the data, here by masking the "
            "verb and predicting it from its neighbours, which reaches near-perfect accuracy "
            "with zero human labels."
        ),
        claims=claims,
        plots=[
            Plot(
                title="Masked-verb accuracy on new sentences vs raw sentences read",
                xlabel="raw, unlabeled sentences",
                ylabel="accuracy",
                series=[
                    Series([float(n) for n in sizes], curve, "context counts"),
                    Series([float(n) for n in sizes], [baseline] * len(sizes), "majority baseline"),
                ],
                log_x=True,
            )
        ],
    )
