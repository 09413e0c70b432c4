# Sourced by .ci/run and .ci/lock: the one uv that writes and reads uv.lock, in its own
# venv (.venv-uv/, outside the project's .venv, which `uv sync` keeps exactly as locked).
# uv comes from PyPI as a wheel; it never downloads a Python (the machine's python3 is used).
UV_VERSION=0.13.8
export UV_PYTHON_DOWNLOADS=never
if ! [ -x .venv-uv/bin/uv ] || [ "$(.venv-uv/bin/uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
    python3 -m venv .venv-uv
    .venv-uv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
UV=.venv-uv/bin/uv
