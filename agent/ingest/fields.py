"""Which input field is which: one small rule for every JSON, JSONL, CSV and BibTeX source.

The rule, in order, for each field paperskim wants (title, abstract, id, url, authors, ...):
1. a `--map NAME=FIELD` the user gave (NAME may be a dotted path, e.g. `paper.summary`);
2. else the first of the field's known names (`SYNONYMS`) present at the top level;
3. else the same names inside an object one level down (`paper.summary` in Hugging Face's
   daily papers, `metadata.title`, ...).
Names compare without regard to case, spaces, `_` and `-`, so "Abstract Note" (Zotero),
"abstract_note" and "abstractNote" are one name. Empty values count as absent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from agent.ingest.opening import IngestError

# Known names per field, most specific first. Reference managers: Zotero ("Abstract Note",
# "Key"), Mendeley/EndNote ("Abstract", "Authors"), Scopus ("EID", "Link"), IEEE Xplore
# ("Document Title", "PDF Link"), Web of Science ("TI", "AB", "AU", "DI", "PY", "UT"), Springer
# ("Item Title", "Item DOI"), OpenAlex/Semantic Scholar ("abstract", "paperId").
SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("title", "document title", "item title", "article title", "paper title", "ti"),
    "abstract": ("abstract", "summary", "abstract note", "abstract text", "description", "ab"),
    "arxiv_id": ("arxiv_id", "arxiv id", "arxiv"),
    "id": (
        "id", "paper id", "paperid", "doi", "item doi", "di", "eid", "ut", "key", "identifier",
        "accession number", "uid", "entry id",
    ),
    "url": ("url", "link", "abs url", "pdf link", "pdf url", "pdf_url", "html url"),
    "authors": ("authors", "author", "au", "creators", "author names", "author full names"),
    "authors_parsed": ("authors_parsed",),
    "published": (
        "published", "published at", "publication date", "date", "submitted",
        "submittedondailyat", "created", "year", "publication year", "py",
    ),
    "versions": ("versions",),
    "update_date": ("update_date",),
    "categories": ("categories", "category", "subjects", "primary category"),
    "announce_type": ("announce_type",),
}  # fmt: skip
FIELDS = tuple(SYNONYMS)


_SEPARATORS_RE = re.compile(r"[\s_\-]+")


@lru_cache(maxsize=4096)  # a file's records repeat the same few names
def fold(name: str) -> str:
    """'Abstract Note' / 'abstract_note' / 'abstractNote' → 'abstractnote'."""
    return _SEPARATORS_RE.sub("", name).casefold()


_FOLDED = {field: tuple(fold(n) for n in names) for field, names in SYNONYMS.items()}
# Each known name → (its field, its place in the field's list): a record's names are looked
# up here, which is the rule above without trying every synonym of every field.
_KNOWN: dict[str, tuple[str, int]] = {}
for _field, _names in _FOLDED.items():
    for _rank, _name in enumerate(_names):
        _KNOWN.setdefault(_name, (_field, _rank))


def parse_map(pairs: list[str] | None) -> dict[str, str]:
    """`["Abstract Note=abstract", "paper.summary=abstract"]` → {folded path: field}."""
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, field = pair.partition("=")
        field = field.strip().lower()
        if not sep or not name.strip() or field not in SYNONYMS:
            raise IngestError(
                f"--map {pair!r}: write COLUMN=FIELD, FIELD one of: {', '.join(FIELDS)}"
            )
        mapping[".".join(fold(part) for part in name.strip().split("."))] = field
    return mapping


_NOT_MAPPINGS = frozenset({str, list, int, float, bool, type(None)})


def _present(value: object) -> bool:
    # isspace, not strip: no copy of a long abstract to find it is not blank.
    return value is not None and not (isinstance(value, str) and (not value or value.isspace()))


def canonical(
    raw: Mapping[str, object], mapping: Mapping[str, str] | None = None
) -> dict[str, object]:
    """The record's fields under paperskim's names, found by the rule in the module docstring."""
    # No --map and no object inside (every record of a snapshot): rules 1 and 3 have nothing
    # to look at, and rule 2 is a plan made once for the record's names. The set test reads
    # each value's type in C; a type outside it is looked at by the general rule below.
    if not mapping and _NOT_MAPPINGS.issuperset(map(type, raw.values())):
        return _flat(raw, _plan(tuple(raw)))
    top = {fold(str(k)): v for k, v in raw.items()}
    nested: dict[str, object] = {}
    for key, value in top.items():
        # type() first: the ABC check costs more than the rest of a JSON record's lookup.
        if type(value) not in _NOT_MAPPINGS and isinstance(value, Mapping):
            for inner, inner_value in value.items():
                nested.setdefault(fold(str(inner)), inner_value)
                nested.setdefault(f"{key}.{fold(str(inner))}", inner_value)
    out: dict[str, object] = {}
    for path, field in (mapping or {}).items():
        value = top.get(path, nested.get(path))
        if _present(value):
            out.setdefault(field, value)
    present, given = _first_known(top)
    for field, value in present.items():
        out.setdefault(field, value)
    if nested:
        for field, value in _first_known(nested)[0].items():
            out.setdefault(field, value)
    for field, value in given.items():  # only empty values: say "empty", not "missing"
        out.setdefault(field, value)
    return out


def _first_known(level: Mapping[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    """Per field, the value of its first name (in SYNONYMS order) that `level` has: among the
    present (non-empty) values, and among all that are not None."""
    present: dict[str, tuple[int, object]] = {}
    given: dict[str, tuple[int, object]] = {}
    for name, value in level.items():
        known = _KNOWN.get(name)
        if known is None or value is None:
            continue
        field, rank = known
        if field not in given or rank < given[field][0]:
            given[field] = (rank, value)
        if _present(value) and (field not in present or rank < present[field][0]):
            present[field] = (rank, value)
    return {f: v for f, (_, v) in present.items()}, {f: v for f, (_, v) in given.items()}


@lru_cache(maxsize=256)  # a file's records have the same few sets of names
def _plan(names: tuple[object, ...]) -> tuple[tuple[str, tuple[object, ...]], ...]:
    """Per field that some of `names` are known for, those names best first (SYNONYMS
    order); of names that fold alike the last counts, as in a dict of the folded names."""
    folded = {fold(str(name)): name for name in names}
    ranked: dict[str, list[tuple[int, object]]] = {}
    for name, original in folded.items():
        if (known := _KNOWN.get(name)) is not None:
            ranked.setdefault(known[0], []).append((known[1], original))
    return tuple(
        (field, tuple(original for _, original in sorted(found, key=lambda f: f[0])))
        for field, found in ranked.items()
    )


def _flat(
    raw: Mapping[str, object], plan: tuple[tuple[str, tuple[object, ...]], ...]
) -> dict[str, object]:
    """`canonical` of a record without nested objects or a mapping: per field, its best
    present value, else its best empty one (so it says "empty", not "missing")."""
    out: dict[str, object] = {}
    for field, names in plan:
        empty: object = None
        for name in names:
            value = raw[name]  # type: ignore[index]
            if value is None:
                continue
            if _present(value):
                out[field] = value
                break
            if empty is None:
                empty = value
        else:
            if empty is not None:
                out[field] = empty
    return out


def has_field(names: list[str], field: str, mapping: Mapping[str, str] | None = None) -> bool:
    """Whether a header (CSV columns) provides `field`, by the same rule."""
    folded = {fold(n) for n in names}
    if any(target == field and path in folded for path, target in (mapping or {}).items()):
        return True
    return bool(folded & set(_FOLDED[field]))
