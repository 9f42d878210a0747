"""Group free-text survey comments into themes (no Django).

The default method is the field's standard one, from scikit-learn: TF-IDF over words and
two-word phrases (English stop words from scikit-learn plus Ristra's own Spanish list,
``data/stop_words_es.yaml``), factorised with non-negative matrix factorisation (NMF).
Each comment joins the theme with the largest weight in its row; a theme is named by its
top terms and carries its most representative comments (the indices of the comments that
weigh most on it).  With ``n_themes=None`` the number of themes is chosen automatically:
NMF is fitted for each candidate number on a sample and the number whose themes' top
terms co-occur most in the comments (mean NPMI coherence), plus the share of comments
holding a top term of their own theme (a missing theme leaves comments uncovered), less
the similarity of each theme to its nearest other theme (a real theme split in two), wins.

``method="embeddings"`` uses sentence-transformers with a model the institution provides
in a local directory (``model_dir``); it is an optional extra (``ristra[embeddings]``),
imported lazily, told never to download anything, and clustered with k-means.  The default
install stays free of PyTorch.

Nothing here applies the minimum group size for comments: the app shows representative
comments only for themes above its comment threshold.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import yaml
from numpy.typing import NDArray
from scipy import sparse
from sklearn.cluster import KMeans
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from threadpoolctl import ThreadpoolController

METHODS: Final = ("nmf", "embeddings")
TOKEN_PATTERN: Final = r"(?u)\b[^\W\d_]{2,}\b"  # noqa: S105 - a regular expression
MAX_AUTO_THEMES: Final = 12
SAMPLE_FOR_K: Final = 2_000
REPRESENTATIVE: Final = 3
COHERENCE_TERMS: Final = 8
EXTRA_NAME: Final = "ristra[embeddings]"
_THREADS: Final = ThreadpoolController()


class ThemesError(ValueError):
    """Themes cannot be computed as asked (bad arguments, missing extra or model)."""


@dataclass(frozen=True)
class Theme:
    """One theme: ``terms`` best first; ``representative`` indexes the input comments."""

    index: int
    terms: tuple[str, ...]
    label: str
    size: int
    representative: tuple[int, ...]


@lru_cache(maxsize=1)
def spanish_stop_words() -> frozenset[str]:
    """Ristra's Spanish stop-word list (read as text: ``no`` stays the word "no")."""
    text = (
        resources.files("ristra.analytics.data").joinpath("stop_words_es.yaml").read_text("utf-8")
    )
    document = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds only text
    return frozenset(str(word).casefold() for word in document["words"])


@lru_cache(maxsize=1)
def stop_words() -> tuple[str, ...]:
    """English (scikit-learn's list) and Spanish stop words, as the vectoriser sees them."""
    return tuple(sorted(set(ENGLISH_STOP_WORDS) | spanish_stop_words()))


def _vectoriser(n_documents: int) -> TfidfVectorizer:
    return TfidfVectorizer(
        lowercase=True,
        token_pattern=TOKEN_PATTERN,
        stop_words=list(stop_words()),
        ngram_range=(1, 2),
        min_df=2 if n_documents >= 20 else 1,
        max_df=0.5 if n_documents >= 50 else 1.0,
        max_features=20_000,
        sublinear_tf=True,
        dtype=np.float64,  # float32 rounds the reconstruction error below zero (NaN warnings)
    )


def _check_arguments(
    comments: Sequence[str], n_themes: int | None, max_terms: int, method: str
) -> None:
    if method not in METHODS:
        raise ThemesError(f"Unknown theme method {method!r}: use one of {', '.join(METHODS)}.")
    if n_themes is not None and (isinstance(n_themes, bool) or n_themes < 1):
        raise ThemesError(f"The number of themes must be at least 1, not {n_themes!r}.")
    if max_terms < 1:
        raise ThemesError(f"Each theme needs at least one term (max_terms={max_terms}).")
    for i, comment in enumerate(comments):
        if not isinstance(comment, str):
            raise ThemesError(f"Comment {i} is not text ({type(comment).__name__}).")


