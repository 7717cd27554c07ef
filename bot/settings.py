"""All settings of newsdesk, read once by each entry point from the environment / `.env`."""

from __future__ import annotations

from pydantic import Field, SecretStr

from ingest.settings import IngestSettings


class Settings(IngestSettings):
    # Answering
    top_k: int = Field(default=5, ge=1, le=20, description="Passages retrieved per question.")
    min_evidence: float = Field(
        default=0.36, description="Below this evidence score the bot says it does not know."
    )
    max_answer_chars: int = Field(default=300, ge=80)
    max_question_chars: int = Field(default=500, ge=20)
    # Discord
    discord_token: SecretStr | None = None
    discord_guild_ids: str = Field(default="", description="Comma-separated ids for instant sync.")
    log_level: str = "INFO"
