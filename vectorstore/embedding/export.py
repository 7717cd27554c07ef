"""The ONNX file of the embedding model, made once from the installed model files, outside
the processes that use it.

Exporting needs torch and transformers (about 540 MB of memory, never given back), so a
running bot, watcher or CLI never exports in its own process: `make install` exports the
model (`python -m vectorstore.embedding.export`, the configured model into the
configured folder), and a process that finds the file missing runs that same command as a
child process and waits for it (`ensure_exported`), one process at a time per folder.

The export uses PyTorch's supported exporter (`torch.onnx.export(..., dynamo=True)` with
dynamic batch and sequence dimensions, so padded batches stay right; tests check it). The
int8 file (EMBEDDING_BACKEND=onnx-int8) is quantized from it, also in the child.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

from vectorstore.embedding.model_files import resolve_model
from vectorstore.errors import ModelNotFoundError
from vectorstore.system import flocked

log = logging.getLogger(__name__)

_LOCK = ".export.lock"  # in the ONNX folder: one exporting process at a time


def onnx_path(onnx_dir: Path, model_name: str) -> Path:
    """Where a model's ONNX file is kept under the ONNX folder."""
    return onnx_dir / model_name.replace("/", "--") / "model.onnx"


def int8_path(path: Path) -> Path:
    return path.with_name("model.int8.onnx")


def data_path(path: Path) -> Path:
    """The external data file (the weights) beside an ONNX graph."""
    return path.with_name(path.name + ".data")


def ensure_exported(model_dir: Path, target: Path, int8: bool = False) -> Path:
    """The ONNX file to run (the int8 one with `int8`), made by a child process when it
    is missing; this process never imports torch."""
    wanted = int8_path(target) if int8 else target
    if _ready(wanted, int8):
        return wanted
    with flocked(target.parent.parent / _LOCK):  # another process may be exporting it: wait for it
        if not _ready(wanted, int8):
            _run_child(model_dir, target, int8)
    if not _ready(wanted, int8):
        raise ModelNotFoundError(f"The ONNX export of {model_dir.name} did not write {wanted}.")
    return wanted


def _ready(path: Path, int8: bool) -> bool:
    """Whether the file is there, and for the int8 one its weights beside it: an int8 file
    with its weights inside (as an earlier version wrote it) is quantized again."""
    return path.is_file() and (not int8 or data_path(path).is_file())


def _run_child(model_dir: Path, target: Path, int8: bool) -> None:
    log.warning("exporting the embedding model to %s (once; `make install` does it beforehand)", target)
    command = [sys.executable, "-m", "vectorstore.embedding.export", "--model-dir", str(model_dir)]
    command += ["--target", str(target)] + (["--int8"] if int8 else [])
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        tail = " ".join(done.stderr.strip().splitlines()[-3:])
        missing = re.search(r"No module named '(torch|transformers|onnx)\b", done.stderr)
        hint = "It needs torch (`make install`)" if missing else "`make install` exports it beforehand"
        raise ModelNotFoundError(
            f"Exporting the embedding model to ONNX failed (exit {done.returncode}): {tail}. "
            f"{hint}; or set EMBEDDING_BACKEND=torch."
        )


