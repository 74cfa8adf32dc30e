"""The exported script in the page's language: its comments, docstrings and messages.

The script bodies (``engine/export/<lab>.py``) are written in English. For another
language a catalog, ``engine/export/<lang>/<lab>.json`` (with ``common.json`` for text
that several bodies share), maps each piece of English text of a body to its
translation, and :func:`translate` swaps them in after the body is read, so the code
itself is never touched: the translated script runs the same statements on the same
numbers. A piece of text is

- a comment: a block of full-line comments at one indentation, or one trailing
  comment; its key is its words joined by single spaces (a section rule
  ``# -- title ----`` is keyed by its title, and keeps its width);
- a docstring paragraph (lines between blank lines): keyed the same way;
- a message: the string (or f-string) a ``raise`` gives, keyed by its source text
  (spaces as above), translated into source text.

Keys ignore line breaks and runs of spaces, so rewrapping English text keeps its
translation; changing its words leaves it in English until the catalog has it
(:func:`missing` lists what is, and the tests fail on it). A translation is a string
or a list of lines, laid out as written at the text's indentation. Text without an
English word (a formula) needs no entry; a catalog entry equal to its key keeps a
piece as it is on purpose.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).parent
LANGS = ("en", "zh")
DIRECTIVE = re.compile(r"(paste|fmt|type):|noqa\b")  # tool comments stay as they are
RULE = re.compile(r"-- (.*?) -+$")  # a section rule: "-- title -------"
WORD = re.compile(r"[A-Za-z]{3,}")


@dataclass(frozen=True)
class Piece:
    """One piece of text in a source: where it is and how to write its translation."""

    kind: str  # "comment", "doc" or "message"
    key: str
    start: int  # offsets in the source of the text it replaces
    end: int
    indent: str  # for the lines after the first
    first: str = ""  # before the first line
    prefix: str = ""  # before every line (a comment's "# ")
    rule: int = 0  # a section rule's width, else 0

    def render(self, text: str | list[str]) -> str:
        lines = text if isinstance(text, list) else text.split("\n")
        if self.kind == "message":
            return "\n".join(lines)
        if self.rule:
            title = f"-- {lines[0]} "
            lines = [title + "-" * max(3, self.rule - width(title))]
        starts = [self.first, *[self.indent] * (len(lines) - 1)]
        out = [f"{s}{self.prefix}{line}" for s, line in zip(starts, lines, strict=True)]
        return "\n".join(line.rstrip() for line in out)


def width(text: str) -> int:
    """Columns ``text`` takes in a monospace font (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def words(text: str) -> str:
    return " ".join(text.split())


def english(key: str) -> bool:
    """Whether a piece has words to translate (a bare formula has none)."""
    return bool(WORD.search(key))


def pieces(source: str) -> list[Piece]:
    """Every comment, docstring paragraph and ``raise`` message of ``source``, in order."""
    found = [*_comments(source), *_docs(source), *_messages(source)]
    return sorted((p for p in found if english(p.key)), key=lambda p: p.start)


@cache
def catalog(lang: str, lab_id: str) -> dict[str, str | list[str]]:
    """The ``lang`` catalog of a lab's script body: ``common.json`` (text that several
    bodies share) and ``<lab id>.json``. Empty for English."""
    entries: dict[str, str | list[str]] = {}
    for name in ("common", lab_id) if lang != "en" else ():
        path = HERE / lang / f"{name}.json"
        if path.exists():
            entries |= json.loads(path.read_text(encoding="utf-8"))
    return {words(k): v for k, v in entries.items()}


def translate(source: str, lang: str, lab_id: str) -> str:
    """``source`` with every piece its catalog has in ``lang`` translated."""
    table = catalog(lang, lab_id)
    if not table:
        return source
    out = source
    for piece in reversed(pieces(source)):
        text = table.get(piece.key)
        if text is not None:
            out = out[: piece.start] + piece.render(text) + out[piece.end :]
    return out


def missing(source: str, lang: str, lab_id: str) -> list[str]:
    """The pieces of ``source`` that the ``lang`` catalog of the lab does not translate."""
    table = catalog(lang, lab_id)
    return [p.key for p in pieces(source) if p.key not in table]


def _lines(source: str) -> tuple[list[str], list[int]]:
    """The lines of ``source`` as ``tokenize`` and ``ast`` count them, and their offsets."""
    lines = source.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    return lines, starts


def _comments(source: str) -> list[Piece]:
    lines, at = _lines(source)
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    found = [t for t in tokens if t.type == tokenize.COMMENT]
    out: list[Piece] = []
    block: list[tokenize.TokenInfo] = []

    def close() -> None:
        if block:
            (row, col), end = block[0].start, block[-1].end
            text = words(" ".join(t.string.lstrip("#") for t in block))
            rule = RULE.match(text) if len(block) == 1 else None
            indent = lines[row - 1][:col]
            start, stop = at[row - 1] + col, at[end[0] - 1] + end[1]
            key = rule.group(1) if rule else text
            span = width(block[0].string) - 2 if rule else 0  # less the "# "
            out.append(Piece("comment", key, start, stop, indent, prefix="# ", rule=span))
            block.clear()

    for t in found:
        (row, col), text = t.start, t.string.lstrip("#").strip()
        whole_line = not lines[row - 1][:col].strip()
        follows = block and whole_line and block[-1].start == (row - 1, col)
        if not follows or RULE.match(text) or (block and RULE.match(block[-1].string[2:])):
            close()  # a section rule is a piece of its own
        if DIRECTIVE.match(text):
            continue
        block.append(t)
        if not whole_line:
            close()  # a trailing comment is a piece of its own
    close()
    return out


def _char(lines: list[str], row: int, byte_col: int) -> int:
    """The character column of ``ast``'s UTF-8 byte column on line ``row``."""
    return len(lines[row - 1].encode()[:byte_col].decode())


def _docs(source: str) -> list[Piece]:
    lines, at = _lines(source)
    out: list[Piece] = []
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, kinds) or not node.body:
            continue
        doc = node.body[0]
        if not (isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)):
            continue
        if not isinstance(doc.value.value, str):
            continue
        row, col = doc.lineno, _char(lines, doc.lineno, doc.col_offset)
        quote = lines[row - 1][col:][:3]
        if quote not in ('"""', "'''"):
            continue
        end_row = doc.end_lineno or row
        end_col = _char(lines, end_row, doc.end_col_offset or 0) - 3
        out += _paragraphs(lines, at, row, col + 3, end_row, end_col, lines[row - 1][:col])
    return out