def themes(
    comments: Sequence[str],
    *,
    n_themes: int | None = None,
    max_terms: int = 6,
    seed: int = 0,
    method: str = "nmf",
    model_dir: str | None = None,
) -> list[Theme]:
    """Group ``comments`` into themes, largest first.

    Comments that hold no usable word (empty, only stop words or numbers) join no theme.
    Fewer comments than two, or no vocabulary, gives no themes.
    """
    found, _ = theme_assignments(
        comments,
        n_themes=n_themes,
        max_terms=max_terms,
        seed=seed,
        method=method,
        model_dir=model_dir,
    )
    return found


def theme_assignments(
    comments: Sequence[str],
    *,
    n_themes: int | None = None,
    max_terms: int = 6,
    seed: int = 0,
    method: str = "nmf",
    model_dir: str | None = None,
) -> tuple[list[Theme], tuple[int | None, ...]]:
    """:func:`themes`, plus the theme index each comment joined (``None``: no theme)."""
    _check_arguments(comments, n_themes, max_terms, method)
    cleaned = [_clean(c) for c in comments]
    usable = [i for i, c in enumerate(cleaned) if c]
    nothing: tuple[int | None, ...] = (None,) * len(comments)
    if len(usable) < 2:
        return [], nothing
    documents = [cleaned[i] for i in usable]
    vectoriser = _vectoriser(len(documents))
    try:
        matrix = vectoriser.fit_transform(documents)
    except ValueError:  # empty vocabulary: every word is a stop word
        return [], nothing
    terms = np.asarray(vectoriser.get_feature_names_out())
    if method == "embeddings":
        weights, term_weights = _embedding_weights(documents, matrix, n_themes, seed, model_dir)
    else:
        # The matrices are small and thin: one BLAS thread is many times faster than
        # several contending for a shared machine's cores (measured: 1.7 s -> 0.02 s for
        # one randomized SVD of 2,000 comments).
        with _THREADS.limit(limits=1, user_api="blas"):
            weights, term_weights = _nmf_weights(matrix, n_themes, seed)
    found, joined = _assemble(weights, term_weights, terms, usable, max_terms)
    assignment: list[int | None] = list(nothing)
    for document, theme in enumerate(joined):
        assignment[usable[document]] = theme
    return found, tuple(assignment)


_SPACE = re.compile(r"\s+")


def _clean(comment: str) -> str:
    text = _SPACE.sub(" ", comment).strip()
    return text if re.search(TOKEN_PATTERN, text) else ""


# ----------------------------------------------------------------------------- NMF


def _nmf(matrix: sparse.csr_matrix, k: int, seed: int, max_iter: int = 300) -> NMF:
    model = NMF(
        n_components=k,
        init="nndsvda",
        random_state=seed,
        max_iter=max_iter,
        tol=1e-3,
    )
    model.fit(matrix)
    return model


def _nmf_weights(
    matrix: sparse.csr_matrix, n_themes: int | None, seed: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    n_docs, n_terms = matrix.shape
    limit = max(1, min(n_docs - 1, n_terms))
    k = min(n_themes, limit) if n_themes is not None else choose_k(matrix, seed)
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400, tol=1e-4)
    weights = model.fit_transform(matrix)
    return np.asarray(weights, dtype=np.float64), np.asarray(model.components_, dtype=np.float64)


