"""What an LLM provider is: its name, the options it reads, and the factory that builds its
chat model from them (the registry of providers is `providers/__init__.py`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import SecretStr

from common.errors import NewsdeskError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


class LLMConfigError(NewsdeskError):
    """The LLM settings are incomplete or name an unknown provider."""


@dataclass
class ChatBackend:
    """A chat model and whatever must live as long as it (a local server)."""

    model: BaseChatModel
    name: str
    close: Callable[[], None] = lambda: None


@dataclass(frozen=True)
class LLMOptions:
    """The answering core's LLM options: each field is the setting `LLM_<FIELD>` (the
    composition root copies them from Settings; the core never sees the rest)."""

    provider: str = "none"
    model: str = ""
    base_url: str | None = None
    api_key: SecretStr | None = None
    model_path: str | None = None
    timeout_s: float = 30.0
    max_tokens: int = 256
    temperature: float = 0.0
    threads: int = 2

    def key(self) -> str | None:
        return self.api_key.get_secret_value() if self.api_key else None


@dataclass(frozen=True)
class Provider:
    """One member of the registry: `build` makes the chat model from the options; `reads`
    names the options it uses (beside the common timeout, max_tokens, temperature) and
    `needs` those that must be set, checked before `build` is called."""

    name: str
    about: str
    build: Callable[[LLMOptions], ChatBackend | None]
    reads: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    package: str | None = None  # the pip package the factory imports

    def setting_names(self, names: tuple[str, ...]) -> str:
        return ", ".join(f"LLM_{n.upper()}" for n in names)
