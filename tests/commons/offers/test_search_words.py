"""The words an offer is found by: folded (case, accents, spaces), plurals of the words typed."""

from __future__ import annotations

import pytest

from commons.offers.search_words import MAX_WORDS, fold, offer_words, query_words


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Vélo  CARGO", "velo cargo"),
        ("Garde d’enfants à Pâquis", "garde d’enfants a paquis"),
        ("Straße ŒUVRE", "strasse œuvre"),
        ("ﬁchier\u00a0tab\tligne\n", "fichier tab ligne"),
    ],
)
def test_folding_drops_case_accents_and_extra_spaces(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_an_offer_is_found_by_its_title_category_description_and_place() -> None:
    words = offer_words("Vélo", "Mobilité", None, "<p>Pour les <b>déménagements</b></p>",
                        "Maison de quartier", "Genève")  # fmt: skip
    assert words == "velo mobilite pour les demenagements maison de quartier geneve"
    assert (
        offer_words("Vélo", None, "Le **texte**", "<p>autre</p>", None, None) == "velo le **texte**"
    )


def test_words_typed_lose_a_plural_and_are_at_most_a_few() -> None:
    assert query_words("Perceuses  VÉLOS bus gaz") == ["perceuse", "velo", "bus", "gaz"]
    assert len(query_words(" ".join(["mot"] * 20))) == MAX_WORDS
    assert query_words("   ") == []
