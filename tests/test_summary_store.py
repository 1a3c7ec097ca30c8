"""The summary's progress kept in the database (card_progress, migration step 5) and its
overview counted by the store: whatever writes the schedules or the log, `export
--no-demos` writes what the summary made from the states and the log would."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from quizzer.cli import _empty_digest, _log_digest
from quizzer.commands import (
    indexed,
    keep_summary_progress,
    summary_cards,
    summary_overview,
    summary_progress,
)
from quizzer.export import (
    DeckData,
    Progress,
    build_summary,
    overview,
    progress_of,
    progress_renderer,
)
from quizzer.index import IndexedDeck
from quizzer.model import Event
from quizzer.scheduler import NEW, review
from quizzer.store import Store

D = date(2026, 5, 1)
AT = datetime(2026, 5, 1, 9, 30)
CARDS = "abcde"
ANSWERS = ["", "  ", "typed", "1. a list? | pipe", "\x1b[31mred", "ok "]


def make_deck(folder: Path) -> Path:
    folder.mkdir()
    (folder / "deck.yaml").write_text("id: d\ntitle: T\nsections: [S1, S2]\n")
    for n, cid in enumerate(CARDS, 1):
        (folder / f"{cid}.yaml").write_text(
            f"id: {cid}\nnumber: {n}\nsection: S{1 + n % 2}\nquestion: Q {cid}?\n"
            f"answer: A {cid}.\nkey_points: [k {cid}]\n")
    return folder


def summaries(deck: IndexedDeck, store: Store, day: date, leech: int) -> tuple[str, str]:
    """The summary as export --no-demos writes it (kept progress, counted overview), and
    as it is made from the states and the log."""
    bare, cards = deck.bare(store), summary_cards(deck, store)
    ids = {c.id for c in cards}
    kept = DeckData(bare, {}, (), cards=cards, log=_empty_digest(day), leech_lapses=leech,
                    progress=summary_progress(deck, store, ids)[0],
                    overview=summary_overview(deck, store, ids, day, leech))
    made = DeckData(bare, store.states("d"), (), cards=cards, leech_lapses=leech,
                    log=_log_digest(store, "d", ids, day))
    assert overview(kept, day) == replace(overview(made, day), stats=None)
    return (build_summary([kept], day, order="weakest"),
            build_summary([made], day, order="weakest"))


def hand_edit(db: Path, rng: random.Random) -> None:
    conn = sqlite3.connect(db)
    with conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM review_log")]
        what = rng.random()
        if ids and what < 0.35:
            conn.execute("DELETE FROM review_log WHERE id = ?", (rng.choice(ids),))
        elif ids and what < 0.7:
            conn.execute("UPDATE review_log SET card_id = ?, answer = ?, grade = ? "
                         "WHERE id = ?", (rng.choice("abcdef"), rng.choice(ANSWERS),
                                          rng.randint(0, 5), rng.choice(ids)))
        else:
            conn.execute("UPDATE card_state SET lapses = lapses + 1, ease = ease - 20 "
                         "WHERE card_id = ?", (rng.choice(CARDS),))
    conn.close()


@pytest.mark.parametrize("seed", range(3))
def test_kept_progress_never_goes_stale(tmp_path: Path, seed: int) -> None:
    """Grades, undos, imports and hand edits of the log and the schedules, with exports
    (which keep what they render) in between: the summary from the kept progress and
    the store's counts is, byte for byte, the summary made from the states and log."""
    rng = random.Random(seed)
    folder = make_deck(tmp_path / "deck")
    db = tmp_path / "q.db"
    recorded: list[tuple[int, Event]] = []
    with Store.open(db) as store:
        deck = indexed(str(folder), store)
        for step in range(70):
            cid = rng.choice(CARDS + "f")  # f: a card not (or no longer) in the deck
            day = D + timedelta(days=step)  # one deciding grade a card a day
            what = rng.random()
            if what < 0.5:
                state = store.states("d").get(cid, NEW)
                grade = rng.randint(0, 5)
                kind = "drill" if rng.random() < 0.25 else "schedule"
                after = review(state, grade, day) if kind == "schedule" else state
                ev = Event(cid, kind, grade, day, state, after, rng.choice(ANSWERS), 2.5)
                recorded.append((store.record("d", ev, AT), ev))
            elif what < 0.6 and recorded:
                rid, ev = recorded.pop()
                store.undo("d", rid, ev)
            elif what < 0.7:
                store.import_history("d", [(Event(cid, "schedule", 4, day, NEW,
                                                  review(NEW, 4, day), "imported", 1.0), AT)])
                recorded = []
            elif what < 0.85:
                hand_edit(db, rng)
                recorded = []
            else:  # what an export keeps
                keep_summary_progress(deck, store, summary_progress(deck, store, CARDS)[1])
            for leech in (1, 3):
                kept, made = summaries(deck, store, day, leech)
                assert kept == made, f"seed {seed}, step {step}, leech {leech}"
        keep_summary_progress(deck, store, summary_progress(deck, store, CARDS)[1])
        kept = store.kept_progress("d", progress_renderer(), Progress._make)
        assert set(kept) == set(CARDS) and summary_progress(deck, store, CARDS) == (kept, [])


def test_progress_is_kept_only_while_its_card_is_unchanged(tmp_path: Path) -> None:
    """A grade given between rendering a card's progress and keeping it leaves the
    stale render out; the next export renders the card again."""
    folder = make_deck(tmp_path / "deck")
    with Store.open(tmp_path / "q.db") as store:
        deck = indexed(str(folder), store)
        key = progress_renderer()
        unkept = store.unkept_progress(deck.key, "d", key)
        assert {made_from[0] for made_from in unkept} == set(CARDS)
        made = [(m, tuple(progress_of(*m[1:]))) for m in unkept]
        store.record("d", Event("a", "schedule", 5, D, NEW, review(NEW, 5, D), "x", 1.0), AT)
        assert store.keep_progress(deck.key, "d", key, made) == len(CARDS) - 1
        assert [m[0] for m in store.unkept_progress(deck.key, "d", key)] == ["a"]
        assert "1 repetition" in summary_progress(deck, store, CARDS)[0]["a"].head
        # Another renderer's rows count as not kept.
        assert len(store.unkept_progress(deck.key, "d", "other")) == len(CARDS)


def test_the_progress_renderer_key_changes_with_what_progress_renders_to(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept progress is made again when its text changes, even by a change nobody marked
    with PROGRESS_VERSION: a last answer's escaping, say."""
    import re

    from quizzer import export

    before = export._progress_renderer()
    assert before == progress_renderer()
    assert before.startswith(f"{export.PROGRESS_VERSION}:")
    monkeypatch.setattr(export, "_TEXT_ESCAPE", re.compile(r"[\\`*_\[\]#~$]|[<&](?!\s)"))  # no |
    assert export._progress_renderer() != before
