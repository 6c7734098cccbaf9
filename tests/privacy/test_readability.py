"""The Kandel–Moles reading ease, checked by hand on a worked example, and the French
syllable counts it rests on."""

from __future__ import annotations

import pytest

from portique.privacy.readability import kandel_moles, prose_blocks, syllables

WORKED_EXAMPLE = "La comparaison du visage est facultative. Vous pouvez la refuser."
"""Counted by hand: 2 sentences, 10 words, 20 spoken syllables —
la (1) com-pa-rai-son (4) du (1) vi-sage (2) est (1) fa-cul-ta-tive (4);
vous (1) pou-vez (2) la (1) re-fu-ser (3). So 5 words per sentence, 2 syllables per
word, and L = 207 − 1.015 × 5 − 73.6 × 2 = 54.725."""


def test_the_worked_example_scores_as_computed_by_hand() -> None:
    measured = kandel_moles(WORKED_EXAMPLE)
    assert (measured.sentences, measured.words, measured.syllables) == (2, 10, 20)
    assert measured.score == pytest.approx(54.725)
    assert measured.band == ("assez difficile", "fairly difficult")


def test_short_plain_sentences_score_higher_than_long_learned_ones() -> None:
    plain = kandel_moles("Le chat dort. Il est sur le lit de la chambre.")
    learned = kandel_moles(
        "La détermination des finalités de traitement relève de la responsabilité "
        "exclusive de l'établissement, conformément aux dispositions réglementaires."
    )
    # 11 one-syllable words in 2 sentences: 207 − 1.015 × 5.5 − 73.6 × 1.
    assert plain.score == pytest.approx(127.8175)
    assert learned.score < 30 < plain.score


@pytest.mark.parametrize(
    ("word", "count"),
    [
        ("école", 2),  # final mute e
        ("élève", 2),
        ("visages", 2),  # mute e before a plural s
        ("données", 2),  # ée is one vowel
        ("réalité", 4),  # é before a vowel starts a syllable
        ("question", 2),  # the u of qu is no vowel
        ("guerre", 1),  # nor the u of gu before e
        ("l'élève", 2),  # an elision is one word
        ("peut-être", 2),
        ("biométrique", 3),
        ("CNIL", 1),
        ("2026", 1),
    ],
)
def test_french_syllables_are_spoken_ones(word: str, count: int) -> None:
    assert syllables(word) == count


def test_a_block_without_final_punctuation_still_ends_a_sentence() -> None:
    measured = kandel_moles(["Vos passages : 92 jours", "Votre carte. Votre fiche"])
    assert measured.sentences == 3 and measured.words == 8


def test_the_prose_is_the_paragraphs_and_items_of_the_article_only() -> None:
    html = (
        "<h1>Titre</h1><article><h2>Section</h2><p>Un <b>mot</b> ici.</p>"
        "<ul><li>Deux<br>mots</li></ul><address data-not-prose><p>dpd@exemple.fr</p></address>"
        "<p>Écrivez au <span data-not-prose>dpd@exemple.fr</span> demain.</p></article>"
        "<footer><p>Généré le 24 novembre 2026.</p></footer>"
    )
    assert prose_blocks(html) == ["Un mot ici.", "Deux mots", "Écrivez au demain."]
