"""Answers rendered inside Discord's limits."""

from __future__ import annotations

from bot.answering.models import Answer, Citation
from bot.discord_app.rendering import EMBED_TOTAL, answer_embed, split_message


def test_long_answers_fit_discord_limits() -> None:
    citations = [
        Citation(i, f"id-{i}", "T" * 400, "https://x.example/" + "p" * 100, "2024-01-01", "q" * 3000, 0, 10)
        for i in range(1, 40)
    ]
    answer = Answer("Q" * 1000, "A" * 10_000, False, "extractive", citations, "2024-01-01")
    embed = answer_embed(answer)
    assert len(embed) <= EMBED_TOTAL and len(embed.fields) <= 25
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
    assert all(len(f.name or "") <= 256 and len(f.value or "") <= 1024 for f in embed.fields)

    text = ("Sentence number one is here. " * 300).strip()
    parts = split_message(text)
    assert all(len(p) <= 2000 for p in parts) and all(p.endswith(".") for p in parts)
    assert " ".join(parts) == text
    assert split_message("x" * 4001) == ["x" * 2000, "x" * 2000, "x"]
    assert split_message("y" * 2000) == ["y" * 2000]
