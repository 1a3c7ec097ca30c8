"""The bundled chapter 11 decks: they load, keep their ids, and state the facts right.

Card ids are stable keys in everyone's review history, so once shipped they never
change; the exact lists below are the guard. The fact checks catch a card that was
edited into saying something wrong (see the content notes for where each fact comes from).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import quizzer
from quizzer.cards import Card, Deck, load_deck
from quizzer.demos import DEFAULT_SEED, REGISTRY, run

CONTENT = Path(quizzer.__file__).parent.parent / "content"

# number -> (id, demo), in the order of the lecture's questions.
MAIN: dict[int, tuple[str, str]] = {
    1: ("deep-net-problems", "overfitting-small-data"),
    2: ("vanishing-gradients", "gradient-norms-by-layer"),
    3: ("sigmoid-vanishing", "sigmoid-saturation"),
    4: ("random-initialization", "symmetry-breaking"),
    5: ("keras-default-init", "glorot-variance"),
    6: ("dying-relus", "dead-relu-units"),
    7: ("relu-alternatives", "activation-mechanisms"),
    8: ("selu", "selu-self-normalization"),
    9: ("swish", "activation-minima"),
    10: ("default-activation", "two-moons-activations"),
    11: ("batch-norm-how", "batch-norm-statistics"),
    12: ("batch-norm-pros-cons", "batch-norm-depth"),
    13: ("transfer-learning", "transfer-frozen-layers"),
    14: ("unsupervised-pretraining", "autoencoder-pretraining"),
    15: ("self-supervised-learning", "masked-word-prediction"),
    16: ("regularization-techniques", "early-stopping-curve"),
    17: ("l1-l2-regularization", "l1-l2-penalties"),
    18: ("dropout", "dropout-scaling"),
    19: ("dropout-disadvantages", "dropout-convergence"),
}

EXTRAS: dict[int, tuple[str, str]] = {
    1: ("bn-at-prediction", "bn-inference-mode"),
    2: ("clipping-where", "bptt-gradient-growth"),
    3: ("transfer-best-networks", "conv-translation"),
    4: ("clipping-how", "gradient-clipping"),
}

# The lecture's questions, verbatim (only "I_1 and I_2" is written as ℓ1 and ℓ2).
QUESTIONS: dict[str, str] = {
    "deep-net-problems": "List some problems that are typical of deep neural networks.",
    "vanishing-gradients": "Describe the vanishing gradient problem.",
    "sigmoid-vanishing":
        "Why can the sigmoid function as activation function cause a vanishing gradient?",
    "random-initialization": "Is it useful to randomly initialize the weights of a neural "
                             "network? What other methods do exist?",
    "keras-default-init": "Which initialization method is used from Keras by default?",
    "dying-relus": "Describe the problem of dying ReLUs.",
    "relu-alternatives":
        "Which activation functions exist to outperform the ReLU activation function?",
    "selu": "How does SELU work and what are the advantages and disadvantages?",
    "swish": "Draw the function of the Swish activation function.",
    "default-activation":
        "What is the final recommendation for the activation function to start with?",
    "batch-norm-how": "How does batch normalization work?",
    "batch-norm-pros-cons":
        "What are the advantages of batch normalization, what the disadvantages?",
    "transfer-learning": "In which situations is the use of transfer learning useful? "
                         "How does transfer learning work?",
    "unsupervised-pretraining": "How can you find a good model when you have little "
                                "labeled data but lots of unlabeled training data?",
    "self-supervised-learning": "Explain self-supervised learning (with an example).",
    "regularization-techniques": "Which regularization techniques exist to avoid overfitting?",
    "l1-l2-regularization": "Describe the ℓ1 and ℓ2 regularization.",
    "dropout": "How does Dropout work?",
    "dropout-disadvantages": "Is there a disadvantage in Dropout?",
    "bn-at-prediction": "What should be considered when using a neural network with "
                        "batch normalization for prediction?",
    "clipping-where": "For what type of neural networks is gradient clipping usually used?",
    "transfer-best-networks":
        "For which type of neural network does transfer learning work best?",
    "clipping-how": "How does gradient clipping work?",
}

# The five wrong main-deck answers, plus the extra "How does gradient clipping work?",
# whose lecture answer says batch normalization is impossible in RNNs (second review).
CORRECTED = {
    "vanishing-gradients", "relu-alternatives", "selu", "swish", "transfer-learning",
    "clipping-how",
}

# Pages the lecture gives for an answer; every other card has none.
PAGES = {
    "default-activation": [366],
    "batch-norm-how": [367],
    "batch-norm-pros-cons": [369],
    "transfer-learning": [376],
    "unsupervised-pretraining": [378],
    "regularization-techniques": [393],
    "l1-l2-regularization": [393],
    "clipping-how": [373],
}


@pytest.fixture(scope="module")
def main() -> Deck:
    return load_deck(CONTENT / "ch11", known_demos=REGISTRY)


@pytest.fixture(scope="module")
def extras() -> Deck:
    return load_deck(CONTENT / "ch11-extras", known_demos=REGISTRY)


@pytest.fixture(scope="module")
def cards(main: Deck, extras: Deck) -> dict[str, Card]:
    return {c.id: c for c in (*main.cards, *extras.cards)}


def _flat(text: str) -> str:
    """Text with runs of whitespace collapsed, so line wrapping in YAML does not matter."""
    return re.sub(r"\s+", " ", text)


def _beyond_answer(card: Card) -> str:
    """Everything a card states on its own authority: the correction and the key points."""
    return _flat(" ".join([card.correction or "", *(p.text for p in card.key_points)]))


def test_deck_metadata(main: Deck, extras: Deck) -> None:
    assert main.id == "ch11"
    assert extras.id == "ch11-extras"
    sections = [
        "The Vanishing/Exploding Gradients Problems",
        "Reusing Pretrained Layers",
        "Avoiding Overfitting Through Regularization",
    ]
    for deck in (main, extras):
        assert list(deck.meta.sections) == sections
        source = deck.meta.source
        assert source is not None
        assert source.book == "Hands-On Machine Learning with Scikit-Learn, Keras, and TensorFlow"
        assert source.author == "Aurélien Géron"
        assert source.edition == "3rd"
        assert source.chapter == 11
        assert source.chapter_title == "Training Deep Neural Networks"
        assert source.lecture == "Lecture 10: Training Deep Neural Networks"
    assert extras.meta.description and "off by default" in extras.meta.description


@pytest.mark.parametrize(("deck_name", "expected"), [("main", MAIN), ("extras", EXTRAS)])
def test_ids_numbers_and_demos_never_change(
    deck_name: str, expected: dict[int, tuple[str, str]], request: pytest.FixtureRequest
) -> None:
    deck: Deck = request.getfixturevalue(deck_name)
    assert [c.number for c in deck.cards] == list(range(1, len(expected) + 1))
    assert {c.number: (c.id, c.demo) for c in deck.cards} == expected


def test_file_names_follow_number_and_id(main: Deck, extras: Deck) -> None:
    for deck, prefix in ((main, "q"), (extras, "e")):
        names = sorted(p.name for p in deck.path.glob("*.yaml") if p.name != "deck.yaml")
        width = 2 if prefix == "q" else 1
        assert names == sorted(f"{prefix}{c.number:0{width}d}-{c.id}.yaml" for c in deck.cards)


def test_every_demo_is_registered(cards: dict[str, Card]) -> None:
    for card in cards.values():
        assert card.demo in REGISTRY, card.id


def test_questions_are_the_lectures(cards: dict[str, Card]) -> None:
    assert set(cards) == set(QUESTIONS)
    for cid, question in QUESTIONS.items():
        assert _flat(cards[cid].question) == question, cid


def test_exactly_the_wrong_answers_carry_a_correction(cards: dict[str, Card]) -> None:
    assert {cid for cid, c in cards.items() if c.correction} == CORRECTED


def test_corrections_cite_their_demo(cards: dict[str, Card]) -> None:
    for cid in CORRECTED:
        card = cards[cid]
        assert card.correction and f"`{card.demo}`" in card.correction, cid


def test_every_card_has_key_points_and_tags(cards: dict[str, Card]) -> None:
    for card in cards.values():
        assert card.key_points, card.id
        assert 1 <= len(card.tags) <= 4, card.id


def test_pages(cards: dict[str, Card]) -> None:
    for cid, card in cards.items():
        assert list(card.pages) == PAGES.get(cid, []), cid


def test_answers_are_transcribed_without_page_prefixes_or_typos(cards: dict[str, Card]) -> None:
    for card in cards.values():
        assert not re.search(r"\bp\. ?\d", card.answer), card.id
        for slip in ("weigths", "traning", "I_1", "I_2", "l_2"):
            assert slip not in card.answer, (card.id, slip)
    assert "regularize the model" in _flat(cards["batch-norm-pros-cons"].answer)
    # Wrong reference answers stay as written; the correction handles them.
    assert "minimum near z=-0.75" in cards["swish"].answer
    assert "diverges" in cards["vanishing-gradients"].answer
    assert _flat(cards["relu-alternatives"].answer) == "SELU > ELU > leaky ReLU > ReLU"


def test_swish_minimum(cards: dict[str, Card]) -> None:
    text = _beyond_answer(cards["swish"])
    assert "−1.278" in text
    assert "−0.278" in text
    assert "GELU" in text


def test_no_card_puts_the_swish_minimum_at_minus_0_75(cards: dict[str, Card]) -> None:
    # −0.75 may only appear as GELU's minimum, never as a fact about Swish.
    for card in cards.values():
        for sentence in re.split(r"(?<=[.;])\s", _beyond_answer(card)):
            if re.search(r"[−-]0\.75", sentence):
                assert "GELU" in sentence, (card.id, sentence)


def test_selu_constants(cards: dict[str, Card]) -> None:
    text = _beyond_answer(cards["selu"])
    assert "1.0507" in text
    assert "1.6733" in text or "1.67326" in text
    assert "alpha dropout" in text.lower()


def test_keras_default_initializer(cards: dict[str, Card]) -> None:
    text = _beyond_answer(cards["keras-default-init"])
    assert "glorot_uniform" in text
    assert "√(6/(fan_in + fan_out))" in text
    assert "2/(fan_in + fan_out)" in text


def test_initialization_variances(cards: dict[str, Card]) -> None:
    text = _beyond_answer(cards["random-initialization"])
    for fact in ("1/fan_avg", "2/fan_in", "1/fan_in", "symmetry"):
        assert fact in text, fact


def test_sigmoid_derivative(cards: dict[str, Card]) -> None:
    text = _beyond_answer(cards["sigmoid-vanishing"])
    assert "0.25" in text
    assert "0.0066" in text


def test_dropout_scaling(cards: dict[str, Card]) -> None:
    text = _beyond_answer(cards["dropout"])
    assert "1/(1 − p)" in text or "×1.25" in text


def test_vanishing_is_not_divergence(cards: dict[str, Card]) -> None:
    correction = _flat(cards["vanishing-gradients"].correction or "")
    assert "exploding" in correction
    assert "2.2e-12" in correction or "2e-12" in correction


def test_transfer_learning_works_best_with_cnns(cards: dict[str, Card]) -> None:
    for cid in ("transfer-learning", "transfer-best-networks"):
        text = _flat(" ".join([cards[cid].correction or cards[cid].answer,
                               *(p.text for p in cards[cid].key_points)]))
        assert "small dense" in text, cid
        assert "CNN" in text or "convolutional" in text, cid


def test_relu_ranking_is_not_the_old_one(cards: dict[str, Card]) -> None:
    text = _beyond_answer(cards["relu-alternatives"])
    for name in ("GELU", "Swish", "Mish", "2nd edition"):
        assert name in text, name


def test_l1_l2(cards: dict[str, Card]) -> None:
    text = _beyond_answer(cards["l1-l2-regularization"])
    assert "λ·Σw²" in text
    assert "λ·Σ|w|" in text
    assert "exactly 0" in text


def test_gradient_clipping(cards: dict[str, Card]) -> None:
    text = _beyond_answer(cards["clipping-how"])
    assert "clipvalue" in text and "clipnorm" in text
    assert "t·g/‖g‖" in text


def _key_point(card: Card, marker: str) -> str:
    """The one key point that contains `marker` (a card states each fact once)."""
    found = [_flat(k.text) for k in card.key_points if marker in k.text]
    assert len(found) == 1, (card.id, marker, found)
    return found[0]


# -- second review: each fix is pinned, so a card edited back into the old wording fails --


def test_key_points_round_numbers_for_an_exam(cards: dict[str, Card]) -> None:
    # A student writes λ ≈ 1.0507, not 1.0507009873554805; exact constants live in demos.
    for card in cards.values():
        for point in card.key_points:
            assert not re.search(r"\d\.\d{6,}", point.text), (card.id, point.text)


def test_vanishing_is_about_depth_not_training_time(cards: dict[str, Card]) -> None:
    card = cards["vanishing-gradients"]
    correction = _flat(card.correction or "")
    assert "depth" in correction and "how long training runs" in correction
    assert "not with training time" in _key_point(card, "back-propagation moves down")


def test_sigmoid_weights_and_glorot_bengio(cards: dict[str, Card]) -> None:
    card = cards["sigmoid-vanishing"]
    assert "σ'(z)·w" in _key_point(card, "per layer")
    glorot = _key_point(card, "Glorot and Bengio (2010)")
    for fact in ("N(0,1)", "variance grows", "saturate"):
        assert fact in glorot, fact
    assert "0.5, not 0" in _key_point(card, "mean output")


def test_he_initialization_covers_elu_and_mish(cards: dict[str, Card]) -> None:
    he = _key_point(cards["random-initialization"], "2/fan_in")
    for name in ("ReLU", "ELU", "GELU", "Swish", "Mish"):
        assert re.search(rf"\b{name}\b", he), name


def test_dead_relu_can_come_back(cards: dict[str, Card]) -> None:
    text = _beyond_answer(cards["dying-relus"])
    assert "cannot bring it back" not in text
    assert "own weights" in text
    assert "come back to life if the layers below change" in text


def test_activations_keep_a_gradient_only_for_moderately_negative_inputs(
    cards: dict[str, Card],
) -> None:
    card = cards["relu-alternatives"]
    correction = _flat(card.correction or "")
    assert "cannot die" not in correction
    assert "moderately negative inputs" in correction
    assert "tend to 0 as z → −∞" in correction
    for text in (correction, _key_point(card, "Mish")):
        assert "author's experiments" in text


def test_selu_advantage_and_what_beats_it(cards: dict[str, Card]) -> None:
    card = cards["selu"]
    assert "1.0507" in _key_point(card, "λ") and "1.6733" in _key_point(card, "λ")
    assert "vanishing and exploding gradients" in _key_point(card, "main advantage")
    assert "outperform SELU" in _key_point(card, "GELU, Swish and Mish")
    assert "outperform SELU" in _flat(card.correction or "")


def test_swish_beta_1702_approximates_gelu(cards: dict[str, Card]) -> None:
    correction = _flat(cards["swish"].correction or "")
    assert "β ≈ 1.702" in correction and "−0.751" in correction


def test_transfer_learning_correction(cards: dict[str, Card]) -> None:
    card = cards["transfer-learning"]
    correction = _flat(card.correction or "")
    # Both procedures: the book's Keras example (all reused layers, as the lecture says)
    # and the general advice for scarce data (one or two top layers).
    assert "unfreezes *all* reused layers" in correction
    assert "one or two of the top reused layers" in correction
    assert "lower learning rate" in _key_point(card, "Then unfreeze")
    assert "one or two" in _key_point(card, "little labeled data")
    # Its own demo is a small dense network; the CNN claim leans on the translation demo.
    assert "not evidence about which networks transfer best" in correction
    assert "`conv-translation`" in correction
    assert "presumably" in correction


def test_transfer_learning_quotes_what_its_demo_measures(cards: dict[str, Card]) -> None:
    correction = _flat(cards["transfer-learning"].correction or "")
    quoted = re.search(r"at least (\d\.\d+) on every split", correction)
    assert quoted, "the correction quotes the smallest per-split gain"
    res = run(cards["transfer-learning"].demo, DEFAULT_SEED)
    measured = [c.value for c in res.claims if "smallest gain" in c.statement.lower()]
    assert len(measured) == 1
    assert float(quoted.group(1)) <= measured[0] < float(quoted.group(1)) + 0.01


def test_l2_is_weight_decay_only_for_sgd(cards: dict[str, Card]) -> None:
    card = cards["l1-l2-regularization"]
    assert "(weight decay)" not in _beyond_answer(card)
    decay = _key_point(card, "weight decay")
    assert "SGD" in decay and "Adam" in decay and "AdamW" in decay


def test_dropout_weight_scaling_is_an_alternative(cards: dict[str, Card]) -> None:
    point = _key_point(cards["dropout"], "after training")
    assert "not perfectly equivalent" in point
    assert "The equivalent" not in _beyond_answer(cards["dropout"])


def test_dropout_slowdown_is_sourced(cards: dict[str, Card]) -> None:
    point = _key_point(cards["dropout-disadvantages"], "slower")
    assert "2–3×" in point and "Srivastava et al. 2014" in point
    assert "about 2×" not in point


def test_bn_fusing_needs_a_linear_layer_before(cards: dict[str, Card]) -> None:
    point = _key_point(cards["bn-at-prediction"], "fused")
    assert "directly follows a linear (dense or convolutional) layer" in point


def test_cnn_explanation_keeps_the_books_hedge(cards: dict[str, Card]) -> None:
    for point in cards["transfer-best-networks"].key_points:
        assert "presumably" in point.text, point.text


def test_clipnorm_is_per_variable(cards: dict[str, Card]) -> None:
    card = cards["clipping-how"]
    correction = _flat(card.correction or "")
    assert "*tricky*" in correction
    assert "not possible" not in _beyond_answer(card)
    assert "each variable" in correction and "global_clipnorm" in correction
    assert "keeps its direction" in _key_point(card, "`global_clipnorm` rescales")
    assert "can still turn" in _key_point(card, "`clipnorm` clips each variable")
    assert "tricky" in _key_point(card, "RNNs")


def test_clipping_correction_quotes_what_its_demo_measures(cards: dict[str, Card]) -> None:
    correction = _flat(cards["clipping-how"].correction or "")
    res = run(cards["clipping-how"].demo, DEFAULT_SEED)
    turn = [c.value for c in res.claims if "turns the gradient by" in c.statement]
    assert len(turn) == 1
    assert f"a turn of {turn[0]:.2f}°" in correction


def test_no_card_says_bn_ignores_rescaling_exactly(cards: dict[str, Card]) -> None:
    # BN_ε(aX + b) = BN_{ε/a²}(X): a shift cancels exactly, a rescaling only up to ε
    # (the gap is ≈ 1.5e-3 at σ = 1 with Keras' ε = 0.001).
    for card in cards.values():
        for sentence in re.split(r"(?<=[.;])\s", _beyond_answer(card)):
            if re.search(r"BN|batch norm", sentence, re.I) and re.search(
                r"rescal|7X|aX", sentence
            ):
                assert "up to ε" in sentence, (card.id, sentence)


def test_selu_correction_quotes_what_its_demo_measures(cards: dict[str, Card]) -> None:
    correction = cards["selu"].correction or ""
    res = run("selu-self-normalization")
    quoted = {
        "SELU + LeCun normal, layers 91–100: |mean|": "mean ≈ {:.2f}",
        "SELU + LeCun normal, layers 91–100: std": "std ≈ {:.2f}",
        "ELU + LeCun normal": "std ≈ {:.2f}",
        "SELU + He normal, layer 100": "std ≈ {:.0f}",
        "SELU + regular dropout 0.1, layers 91–100: std": "std to ≈ {:.2f}",
        "SELU + alpha dropout 0.1, layers 91–100: std": "at ≈ {:.2f}",
    }
    for statement, pattern in quoted.items():
        [value] = [c.value for c in res.claims if c.statement.startswith(statement)]
        assert pattern.format(value) in correction, (statement, value)
