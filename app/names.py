"""Students' display names: what they typed, cleaned, or a friendly one in both languages.

A typed name is cut to ``MAX_NAME`` characters and stripped of control and
formatting characters (a right-to-left override must not garble a tile); pages
escape it like any text. A student who types nothing gets a generated name,
such as "Blue Heron" / "蓝色苍鹭", which each page shows in its own language.
"""

from __future__ import annotations

import secrets
import unicodedata
from typing import Any

MAX_NAME = 24
# colours a child can say, and animals that are easy to picture (en, zh)
COLOURS = [
    ("Blue", "蓝色"), ("Red", "红色"), ("Green", "绿色"), ("Golden", "金色"), ("Silver", "银色"),
    ("Orange", "橙色"), ("Purple", "紫色"), ("White", "白色"), ("Black", "黑色"), ("Pink", "粉色"),
    ("Brown", "棕色"), ("Grey", "灰色"),
]  # fmt: skip
ANIMALS = [
    ("Heron", "苍鹭"), ("Panda", "熊猫"), ("Otter", "水獭"), ("Fox", "狐狸"), ("Crane", "仙鹤"),
    ("Tiger", "老虎"), ("Owl", "猫头鹰"), ("Dolphin", "海豚"), ("Koala", "考拉"),
    ("Falcon", "猎鹰"), ("Rabbit", "兔子"), ("Whale", "鲸鱼"), ("Deer", "鹿"), ("Swan", "天鹅"),
    ("Turtle", "海龟"),
    ("Squirrel", "松鼠"), ("Penguin", "企鹅"), ("Lynx", "猞猁"),
]  # fmt: skip


def clean(typed: Any) -> str:
    """A typed name as it may be shown: printable, single-spaced, at most MAX_NAME long."""
    if not isinstance(typed, str):
        return ""
    kept = "".join(c for c in typed if unicodedata.category(c)[0] not in "CZ" or c == " ")
    return " ".join(kept.split())[:MAX_NAME].strip()


def friendly(nick: Any = None) -> dict[str, str]:
    """A generated name in both languages; ``nick`` ("3-7") names the one a page had before."""
    try:
        colour, animal = (int(part) for part in str(nick).split("-"))
        (c_en, c_zh), (a_en, a_zh) = COLOURS[colour], ANIMALS[animal]
    except (ValueError, IndexError):
        colour, animal = secrets.randbelow(len(COLOURS)), secrets.randbelow(len(ANIMALS))
        (c_en, c_zh), (a_en, a_zh) = COLOURS[colour], ANIMALS[animal]
    return {"en": f"{c_en} {a_en}", "zh": f"{c_zh}{a_zh}", "nick": f"{colour}-{animal}"}


def display(typed: Any, nick: Any = None) -> dict[str, str]:
    """The name to show, per language: the typed one in both, else a friendly one."""
    name = clean(typed)
    return {"en": name, "zh": name} if name else friendly(nick)
