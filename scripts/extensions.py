"""The lists of extension points the docs and `.env.example` show: LLM providers, article
formats, embedding backends.

Each list is read from the one place the code defines it, so the docs list what the code
accepts. When a list becomes a registry, its function here reads the registry instead.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Extension:
    name: str
    what: str


def llm_providers() -> list[str]:
    from bot.answering.generation.llm import PROVIDERS

    return list(PROVIDERS)


def embedding_backends() -> list[str]:
    from vectorstore.embedding import BACKENDS

    return list(BACKENDS)


def article_formats() -> list[Extension]:
    """The file extensions ingest reads, by kind."""
    from ingest.reading import documents as d

    kinds = [
        ("plain text", d.TEXT_SUFFIXES),
        ("Markdown, with YAML front matter", d.MARKDOWN_SUFFIXES),
        ("HTML page (article text extracted with trafilatura)", d.HTML_SUFFIXES),
        ("PDF (pypdf)", {".pdf"}),
        ("JSON Lines, one article a line", {".jsonl"}),
        ("RSS or Atom feed", d.FEED_SUFFIXES),
    ]
    named = set().union(*(suffixes for _, suffixes in kinds))
    if named != set(d.SUFFIXES):  # a format added to the code and not here fails the docs' test
        raise ValueError(f"formats without a kind here: {sorted(set(d.SUFFIXES) - named)}")
    return [Extension(", ".join(f"`{s}`" for s in sorted(suffixes)), what) for what, suffixes in kinds]


# which setting each list is the allowed values of (the settings reference and .env.example)
CHOICES = {"llm_provider": llm_providers, "embedding_backend": embedding_backends}


def extensions_page() -> str:
    lines = [
        "# Extension points",
        "",
        "Generated from the code by `make docs-gen`: what this version accepts. How to add one:",
        "[the developer guide](../developer/extending.md).",
        "",
        "## LLM providers (`LLM_PROVIDER`)",
        "",
        "Defined in `bot/answering/generation/llm.py`.",
        "",
        *(f"- `{name}`" for name in llm_providers()),
        "",
        "## Article formats (file extensions `newsdesk ingest` reads)",
        "",
        "Defined in `ingest/reading/documents.py`.",
        "",
        "| extensions | format |",
        "|---|---|",
        *(f"| {f.name} | {f.what} |" for f in article_formats()),
        "",
        "## Embedding backends (`EMBEDDING_BACKEND`)",
        "",
        "Defined in `vectorstore/embedding/embedder.py`.",
        "",
        *(f"- `{name}`" for name in embedding_backends()),
    ]
    return "\n".join(lines) + "\n"
