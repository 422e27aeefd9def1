#!/usr/bin/env bash
# `make test-colab`: run tests/colab/run_colab.py with Python 3.13, Colab's Python.
# The interpreter: $PYTHON313 if set, else `python3.13` on PATH, else pyenv's 3.13; without one, a Debian 13 (trixie)
# root built with debootstrap (Debian's python3 is 3.13) and entered with chroot, the checkout bind-mounted into it.
# That fallback needs root, debootstrap (installed with apt-get when missing) and Debian's mirror; the root is kept
# in $COLAB_ROOTFS (default /var/tmp/fer-colab-trixie) and reused.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

is_313() { [ -n "$1" ] && "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; }

python="${PYTHON313:-}"
if ! is_313 "$python"; then python="$(command -v python3.13 || true)"; fi
if ! is_313 "$python" && command -v pyenv >/dev/null; then
  for candidate in "$(pyenv root)"/versions/3.13*/bin/python3.13; do
    if is_313 "$candidate"; then python="$candidate"; break; fi
  done
fi
if is_313 "$python"; then
  exec "$python" "$root/tests/colab/run_colab.py" "$@"
fi

echo "test-colab: no Python 3.13 here; building a Debian 13 (trixie) root to run it in"
rootfs="${COLAB_ROOTFS:-/var/tmp/fer-colab-trixie}"
if [ ! -x "$rootfs/usr/bin/python3" ]; then
  if ! command -v debootstrap >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  debootstrap --variant=minbase \
    --include=python3,python3-venv,python3-pip,ca-certificates,libgl1,libglib2.0-0t64 \
    trixie "$rootfs" http://deb.debian.org/debian
fi
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
bundle=/etc/ssl/certs/ca-certificates.crt  # the host's CA bundle: it holds any TLS proxy's certificate
if [ -f "$bundle" ]; then cp "$bundle" "$rootfs$bundle"; fi
mkdir -p "$rootfs/fer-course" "$rootfs/fer2013"
cleanup() {
  umount "$rootfs/fer2013" 2>/dev/null || true
  umount "$rootfs/fer-course" 2>/dev/null || true
  umount "$rootfs/proc" 2>/dev/null || true
}
trap cleanup EXIT
mount -t proc proc "$rootfs/proc"
mount --bind "$root" "$rootfs/fer-course"
fer=""
if [ -n "${FER2013_DIR:-}" ] && [ -d "$FER2013_DIR" ]; then
  mount --bind "$FER2013_DIR" "$rootfs/fer2013"
  fer=/fer2013
fi
passed=()
for name in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  if [ -n "${!name:-}" ]; then passed+=("$name=${!name}"); fi
done
chroot "$rootfs" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 CI="${CI:-true}" \
  PIP_CERT="$bundle" SSL_CERT_FILE="$bundle" "${passed[@]}" ${fer:+FER2013_DIR=$fer} \
  /usr/bin/python3 /fer-course/tests/colab/run_colab.py --work /var/tmp/fer-colab-test "$@"
