"""Cards and decks: pydantic models and the YAML loader.

Rule 1: YAML is read with safe loading only, and models reject unknown fields.
Rule 2: every problem becomes one line `file:line: field: what is wrong`; the loader
collects them all before failing, so one `validate` run shows everything to fix.
Rule 3: this module reads files; the deck index (quizzer/index.py) decides which files
need reading again, and repeats the cross-file checks over its table.
Rule 4: a stranger's deck is data: control characters, tags beyond plain YAML and files
past MAX_FILE_BYTES or MAX_EXPANDED (aliases expanded) are Problems.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from quizzer.errors import QuizzerError

if TYPE_CHECKING:
    import yaml

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
DECK_FILE = "deck.yaml"
CARD_SUFFIXES = (".yaml", ".yml")  # compared case-insensitively: x.YAML is a card

# Limits on one YAML file: its size on disk, and its text once every alias is expanded
# (a few KB of aliases can otherwise expand to gigabytes).
MAX_FILE_BYTES = 1_000_000
MAX_EXPANDED = 1_000_000

# C0 and C1 control characters and DEL; newline and tab are text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map",
                                       "merge")
)

Slug = Annotated[str, StringConstraints(pattern=SLUG, max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _loader() -> Any:
    """The YAML loader, imported when a file is first parsed: commands that read cards
    from the index never load YAML."""
    import yaml

    # The C loader is several times faster; both are the safe loader.
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    book: Text
    author: Text | None = None
    edition: Text | None = None
    chapter: int | Text | None = None
    chapter_title: Text | None = None
    lecture: Text | None = None


class DeckMeta(_Model):
    """The contents of deck.yaml."""

    id: Slug
    title: Text
    source: Source | None = None
    sections: tuple[Text, ...] = Field(min_length=1)
    description: Text | None = None


class KeyPoint(_Model):
    """What an exam answer must contain. In YAML either a plain string (its text) or a
    mapping with `text` and `match`: groups of alternatives, one of each group must
    appear in an answer for the marker to count the point as covered."""

    text: Text
    match: tuple[Annotated[tuple[Text, ...], Field(min_length=1)], ...] = ()


def _key_point(value: Any) -> Any:
    # A plain string stays valid: it is the text, with no match terms.
    return {"text": value} if isinstance(value, str) else value


class Card(_Model):
    """One question with its reference answer. Field order is the order in the YAML files."""

    id: Slug
    number: int = Field(ge=1)
    section: Text
    pages: tuple[Annotated[int, Field(ge=1)], ...] = ()
    tags: tuple[Slug, ...] = ()
    question: Text
    answer: Text
    correction: Text | None = None
    key_points: tuple[Annotated[KeyPoint, BeforeValidator(_key_point)], ...] = ()
    demo: Slug | None = None


@dataclass(frozen=True)
class Deck:
    """A loaded, validated deck: its metadata and its cards in number order."""

    path: Path
    meta: DeckMeta
    cards: tuple[Card, ...]

    @property
    def id(self) -> str:
        return self.meta.id

    def find(self, ref: str) -> Card:
        """A card by number or id; an unknown reference is a QuizzerError."""
        ref = ref.strip()
        for card in self.cards:
            if card.id == ref or (ref.isascii() and ref.isdigit() and card.number == int(ref)):
                return card
        raise QuizzerError(
            f"no card {ref!r} in deck {self.id!r} ({self.path}); "
            "give a card number or id from `quizzer cards`"
        )


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a deck, located as precisely as we can."""

    file: Path
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        what = f"{self.field}: {self.message}" if self.field else self.message
        return f"{where}: {what}"


