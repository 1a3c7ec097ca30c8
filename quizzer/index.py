"""The deck index: the database's copy of a deck folder, kept in step with its files.

Rule 1: the YAML files are the source of truth. The index (tables deck_folder and
deck_index) is a cache: deleting it, or any row of it, only costs a re-read.
Rule 2: a command stats every card file, in one os.scandir pass, unless the folder's
watcher (quizzer/watch.py) can name the files changed since the last command; any doubt
about the watcher means the scan. A file is read again
when its size, mtime, ctime or inode differ from the index, or when it was changed less
than RACY_NS before it was indexed (a later write in the same timestamp tick could keep
all four): then its content hash decides, as git does for "racily clean" files. Digests
of the whole folder, then of buckets of files, narrow the comparison to what changed.
Rule 3: `plan` (which files to read) is pure; SQL stays in indexdb.py (run by the Store
or on a bare connection); pydantic and YAML are imported only when a file has to be
parsed, so an unchanged deck costs a scan, or with a watcher one question to it.
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import json
import os
import stat
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from quizzer import watch
from quizzer.errors import QuizzerError

if TYPE_CHECKING:
    from quizzer.cards import Card, Deck, Problem
    from quizzer.indexdb import IndexDB, IndexHead, IndexRow, Suspects
    from quizzer.store import Store

    # Where the index lives: the Store, or a bare sqlite3 connection (quizzer/quick.py).
    Db = Store | IndexDB

DECK_FILE = "deck.yaml"
CARD_SUFFIXES = (".yaml", ".yml")  # as quizzer.cards (not imported: it loads pydantic)
# Bump when what the index stores changes: every folder is then read again.
INDEX_FORMAT = 1
# Filesystems keep timestamps in ticks (ext4 a few ms, FAT and some network mounts 2 s):
# a file changed within this long before its indexing is checked by content next time.
RACY_NS = 2_000_000_000

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Scan:
    """One pass over a deck folder: each card file's stat signature, deck.yaml's, and a
    digest of them all (with the index format and the known demos)."""

    names: list[str]
    numbers: array.array[int]  # size, mtime_ns, ctime_ns, inode per name
    deck_sig: str
    digest: str
    started_ns: int
    links: int = 0  # card files (or deck.yaml) that are symbolic or hard links

    def sig(self, i: int) -> str:
        n = self.numbers
        return f"{n[4 * i]}:{n[4 * i + 1]}:{n[4 * i + 2]}:{n[4 * i + 3]}"

    def changed_ns(self, i: int) -> int:
        """The later of the file's mtime and ctime."""
        return max(self.numbers[4 * i + 1], self.numbers[4 * i + 2])