def export_onnx(model_dir: Path, target: Path) -> Path:
    """Export the model's transformer (last hidden state) to ONNX. Needs torch."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    import transformers
    from transformers import AutoModel, AutoTokenizer

    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = AutoModel.from_pretrained(
        str(model_dir), local_files_only=True, attn_implementation="eager"
    ).eval()
    sample = tokenizer(
        ["A short one.", "A longer example sentence, so that the batch is padded."],
        padding=True,
        return_tensors="pt",
    )
    batch = torch.export.Dim("batch", min=1, max=4096)
    seq = torch.export.Dim("seq", min=2, max=512)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    # Written in a folder of its own and renamed into place when complete: an interrupted
    # export leaves no half file behind (the weights sit in a .data file beside the graph).
    folder = target.parent
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # skipped torchvision ops, etc.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _export(torch, model, sample, names, partial / target.name, batch, seq)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    log.info("exported %s to %s", model_dir, target)
    return target


def _export(torch: Any, model: Any, sample: Any, names: list[str], path: Path, batch: Any, seq: Any) -> None:
    torch.onnx.export(
        model,
        (),
        kwargs={n: sample[n] for n in names},
        f=str(path),
        dynamo=True,
        verbose=False,
        input_names=names,
        output_names=["last_hidden_state"],
        dynamic_shapes={n: {0: batch, 1: seq} for n in names},
    )


def _remove(path: Path) -> None:
    """Whatever is at `path`: a folder with its files, a file or a link."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def quantize_int8(source: Path, target: Path) -> Path:
    """Dynamic int8 quantization of the exported model's MatMul weights, per channel.

    Only MatMul: quantizing the embedding tables too (onnxruntime's default op list) took
    the vectors' cosine to the float model down to 0.94 on squad-dev text; MatMul alone,
    per channel, keeps it at 0.994 (bench/README.md has the recall figures).

    The weights go to a data file beside the graph, as in the float export: ONNX Runtime
    then maps the word-embedding table (float32, 47 MB) and reads only the rows a batch
    needs, where a file holding its weights inside is read whole (a cold question: 192 MiB
    against 150 MiB). Written in a folder of its own, then moved beside the float files,
    the data file first: the graph's presence says the pair is complete.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    staging = target.with_name(target.name + ".partial")
    _remove(staging)  # an interrupted run's folder, or the file an earlier version wrote there
    staging.mkdir()
    partial = staging / target.name
    root = logging.getLogger()  # onnxruntime advises pre-processing there, on every call
    advice = _Drop("pre-processing before quantization")
    root.addFilter(advice)
    try:
        quantize_dynamic(
            str(source),
            str(partial),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
            use_external_data_format=True,
        )
    finally:
        root.removeFilter(advice)
    data_path(partial).chmod(stat.S_IMODE(partial.stat().st_mode))  # written 0600: readable as the graph
    data_path(partial).replace(data_path(target))
    partial.replace(target)
    shutil.rmtree(staging, ignore_errors=True)
    log.info("quantized %s to %s", source, target)
    return target


class _Drop(logging.Filter):
    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self._text not in record.getMessage()


def export_files(model_dir: Path, target: Path, int8: bool) -> None:
    """What the child process does: the ONNX file, and the int8 one when asked for."""
    if not target.is_file():
        export_onnx(model_dir, target)
    if int8 and not _ready(int8_path(target), int8):
        quantize_int8(target, int8_path(target))


def main(argv: list[str] | None = None) -> int:
    """`python -m vectorstore.embedding.export`: with no arguments, the configured model
    (EMBEDDING_MODEL, EMBEDDING_BACKEND, EMBEDDING_ONNX_DIR or <data dir>/models: the
    environment and .env) is exported if it is not already; `make install` runs this."""
    import argparse  # this command's only: a process that embeds does not import it

    parser = argparse.ArgumentParser(prog="python -m vectorstore.embedding.export")
    parser.add_argument("--model-dir", type=Path, help="the model's files (default: the configured model)")
    parser.add_argument("--target", type=Path, help="the ONNX file to write")
    parser.add_argument("--int8", action="store_true", help="also the int8 file beside it")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.model_dir is not None and args.target is not None:
        export_files(args.model_dir, args.target, args.int8)
        return 0
    from vectorstore.settings import StoreSettings

    settings = StoreSettings()
    backend = settings.embedding_backend.strip().lower()
    if backend == "torch":
        print("EMBEDDING_BACKEND=torch: nothing to export")
        return 0
    name, model_dir = resolve_model(settings.embedding_model)
    target = onnx_path(settings.embedding_onnx_dir or settings.data_dir / "models", name)
    export_files(model_dir, target, int8=backend == "onnx-int8")
    print(f"embedding model ready: {target.parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
