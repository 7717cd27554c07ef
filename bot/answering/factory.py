"""Build the answering core from settings: the one place that wires embedder, store,
retriever and engine together."""

from __future__ import annotations

from bot.answering.engine import AnswerEngine, AnswerOptions
from bot.settings import Settings
from vectorstore.embedding import Embedder, canonical_model_name, make_embedder
from vectorstore.retrieval import Retriever
from vectorstore.store import ChromaStore


def open_store(settings: Settings) -> ChromaStore:
    return ChromaStore(settings, canonical_model_name(settings.embedding_model))


def build_engine(
    settings: Settings, embedder: Embedder | None = None, store: ChromaStore | None = None
) -> AnswerEngine:
    store = store or open_store(settings)
    retriever = Retriever(store, embedder or make_embedder(settings), settings.data_dir / "cache")
    options = AnswerOptions(
        top_k=settings.top_k,
        min_evidence=settings.min_evidence,
        max_answer_chars=settings.max_answer_chars,
        max_question_chars=settings.max_question_chars,
    )
    return AnswerEngine(retriever, options)