def scan(deck_dir: Path, demos: Iterable[str] | None) -> Scan:
    """Stat every card file (*.yaml or *.yml in any case, but deck.yaml, not hidden), as
    the loader chooses them (cards.card_files); a file that is not a regular one, or a
    link that is broken, is listed too, so that reading it reports it."""
    started = time.time_ns()
    names: list[str] = []
    numbers: array.array[int] = array.array("q")
    add = numbers.extend
    deck_sig = ""
    links = 0
    use_fd = os.stat in os.supports_dir_fd
    try:
        fd = os.open(deck_dir, os.O_RDONLY) if use_fd else None
        with os.scandir(deck_dir) as entries:
            for entry in entries:
                name = entry.name
                if not name.lower().endswith(CARD_SUFFIXES) or name.startswith("."):
                    continue
                links += entry.is_symlink()
                try:
                    st = os.stat(name, dir_fd=fd) if fd is not None else entry.stat()
                except OSError:
                    if name != DECK_FILE:  # a broken or looping link: reading reports it
                        names.append(name)
                        add((-1, -1, -1, -1))
                    continue
                # A hard link can be written through a path the folder's watcher never
                # sees, as a symbolic link's target can.
                links += st.st_nlink > 1 and not stat.S_ISDIR(st.st_mode)
                if name == DECK_FILE and stat.S_ISREG(st.st_mode):
                    deck_sig = f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"
                    continue
                names.append(name)
                add((st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
        if fd is not None:
            os.close(fd)
    except OSError as exc:
        raise QuizzerError(f"{deck_dir}: cannot read the deck folder ({exc.strerror})") from None
    h = hashlib.blake2b(f"{INDEX_FORMAT}\0{deck_sig}\0".encode(), digest_size=20)
    h.update(json.dumps(sorted(demos) if demos is not None else None).encode())
    h.update("\0".join(names).encode("utf-8", "surrogateescape"))
    h.update(numbers.tobytes())
    return Scan(names, numbers, deck_sig, h.hexdigest(), started, links)


@dataclass(frozen=True)
class Plan:
    """What a sync must do: files to parse, files whose content must be compared with
    their stored hash (racy), and index entries whose file is gone."""

    parse: list[int] = field(default_factory=list)
    verify: list[int] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


BUCKETS = 256


def bucket_of(name: str) -> int:
    """The bucket of a file name: files are grouped so that a sync compares, one by one,
    only the files of buckets whose digest changed."""
    return zlib.crc32(name.encode("utf-8", "surrogateescape")) % BUCKETS


def bucket_digests(current: Scan) -> tuple[list[str], list[int]]:
    """Per bucket, a digest of its files' names and signatures (in name order, so it does
    not depend on the order the directory lists them); and each file's bucket."""
    names, numbers = current.names, current.numbers
    of = [bucket_of(name) for name in names]
    members: list[list[int]] = [[] for _ in range(BUCKETS)]
    for i, b in enumerate(of):
        members[b].append(i)
    digests = []
    for m in members:
        m.sort(key=names.__getitem__)
        sigs: array.array[int] = array.array("q")
        for i in m:
            sigs.extend(numbers[4 * i:4 * i + 4])
        h = hashlib.blake2b("\0".join([names[i] for i in m]).encode("utf-8", "surrogateescape"),
                            digest_size=8)
        h.update(sigs.tobytes())
        digests.append(h.hexdigest())
    return digests, of


def plan(
    current: Scan, indexed: Mapping[str, tuple[str, str]], racy: Mapping[str, str],
    only: Iterable[int] | None = None,
) -> Plan:
    """Compare a scan with the index's signatures: every file, or the files at the scan
    positions `only` (when `indexed` holds just their buckets). Pure."""
    out = Plan()
    seen = set()
    for i in range(len(current.names)) if only is None else only:
        name = current.names[i]
        seen.add(name)
        old = indexed.get(name)
        if old is None or old[0] != current.sig(i):
            out.parse.append(i)
        elif name in racy:
            out.verify.append(i)
    out.deleted.extend(name for name in indexed if name not in seen)
    return out


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


class Listed(NamedTuple):
    """A card as statistics see it: where it stands in the deck, none of its text."""

    id: str
    number: int
    section: str
    demo: str | None


@dataclass(frozen=True)
class IndexedDeck:
    """A deck folder whose index is up to date: what commands query instead of a Deck."""

    path: Path
    key: str  # the folder's key in the index: its resolved path
    id: str
    meta_json: str
    demos: tuple[str, ...] | None

    def bare(self, store: Db) -> Deck:
        """The deck's metadata, with no cards."""
        return self._deck(store, list)

    def listed(self, store: Db) -> list[Listed]:
        """Every card's id, number, section and demo, in number order (no card decoded)."""
        return [Listed(*row) for row in store.index_listed(self.key)]

    def load(self, store: Db) -> Deck:
        """Every card, from the index (no YAML is read)."""
        return self._deck(store, lambda: store.index_all_cards(self.key))

    def subset(self, store: Db, card_ids: list[str]) -> Deck:
        """A Deck holding only the given cards, for a command that shows just those."""
        return self._deck(store, lambda: store.index_cards(self.key, card_ids))

    def find(self, store: Db, ref: str) -> Card:
        """A card by number or id, as Deck.find, by one indexed query."""
        ref = ref.strip()
        deck = self._deck(store, lambda: [r for r in [store.index_find(self.key, ref)] if r])
        if not deck.cards:
            raise QuizzerError(
                f"no card {ref!r} in deck {self.id!r} ({self.path}); "
                "give a card number or id from `quizzer cards`"
            )
        return deck.cards[0]

    def _deck(self, store: Db, rows: Callable[[], list[str]]) -> Deck:
        """Decode stored cards; an index that does not decode (damaged, or written by
        another version) is dropped and rebuilt from the files, then read again."""
        from quizzer.cards import Card, Deck, DeckMeta

        try:
            return Deck(self.path, DeckMeta.model_validate_json(self.meta_json),
                        tuple(Card.model_validate_json(r) for r in rows()))
        except ValueError:
            store.index_forget(self.key)
            fresh = open_deck(self.path, store, self.demos)
            return Deck(self.path, DeckMeta.model_validate_json(fresh.meta_json),
                        tuple(Card.model_validate_json(r) for r in rows()))


def open_deck(
    deck_dir: Path, store: Db, known_demos: Iterable[str] | None = None,
    progress: Callable[[], Any] | None = None,
) -> IndexedDeck:
    """Bring the folder's index up to date and return it; a deck with problems raises
    DeckError with every problem, exactly as loading it would."""
    deck_dir = Path(deck_dir)
    if not deck_dir.is_dir():
        raise QuizzerError(
            f"{deck_dir}: no such deck directory; pass --deck DIR with a folder holding {DECK_FILE}"
        )
    deck_file = deck_dir / DECK_FILE
    if not deck_file.is_file() and not deck_file.is_symlink():
        from quizzer.cards import DeckError, Problem

        raise DeckError(deck_dir, [Problem(
            deck_file, None, None,
            f"missing; a deck folder needs a {DECK_FILE} (see the README's card format)")])
    key = str(deck_dir.resolve())
    demos = sorted(known_demos) if known_demos is not None else None
    watching = watch.available()
    token = None
    if watching:
        head, files = store.index_head(key)
        try:
            found = _watched(deck_dir, key, store, head, files, demos)
        except (ValueError, TypeError, KeyError, AttributeError):
            found = None  # a record that does not decode: the scan below rebuilds it
        if found is not None:
            head, problems = found
            return _opened(deck_dir, key, head, problems, demos)
        if files >= watch.WATCH_MIN_FILES:
            token = watch.start(key)  # before the scan: it must see every later change
    current = scan(deck_dir, demos)
    try:
        head, problems = _fresh_head(deck_dir, key, store, current, demos, progress)
    except (ValueError, TypeError, KeyError, AttributeError):
        # Something stored does not decode: the index is a cache, so start it again.
        store.index_forget(key)
        head, problems = _fresh_head(deck_dir, key, store, current, demos, progress)
    if token is not None and not current.links:
        _remember(store, key, head, token, demos)
    return _opened(deck_dir, key, head, problems, demos)


def _opened(deck_dir: Path, key: str, head: IndexHead, problems: list[Problem],
            demos: list[str] | None) -> IndexedDeck:
    if problems or head.deck_id is None or head.meta is None:
        from quizzer.cards import DeckError

        raise DeckError(deck_dir, problems)
    return IndexedDeck(deck_dir, key, head.deck_id, head.meta,
                       tuple(demos) if demos is not None else None)


def _fresh_head(
    deck_dir: Path, key: str, store: Db, current: Scan, demos: list[str] | None,
    progress: Callable[[], Any] | None,
) -> tuple[IndexHead, list[Problem]]:
    head, files = store.index_head(key)
    if (head is None or head.digest != current.digest or files != len(current.names)
            or not _verified(deck_dir, current, head)):
        head = _sync(deck_dir, key, store, current, head, files, demos, progress)
    elif head.racy != "{}":
        head = _settle(store, key, current, head)
    return head, [_problem(deck_dir, p) for p in json.loads(head.problems)]


def _verified(deck_dir: Path, current: Scan, head: IndexHead) -> bool:
    """Whether the racy files (changed too close to their indexing to trust their
    signature) still hold the content that was indexed."""
    racy: dict[str, str] = json.loads(head.racy)
    for name, digest in dict(racy).items():
        data = _read(deck_dir / name)
        if data is None or content_hash(data) != digest:
            return False
    return True


def _settle(store: Db, key: str, current: Scan, head: IndexHead) -> IndexHead:
    """Forget the racy mark of files that are now old enough for their signature."""
    racy: dict[str, str] = json.loads(head.racy)
    keep = _young(current, racy)
    if keep != racy:
        head = head._replace(racy=json.dumps(keep))
        store.index_set_head(key, head, expect=head.digest)
    return head


def _young(current: Scan, racy: dict[str, str]) -> dict[str, str]:
    """The racy files still too young for their signature to be trusted."""
    if not racy:
        return racy
    where = {name: i for i, name in enumerate(current.names)}
    return {n: h for n, h in racy.items()
            if n in where and current.started_ns - current.changed_ns(where[n]) < RACY_NS}


def _sync(
    deck_dir: Path, key: str, store: Db, current: Scan, head: IndexHead | None,
    files: int, demos: list[str] | None, progress: Callable[[], Any] | None,
) -> IndexHead:
    """Re-read what changed and record it; problems are stored, not raised, so that a
    broken deck stays cheap to report until it is fixed."""
    from quizzer.cards import DeckMeta, parse_meta
    from quizzer.indexdb import IndexHead

    racy_before: dict[str, str] = json.loads(head.racy) if head is not None else {}
    digests, bucket = bucket_digests(current)
    recorded = json.loads(head.buckets) if head is not None and head.buckets else {}
    old = recorded.get("digests")
    # Rows missing from the index (deleted by hand) void the recorded digests.
    if isinstance(old, list) and len(old) == BUCKETS and files == recorded.get("files"):
        # Only the buckets whose digest changed (and those holding racy files) can hold
        # a changed, added or removed file.
        suspect = {b for b in range(BUCKETS) if digests[b] != old[b]}
        suspect |= {bucket_of(name) for name in racy_before}
        indexed = store.index_signatures(key, sorted(suspect))
        only = [i for i, b in enumerate(bucket) if b in suspect]
        todo = plan(current, indexed, racy_before, only)
    else:
        indexed = store.index_signatures(key)
        todo = plan(current, indexed, racy_before)
    changed = list(todo.parse)
    for i in todo.verify:
        data = _read(deck_dir / current.names[i])
        if data is None or content_hash(data) != indexed[current.names[i]][1]:
            changed.append(i)
    racy: dict[str, str] = {
        n: indexed[n][1] for n in racy_before
        if n in indexed and n not in todo.deleted
    }
    rows: list[IndexRow] = []
    with contextlib.ExitStack() as stack:
        report: Progress = (stack.enter_context(progress()) if progress is not None
                            and len(changed) > 500 else lambda done, total, what: None)
        for done, i in enumerate(changed):
            name = current.names[i]
            rows.append(_row(deck_dir, name, current.sig(i)))
            racy[name] = rows[-1].hash
            if done % 1000 == 0:
                report(done, len(changed), "card files")
    racy = _young(current, racy)

    problems_meta: list[Problem] = []
    if head is not None and head.deck_sig == current.deck_sig and head.meta is not None:
        meta_json: str | None = head.meta
        sections: list[str] | None = list(DeckMeta.model_validate_json(head.meta).sections)
    else:
        meta = parse_meta(deck_dir / DECK_FILE, problems_meta)
        meta_json = meta.model_dump_json() if meta is not None else None
        sections = list(meta.sections) if meta is not None else None
    deck_id = json.loads(meta_json)["id"] if meta_json else None
    # Record the files first, then derive the cross-file problems from the whole index.
    # The pending head carries a token: if another command syncs the folder meanwhile,
    # only the last writer of files records its digest, and the next command re-checks.
    token = f"pending:{os.getpid()}:{time.time_ns()}"
    pending = IndexHead(token, current.deck_sig, deck_id, meta_json, "[]", json.dumps(racy),
                        json.dumps({"files": len(current.names), "digests": digests}))
    store.index_write(key, pending, rows, todo.deleted)
    suspects = store.index_suspects(key, sections, demos)
    found = _deck_problems(deck_dir, store, key, suspects,
                           [_stored(deck_dir, p) for p in problems_meta])
    # Kept, so that a sync of named files checks only the values those files touch.
    recorded = json.loads(pending.buckets) | {"suspects": suspects}
    done_head = pending._replace(digest=current.digest, problems=json.dumps(found),
                                 buckets=json.dumps(recorded))
    store.index_set_head(key, done_head, expect=token)
    return done_head


def _row(deck_dir: Path, name: str, sig: str) -> IndexRow:
    """A card file read and parsed, as the index stores it."""
    from quizzer.cards import parse_card
    from quizzer.indexdb import IndexRow

    path = deck_dir / name
    digest = content_hash(_read(path) or b"")
    card, lines, problems = parse_card(path)
    return IndexRow(
        name, bucket_of(name), sig, digest,
        card.id if card else None, card.number if card else None,
        card.section if card else None, card.demo if card else None,
        card.question if card else None,
        card.model_dump_json() if card else None, json.dumps(lines),
        json.dumps([_stored(deck_dir, p) for p in problems]) if problems else None,
    )


# -- with a watcher (quizzer/watch.py): only the files it names are looked at ------------

# The digest a head gets from a sync of named files: no scan has this digest, so the next
# scan compares bucket by bucket (the recorded bucket digests are then out of date, which
# only makes it compare more files, never fewer).
WATCHED = "watched"
WATCH_MAX_NAMES = 500  # more changed files than this: a scan is as cheap


def _context(demos: list[str] | None) -> str:
    """What a watcher's token is valid with: the index format and the known demos."""
    text = json.dumps([INDEX_FORMAT, demos])
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _remember(store: Db, key: str, head: IndexHead, token: watch.Token,
              demos: list[str] | None) -> None:
    """Record a watcher's token, taken before the scan that made `head`, so that the next
    command asks the watcher what changed since."""
    _advance(store, key, head, token, context=_context(demos))


def _watched(
    deck_dir: Path, key: str, store: Db, head: IndexHead | None, files: int,
    demos: list[str] | None,
) -> tuple[IndexHead, list[Problem]] | None:
    """The head brought up to date by what the folder's watcher reports; None when there
    is no watcher to trust (then every file is scanned)."""
    if head is None or files < watch.WATCH_MIN_FILES or not head.buckets:
        return None
    recorded = json.loads(head.buckets)
    token = watch.Token.parse(recorded.get("watch"))
    if token is None or recorded.get("context") != _context(demos):
        return None
    answer = watch.ask(key, token)
    if answer is None or answer.changed is None:
        return None
    names = sorted({n for n in answer.changed if is_card_name(n)})
    if DECK_FILE in names or len(names) > WATCH_MAX_NAMES:
        return None
    if names:
        synced = _sync_names(deck_dir, key, store, head, names, demos, answer)
        if synced is None:
            return None
        head = synced
    elif answer.now != token:  # only other files changed (an editor's swap file)
        head = _advance(store, key, head, answer.now)
    return head, [_problem(deck_dir, p) for p in json.loads(head.problems)]


def is_card_name(name: str) -> bool:
    """A name the scan looks at: a card file, or deck.yaml."""
    return name.lower().endswith(CARD_SUFFIXES) and not name.startswith(".")


def _advance(store: Db, key: str, head: IndexHead, now: watch.Token,
             **more: str) -> IndexHead:
    """The head with the watcher's token `now` (and `more` recorded beside it), unless
    another command changed the head meanwhile."""
    recorded = (json.loads(head.buckets) if head.buckets else {}) | {"watch": now.text(), **more}
    moved = head._replace(buckets=json.dumps(recorded))
    return moved if store.index_set_head(key, moved, expect=head.digest) else head


def file_report(deck_dir: Path, name: str) -> IndexRow | str | None:
    """A named file as a sync needs it: its index row, None if it is gone, or "link" for
    a symbolic or hard link (written through a path no watcher of this folder sees)."""
    try:
        st = os.lstat(deck_dir / name)
    except FileNotFoundError:
        return None
    except OSError:
        return "link"  # unreadable: let the scan report it
    if stat.S_ISLNK(st.st_mode) or (st.st_nlink > 1 and not stat.S_ISDIR(st.st_mode)):
        return "link"
    return _row(deck_dir, name, f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}")


def _sync_names(
    deck_dir: Path, key: str, store: Db, head: IndexHead, names: list[str],
    demos: list[str] | None, answer: watch.Answer,
) -> IndexHead | None:
    """Record the named files as they are now: as the watcher read them (it parses them
    as soon as it is asked), or read here. None if one is a link: the scan decides."""
    reports = answer.rows if answer.rows is not None else {
        name: file_report(deck_dir, name) for name in names}
    indexed = store.index_signatures_named(key, names)
    rows: list[IndexRow] = []
    deleted: list[str] = []
    for name in names:
        report = reports.get(name, "link")
        old = indexed.get(name)
        if isinstance(report, str):  # a link
            return None
        if report is None:
            if old is not None:
                deleted.append(name)
        elif old is None or (old[0], old[1]) != (report.sig, report.hash):
            rows.append(report)
    if not rows and not deleted:
        return _advance(store, key, head, answer.now)
    recorded = json.loads(head.buckets) | {"watch": answer.now.text()}
    pending = head._replace(digest=f"pending:{os.getpid()}:{time.time_ns()}",
                            buckets=json.dumps(recorded))
    store.index_write(key, pending, rows, deleted)
    # Only the values these files held or hold can have become, or stopped being, the
    # cause of a cross-file problem.
    sections = json.loads(head.meta)["sections"] if head.meta else None
    from quizzer.indexdb import Suspects

    candidates = Suspects.of([old[2] for old in indexed.values()] + [
        Suspects.held(r.card_id, r.number, r.section, r.demo) for r in rows])
    before = recorded.get("suspects")
    if isinstance(before, list) and len(before) == len(Suspects._fields):
        suspects = Suspects(*before).replaced(
            candidates, store.index_suspects(key, sections, demos, only=candidates))
    else:
        suspects = store.index_suspects(key, sections, demos)
    found = _deck_problems(deck_dir, store, key, suspects,
                           [p for p in json.loads(head.problems) if p[0] == DECK_FILE])
    done = pending._replace(digest=WATCHED, problems=json.dumps(found),
                            buckets=json.dumps(recorded | {"suspects": suspects}))
    store.index_set_head(key, done, expect=pending.digest)
    return done


def _deck_problems(
    deck_dir: Path, store: Db, key: str, suspects: Suspects, meta: list[list[Any]],
) -> list[list[Any]]:
    """deck.yaml's problems (`meta`, as stored), every file's own, then the cross-file
    ones, in the loader's order; a deck without a card file is a problem too."""
    found: list[tuple[int, str, int, list[Any]]] = []
    for name, stored in store.index_file_problems(key):
        found += [(0, name, 0, p) for p in json.loads(stored)]
    order = {"id": 1, "number": 2, "section": 3, "demo": 4}
    conflicts = store.index_conflicts(key, suspects)
    for name, fld, value, owner, lines_json in conflicts:
        line = json.loads(lines_json).get(fld)
        if fld == "id" or fld == "number":
            shown = repr(value) if fld == "id" else value
            message = f"{shown} is already used by {deck_dir / str(owner)}"
        elif fld == "section":
            message = f"{value!r} is not one of the sections in deck.yaml"
        else:
            message = f"{value!r} is not a known demo; see `quizzer demo --all` for the names"
        found.append((1, name, order[fld], [name, line, fld, message]))
    found.sort(key=lambda f: f[:3])  # each file's own problems first, as the loader does
    out = [*meta, *(f[3] for f in found)]
    if not out and store.index_count(key) == 0:
        out.append(["", None, None, "the deck has no card files"])
    return out


def _stored(deck_dir: Path, p: Problem) -> list[Any]:
    """A problem as JSON, its file relative to the deck folder so a moved folder works."""
    name = "" if p.file == deck_dir else p.file.name if p.file.parent == deck_dir else str(p.file)
    return [name, p.line, p.field, p.message]


def _problem(deck_dir: Path, stored: list[Any]) -> Problem:
    from quizzer.cards import Problem

    name, line, fld, message = stored
    return Problem(deck_dir / name if name else deck_dir, line, fld, str(message))
