#!/usr/bin/env bash
# Install everything OIT Watch needs on a fresh Debian machine, idempotently:
# Debian packages (when run as root; otherwise the exact apt command is printed),
# then a Python virtualenv in .venv with the project installed in editable mode.
set -euo pipefail
cd "$(dirname "$0")/.."

# poppler-utils: pdftotext, and pdftoppm that renders scanned pages for OCR; tesseract-ocr-tha (with
# tesseract-ocr's eng): the traineddata the OCR worker's tesserocr binding (pyproject.toml) loads;
# the tesseract CLI itself is only the "before" of benchmarks/ocr_cpu.py.
APT_PACKAGES=(chromium fonts-thai-tlwg poppler-utils tesseract-ocr tesseract-ocr-tha)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
    echo "bootstrap: run as root:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.oit-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "bootstrap: installing Python dependencies into .venv"
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e '.[test]'
  touch "$stamp"
fi
