#!/bin/sh
# make-image.sh LAYOUT ROOTFS [ENTRYPOINT] - an OCI image layout (tag
# "latest") holding ROOTFS, built offline with umoci, for `ctr images
# import` and `podman pull oci:`; its command is sh, or ENTRYPOINT (the
# CRI test's pause image).
set -eu
layout=$1 rootfs=$2
work=$(mktemp -d)
umoci init --layout "$layout"
umoci new --image "$layout:latest"
umoci unpack --image "$layout:latest" "$work/b" >/dev/null
cp -a "$rootfs/." "$work/b/rootfs/"
umoci repack --image "$layout:latest" "$work/b"
if [ $# -gt 2 ]; then
    umoci config --image "$layout:latest" --config.entrypoint "$3" --config.env PATH=/bin
else
    umoci config --image "$layout:latest" --config.cmd sh --config.env PATH=/bin
fi
rm -rf "$work"
