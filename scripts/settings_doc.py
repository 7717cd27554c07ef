"""The settings reference (docs/reference/settings.md) and `.env.example`, both generated from
the Settings classes: bot/settings.py <- ingest/settings.py <- vectorstore/settings.py. A
field's description is its documentation in both; `sections` group the fields."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from scripts.extensions import CHOICES
from vectorstore.settings import EnvSettings

WIDTH = 90


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable
    default: str  # as written in a .env file ("" for none)
    allowed: str  # its type and bounds, or its choices
    description: str
    defined_in: str  # the module of the class that declares it


@dataclass(frozen=True)
class Section:
    title: str
    settings: list[Setting]


def sections(cls: type[EnvSettings]) -> list[Section]:
    """The fields of `cls` in declaration order (its bases' first), grouped by the bases'
    and its own `sections` (first field -> title)."""
    titles: dict[str, str] = {}
    owners: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        titles.update(getattr(klass, "sections", {}) if "sections" in vars(klass) else {})
        for name in getattr(klass, "__annotations__", {}):
            owners.setdefault(name, klass.__module__.replace(".", "/") + ".py")
    out: list[Section] = []
    for name, field in cls.model_fields.items():
        if name in titles or not out:
            out.append(Section(titles.get(name, "Settings"), []))
        if not field.description:
            raise ValueError(f"{cls.__name__}.{name} has no description: the docs and .env.example need one")
        out[-1].settings.append(
            Setting(
                name.upper(), env_value(field.default), allowed(name, field), field.description, owners[name]
            )
        )
    return out


def env_value(value: Any) -> str:
    """A default as a .env file writes it."""
    if value is None or isinstance(value, SecretStr):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    return f'"{text}"' if any(c in text for c in " #\"'") else text


def allowed(name: str, field: FieldInfo) -> str:
    if name in CHOICES:
        return "one of " + ", ".join(CHOICES[name]())
    kind = _kind(field.annotation)
    bounds = []
    for meta in field.metadata:
        for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            if isinstance(meta, getattr(annotated_types, attr.capitalize())):
                bounds.append(f"{sign} {getattr(meta, attr)}")
    return " ".join([kind, ", ".join(bounds)]).strip()


def _kind(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) or str(annotation)
    text = str(annotation) if "|" in str(annotation) else text
    for raw, shown in (("pathlib.", ""), ("pydantic.types.", ""), ("<class '", ""), ("'>", "")):
        text = text.replace(raw, shown)
    return {
        "int": "integer",
        "float": "number",
        "bool": "true/false",
        "str": "text",
        "Path": "path",
        "int | None": "integer or empty",
        "str | None": "text or empty",
        "Path | None": "path or empty",
        "SecretStr | None": "secret",
    }.get(text, text)


def cell(text: str) -> str:
    """Text for a Markdown table cell: no pipe, no newline, no `<` read as HTML."""
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def reference(cls: type[EnvSettings]) -> str:
    lines = [
        "# Settings",
        "",
        "Every setting is an environment variable, also read from a `.env` file in the working",
        "directory (a real environment variable wins; an empty value means the default).",
        "`.env.example` lists them all. Generated from the Settings classes by `make docs-gen`:",
        "`bot/settings.py` extends `ingest/settings.py`, which extends `vectorstore/settings.py`.",
    ]
    for section in sections(cls):
        owner = section.settings[0].defined_in
        lines += ["", f"## {section.title}", "", f"Declared in `{owner}`.", ""]
        lines += ["| variable | default | allowed | what |", "|---|---|---|---|"]
        for s in section.settings:
            default = f"`{s.default}`" if s.default else "(empty)"
            lines.append(f"| `{s.name}` | {default} | {cell(s.allowed)} | {cell(s.description)} |")
    return "\n".join(lines) + "\n"


def env_example(cls: type[EnvSettings]) -> str:
    lines = [
        "# newsdesk settings. Copy to .env and edit; real environment variables win over .env, and",
        "# an empty value means the default. Every variable is optional except DISCORD_TOKEN for",
        "# the Discord bot. Generated from the Settings classes (bot/settings.py, ingest/settings.py,",
        "# vectorstore/settings.py) by `make docs-gen`: change a description there, not here.",
    ]
    for section in sections(cls):
        lines += ["", f"# --- {section.title} ".ljust(WIDTH, "-")]
        for s in section.settings:
            text = s.description + (f" ({s.allowed}.)" if s.allowed.startswith("one of") else "")
            lines += textwrap.wrap(text, WIDTH, initial_indent="# ", subsequent_indent="# ")
            lines.append(f"{s.name}={s.default}")
    return "\n".join(lines) + "\n"


def settings_class() -> type[EnvSettings]:
    from bot.settings import Settings

    return Settings


def outputs(root: Path) -> dict[Path, str]:
    cls = settings_class()
    return {root / "docs/reference/settings.md": reference(cls), root / ".env.example": env_example(cls)}
