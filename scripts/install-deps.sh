#!/usr/bin/env bash
# Installs the system libraries ConvSimKit links against, if any is missing.
# Debian/Ubuntu: FFTW, OpenBLAS (BLAS and LAPACK), libspng (validating PNG), libjpeg-turbo (JPEG), pkg-config, Python 3 (the second
# certificate checker, standard library only), librsvg's rsvg-convert (the tests render every kind of figure to PNG).
# NumPy is optional (benchmark baseline and cross-checks only).
set -euo pipefail
need=()
have_pc() { pkg-config --exists "$1" 2>/dev/null; }
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v python3 >/dev/null 2>&1 || need+=(python3)   # the second certificate checker (standard library only)
have_pc fftw3   || need+=(libfftw3-dev)
have_pc openblas || need+=(libopenblas-dev)
have_pc spng    || need+=(libspng-dev)
have_pc libturbojpeg || need+=(libturbojpeg0-dev)
command -v rsvg-convert >/dev/null 2>&1 || need+=(librsvg2-bin)   # figures rendered to PNG in the tests
[ -f /usr/include/x86_64-linux-gnu/cblas.h ] || [ -f /usr/include/cblas.h ] || need+=(libopenblas-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing system packages: ${need[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
