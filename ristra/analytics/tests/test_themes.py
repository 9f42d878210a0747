"""Comment themes: planted topics in English and Spanish are recovered, stop words never
name a theme, edge cases, and the optional embeddings method fails clearly without its
extra or its model directory."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from ristra.analytics.themes import (
    ThemesError,
    spanish_stop_words,
    stop_words,
    theme_assignments,
    themes,
)

ROOT = Path(__file__).resolve().parents[3]

PLANTED = {
    "parking": ["parking", "garage", "permit", "shuttle", "commute", "spaces"],
    "mentoring": ["mentor", "mentorship", "sponsor", "guidance", "career", "advice"],
    "workload": ["workload", "overtime", "hours", "burnout", "staffing", "shifts"],
    "trato": ["respeto", "trato", "discriminación", "comentarios", "ofensivos", "supervisores"],
    "idioma": ["intérpretes", "idioma", "español", "pacientes", "traducción", "comunicación"],
}
ENGLISH = [
    "the",
    "a",
    "we",
    "i",
    "our",
    "is",
    "are",
    "was",
    "to",
    "of",
    "and",
    "in",
    "more",
    "about",
    "would",
    "like",
    "really",
    "think",
    "feel",
]
SPANISH = [
    "el",
    "la",
    "los",
    "las",
    "de",
    "que",
    "y",
    "en",
    "un",
    "una",
    "muy",
    "por",
    "para",
    "nuestro",
    "con",
    "se",
    "más",
    "pero",
]


def corpus(n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    topics = list(PLANTED)
    comments, labels = [], []
    for _ in range(n):
        topic = topics[int(rng.integers(len(topics)))]
        filler = SPANISH if topic in ("trato", "idioma") else ENGLISH
        words = list(rng.choice(PLANTED[topic], size=int(rng.integers(3, 6)))) + list(
            rng.choice(filler, size=int(rng.integers(5, 10)))
        )
        rng.shuffle(words)
        comments.append(" ".join(words).capitalize() + ".")
        labels.append(topic)
    return comments, labels


def test_it_recovers_planted_topics_in_english_and_spanish() -> None:
    comments, labels = corpus(400, seed=1)
    found = themes(comments)
    assert len(found) == len(PLANTED)
    assert sum(t.size for t in found) == len(comments)
    recovered = set()
    for theme in found:
        members = [labels[i] for i in theme.representative]
        majority, _ = Counter(members).most_common(1)[0]
        assert members == [majority] * len(members)
        planted_terms = set(PLANTED[majority])
        assert len(set(theme.terms) & planted_terms) >= 4, (majority, theme.terms)
        recovered.add(majority)
        assert theme.label == ", ".join(theme.terms[:3])
        assert len(theme.terms) <= 6
    assert recovered == set(PLANTED)
    assert [t.index for t in found] == list(range(len(found)))
    assert [t.size for t in found] == sorted((t.size for t in found), reverse=True)


def test_each_comment_joins_the_theme_of_its_planted_topic() -> None:
    comments, labels = corpus(300, seed=2)
    found = themes(comments, n_themes=5, max_terms=4)
    assert len(found) == 5
    sizes = Counter(labels)
    for theme in found:
        topic = Counter(labels[i] for i in theme.representative).most_common(1)[0][0]
        assert abs(theme.size - sizes[topic]) <= 0.05 * sizes[topic]
        assert len(theme.terms) <= 4


def test_stop_words_in_either_language_never_name_a_theme() -> None:
    comments, _ = corpus(250, seed=3)
    words = set(stop_words())
    assert {"que", "los", "muy", "para", "the", "would"} <= words
    assert "no" in spanish_stop_words()  # read as text, not as YAML's false
    for theme in themes(comments):
        for term in theme.terms:
            assert not set(term.split()) & words, term


def test_the_same_seed_gives_the_same_themes() -> None:
    comments, _ = corpus(200, seed=4)
    assert themes(comments, seed=7) == themes(comments, seed=7)


def test_edge_cases_give_no_themes_rather_than_errors() -> None:
    assert themes([]) == []
    assert themes(["Only one comment about parking."]) == []
    assert themes(["", "   ", "123 456", "!!"]) == []
    assert themes(["the and of", "que los muy", "a la de"]) == []
    two = themes(["parking garage permit", "parking garage shuttle", "mentor advice", "x"])
    assert {i for t in two for i in t.representative} <= {0, 1, 2}


def test_it_asks_for_more_themes_than_comments_gracefully() -> None:
    found = themes(["parking garage", "mentor advice", "overtime hours"], n_themes=10)
    assert 1 <= len(found) <= 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "lda"}, "Unknown theme method 'lda'"),
        ({"n_themes": 0}, "at least 1"),
        ({"max_terms": 0}, "at least one term"),
    ],
)
def test_bad_arguments_are_explained(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ThemesError, match=message):
        themes(["a comment", "another comment"], **kwargs)  # type: ignore[arg-type]


def test_comments_must_be_text() -> None:
    with pytest.raises(ThemesError, match="Comment 1 is not text"):
        themes(["fine", None])  # type: ignore[list-item]


def test_embeddings_need_a_model_directory(tmp_path: Path) -> None:
    comments, _ = corpus(20, seed=5)
    with pytest.raises(ThemesError, match="needs model_dir"):
        themes(comments, method="embeddings")
    with pytest.raises(ThemesError, match="does not exist or is not a directory"):
        themes(comments, method="embeddings", model_dir=str(tmp_path / "missing"))


def test_embeddings_without_the_extra_name_the_extra(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    try:
        import sentence_transformers  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        pass
    else:  # pragma: no cover - only where the extra is installed
        pytest.skip("sentence-transformers is installed here")
    comments, _ = corpus(20, seed=5)
    with pytest.raises(ThemesError, match=r"pip install 'ristra\[embeddings\]'"):
        themes(comments, method="embeddings", model_dir=str(tmp_path))


def test_the_default_method_never_loads_pytorch() -> None:
    probe = (
        "import sys\n"
        "from ristra.analytics.themes import themes\n"
        "themes(['parking garage permit', 'parking shuttle permit', 'mentor advice career',"
        " 'mentor career sponsor'] * 5)\n"
        "print(','.join(m for m in ('torch', 'sentence_transformers', 'transformers')"
        " if m in sys.modules))\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "PYTHONPATH": str(ROOT)},
    )
    assert result.stdout.strip() == ""


def test_assignments_agree_with_theme_sizes_and_representatives() -> None:
    comments, labels = corpus(300, seed=6)
    comments = [*comments, "", "the and of"]
    found, joined = theme_assignments(comments)
    assert len(joined) == len(comments)
    assert joined[-2:] == (None, None)
    for theme in found:
        members = [i for i, t in enumerate(joined) if t == theme.index]
        assert len(members) == theme.size
        assert set(theme.representative) <= set(members)
        topics = Counter(labels[i] for i in members)
        assert topics.most_common(1)[0][1] >= 0.95 * theme.size
