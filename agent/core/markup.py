"""Reading through LaTeX and HTML: a normalized view of an abstract with an offset map back.

Real feeds deliver abstracts as their authors typed them: `$13\\times$`, `9\\%`, `$\\sim$5%`,
`\\textbf{Foo}`, `1^{+1.39}_{-0.59}`, `&amp;`, `<sub>`, full-width `40％`, hard line wraps. The
rules that find claims read the normalized text ("13× ", "9%", "~5%", "Foo", "1^+1.39_-0.59",
"&", "40%"), and every span found there maps back to a span of the *original* abstract, so a
quote stays a verbatim slice of what the paper wrote.

One pass over the text, so the work is linear in its length.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from agent.core.numbers import NUMBER

# A "$" that is a dollar sign, not a math shift: before an amount ("$42", "$3,000", "$0.50")
# that plain words or punctuation follow ("a $42 training cost", "under $0.50/hour"), where
# math would close ("$42$", "$42\\times$"). After a space, a bracket or the start of the text.
DOLLAR_SIGN_RE = (
    rf"(?:(?<=[\s(~])|^)\$(?=(?>{NUMBER})(?![\d$\\^_{{])"
    r"(?:\s+[A-Za-z]{2}|[,;:)/]|\.(?:\s|$)|$))"
)

# LaTeX commands that stand for a character a reader would type.
_SYMBOLS = {
    "times": "×",
    "sim": "~",
    "approx": "≈",
    "simeq": "≈",
    "pm": "±",
    "cdot": "·",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "lt": "<",
    "gt": ">",
    "%": "%",
    "&": "&",
    "_": "_",
    "#": "#",
    "$": "$",
    ",": " ",
    ";": " ",
    "!": "",
    " ": " ",
    "~": "~",
    "mu": "µ",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "lambda": "λ",
    "sigma": "σ",
    "rightarrow": "→",
    "to": "→",
    "ldots": "...",
    "dots": "...",
    "textasciitilde": "~",
    # \( \) \[ \] open and close math like "$" does ("robust \(Q\)-learning")
    "(": "",
    ")": "",
    "[": "",
    "]": "",
}
# Commands whose braced argument is plain text ("\\textbf{Foo}" reads "Foo"); every other
# command is dropped and its braces with it.
_TOKEN_RE = re.compile(
    r"\\(?P<cmd>[A-Za-z]+|[%&_#$,;! ~()\[\]])\s*"  # a command (eats the space after a word command)
    r"|&(?P<ent>[A-Za-z]+|#\d+|#[xX][0-9A-Fa-f]+);"  # an HTML entity
    r"|<(?P<tag>/?[A-Za-z][A-Za-z0-9]*)(?:\s[^<>]{0,200})?/?>"  # an HTML tag
    r"|(?P<quote>``|'')"  # TeX quotes
    r"|(?P<tie>(?<=\d)~(?=[A-Za-z]))"  # TeX's tie between a number and its unit: "+1~ms"
    rf"|(?P<money>{DOLLAR_SIGN_RE})"
    r"|(?P<brace>[{}$])"  # math shifts and groups
    r"|(?P<wide>[\uff01-\uff5e])"  # a full-width form ("40％", "１２"): read as its ASCII twin
    r"|(?P<space>\s+)"
)
_SUPERSCRIPT_TAGS = {"sup": "^", "sub": "_"}
_FULL_WIDTH_OFFSET = 0xFEE0  # U+FF01..U+FF5E are U+0021..U+007E written full width


@dataclass(frozen=True)
class Normalized:
    """`text` is the normalized view; `starts[i]`/`ends[i]` are the original offsets of the
    piece that produced `text[i]`."""

    original: str
    text: str
    starts: list[int]
    ends: list[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of normalized `text[start:end]` (end exclusive)."""
        if start >= end:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]

    def quote(self, start: int, end: int) -> str:
        """The verbatim original text behind normalized `text[start:end]`, with a math shift
        left open by the cut closed ("$13\\times$" rather than "13\\times$")."""
        a, b = self.span(start, end)
        while a < b and self.original[a].isspace():
            a += 1
        while b > a and self.original[b - 1].isspace():
            b -= 1
        piece = self.original[a:b]
        closed = a > 0 and b < len(self.original)
        if closed and "$" not in piece and self.original[a - 1] == self.original[b] == "$":
            return self.original[a - 1 : b + 1]  # "$13\times$" whole
        if piece.count("$") % 2:
            if a > 0 and self.original[a - 1] == "$" and not piece.startswith("$"):
                a -= 1
            elif b < len(self.original) and self.original[b] == "$":
                b += 1
        return self.original[a:b]


def normalize(original: str) -> Normalized:
    """The reading view of `original`: LaTeX symbols and HTML entities as characters, text
    commands and tags unwrapped, braces and math shifts dropped, whitespace runs as one space."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []

    def emit(piece: str, a: int, b: int) -> None:
        out.append(piece)
        starts.extend([a] * len(piece))
        ends.extend([b] * len(piece))

    pos = 0
    for match in _TOKEN_RE.finditer(original):
        a, b = match.span()
        if a > pos:  # plain text between tokens: copied in one go
            out.append(original[pos:a])
            starts.extend(range(pos, a))
            ends.extend(range(pos + 1, a + 1))
        pos = b
        if cmd := match.group("cmd"):
            symbol = _SYMBOLS.get(cmd, "")
            # TeX eats the space after a control word; a reader still sees a word break (and
            # after a closing math delimiter, which stands for no character).
            spaced = (symbol and symbol != " ") or cmd in ")]"
            eaten = spaced and match.group(0)[-1:].isspace()
            emit(symbol + (" " if eaten else ""), a, b)
        elif ent := match.group("ent"):
            decoded = html.unescape(f"&{ent};")
            emit(" " if decoded == "\xa0" else decoded, a, b)
        elif tag := match.group("tag"):
            name = tag.lstrip("/").lower()
            if not tag.startswith("/") and name in _SUPERSCRIPT_TAGS:
                emit(_SUPERSCRIPT_TAGS[name], a, b)
            elif name in {"br", "p", "div", "li"}:
                emit(" ", a, b)
        elif match.group("quote"):
            emit('"', a, b)
        elif match.group("tie"):
            emit(" ", a, b)
        elif match.group("money"):
            emit("$", a, b)
        elif wide := match.group("wide"):
            emit(chr(ord(wide) - _FULL_WIDTH_OFFSET), a, b)
        elif match.group("space") and out and not out[-1].endswith(" "):
            emit(" ", a, b)
        # braces and "$" emit nothing
    out.append(original[pos:])
    starts.extend(range(pos, len(original)))
    ends.extend(range(pos + 1, len(original) + 1))
    return Normalized(original, "".join(out), starts, ends)


@lru_cache(maxsize=256)
def plain_text(original: str) -> str:
    """`original` read as plain text (no LaTeX, no HTML), for labels and takeaways."""
    return normalize(original).text.strip()
