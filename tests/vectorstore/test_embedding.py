from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from bot.settings import Settings
from tests.conftest import REPO
from vectorstore.embedding import Embedder, canonical_model_name, make_embedder
from vectorstore.embedding.local import LocalEmbedder, TokenEmbeddings
from vectorstore.embedding.model_files import load_tokenizer, packaged_model_path, pool_spans, resolve_model
from vectorstore.errors import ModelNotFoundError


def test_model_comes_from_the_installed_package_offline() -> None:
    name, path = resolve_model("all-MiniLM-L6-v2")
    assert name == "sentence-transformers/all-MiniLM-L6-v2"
    assert (path / "model.safetensors").is_file() and "site-packages" in str(path)
    with pytest.raises(ModelNotFoundError, match="never downloaded"):
        resolve_model("some-org/some-model-on-a-hub")
    assert canonical_model_name("sentence-transformers/all-MiniLM-L6-v2") == name


def test_one_pass_gives_the_chunk_vector_and_in_context_sentence_vectors(embedder: Embedder) -> None:
    text = "The harbour bridge closes in April for repairs. Buses will use the ring road. A ferry runs at rush hour."
    spans = [(0, 47), (48, 77), (78, len(text))]
    [vector], [sentences] = embedder.embed_with_spans([text], [spans])

    assert float(vector @ embedder.embed([text])[0]) > 0.9999, "same as encode's mean pooling"
    assert sentences.shape == (3, embedder.dimension)
    assert np.allclose(np.linalg.norm(sentences, axis=1), 1.0, atol=1e-5)
    standalone = embedder.embed([text[a:b] for a, b in spans])
    similarity = sentences @ standalone.T
    assert all(int(np.argmax(row)) == i for i, row in enumerate(similarity)), (
        "each is closest to its own sentence"
    )


def test_padded_batches_give_the_same_vectors(embedder: Embedder) -> None:
    short, long = (
        "Cats purr.",
        "A much longer sentence about the council budget and the new tram line in the city. " * 3,
    )
    alone = embedder.embed_with_spans([short], [[(0, len(short))]])[0][0]
    batched = embedder.embed_with_spans([long, short], [[(0, 10)], [(0, len(short))]])[0][1]
    assert float(alone @ batched) > 0.9999


# texts that try the tokenizer's rules: accents, scripts, CJK, emoji, control and zero-width
# characters, special tokens written in the text, a word over 100 characters, the 256-token cut
_TRICKY = [
    "Café naïve résumé ÉCOLE İstanbul ß ẞ ǅ",
    "東京で会議 北京 中文字符 한국어",
    "emoji 😀👍🏽 test",
    "[CLS] hi [SEP] [MASK] x [PAD][UNK] [cls]",
    "a" * 150 + " b",
    "\x00\x01ctrl\u200b\u00adsoft\ufeffbom",
    "ﬁ ligature Ⅻ ½ ① ＦＵＬＬ",
    "Ελληνικά Русский עברית العربية हिन्दी",
    "  spaces\t\ttabs\n\nnewlines  ",
    "don't won't O'Neil's U.S.A. e.g. 3.14 1,000,000 $5bn 20%",
    "",
    " ".join(["word"] * 400),
]


def test_the_bert_tokenizer_built_from_its_vocabulary_tokenizes_as_its_tokenizer_json() -> None:
    """load_tokenizer builds all-MiniLM-L6-v2's tokenizer from vocab.txt (less memory than
    tokenizer.json's): the same ids, offsets and type ids on the sample articles and tricky
    texts, with and without the special tokens, cut where the backend cuts."""
    model = packaged_model_path()
    built, from_json = load_tokenizer(model), Tokenizer.from_file(str(model / "tokenizer.json"))
    assert not isinstance(built, Tokenizer), "the packaged model is BERT's: built from vocab.txt"
    articles = [f.read_text(encoding="utf-8") for f in sorted((REPO / "samples").glob("*.md"))]
    texts = _TRICKY + [a[i : i + 1200] for a in articles for i in range(0, len(a), 400)]
    for tokenizer in (built, from_json):
        tokenizer.enable_truncation(256)
        tokenizer.no_padding()
    for special in (True, False):
        pairs = zip(
            built.encode_batch(texts, add_special_tokens=special),
            from_json.encode_batch(texts, add_special_tokens=special),
            strict=True,
        )
        for text, (a, b) in zip(texts, pairs, strict=True):
            assert (a.ids, a.offsets, a.type_ids) == (b.ids, b.offsets, b.type_ids), text[:60]
    assert len(built.encode(_TRICKY[-1]).ids) == 256 > len(built.encode(_TRICKY[0]).ids) > 5


