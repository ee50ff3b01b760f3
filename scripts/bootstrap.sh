# Sourced by scripts/demo and scripts/check: make a fresh Debian machine ready.
# Installs uv (pinned) from PyPI when missing and syncs the locked environment.
# System packages are installed with apt-get only when `dpkg -s` says they are missing.
set -euo pipefail

export UV_SYSTEM_CERTS=1            # the package index is reached through a CA in the system store
export UV_PYTHON_DOWNLOADS=never    # use the machine's Python 3.11, never download one
export DEBIAN_FRONTEND=noninteractive
export MPLBACKEND=Agg

UV_VERSION=0.13.9
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"

ensure_debian_packages() {
    local missing=()
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing Debian packages: ${missing[*]}" >&2
    $sudo apt-get install -y --no-install-recommends "${missing[@]}" \
        || { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${missing[@]}"; }
}

ensure_uv() {
    if ! command -v uv >/dev/null 2>&1 || [ "$(uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
        echo "installing uv $UV_VERSION from PyPI" >&2
        python3 -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
        hash -r
    fi
}

ensure_debian_packages postgresql   # the server the PostgreSQL tests start (throwaway clusters)
ensure_uv
if ! command -v uv >/dev/null 2>&1; then
    # pip put uv where this shell does not look (e.g. pyenv before a rehash): run it as a module.
    uv() { python3 -m uv "$@"; }
fi
uv sync --locked --quiet
