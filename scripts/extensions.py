"""The lists of extension points the docs and `.env.example` show: LLM providers, article
formats, embedding backends.

Each list is read from its registry, the one place the code names its members, so the docs
list what the code accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vectorstore.embedding.embedder import Backend


@dataclass(frozen=True)
class Extension:
    name: str
    what: str


def llm_providers() -> list[str]:
    from bot.answering.generation.providers import PROVIDERS

    return list(PROVIDERS)


def provider_rows() -> list[str]:
    """A table row per LLM provider: its name, what it is, the settings it reads."""
    from bot.answering.generation.providers import PROVIDERS

    rows = []
    for p in PROVIDERS.values():
        reads = ", ".join(
            f"`{n}`" + (" (required)" if n in p.setting_names(p.needs) else "")
            for n in p.setting_names(p.reads).split(", ")
            if n
        )
        rows.append(f"| `{p.name}` | {p.about} | {reads or '—'} | {f'`{p.package}`' if p.package else '—'} |")
    return rows


def embedding_backends() -> list[str]:
    from vectorstore.embedding import BACKENDS

    return list(BACKENDS)


def backend_entries() -> list[Backend]:
    from vectorstore.embedding.embedder import BACKENDS

    return list(BACKENDS.values())


def article_formats() -> list[Extension]:
    """The file extensions ingest reads, by format (the registry)."""
    from ingest.reading.registry import FORMATS

    return [
        Extension(
            ", ".join(f"`{s}`" for s in sorted(f.suffixes)),
            f.name + (" — also from Discord's /ingest" if f.upload else ""),
        )
        for f in FORMATS
    ]


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
        "The registry is `bot/answering/generation/providers/__init__.py`. Every provider also",
        "reads `LLM_TIMEOUT_S`, `LLM_MAX_TOKENS` and `LLM_TEMPERATURE`.",
        "",
        "| name | what | settings it reads | package |",
        "|---|---|---|---|",
        *provider_rows(),
        "",
        "## Article formats (file extensions `newsdesk ingest` reads)",
        "",
        "The registry is `ingest/reading/registry.py`.",
        "",
        "| extensions | format |",
        "|---|---|",
        *(f"| {f.name} | {f.what} |" for f in article_formats()),
        "",
        "## Embedding backends (`EMBEDDING_BACKEND`)",
        "",
        "The registry is `BACKENDS` in `vectorstore/embedding/embedder.py`.",
        "",
        *(f"- `{b.name}`: {b.about}." for b in backend_entries()),
    ]
    return "\n".join(lines) + "\n"
