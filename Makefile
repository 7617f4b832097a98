# tppo-screen — run `make help` for the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODEL := models/default.joblib
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SHARED_RAW ?= ../shared/data/raw

.DEFAULT_GOAL := help

## Set up .venv with the pinned dependencies and the package (editable)
install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

## Score the demo listings with the shipped model (summary, riskiest rows), then a poster read by OCR
run: install ocr
	$(BIN)/tppo-screen score data/samples/listings.csv -o out/listings.scored.csv --id-column id --top 8
	$(BIN)/tppo-screen check data/samples/poster.png --save-annotated out/poster.annotated.png

## Run the test suite (installs headless Chromium for the browser tests if it is missing)
test: install browser ocr postgres
	$(BIN)/python -m pytest

## Install the Debian packages the browser tests drive: chromium, chromium-driver (and an emoji font)
browser:
	@command -v chromium >/dev/null || ($(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	  chromium chromium-driver fonts-noto-color-emoji)

## Install PostgreSQL (Debian postgresql): the corrections-store tests start a throwaway server
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || \
	  ($(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y \
	  --no-install-recommends postgresql)

## Install Tesseract 5 with its Indonesian and English models (images: posters, screenshots)
ocr:
	@command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx ind && \
	  tesseract --list-langs 2>/dev/null | grep -qx eng && \
	  test -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf || \
	  ($(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	  tesseract-ocr tesseract-ocr-ind tesseract-ocr-eng fonts-dejavu-core)

## Install the fonts the OCR test set is drawn in: DejaVu, Liberation, Noto (and Noto Color Emoji)
fonts:
	@test -f /usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf \
	  -a -f /usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf \
	  -a -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf \
	  -a -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || \
	  ($(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	  fonts-dejavu-core fonts-liberation2 fonts-noto-core fonts-noto-color-emoji)

## Render the poster test set (out/posters) and measure OCR accuracy per degradation and preprocessing
ocr-accuracy: install ocr fonts
	$(BIN)/python scripts/render_posters.py
	nice -n 10 $(BIN)/python benchmarks/ocr_accuracy.py

## Serve the API and the trainers' demo page on http://127.0.0.1:8000/
serve: install ocr
	$(BIN)/tppo-screen serve

## Lint, check formatting and check types (ruff, mypy)
lint: install
	$(BIN)/ruff check tppo_screen tests cli.py serve.py scripts benchmarks
	$(BIN)/ruff format --check tppo_screen tests cli.py serve.py scripts benchmarks
	$(BIN)/mypy

## The quick loop, under a minute: lint, types and the fast tests (no servers, browsers, notebooks)
check: lint
	$(BIN)/python -m pytest -q -m "not slow"

## Rebuild data/ from the raw sources in $(SHARED_RAW) and the authored ads
data: install
	$(BIN)/tppo-screen corpus build --raw $(SHARED_RAW) --out data

## Retrain the shipped model from data/ (deterministic); the card scores both test splits
# OpenBLAS picks CPU-specific kernels whose rounding differs in the last digits; pinning one
# (any x86-64 CPU with AVX2) makes the model file byte-identical across machines.
model: export OPENBLAS_CORETYPE ?= Haswell
model: install
	$(BIN)/tppo-screen train data/train.csv --test data/test.csv --real-test data/real/test.csv -o $(MODEL)

## Rewrite the sample reports: docs/sample-report (real-world test), docs/sample-report-corpus, docs/sample-batch-report
report: install
	$(BIN)/tppo-screen evaluate data/real/test.csv --report docs/sample-report > /dev/null
	$(BIN)/tppo-screen evaluate data/test.csv --report docs/sample-report-corpus > /dev/null
	mkdir -p out && $(BIN)/tppo-screen score data/samples/listings.csv -o out/sample-batch-scored.csv -q --campaigns \
	  --report docs/sample-batch-report > /dev/null

## Re-pin requirements.lock from the current .venv
lock: install
	$(BIN)/python -m pip list --format=freeze --exclude-editable | grep -v "^tppo" | grep -v -e "^pip==" -e "^setuptools==" > requirements.lock.new
	(echo '# Pinned versions for reproducible installs: `make install` uses this file.'; \
	 echo '# Regenerate after changing pyproject.toml dependencies: make lock'; \
	 cat requirements.lock.new) > requirements.lock && rm requirements.lock.new

## Remove the virtual environment, caches and outputs
clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache build *.egg-info

## Show this help
help:
	@awk '/^## /{doc=substr($$0,4); next} /^[a-z-]+:/{if(doc){split($$1,t,":"); printf "  make %-8s %s\n", t[1], doc}; doc=""}' $(MAKEFILE_LIST)

.PHONY: install run test check browser ocr fonts ocr-accuracy postgres serve lint data model report lock clean help
