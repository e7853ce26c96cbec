#!/bin/sh
# setup.sh - install every dependency from Debian (apt-get only) and build.
# Run as root on a fresh Debian 12 machine:  sudo ./setup.sh
set -eu
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# build: compiler, meson/ninja, the libraries edgebox links
# tests: clang (libFuzzer), busybox-static (rootfs), jq, umoci (images),
#        containerd + runc v2 shim, podman + CNI plugins, util-linux (script)
# bench: runc and crun (the peers), hyperfine is not needed (own timer)
apt-get install -y -qq --no-install-recommends \
    build-essential clang libclang-rt-14-dev meson ninja-build pkg-config \
    libseccomp-dev libcap-dev libjson-c-dev \
    busybox-static jq umoci containerd runc crun podman containernetworking-plugins \
    iproute2 util-linux procps time ca-certificates >/dev/null
meson setup build --buildtype=debugoptimized >/dev/null 2>&1 || meson setup --reconfigure build >/dev/null
ninja -C build
echo "edgebox built: build/src/cli/edgebox"
