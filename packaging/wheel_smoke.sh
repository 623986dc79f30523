#!/usr/bin/env bash
# Smoke test of a real (non-editable) install: build the wheel, install it into a fresh venv
# and run `conv-workbench --screenshot` from a directory outside the checkout, so only the
# resources inside the wheel (workbench/_resources) can be found. Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" wheel -q --no-deps -w "$tmp/wheel" .
"$tmp/venv/bin/pip" install -q "$tmp"/wheel/conv_workbench-*.whl

cd "$tmp"
export QT_QPA_PLATFORM=offscreen NUMBA_CACHE_DIR="$tmp/numba"
export CONV_WORKBENCH_SETTINGS="$tmp/settings.ini"
unset CONV_WORKBENCH_RESOURCES
# Every resource resolves inside the installed package, and exists.
"$tmp/venv/bin/python" - "$tmp/venv" <<'PY'
import sys
from pathlib import Path

from workbench.resources import icon_path, resources_dir, sample_images

venv = Path(sys.argv[1]).resolve()
found = resources_dir()
assert found.is_relative_to(venv) and found.name == "_resources", found
missing = [s.path for s in sample_images() if not s.path.is_file()]
assert not missing, missing
print(f"resources: {found} ({len(sample_images())} samples, icons "
      f"{icon_path('app.svg').name}, {icon_path('app.png').name})")
PY
"$tmp/venv/bin/conv-workbench" --screenshot "$tmp/wheel.png"
"$tmp/venv/bin/python" "$repo/packaging/check_screenshot.py" "$tmp/wheel.png"
