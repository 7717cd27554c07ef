"""The registry of LLM providers: name -> `Provider` (its factory and the options it reads).

A provider is named here once; the settings reference, `.env.example` and the extension
points page list `PROVIDERS`, and `make_chat_model` is the one place that builds a chat
model. Nothing imports a provider's package unless that provider is configured.
"""

from __future__ import annotations

from bot.answering.generation.providers.anthropic import ANTHROPIC
from bot.answering.generation.providers.base import ChatBackend, LLMConfigError, LLMOptions, Provider
from bot.answering.generation.providers.local import LOCAL
from bot.answering.generation.providers.ollama import OLLAMA
from bot.answering.generation.providers.openai import OPENAI, OPENAI_COMPATIBLE

NONE = Provider("none", "no LLM: answers are quotes from the articles", lambda options: None)

PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> None:
    """Add a provider; a name is taken once."""
    if provider.name in PROVIDERS:
        raise ValueError(f"an LLM provider named {provider.name!r} is registered already")
    PROVIDERS[provider.name] = provider


for _member in (NONE, OPENAI, OPENAI_COMPATIBLE, OLLAMA, LOCAL, ANTHROPIC):
    register(_member)


def provider_of(options: LLMOptions) -> Provider:
    """The configured provider, its required options checked (LLMConfigError: a one-line
    reason naming the setting)."""
    name = options.provider.strip().lower()
    provider = PROVIDERS.get(name)
    if provider is None:
        raise LLMConfigError(f"LLM_PROVIDER must be one of {', '.join(PROVIDERS)}, not {name!r}.")
    missing = tuple(n for n in provider.needs if not getattr(options, n))
    if missing:
        raise LLMConfigError(f"LLM_PROVIDER={name} needs {provider.setting_names(missing)}.")
    return provider


def make_chat_model(options: LLMOptions) -> ChatBackend | None:
    """The one place that builds the LLM; None means answers stay extractive."""
    return provider_of(options).build(options)


__all__ = [
    "PROVIDERS",
    "ChatBackend",
    "LLMConfigError",
    "LLMOptions",
    "Provider",
    "make_chat_model",
    "register",
]
