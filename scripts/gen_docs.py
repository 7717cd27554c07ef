"""Write the generated docs (the CLI, settings and extension reference, the module map) and
`.env.example` from the code: `python -m scripts.gen_docs` (`make docs-gen`). With
`--check`, write nothing and exit 1 naming the files that are stale (tests/test_docs.py
runs the same check)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from scripts import cli_doc, module_map, settings_doc
from scripts.extensions import extensions_page

ROOT = Path(__file__).resolve().parent.parent


def generated(root: Path = ROOT) -> dict[Path, str]:
    """Every generated file and its text."""
    return {
        **cli_doc.outputs(root),
        **settings_doc.outputs(root),
        **module_map.outputs(root),
        root / "docs/reference/extensions.md": extensions_page(),
    }


def stale(files: dict[Path, str]) -> list[Path]:
    """The files whose committed text is not what the code generates."""
    return [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="Only say which files are stale.")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    files = generated()
    old = stale(files)
    if args.check:
        for path in old:
            print(f"stale: {path.relative_to(ROOT)} (run `make docs-gen`)", file=sys.stderr)
        return 1 if old else 0
    for path in old:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
