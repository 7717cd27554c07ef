"""All settings of newsdesk, read once by each entry point from the environment / `.env`."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr, field_validator, model_validator

from bot.answering.refusal import MIN_EVIDENCE
from ingest.settings import IngestSettings


class Settings(IngestSettings):
    sections: ClassVar[dict[str, str]] = {
        "top_k": "Answering",
        "llm_provider": "LLM (optional; without one, answers are quotes from the articles)",
        "discord_token": "Discord",
        "shard_count": "Running more than one process",
        "newsroom_posts_per_poll": "The newsroom: feeds posting to channels",
        "log_level": "Logging",
    }

    top_k: int = Field(default=5, ge=1, le=20, description="Passages used to choose the answer sentence.")
    min_evidence: float = Field(
        default=MIN_EVIDENCE,
        description="Evidence below this and the bot says it could not find the answer (calibrated on "
        "../shared/eval: the refusal curve in the evaluation docs).",
    )
    max_answer_chars: int = Field(default=300, ge=80, description="Longest answer quote.")
    max_question_chars: int = Field(default=500, ge=20, description="Longest question accepted.")
    answer_search_depth: int = Field(
        default=5,
        ge=0,
        le=20,
        description="How many of the best-ranked sentences are tried for one that meets what the question "
        'pins down (a year, number, name, ordinal, negation); none does -> "I could not find anything '
        'on ...", quoting the nearest. 0 turns the check off (bench/refusal_curve.py).',
    )
    support_threshold: float = Field(
        default=0.6,
        description="Support (0..1) a sentence written by the LLM needs from the source it cites to be "
        "kept (calibrated with bench/calibrate_support.py).",
    )
    llm_provider: str = Field(default="none", description="Which chat model writes answers.")
    llm_model: str = Field(default="", description="Model name at the provider (e.g. gpt-4o-mini, llama3.1).")
    llm_base_url: str | None = Field(
        default=None,
        description="The provider's server URL (http://host:port/v1 for an OpenAI-compatible one): which "
        "providers read it is in the extension points reference.",
    )
    llm_api_key: SecretStr | None = Field(
        default=None,
        description="The provider's API key, for the providers that read it. Secret: never logged.",
    )
    llm_model_path: str | None = Field(
        default=None,
        description="A GGUF model file, for a provider run in this process; empty: the packaged "
        "SmolLM2-135M-Instruct.",
    )
    llm_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Seconds before a call to the LLM is abandoned (the quote is answered).",
    )
    llm_max_tokens: int = Field(default=256, ge=16, description="Longest generated answer, in tokens.")
    llm_temperature: float = Field(default=0.0, ge=0, le=2, description="The model's sampling temperature.")
    llm_threads: int = Field(default=2, ge=1, description="CPU threads for a provider run in this process.")
    discord_token: SecretStr | None = Field(
        default=None,
        description="The bot's token (Discord developer portal -> your application -> Bot). Secret: never "
        "logged or shown in an error.",
    )
    discord_guild_ids: str = Field(
        default="",
        description="Comma-separated server ids to sync slash commands to at once (testing); empty syncs "
        "globally (can take up to an hour to appear).",
    )
    discord_channel_ids: str = Field(
        default="",
        description="Comma-separated channel ids where the bot answers; empty: every channel it sees.",
    )
    discord_admin_role: str | None = Field(
        default=None,
        description="The name of a role whose members may use the admin commands (/ingest, /articles, "
        "/forget, /feeds, /digest, /follow with a channel), besides members with Manage Server.",
    )
    ask_rate: int = Field(
        default=3, ge=1, description="Per-member cooldown: ASK_RATE questions per ASK_PER_S seconds."
    )
    ask_per_s: float = Field(default=30.0, gt=0, description="The cooldown's window, in seconds.")
    answer_workers: int = Field(default=2, ge=1, description="Threads answering questions.")
    # 64: a warm answer costs ~20 ms, so a full queue is still answered within a few seconds
    # (50 simultaneous /ask over the stand-in: all answered in ~1 s); a flood past it is told
    # "busy" at once instead of waiting for minutes.
    answer_queue: int = Field(default=64, ge=1, description='Questions allowed to wait before "busy".')
    discord_max_upload_bytes: int = Field(
        default=10_000_000, gt=0, description="Largest file /ingest accepts."
    )
    discord_edit_interval_s: float = Field(
        default=1.0,
        ge=0.05,
        description="With an LLM, a reply is shown as it is written: seconds between its edits.",
    )
    discord_api_base: str = Field(
        default="",
        description="Discord's REST API base (with the version); empty: https://discord.com/api/v10. Set it "
        "to a REST proxy that shares rate limits between processes (e.g. nirn-proxy: "
        "http://proxy:8080/api/v10); the gateway URL is then read from its GET /gateway/bot.",
    )
    shard_count: int | None = Field(
        default=None,
        ge=1,
        description="Discord shards of the whole bot; empty: what Discord recommends (GET /gateway/bot).",
    )
    shard_ids: str = Field(
        default="",
        description="This process's shards: numbers and ranges, e.g. 0,1 or 2-3; empty: every shard of "
        "SHARD_COUNT. N processes on N hosts each take a part, all on one CHROMA_HOST.",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="/healthz and Prometheus /metrics on this port (0: any free one, logged); empty: off.",
    )
    metrics_host: str = Field(
        default="127.0.0.1",
        description="The address /healthz and /metrics listen on: 127.0.0.1 unless opened on purpose.",
    )
    newsroom_posts_per_poll: int = Field(
        default=10,
        ge=1,
        le=50,
        description="New stories a channel gets as their own posts per poll round (the newest); the rest "
        'share one "and N more stories" message, so that a feed back from an outage does not flood it.',
    )
    follow_max_topics: int = Field(
        default=5, ge=1, le=50, description="Topics one member may follow with /follow in one server."
    )
    log_level: str = Field(
        default="INFO",
        description="Log level of `python -m bot` (DEBUG, INFO, WARNING, ...); `newsdesk` commands, "
        "`newsdesk bot` included, log warnings, and everything with -v.",
    )

    @property
    def shards(self) -> list[int] | None:
        """SHARD_IDS as a list ("0,2-3" -> [0, 2, 3]); None: every shard."""
        out: list[int] = []
        for part in self.shard_ids.replace(" ", "").split(","):
            first, _, last = part.partition("-")
            if first:
                out += range(int(first), int(last or first) + 1)
        return sorted(set(out)) or None

    @field_validator("llm_provider")
    @classmethod
    def _registered_provider(cls, value: str) -> str:
        """A provider the registry holds (case and spaces aside); read only when one is set."""
        from bot.answering.generation.providers import PROVIDERS

        if value.strip().lower() not in PROVIDERS:
            raise ValueError(f"must be one of {', '.join(PROVIDERS)}")
        return value

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