class DeckError(QuizzerError):
    """A deck with problems; `problems` holds one entry per fault."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        n = len(problems)
        first = str(problems[0]) if problems else ""
        more = f" (and {n - 1} more problem{'s' if n > 2 else ''})" if n > 1 else ""
        super().__init__(
            f"{first}{more}; fix the deck and run `quizzer validate {path}`",
            lines=[str(p) for p in problems],
        )
        self.problems = problems


def _control(text: str) -> str | None:
    """The first control character in `text`, as U+XXXX, or None."""
    found = _CONTROL.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def _node_problem(root: yaml.Node) -> tuple[int | None, str] | None:
    """(line, message) for a tag that is not plain YAML, or an expanded size past
    MAX_EXPANDED; None if the document is fine. Each node is sized once (aliases share
    nodes), so this is linear in the file, however far the aliases would expand."""
    import yaml

    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if not children_done:
            if key in size:
                continue
            if node.tag not in _PLAIN_TAGS:
                tag = node.tag.replace("tag:yaml.org,2002:", "!!")
                return (node.start_mark.line + 1,
                        f"the YAML tag {tag} is not allowed; write plain text, numbers "
                        "and lists (quote a value such as a date)")
            if key in open_:
                return node.start_mark.line + 1, "an alias refers to itself"
            open_.add(key)
            stack.append((node, True))
            if isinstance(node, yaml.SequenceNode):
                stack.extend((child, False) for child in node.value)
            elif isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    stack.extend(((k, False), (v, False)))
            continue
        open_.discard(key)
        if isinstance(node, yaml.ScalarNode):
            total = len(node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = sum(size[id(child)] for child in node.value) + 1
        else:
            total = sum(size[id(k)] + size[id(v)] for k, v in node.value) + 1
        size[key] = total
        if total > MAX_EXPANDED:
            return (node.start_mark.line + 1,
                    f"expands to more than {MAX_EXPANDED:,} characters (YAML aliases?); "
                    "the limit per file is 1 MB of text")
    return None


def _texts(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every string in parsed YAML (keys too) with its dotted location."""
    stack: list[tuple[Any, str]] = [(value, where)]
    seen: set[int] = set()
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            yield at, item
        elif isinstance(item, dict | list):
            if id(item) in seen:  # aliases share objects: check each once
                continue
            seen.add(id(item))
            if isinstance(item, dict):
                for k, v in item.items():
                    name = str(k) if not at else f"{at}.{k}"
                    stack.append((k, name))
                    stack.append((v, name))
            else:
                stack.extend((v, f"{at}.{i}" if at else str(i)) for i, v in enumerate(item))


def _parse(path: Path, problems: list[Problem]) -> tuple[Any, dict[str, int]] | None:
    """Parse one YAML file; return its data and the 1-based line of each top-level key."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            problems.append(Problem(path, None, None,
                                    "not a regular file; a card is a plain YAML file"))
            return None
        if st.st_size > MAX_FILE_BYTES:
            problems.append(Problem(path, None, None, f"the file has {st.st_size:,} bytes; "
                                    f"the limit is {MAX_FILE_BYTES:,}"))
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path, None, None, f"cannot read the file: {exc}"))
        return None
    import yaml

    loader = _loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            problems.append(Problem(path, None, None, "the file is empty"))
            return None
        bad = _node_problem(node)
        if bad is not None:
            problems.append(Problem(path, bad[0], None, bad[1]))
            return None
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "invalid YAML"
        problems.append(Problem(path, line, None, f"YAML syntax error: {what}"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(path, None, None, f"YAML error: {exc}"))
        return None
    except (RecursionError, TypeError, ValueError, OverflowError) as exc:
        # Constructors of odd but valid YAML (deep nesting, unhashable keys, huge ints).
        problems.append(Problem(path, None, None, f"YAML that quizzer cannot use: {exc}"))
        return None
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key = str(key_node.value)
            if key in lines:
                problems.append(
                    Problem(path, key_node.start_mark.line + 1, key, "the key appears twice")
                )
            lines.setdefault(key, key_node.start_mark.line + 1)
    if not isinstance(data, dict):
        problems.append(Problem(path, 1, None, "expected a mapping of fields (key: value)"))
        return None
    controls = False
    for where, text_value in _texts(data):
        code = _control(text_value)
        if code is not None:
            controls = True
            top = where.split(".", 1)[0]
            problems.append(Problem(path, lines.get(top), where or None,
                                    f"contains the control character {code}; remove it"))
    if controls:
        return None
    return data, lines


M = TypeVar("M", bound=_Model)


def _validate(
    model: type[M], path: Path, data: dict[str, Any], lines: dict[str, int],
    problems: list[Problem],
) -> M | None:
    try:
        return model.model_validate(data)
    except RecursionError:
        problems.append(Problem(path, None, None, "values are nested too deeply"))
        return None
    except ValidationError as exc:
        for err in exc.errors():
            loc = [str(part) for part in err["loc"]]
            field = ".".join(loc) if loc else None
            line = lines.get(loc[0]) if loc else None
            message = err["msg"]
            if err["type"] == "extra_forbidden":
                known = ", ".join(model.model_fields)
                message = f"unknown field (known fields: {known})"
            elif err["type"] == "missing":
                message = "required field is missing"
            elif err["type"] == "string_pattern_mismatch":
                message = "must be a slug: lowercase letters, digits and single hyphens"
            problems.append(Problem(path, line, field, message))
        return None


def card_files(deck_dir: Path) -> list[str]:
    """The names of a deck's card files, sorted. quizzer/index.py chooses files by the
    same rule.

    A card file is any name ending in .yaml or .yml, in any case, beside deck.yaml;
    names starting with "." are hidden (editor backups, macOS "._" files) and skipped.
    A link is followed; one that is broken or loops is still listed, so that reading it
    reports it.
    """
    found = []
    with os.scandir(deck_dir) as entries:
        for entry in entries:
            name = entry.name
            if (name.lower().endswith(CARD_SUFFIXES) and name != DECK_FILE
                    and not name.startswith(".")):
                found.append(name)
    return sorted(found)


def _name_problem(deck_dir: Path, name: str) -> Problem | None:
    """A file name that could drive the terminal or cannot be shown is refused."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return Problem(deck_dir / name, None, "file name", "is not valid UTF-8; rename it")
    code = _control(name)
    if code is not None:
        return Problem(deck_dir / name, None, "file name",
                       f"contains the control character {code}; rename it")
    return None