def test_another_models_tokenizer_is_read_from_its_tokenizer_json(tmp_path: Path) -> None:
    """Only the packaged model's tokenizer is built from vocab.txt: another BERT model's
    tokenizer.json may add tokens a vocabulary does not carry."""
    model = packaged_model_path()
    for name in ("tokenizer.json", "vocab.txt", "tokenizer_config.json"):
        (tmp_path / name).write_bytes((model / name).read_bytes())
    assert isinstance(load_tokenizer(tmp_path), Tokenizer), "a BERT model of the user's own"
    (tmp_path / "tokenizer_config.json").unlink()
    assert isinstance(load_tokenizer(tmp_path), Tokenizer), "no tokenizer_config.json"


def test_pool_spans_ignores_special_tokens_and_empty_spans() -> None:
    tokens = np.array([[9.0, 9.0], [1.0, 0.0], [0.0, 1.0], [9.0, 9.0]], dtype=np.float32)
    offsets = [(0, 0), (0, 3), (4, 7), (0, 0)]  # [CLS] a b [SEP]
    fallback = np.array([1.0, 1.0], dtype=np.float32)
    pooled = pool_spans(tokens, offsets, [(0, 3), (4, 7), (20, 30)], fallback)
    assert np.allclose(pooled[0], [1, 0]) and np.allclose(pooled[1], [0, 1])
    assert np.allclose(pooled[2], fallback / np.linalg.norm(fallback))


def test_onnx_and_torch_backends_give_the_same_vectors(embedder: Embedder) -> None:
    from vectorstore.embedding.onnx_backend import OnnxEmbedder
    from vectorstore.embedding.torch_backend import SentenceTransformerEmbedder

    assert isinstance(embedder, OnnxEmbedder), "ONNX is the default backend"
    torch_embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    texts = [
        "Short.",
        "A far longer text about harbour bridges, ferries and buses in the rush hour. " * 4,
        "中文句子。",
    ]
    a, b = embedder.embed(texts), torch_embedder.embed(texts)  # one padded batch
    assert (a * b).sum(axis=1).min() >= 0.9999
    spans = [[(0, 6)], [(0, 40), (41, 90)], [(0, 5)]]
    (_, sa), (_, sb) = embedder.embed_with_spans(texts, spans), torch_embedder.embed_with_spans(texts, spans)
    assert all((x * y).sum(axis=1).min() >= 0.9999 for x, y in zip(sa, sb, strict=True))
    assert embedder.count_tokens(texts[1]) == torch_embedder.count_tokens(texts[1])


def test_the_query_path_never_imports_torch(
    sample_engine: object, settings: object, onnx_dir: object
) -> None:
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from bot.settings import Settings\n"
        "from bot.app import App\n"
        'answer = App(Settings()).engine.answer("where is OpenAI\'s first international office?")\n'
        "print('London' in answer.text, [m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ), check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "True []"


def test_int8_backend_is_quantized_once_and_stays_close_to_the_float_model(
    embedder: Embedder, onnx_dir: Path
) -> None:
    settings = Settings(_env_file=None, embedding_onnx_dir=onnx_dir, embedding_backend="onnx-int8")  # type: ignore[call-arg]
    int8 = make_embedder(settings)
    texts = [
        "Short.",
        "OpenAI opened its first international office in London, its chief executive said on Wednesday.",
        "A far longer text about harbour bridges, ferries and buses in the rush hour. " * 4,
    ]
    a, b = embedder.embed(texts), int8.embed(texts)
    cosines = (a * b).sum(axis=1)
    assert cosines.min() >= 0.98, "int8 vectors can share a store with float ones"
    assert not np.allclose(a, b, atol=1e-4), "the int8 model really runs"
    folder = onnx_dir / "sentence-transformers--all-MiniLM-L6-v2"
    float_bytes = sum(f.stat().st_size for f in folder.glob("model.onnx*"))
    int8_bytes = sum(f.stat().st_size for f in folder.glob("model.int8.onnx*"))
    assert int8_bytes < 0.75 * float_bytes, "its weights are int8"
    assert (folder / "model.int8.onnx.data").is_file(), "beside the graph: mapped, not read whole"


