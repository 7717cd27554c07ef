"""OpenAI's chat API and servers that speak it (vLLM, llama.cpp, LM Studio), through
`langchain-openai`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.answering.generation.providers.base import ChatBackend, LLMOptions, Provider

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

DEFAULT_MODEL = "gpt-4o-mini"


def chat_openai(options: LLMOptions, base_url: str | None, model: str) -> BaseChatModel:
    """A ChatOpenAI with the common options; a server of our own needs no key ("none")."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model,
        base_url=base_url,
        api_key=options.key() or "none",  # type: ignore[arg-type]
        timeout=options.timeout_s,
        max_retries=1,
        temperature=options.temperature,
        max_tokens=options.max_tokens,  # type: ignore[call-arg]  # sent as max_completion_tokens ...
        extra_body={"max_tokens": options.max_tokens},  # ... which some servers ignore
    )


def _openai(options: LLMOptions) -> ChatBackend:
    model = options.model or DEFAULT_MODEL
    return ChatBackend(chat_openai(options, None, model), f"openai:{model}")


def _compatible(options: LLMOptions) -> ChatBackend:
    model = options.model or DEFAULT_MODEL
    return ChatBackend(chat_openai(options, options.base_url, model), f"openai_compatible:{model}")


OPENAI = Provider(
    "openai",
    f"OpenAI's chat API (model {DEFAULT_MODEL} unless LLM_MODEL says)",
    _openai,
    reads=("model", "api_key"),
    needs=("api_key",),
    package="langchain-openai",
)
OPENAI_COMPATIBLE = Provider(
    "openai_compatible",
    "a server speaking OpenAI's chat API (vLLM, llama.cpp, LM Studio); the key is optional",
    _compatible,
    reads=("model", "base_url", "api_key"),
    needs=("base_url",),
    package="langchain-openai",
)
