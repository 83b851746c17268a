"""Which input field is which (agent/ingest/fields.py): the plan a flat record is read by gives
what the general rule gives, and the field rules' fast paths keep their results."""

from __future__ import annotations

import hashlib
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.core.records import abstract_hash, collapse_spaces, nfkc, title_key
from agent.ingest.fields import SYNONYMS, canonical

# Known names spelled as sources spell them, and names no field knows.
_KNOWN = [name for names in SYNONYMS.values() for name in names]
names = st.one_of(
    st.sampled_from(_KNOWN),
    st.sampled_from(_KNOWN).map(lambda n: n.upper().replace(" ", "_")),
    st.sampled_from(_KNOWN).map(lambda n: n.title().replace(" ", "-")),
    st.text(alphabet="abcdeiklmnoprstuy _-", max_size=12),
)
values = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "\t\n", "Text", " Padded "]),
    st.text(max_size=8),
    st.integers(),
    st.booleans(),
    st.lists(st.text(max_size=4), max_size=2),
)
# A --map whose path no record has: it changes nothing, and takes the general rule.
NO_SUCH_PATH = {"no.such.path": "title"}


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(names, values, max_size=10))
def test_a_flat_record_is_read_as_the_general_rule_reads_it(raw: dict[str, object]) -> None:
    assert canonical(raw) == canonical(raw, NO_SUCH_PATH)


def test_names_that_fold_alike_and_empty_values() -> None:
    raw = {"Title": "", "title": "  ", "Document Title": "Real", "Abstract Note": " ", "ab": None}
    got = canonical(raw)
    assert got == canonical(raw, NO_SUCH_PATH)
    assert got == {"title": "Real", "abstract": " "}


_NOT_WORD_RE = re.compile(r"[\W_]+")


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=" .,:-_!?'aBc09\t\u00e9\u0301\uff21")))
def test_title_key_is_the_regex_rule(title: str) -> None:
    folded = nfkc(title).casefold()
    normalized = _NOT_WORD_RE.sub("", folded) or collapse_spaces(folded)
    assert title_key(title) == hashlib.sha1(normalized.encode("utf-8")).hexdigest()[:16]


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=" \t\n\r\x0b\x1c\x1fab.\u00a0\u2003\ufb01")))
def test_abstract_hash_is_the_split_and_join_rule(abstract: str) -> None:
    normalized = " ".join(nfkc(abstract).split())
    assert abstract_hash(abstract) == hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:16]