def test_an_int8_file_holding_its_weights_is_quantized_again_with_the_same_outputs(
    embedder: Embedder, onnx_dir: Path, tmp_path: Path
) -> None:
    """An int8 file with its weights inside (as an earlier version wrote it) is replaced
    by one with its weights beside it, which computes the same, whatever an earlier
    version's interrupted run left where the new one stages its files."""
    import shutil

    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from vectorstore.embedding.onnx_backend import OnnxEmbedder

    embedder.embed(["exported"])  # the float files exist
    source = onnx_dir / "sentence-transformers--all-MiniLM-L6-v2"
    folder = tmp_path / "onnx" / source.name
    folder.mkdir(parents=True)
    for name in ("model.onnx", "model.onnx.data"):
        shutil.copy(source / name, folder / name)
    old = folder / "model.int8.onnx"
    quantize_dynamic(
        str(folder / "model.onnx"),
        str(old),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
    )
    assert not (folder / "model.int8.onnx.data").exists()
    (folder / "model.int8.onnx.partial").write_bytes(b"where an earlier version's interrupted run wrote")
    ids = np.array(
        [[101, 2023, 2003, 1037, 3231, 1997, 1996, 4258, 102]], dtype=np.int64
    )  # "this is a test of the bridge"
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    before = onnxruntime.InferenceSession(str(old), providers=["CPUExecutionProvider"]).run(None, feed)[0]

    OnnxEmbedder("all-MiniLM-L6-v2", tmp_path / "onnx", int8=True).embed(["this is a test of the bridge"])

    assert (folder / "model.int8.onnx.data").is_file() and old.stat().st_size < 2_000_000
    after = onnxruntime.InferenceSession(str(old), providers=["CPUExecutionProvider"]).run(None, feed)[0]
    assert np.array_equal(after, before)


def test_unknown_backend_is_a_clear_error(settings: Settings) -> None:
    with pytest.raises(ModelNotFoundError, match="onnx, onnx-int8, torch"):
        make_embedder(settings.model_copy(update={"embedding_backend": "tensorflow"}))


def test_a_batch_is_bounded_in_texts_and_in_tokens() -> None:
    from vectorstore.embedding.onnx_backend import TOKEN_BUDGET, batches

    lengths = [256] * 30 + [12] * 100 + [90] * 40
    parts = list(batches(lengths, 64))
    assert sorted(i for part in parts for i in part) == list(range(len(lengths)))
    for part in parts:
        widest = max(lengths[i] for i in part)
        assert len(part) <= 64 and len(part) * widest * widest <= TOKEN_BUDGET
        assert [lengths[i] for i in part] == sorted(lengths[i] for i in part)
    assert max(len(p) for p in parts) == 64, "short texts fill a batch"
    assert list(batches([100_000], 8)) == [[0]], "a text over the budget is a batch of its own"


def test_a_failed_export_is_a_clear_error_and_leaves_no_file(tmp_path: Path) -> None:
    from vectorstore.embedding.onnx_backend import OnnxEmbedder

    model = tmp_path / "not-a-model"
    model.mkdir()
    (model / "modules.json").write_text("[]")
    embedder = OnnxEmbedder(str(model), tmp_path / "onnx")
    with pytest.raises(ModelNotFoundError, match="Exporting the embedding model to ONNX failed"):
        embedder.embed(["a text"])
    assert not list((tmp_path / "onnx").rglob("*.onnx"))


def test_no_texts_give_no_vectors(embedder: Embedder) -> None:
    assert embedder.embed([]).shape == (0, embedder.dimension)
    vectors, spans = embedder.embed_with_spans([], [])
    assert vectors.shape == (0, embedder.dimension) and spans == []


def test_a_backend_loads_its_model_once_whatever_the_threads_asking() -> None:
    """LocalEmbedder, the loading both backends share: the first use loads, under a lock."""
    loads: list[object] = []

    class Counting(LocalEmbedder[object]):
        dimension = 3

        def _load(self) -> object:
            time.sleep(0.05)  # a slow load: the other threads ask meanwhile
            loads.append(object())
            return loads[-1]

        def _embed(self, texts: Sequence[str]) -> np.ndarray:
            raise AssertionError

        def _token_embeddings(self, texts: Sequence[str]) -> TokenEmbeddings:
            raise AssertionError

    local = Counting("all-MiniLM-L6-v2", batch_size=8, threads=0)
    start = threading.Barrier(8)

    def ask() -> object:
        start.wait()
        return local._model()

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: ask(), range(8)))
    assert len(loads) == 1 and all(g is loads[0] for g in got)
    assert local.name == "sentence-transformers/all-MiniLM-L6-v2"


def test_a_failed_export_says_torch_is_needed_only_when_it_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export runs in a child process; its error names torch only when the child could
    not import it, and says what the child said either way."""
    from vectorstore.embedding.export import ensure_exported
    from vectorstore.errors import ModelNotFoundError

    not_a_model = tmp_path / "not-a-model"
    not_a_model.mkdir()
    with pytest.raises(ModelNotFoundError) as failed:
        ensure_exported(not_a_model, tmp_path / "a" / "model.onnx", False)
    assert "needs torch" not in str(failed.value) and "make install" in str(failed.value)
    shadow = tmp_path / "shadow" / "torch"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'torch'\")\n")
    monkeypatch.setenv("PYTHONPATH", str(shadow.parent))
    with pytest.raises(ModelNotFoundError, match="It needs torch"):
        ensure_exported(packaged_model_path(), tmp_path / "b" / "model.onnx", False)