def parse_card(path: Path) -> tuple[Card | None, dict[str, int], list[Problem]]:
    """One card file on its own: the card (None if it has problems), the line of each
    top-level key, and its problems. Cross-file checks are the caller's (see the index)."""
    bad_name = _name_problem(path.parent, path.name)
    if bad_name is not None:
        return None, {}, [bad_name]
    problems: list[Problem] = []
    parsed = _parse(path, problems)
    if parsed is None:
        return None, {}, problems
    card = _validate(Card, path, *parsed, problems)
    return card, parsed[1], problems


def parse_meta(deck_file: Path, problems: list[Problem]) -> DeckMeta | None:
    """deck.yaml on its own; its problems are appended to `problems`."""
    parsed = _parse(deck_file, problems)
    return _validate(DeckMeta, deck_file, *parsed, problems) if parsed is not None else None


def load_deck(deck_dir: Path, known_demos: Iterable[str] | None = None) -> Deck:
    """Read and validate every file of a deck directory, raising DeckError listing every
    problem. `known_demos`, when given, is the set of demo names a card may refer to."""
    deck_dir = Path(deck_dir)
    problems: list[Problem] = []
    deck_file = deck_dir / DECK_FILE
    if not deck_dir.is_dir():
        raise QuizzerError(
            f"{deck_dir}: no such deck directory; pass --deck DIR with a folder holding {DECK_FILE}"
        )
    if not deck_file.is_file() and not deck_file.is_symlink():
        raise DeckError(deck_dir, [Problem(
            deck_file, None, None,
            f"missing; a deck folder needs a {DECK_FILE} (see the README's card format)")])
    meta = parse_meta(deck_file, problems)
    loaded: list[tuple[Card, str, dict[str, int]]] = []
    for name in card_files(deck_dir):
        card, lines, found = parse_card(deck_dir / name)
        problems += found
        if card is not None:
            loaded.append((card, name, lines))

    problems.extend(_cross_check(deck_dir, meta, loaded, known_demos))
    cards = [card for card, _, _ in loaded]
    if not cards and not problems:
        problems.append(Problem(deck_dir, None, None, "the deck has no card files"))
    if problems or meta is None:
        raise DeckError(deck_dir, problems)
    return Deck(deck_dir, meta, tuple(sorted(cards, key=lambda c: c.number)))


def _cross_check(
    deck_dir: Path,
    meta: DeckMeta | None,
    loaded: list[tuple[Card, str, dict[str, int]]],
    known_demos: Iterable[str] | None,
) -> list[Problem]:
    problems: list[Problem] = []
    demos = set(known_demos) if known_demos is not None else None
    seen_ids: dict[str, str] = {}
    seen_numbers: dict[int, str] = {}
    for card, name, lines in loaded:
        def problem(field: str, message: str, name: str = name,
                    lines: dict[str, int] = lines) -> Problem:
            return Problem(deck_dir / name, lines.get(field), field, message)

        if card.id in seen_ids:
            other = deck_dir / seen_ids[card.id]
            problems.append(problem("id", f"{card.id!r} is already used by {other}"))
        seen_ids.setdefault(card.id, name)
        if card.number in seen_numbers:
            other = deck_dir / seen_numbers[card.number]
            problems.append(problem("number", f"{card.number} is already used by {other}"))
        seen_numbers.setdefault(card.number, name)
        if meta is not None and card.section not in meta.sections:
            problems.append(problem(
                "section", f"{card.section!r} is not one of the sections in deck.yaml"))
        if demos is not None and card.demo is not None and card.demo not in demos:
            problems.append(problem(
                "demo", f"{card.demo!r} is not a known demo; "
                "see `quizzer demo --all` for the names"))
    return problems
