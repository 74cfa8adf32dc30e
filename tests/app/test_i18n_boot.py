"""A lab page embeds its own language's strings only, and where the other language's are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import pages
from tests.app.test_embed import boot

I18N = Path(__file__).resolve().parents[2] / "app" / "static" / "i18n"


def catalog(lang: str, lab: str) -> dict[str, str]:
    """The site's and the lab's strings in ``lang``, read from the files independently."""
    merged: dict[str, str] = {}
    for name in ("site", lab):
        merged.update(json.loads((I18N / lang / f"{name}.json").read_text(encoding="utf-8")))
    return merged


@pytest.mark.parametrize(("lang", "other"), [("en", "zh"), ("zh", "en")])
def test_the_page_embeds_one_language_filled_with_english(
    client: TestClient, lang: str, other: str
) -> None:
    data = boot(client.get(f"/labs/beans?lang={lang}").text)
    assert list(data["catalogs"]) == [lang]
    assert data["catalogs"][lang] == {**catalog("en", "beans"), **catalog(lang, "beans")}
    assert list(data["catalog_files"]) == [other]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_other_language_is_fetched_from_cacheable_files(client: TestClient, lang: str) -> None:
    data = boot(client.get(f"/labs/circles?lang={lang}").text)
    ((other, urls),) = data["catalog_files"].items()
    fetched: dict[str, str] = {}
    for url in urls:
        got = client.get(url)
        assert got.status_code == 200 and "immutable" in got.headers["cache-control"]
        fetched.update(got.json())
    assert fetched == catalog(other, "circles")


def test_an_untranslated_string_shows_in_english(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A string with no Chinese yet (missing, or empty) shows in English on a Chinese page,
    in the page's HTML and in its script's strings, not as its key."""
    real = pages.catalog

    def untranslated(lang: str, name: str) -> dict[str, str]:
        strings = dict(real(lang, name))
        if lang == "zh":
            strings.pop("player.play", None)
            strings["player.step"] = ""
        return strings

    monkeypatch.setattr(pages, "catalog", untranslated)
    pages.page_strings.cache_clear()  # a page's strings are made once: again, from these
    try:
        html = client.get("/labs/neuron?lang=zh").text
    finally:
        pages.page_strings.cache_clear()
    page = boot(html)["catalogs"]["zh"]
    en = catalog("en", "neuron")
    assert page["player.play"] == en["player.play"] and page["player.step"] == en["player.step"]
    assert f">{en['player.play']}<" in html and f">{en['player.step']}<" in html
    assert page["site.name"] == catalog("zh", "neuron")["site.name"] != en["site.name"]
