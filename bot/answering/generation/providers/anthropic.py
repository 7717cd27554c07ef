"""Anthropic's Messages API, through `langchain-anthropic`."""

from __future__ import annotations

from bot.answering.generation.providers.base import ChatBackend, LLMOptions, Provider


def _anthropic(options: LLMOptions) -> ChatBackend:
    from langchain_anthropic import ChatAnthropic

    assert options.api_key is not None  # the registry checked `needs`
    model = ChatAnthropic(  # type: ignore[call-arg]
        model=options.model,
        api_key=options.api_key,
        base_url=options.base_url,  # None: https://api.anthropic.com
        timeout=options.timeout_s,
        max_retries=1,  # one more try after a 429 or a 5xx, waiting what retry-after says
        max_tokens=options.max_tokens,
        temperature=options.temperature,
    )
    return ChatBackend(model, f"anthropic:{options.model}")


ANTHROPIC = Provider(
    "anthropic",
    "Anthropic's Messages API (LLM_MODEL e.g. claude-haiku-4-5; LLM_BASE_URL for a proxy)",
    _anthropic,
    reads=("model", "api_key", "base_url"),
    needs=("model", "api_key"),
    package="langchain-anthropic",
)
