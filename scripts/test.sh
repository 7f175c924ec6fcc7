#!/usr/bin/env bash
# Installs lamina (building the Rust extension in release mode) and runs every test:
# the engine's Rust tests, then the Python API's pytest suites.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check ".[test]"
cargo test --release -p lamina-core
python3 -m pytest -q tests
