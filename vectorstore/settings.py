"""Settings for the store and the embedder, read once by each entry point.

Every setting is one field with its description: the settings reference and `.env.example`
are generated from these classes (`make docs-gen`). `sections` maps the first field of
each group to the group's title there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field

DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
ENV_FILE = ".env"


class EnvSettings(BaseModel):
    """Fields read, by their names in any case, from the values given, else the environment,
    else the `.env` file (python-dotenv reads it), else their defaults; a variable set empty
    (`NAME=`, as `.env.example` lists every optional setting) means the default. pydantic
    validates them. (pydantic-settings, which does the same, imports asyncio, ssl and
    argparse with it: 5 MiB in every process that reads the settings, `newsdesk ask` too.)"""

    model_config = ConfigDict(extra="ignore", validate_default=True)

    def __init__(self, _env_file: str | Path | None = ENV_FILE, **values: Any) -> None:
        given = {name.lower(): value for name, value in values.items()}
        super().__init__(**(_from_env(set(type(self).model_fields), _env_file) | given))


def _from_env(names: set[str], env_file: str | Path | None) -> dict[str, str]:
    in_file = env_file is not None and Path(env_file).is_file()
    read = dotenv_values(env_file, encoding="utf-8") if in_file else {}
    found = {key.lower(): value for key, value in read.items() if value}
    found |= {key.lower(): value for key, value in os.environ.items() if value}
    return {name: value for name, value in found.items() if name in names}


class StoreSettings(EnvSettings):
    """Where data lives and how text becomes vectors."""

    sections: ClassVar[dict[str, str]] = {"newsdesk_data_dir": "Storage", "embedding_model": "Embedding"}

    newsdesk_data_dir: Path = Field(
        default=Path("data"),
        description="Everything the program writes lives here: the embedded Chroma store, this host's "
        "rows and chunk index, the feeds, stories, votes and newsroom files, the exported model.",
    )
    chroma_host: str | None = Field(
        default=None,
        description="Talk to a Chroma server (HttpClient) instead of the embedded store; `make chroma` "
        "starts one on 127.0.0.1. Empty: the embedded PersistentClient in the data dir.",
    )
    chroma_port: int = Field(default=8000, description="The Chroma server's port.")
    chroma_ssl: bool = Field(default=False, description="https to the Chroma server.")
    chroma_collection: str = Field(
        default="newsdesk",
        description="Name prefix of the Chroma collections (<name>_chunks, <name>_articles).",
    )
    writer_lease_s: float = Field(
        default=30.0,
        gt=0,
        description="With CHROMA_HOST: one writer at a time holds a lease in the store, renewed every "
        "third of it while it writes; a writer killed with -9 blocks the next one for about this many "
        "seconds, and a writer paused past it (SIGSTOP, a frozen VM) is refused at its next write.",
    )
    poller_lease_s: float = Field(
        default=60.0,
        ge=3,
        description="The fleet's one feed poller (the process that polls the feeds and plans the "
        "newsroom's posts and digests) holds a lease this long; when it dies another process takes "
        "over within about 5/3 of it. Processes look for due feeds every third of it (at most 60 s).",
    )
    embedding_model: str = Field(
        default=DEFAULT_EMBEDDING_MODEL,
        description="The packaged all-MiniLM-L6-v2 (offline), or a folder holding a sentence-transformers "
        "model. A store remembers its model: changing this needs a new data dir or collection.",
    )
    embedding_backend: str = Field(
        default="onnx",
        description="Which backend turns text into vectors: the extension points reference says what "
        "each is.",
    )
    embedding_onnx_dir: Path | None = Field(
        default=None, description="Where the exported ONNX model is kept; empty: <NEWSDESK_DATA_DIR>/models."
    )
    embedding_batch_size: int = Field(
        default=8,
        ge=1,
        description="Texts per forward pass of the model. With ONNX, long texts go at most 4 at a time "
        "whatever this says (a batch's memory grows with the square of its length); a batch's memory is "
        "given back after it (docs/operator/memory.md).",
    )
    embedding_threads: int = Field(
        default=0,
        ge=0,
        description="Threads for embedding (torch or ONNX Runtime); 0: `newsdesk ask` and `chat` use one "
        "(a question is one short text), other commands every core, and the Discord bot gives each of its "
        "ANSWER_WORKERS an equal share.",
    )

    @property
    def data_dir(self) -> Path:
        return self.newsdesk_data_dir
