"""The exported script in the page's language (issue 13, item 6).

A zh page exports a script whose comments, docstrings and messages are Chinese and
whose code is the English one's, statement for statement. The oracle for "the same
code" is the syntax tree with the translated text taken out; for "the same numbers",
both scripts are run in fresh interpreters from every lesson's start. The catalog
check fails on any piece of English a body gains without a translation, naming it.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from engine.export import HERE, body_source, python_script
from engine.export.lang import catalog, missing, pieces, translate, width, words
from engine.lab import Lab
from engine.labs import registry
from tests.engine.export_checks import run_script

LABS = sorted(registry())
CJK = re.compile(r"[\u4e00-\u9fff]")
STEPS = {"beans": 40, "circles": 6, "digits": 4, "neuron": 30}


def lessons() -> list[tuple[str, str]]:
    """(lab id, lesson name) for every lesson button of every lab."""
    return [
        (lab_id, name)
        for lab_id, cls in sorted(registry().items())
        for name in getattr(inspect.getmodule(cls), "PRESETS", {})
    ]


def lesson_lab(lab_id: str, lesson: str) -> Lab[Any]:
    """The lab as a lesson button starts it: the defaults with the lesson's params."""
    cls = registry()[lab_id]
    preset = vars(inspect.getmodule(cls))["PRESETS"][lesson]
    merged = {**asdict(cls.Params()), **{k: v for k, v in preset.items() if k != "speed"}}
    return cls(TypeAdapter(cls.Params).validate_python(merged))


def code_only(source: str) -> str:
    """The syntax tree of a script without its docstrings and ``raise`` messages."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        doc = first.value if isinstance(first, ast.Expr) else None
        if isinstance(doc, ast.Constant) and isinstance(doc.value, str):
            doc.value = ""
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            node.exc.args = []
    return ast.dump(tree)


@pytest.mark.parametrize("lab_id", LABS)
def test_every_piece_of_english_in_a_body_has_its_chinese(lab_id: str) -> None:
    untranslated = missing(body_source(lab_id), "zh", lab_id)
    listing = "\n".join(f"  - {key}" for key in untranslated)
    assert not untranslated, (
        f"engine/export/{lab_id}.py has English text with no Chinese in "
        f"engine/export/zh/{lab_id}.json (or common.json); add these keys:\n{listing}"
    )


def test_no_catalog_entry_is_stale() -> None:
    """An entry no body uses any more is text that changed: its new wording needs one."""
    used = {p.key for lab_id in LABS for p in pieces(body_source(lab_id))}
    for path in sorted((HERE / "zh").glob("*.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        stale = [k for k in entries if words(k) not in used]
        assert not stale, f"{path.name}: no body has this text any more: {stale}"


def _text(value: str | list[str]) -> str:
    return " ".join(" ".join(value if isinstance(value, list) else [value]).split())


def test_translation_keeps_the_layout_of_comments_and_docstrings() -> None:
    source = (
        '"""Top line.\n\nA paragraph of\n    several lines.\n"""\n\n'
        "def f() -> None:\n"
        '    """One line."""\n'
        "    # a block of\n    # two lines\n"
        "    x = 1  # trailing words\n"
        "# -- a rule ------------\n"
    )
    table = {
        "Top line.": "顶行。",
        "A paragraph of several lines.": ["一段", "  两行。"],
        "One line.": "一行。",
        "a block of two lines": ["一块", "两行"],
        "trailing words": "行尾",
        "a rule": "规则",
    }
    catalog.cache_clear()
    try:
        (HERE / "zh" / "_probe.json").write_text(json.dumps(table), encoding="utf-8")
        out = translate(source, "zh", "_probe")
    finally:
        (HERE / "zh" / "_probe.json").unlink()
        catalog.cache_clear()
    assert out == (
        '"""顶行。\n\n一段\n  两行。\n"""\n\n'
        "def f() -> None:\n"
        '    """一行。"""\n'
        "    # 一块\n    # 两行\n"
        "    x = 1  # 行尾\n"
        "# -- 规则 --------------\n"
    )
    assert width("# -- 规则 --------------") == width("# -- a rule ------------")


@pytest.mark.parametrize(("lab_id", "lesson"), lessons())
def test_a_zh_export_is_the_en_script_in_chinese(lab_id: str, lesson: str, tmp_path: Path) -> None:
    lab = lesson_lab(lab_id, lesson)
    lab.step(STEPS[lab_id])
    (en_name, en), (zh_name, zh) = python_script(lab, "en"), python_script(lab, "zh")
    assert zh_name == en_name
    assert code_only(zh) == code_only(en)
    kept = {k for k, v in catalog("zh", lab_id).items() if _text(v) == k}  # kept on purpose
    english = {p.key for p in pieces(en)} - kept
    left = [p.key for p in pieces(zh) if p.key in english]
    assert left == [], "English left in the zh script"
    assert CJK.search(zh.splitlines()[0])  # the header too
    (tmp_path / "en").mkdir()
    (tmp_path / "zh").mkdir()
    assert run_script(lab, tmp_path / "zh", "zh") == run_script(lab, tmp_path / "en", "en")


def test_an_unknown_language_is_refused() -> None:
    lab = registry()["beans"](registry()["beans"].Params())
    with pytest.raises(ValueError, match="lang"):
        python_script(lab, "fr")
