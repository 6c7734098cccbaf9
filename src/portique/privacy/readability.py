"""How easy a French text is to read: the Kandel–Moles reading ease, from its published formula.

Kandel and Moles (1958, "Application de l'indice de Flesch à la langue française",
Cahiers d'études de radio-télévision 19) refitted Flesch's reading ease to French:

    L = 207 − 1.015 × (words per sentence) − 73.6 × (syllables per word)

read on Flesch's scale: 90 and above very easy, 60 to 70 standard (a pupil of 13 to 15
reads it alone), below 50 difficult. The counting rules are ours, written down here so
that a score can be checked by hand:

- a sentence ends at ``.``, ``!``, ``?`` or ``…``, and at the end of a block (a
  paragraph, a list item) that has no final punctuation;
- a word is a run of letters, digits, apostrophes and hyphens (``l'élève`` and
  ``peut-être`` are one word each; a number is a one-syllable word);
- syllables are spoken ones: groups of vowels, where ``u`` after ``q`` (and after ``g``
  before ``e``/``i``) is not a vowel, an ``é`` before another vowel that is not a final
  mute ``e`` starts a new syllable (``ré-a-li-té``), and a final ``e`` or ``es`` after a
  consonant is mute (``é-cole``, ``vi-sages``).

textstat also implements the formula but counts French syllables from pyphen's
hyphenation points, which may not split a word's first or last two letters: it reads
``école`` and ``élève`` as one syllable each and scores French text far too easy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

BASE = 207.0
PER_WORD_IN_SENTENCE = 1.015
PER_SYLLABLE_IN_WORD = 73.6

VOWELS = "aeiouyàâäéèêëîïôöùûüÿœæ"
_WORD = re.compile(r"[\w'’-]+")
_SENTENCE_END = re.compile(r"[.!?…]+")
_VOWEL_GROUP = re.compile(f"[{VOWELS}]+")
_SILENT_U = re.compile(r"(?<=q)u|(?<=g)u(?=[eéèêiîy])")
_HIATUS = re.compile(f"é(?=[{VOWELS}])(?!es?$)")

BANDS: tuple[tuple[float, str, str], ...] = (
    (90.0, "très facile", "very easy"),
    (80.0, "facile", "easy"),
    (70.0, "assez facile", "fairly easy"),
    (60.0, "standard", "standard"),
    (50.0, "assez difficile", "fairly difficult"),
    (30.0, "difficile", "difficult"),
    (float("-inf"), "très difficile", "very difficult"),
)
"""Flesch's reading-ease bands, lowest score of each."""


def syllables(word: str) -> int:
    """The spoken syllables of one French word (at least one)."""
    letters = "".join(ch for ch in word.lower() if ch.isalpha())
    if not letters:
        return 1
    letters = _SILENT_U.sub("", letters)
    letters = _HIATUS.sub("é-", letters)
    count = len(_VOWEL_GROUP.findall(letters))
    if count > 1 and re.search(f"[^{VOWELS}]es?$", letters):
        count -= 1
    return max(count, 1)


def sentences_of(block: str) -> list[str]:
    """The sentences of one block of text (a block always ends one)."""
    parts = [part.strip() for part in _SENTENCE_END.split(block)]
    return [part for part in parts if _WORD.search(part)]


def words_of(sentence: str) -> list[str]:
    return [word for word in _WORD.findall(sentence) if any(ch.isalnum() for ch in word)]


@dataclass(frozen=True)
class Readability:
    """The counts of a text and its Kandel–Moles reading ease."""

    sentences: int
    words: int
    syllables: int

    @property
    def words_per_sentence(self) -> float:
        return self.words / self.sentences if self.sentences else 0.0

    @property
    def syllables_per_word(self) -> float:
        return self.syllables / self.words if self.words else 0.0

    @property
    def score(self) -> float:
        """Kandel–Moles reading ease (higher is easier)."""
        return (
            BASE
            - PER_WORD_IN_SENTENCE * self.words_per_sentence
            - PER_SYLLABLE_IN_WORD * self.syllables_per_word
        )

    @property
    def band(self) -> tuple[str, str]:
        """The band of the score, in French and English."""
        return next((fr, en) for floor, fr, en in BANDS if self.score >= floor)

    def as_json(self) -> dict[str, float | int | str]:
        return {
            "kandel_moles": round(self.score, 1),
            "band": self.band[0],
            "sentences": self.sentences,
            "words": self.words,
            "syllables": self.syllables,
            "words_per_sentence": round(self.words_per_sentence, 2),
            "syllables_per_word": round(self.syllables_per_word, 3),
        }


def kandel_moles(blocks: list[str] | str) -> Readability:
    """The reading ease of a text given as blocks (paragraphs, list items) or one string."""
    sentence_words = [
        words_of(sentence)
        for block in ([blocks] if isinstance(blocks, str) else blocks)
        for sentence in sentences_of(block)
    ]
    sentence_words = [words for words in sentence_words if words]
    return Readability(
        sentences=len(sentence_words),
        words=sum(len(words) for words in sentence_words),
        syllables=sum(syllables(word) for words in sentence_words for word in words),
    )


class _ProseBlocks(HTMLParser):
    """The text of each paragraph and list item inside ``<article>``, skipping elements
    marked ``data-not-prose`` (contact details, form fields)."""

    BLOCKS = frozenset({"p", "li"})
    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._stack: list[tuple[str, bool]] = []
        self._current: list[str] | None = None
        self._depth_of_block = 0

    def _inside(self, tag: str) -> bool:
        return any(name == tag for name, _ in self._stack)

    def _skipped(self) -> bool:
        return any(skip for _, skip in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            if tag == "br" and self._current is not None:
                self._current.append(" ")
            return
        self._stack.append((tag, any(name == "data-not-prose" for name, _ in attrs)))
        if tag in self.BLOCKS and self._current is None and self._inside("article"):
            self._current = []
            self._depth_of_block = len(self._stack)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID or not self._stack:
            return
        while self._stack:
            name, _ = self._stack.pop()
            if self._current is not None and len(self._stack) < self._depth_of_block:
                text = " ".join("".join(self._current).split())
                if text:
                    self.blocks.append(text)
                self._current = None
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._current is not None and not self._skipped():
            self._current.append(data)


def prose_blocks(html: str) -> list[str]:
    """The prose of a document: paragraphs and list items of its ``<article>``."""
    parser = _ProseBlocks()
    parser.feed(html)
    parser.close()
    return parser.blocks