def _paragraphs(
    lines: list[str], at: list[int], row: int, col: int, end_row: int, end_col: int, indent: str
) -> list[Piece]:
    """The paragraphs of the text from (row, col) to (end_row, end_col): docstring content."""
    out: list[Piece] = []
    spans: list[tuple[int, int, int]] = []  # (row, start col, end col) of each text line
    for r in range(row, end_row + 1):
        start = col if r == row else 0
        stop = end_col if r == end_row else len(lines[r - 1])
        spans.append((r, start, stop))
    group: list[tuple[int, int, int]] = []
    for span in [*spans, (0, 0, 0)]:
        r, start, stop = span
        if r and lines[r - 1][start:stop].strip():
            group.append(span)
            continue
        if group:
            (r0, c0, _), (r1, _, c1) = group[0], group[-1]
            text = lines[r0 - 1][c0:]
            head = len(text) - len(text.lstrip())
            key = words(" ".join(lines[g - 1][s:e] for g, s, e in group))
            first = "" if (r0, c0) == (row, col) else lines[r0 - 1][c0 : c0 + head]
            lead = first if first else indent
            out.append(Piece("doc", key, at[r0 - 1] + c0, at[r1 - 1] + c1, lead, first=first))
            group = []
    return out


def _messages(source: str) -> list[Piece]:
    lines, at = _lines(source)
    out: list[Piece] = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args):
            continue
        arg = node.exc.args[0]
        if not isinstance(arg, ast.Constant | ast.JoinedStr) or arg.end_lineno != arg.lineno:
            continue
        start = at[arg.lineno - 1] + _char(lines, arg.lineno, arg.col_offset)
        stop = at[arg.lineno - 1] + _char(lines, arg.lineno, arg.end_col_offset or 0)
        out.append(Piece("message", words(source[start:stop]), start, stop, ""))
    return out
