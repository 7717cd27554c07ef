"""All settings of newsdesk, read once by each entry point from the environment / `.env`."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from ingest.settings import IngestSettings


class Settings(IngestSettings):
    # Answering
    top_k: int = Field(default=5, ge=1, le=20, description="Passages retrieved per question.")
    min_evidence: float = Field(
        default=0.36, description="Below this evidence score the bot says it does not know."
    )
    support_threshold: float = Field(
        default=0.6, description="Support a generated sentence needs from its source to be kept."
    )
    max_answer_chars: int = Field(default=300, ge=80)
    max_question_chars: int = Field(default=500, ge=20)
    # LLM (optional): none | openai | openai_compatible | ollama | local
    llm_provider: str = Field(default="none", description="Which chat model writes answers.")
    llm_model: str = Field(default="", description="Model name at the provider.")
    llm_base_url: str | None = Field(default=None, description="Server URL (openai_compatible, ollama).")
    llm_api_key: SecretStr | None = None
    llm_model_path: str | None = Field(default=None, description="GGUF file for the local backend.")
    llm_timeout_s: float = Field(default=30.0, gt=0)
    llm_max_tokens: int = Field(default=256, ge=16)
    llm_temperature: float = Field(default=0.0, ge=0, le=2)
    llm_threads: int = Field(default=2, ge=1, description="CPU threads of the local backend.")
    # Discord
    discord_token: SecretStr | None = None
    discord_guild_ids: str = Field(default="", description="Comma-separated ids for instant sync.")
    discord_channel_ids: str = Field(default="", description="Answer only in these channels (empty: all).")
    discord_admin_role: str | None = Field(default=None, description="Role allowed to feed the bot.")
    ask_rate: int = Field(default=3, ge=1, description="Questions per user per ask_per_s seconds.")
    ask_per_s: float = Field(default=30.0, gt=0)
    answer_workers: int = Field(default=2, ge=1, description="Threads answering questions.")
    # 64: a warm answer costs ~20 ms, so a full queue is still answered within a few seconds
    # (50 simultaneous /ask over the stand-in: all answered in ~1 s); a flood past it is told
    # "busy" at once instead of waiting for minutes.
    answer_queue: int = Field(default=64, ge=1, description="Questions waiting before 'busy'.")
    discord_max_upload_bytes: int = Field(default=10_000_000, gt=0)
    discord_edit_interval_s: float = Field(
        default=1.0, ge=0.05, description="Seconds between edits of a reply an LLM is still writing."
    )
    discord_api_base: str = Field(
        default="",
        description="Discord's REST API base, e.g. a rate-limit proxy's http://host:8080/api/v10.",
    )

    # A fleet (issue #21): N processes each run some of Discord's shards against one store
    shard_count: int | None = Field(
        default=None, ge=1, description="Discord shards of the whole bot (empty: what Discord recommends)."
    )
    shard_ids: str = Field(
        default="", description="This process's shards, e.g. 0,1 or 2-3 (empty: every shard of SHARD_COUNT)."
    )
    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Serve /healthz and /metrics on this port (0: any free one, logged; empty: off).",
    )
    metrics_host: str = Field(default="127.0.0.1", description="The address /healthz and /metrics listen on.")

    @property
    def shards(self) -> list[int] | None:
        """SHARD_IDS as a list ("0,2-3" -> [0, 2, 3]); None: every shard."""
        out: list[int] = []
        for part in self.shard_ids.replace(" ", "").split(","):
            first, _, last = part.partition("-")
            if first:
                out += range(int(first), int(last or first) + 1)
        return sorted(set(out)) or None

    @model_validator(mode="after")
    def _shards_within_count(self) -> Settings:
        try:
            shards = self.shards
        except ValueError:
            given = self.shard_ids
            raise ValueError(f"SHARD_IDS takes numbers and ranges like 0,2-3 (got {given!r})") from None
        if shards is not None and self.shard_count is None:
            raise ValueError("SHARD_IDS needs SHARD_COUNT: the shards of the whole bot")
        if shards is not None and self.shard_count is not None and shards[-1] >= self.shard_count:
            raise ValueError(f"SHARD_IDS must be below SHARD_COUNT ({self.shard_count})")
        return self

    @property
    def registers_commands(self) -> bool:
        """The process holding shard 0 (or every shard) registers the slash commands: one
        registration for the fleet."""
        return self.shards is None or 0 in self.shards

    @staticmethod
    def _ids(raw: str) -> list[int]:
        return [int(part) for part in raw.replace(" ", "").split(",") if part]

    @property
    def guild_ids(self) -> list[int]:
        return self._ids(self.discord_guild_ids)

    @property
    def channel_ids(self) -> set[int]:
        return set(self._ids(self.discord_channel_ids))

    @property
    def token(self) -> str:
        """DISCORD_TOKEN without the spaces a copy and paste leaves ("" when unset)."""
        return self.discord_token.get_secret_value().strip() if self.discord_token else ""

    log_level: str = "INFO"
    # Answerability (issue #11): how many ranked sentences are tried for one that meets what
    # the question pins down (year, number, name, ordinal, negation); 0 turns the check off.
    answer_search_depth: int = Field(default=5, ge=0, le=20)
    # The newsroom (issue #22): feeds posting to channels, followed topics, digests
    newsroom_posts_per_poll: int = Field(
        default=10,
        ge=1,
        le=50,
        description="New stories a channel gets as posts per poll round; the rest share one "
        "'and N more stories' message.",
    )
    follow_max_topics: int = Field(
        default=5, ge=1, le=50, description="Topics one member may follow per server."
    )
