"""An Ollama server, through `langchain-ollama`."""

from __future__ import annotations

from bot.answering.generation.providers.base import ChatBackend, LLMOptions, Provider


def _ollama(options: LLMOptions) -> ChatBackend:
    from langchain_ollama import ChatOllama

    model = ChatOllama(
        model=options.model,
        base_url=options.base_url,
        num_predict=options.max_tokens,
        temperature=options.temperature,
        client_kwargs={"timeout": options.timeout_s},
    )
    return ChatBackend(model, f"ollama:{options.model}")


OLLAMA = Provider(
    "ollama",
    "an Ollama server (LLM_BASE_URL, default http://localhost:11434)",
    _ollama,
    reads=("model", "base_url"),
    needs=("model",),
    package="langchain-ollama",
)