def _candidates(n_docs: int, n_terms: int) -> list[int]:
    upper = min(MAX_AUTO_THEMES, max(2, n_docs // 8), n_terms - 1)
    return list(range(2, upper + 1))


def choose_k(matrix: sparse.csr_matrix, seed: int) -> int:
    """The number of themes whose top terms are most coherent (mean NPMI), on a sample."""
    n_docs, n_terms = matrix.shape
    candidates = _candidates(n_docs, n_terms)
    if len(candidates) <= 1:
        return candidates[0] if candidates else 1
    rng = np.random.default_rng(seed)
    if n_docs > SAMPLE_FOR_K:
        rows = np.sort(rng.choice(n_docs, size=SAMPLE_FOR_K, replace=False))
        sample = matrix[rows]
    else:
        sample = matrix
    present = (sample > 0).astype(np.float64).tocsc()
    best_k, best_score = candidates[0], -np.inf
    for k in candidates:
        model = _nmf(sample, k, seed, max_iter=200)
        weights = model.transform(sample)
        score = (
            _coherence(model.components_, present)
            + _coverage(weights, model.components_, present)
            - _redundancy(model.components_)
        )
        if score > best_score + 1e-9:
            best_k, best_score = k, score
    return best_k


def _coherence(components: NDArray[Any], present: sparse.csc_matrix) -> float:
    """Mean normalised pointwise mutual information of each theme's top terms."""
    n_docs = present.shape[0]
    df = np.asarray(present.sum(axis=0)).ravel()
    scores = []
    for row in components:
        top = np.argsort(-row)[:COHERENCE_TERMS]
        top = top[row[top] > 0]
        if len(top) < 2:
            scores.append(-1.0)
            continue
        sub = present[:, top]
        co = (sub.T @ sub).toarray()
        pair_scores = []
        for a in range(len(top)):
            for b in range(a + 1, len(top)):
                joint = co[a, b] / n_docs
                if joint <= 0:
                    pair_scores.append(-1.0)
                    continue
                pa, pb = df[top[a]] / n_docs, df[top[b]] / n_docs
                if joint >= 1:
                    pair_scores.append(1.0)
                    continue
                pair_scores.append(float(np.log(joint / (pa * pb)) / -np.log(joint)))
        scores.append(float(np.mean(pair_scores)))
    return float(np.mean(scores))


def _coverage(weights: NDArray[Any], components: NDArray[Any], present: sparse.csc_matrix) -> float:
    """Share of comments holding at least one top term of the theme they join: low when
    themes are missing and their comments are forced into unrelated ones."""
    top = np.argsort(-components, axis=1)[:, :COHERENCE_TERMS]
    indicator = np.zeros(components.shape)
    np.put_along_axis(indicator, top, 1.0, axis=1)
    indicator[components <= 0] = 0.0
    hits = np.asarray(present.tocsr() @ indicator.T)
    dominant = np.argmax(weights, axis=1)
    assigned = weights.max(axis=1) > 0
    covered = hits[np.arange(len(dominant)), dominant] > 0
    return float(np.mean(covered & assigned))


def _redundancy(components: NDArray[Any]) -> float:
    """Mean, over themes, of the cosine similarity to the most similar other theme: high
    when one real theme has been split in two."""
    norms = np.linalg.norm(components, axis=1, keepdims=True)
    unit = components / np.where(norms > 0, norms, 1.0)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    return float(np.mean(np.max(similarity, axis=1)))


# ----------------------------------------------------------------------------- embeddings


def _load_sentence_model(model_dir: str | None) -> Any:
    if model_dir is None:
        raise ThemesError(
            "The embeddings method needs model_dir: a local directory holding a "
            "sentence-transformers model your institution provides (nothing is downloaded)."
        )
    path = Path(model_dir)
    if not path.is_dir():
        raise ThemesError(
            f"The sentence-transformers model directory {model_dir!r} does not exist or is "
            "not a directory; copy the model there first (nothing is downloaded)."
        )
    # Never reach the network, whatever the model's configuration says.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ThemesError(
            "The embeddings method needs the optional extra: install it with "
            f"pip install '{EXTRA_NAME}' (it brings PyTorch), or use method='nmf'."
        ) from None
    try:
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except Exception as error:  # noqa: BLE001 - any loader failure becomes one clear message
        raise ThemesError(
            f"Could not load a sentence-transformers model from {model_dir!r}: {error}"
        ) from None


def _embedding_weights(
    documents: Sequence[str],
    matrix: sparse.csr_matrix,
    n_themes: int | None,
    seed: int,
    model_dir: str | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Soft memberships from k-means on normalised embeddings; terms by class TF-IDF."""
    model = _load_sentence_model(model_dir)
    vectors = np.asarray(model.encode(list(documents), normalize_embeddings=True), dtype=np.float64)
    n_docs = len(documents)
    if n_themes is not None:
        k = max(1, min(n_themes, n_docs - 1))
    else:
        k = _choose_k_embeddings(vectors, seed, matrix.shape[1])
    kmeans = KMeans(n_clusters=k, random_state=seed, n_init=4).fit(vectors)
    similarity = vectors @ kmeans.cluster_centers_.T
    labels = kmeans.labels_
    weights = np.zeros((n_docs, k))
    weights[np.arange(n_docs), labels] = np.maximum(similarity[np.arange(n_docs), labels], 1e-6)
    membership = sparse.csr_matrix(
        (np.ones(n_docs), (labels, np.arange(n_docs))), shape=(k, n_docs)
    )
    term_weights = np.asarray((membership @ matrix).todense(), dtype=np.float64)
    return weights, term_weights


def _choose_k_embeddings(vectors: NDArray[np.float64], seed: int, n_terms: int) -> int:
    from sklearn.metrics import silhouette_score

    candidates = _candidates(len(vectors), n_terms + 1)
    if len(candidates) <= 1:
        return candidates[0] if candidates else 1
    rng = np.random.default_rng(seed)
    sample = vectors[rng.choice(len(vectors), size=min(len(vectors), SAMPLE_FOR_K), replace=False)]
    best_k, best = candidates[0], -np.inf
    for k in candidates:
        labels = KMeans(n_clusters=k, random_state=seed, n_init=2).fit_predict(sample)
        if len(set(labels.tolist())) < 2:
            continue
        value = float(silhouette_score(sample, labels))
        if value > best:
            best_k, best = k, value
    return best_k


# ----------------------------------------------------------------------------- results


def _assemble(
    weights: NDArray[np.float64],
    term_weights: NDArray[np.float64],
    terms: NDArray[Any],
    usable: Sequence[int],
    max_terms: int,
) -> tuple[list[Theme], list[int | None]]:
    dominant = np.argmax(weights, axis=1)
    strength = weights[np.arange(len(weights)), dominant]
    assigned = strength > 0
    # a comment's share of its weight on its theme: prefer comments squarely on one theme
    totals = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        purity = np.where(totals > 0, strength / totals, 0.0)
    found: list[tuple[int, tuple[str, ...], tuple[int, ...], int]] = []
    for t in range(weights.shape[1]):
        members = np.flatnonzero(assigned & (dominant == t))
        if not len(members):
            continue
        top_terms = _top_terms(term_weights[t], terms, max_terms)
        if not top_terms:
            continue
        order = np.lexsort((-strength[members], -purity[members]))
        representative = tuple(int(usable[i]) for i in members[order[:REPRESENTATIVE]])
        found.append((len(members), top_terms, representative, t))
    found.sort(key=lambda entry: (-entry[0], entry[1]))
    index_of = {component: i for i, (*_, component) in enumerate(found)}
    joined = [
        index_of.get(int(d)) if ok else None
        for d, ok in zip(dominant.tolist(), assigned.tolist(), strict=True)
    ]
    result = [
        Theme(
            index=i,
            terms=top_terms,
            label=", ".join(top_terms[:3]),
            size=size,
            representative=representative,
        )
        for i, (size, top_terms, representative, _) in enumerate(found)
    ]
    return result, joined


def _top_terms(row: NDArray[np.float64], terms: NDArray[Any], max_terms: int) -> tuple[str, ...]:
    """The highest-weighted terms, skipping a phrase whose words are already listed and a
    word already inside a listed phrase."""
    chosen: list[str] = []
    for index in np.argsort(-row):
        if row[index] <= 0 or len(chosen) >= max_terms:
            break
        term = str(terms[index])
        words = set(term.split())
        if any(words <= set(c.split()) or set(c.split()) <= words for c in chosen):
            continue
        chosen.append(term)
    return tuple(chosen)
