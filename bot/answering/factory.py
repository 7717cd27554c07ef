"""Build the answering core from settings: the one place that wires embedder, store,
retriever, LLM and engine together."""

from __future__ import annotations

from bot.answering.engine import AnswerEngine, AnswerOptions
from bot.answering.generative import Generator
from bot.answering.llm import ChatBackend, make_chat_model
from bot.settings import Settings
from vectorstore.embedding import Embedder, canonical_model_name, make_embedder
from vectorstore.retrieval import Retriever
from vectorstore.store import ChromaStore


def open_store(settings: Settings) -> ChromaStore:
    return ChromaStore(settings, canonical_model_name(settings.embedding_model))


def build_engine(
    settings: Settings,
    embedder: Embedder | None = None,
    store: ChromaStore | None = None,
    chat: ChatBackend | None = None,
) -> AnswerEngine:
    """The answering core; generative when LLM_PROVIDER is set (or a `chat` backend is given)."""
    store = store or open_store(settings)
    embedder = embedder or make_embedder(settings)
    retriever = Retriever(store, embedder, settings.data_dir / "cache")
    chat = chat or make_chat_model(settings)
    generator = (
        Generator(chat, embedder, settings.support_threshold, settings.max_answer_chars) if chat else None
    )
    options = AnswerOptions(
        top_k=settings.top_k,
        min_evidence=settings.min_evidence,
        max_answer_chars=settings.max_answer_chars,
        max_question_chars=settings.max_question_chars,
    )
    return AnswerEngine(retriever, options, generator)
