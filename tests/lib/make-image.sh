#!/bin/sh
# make-image.sh LAYOUT ROOTFS - an OCI image layout (tag "latest") holding
# ROOTFS, built offline with umoci, for `ctr images import` and `podman pull oci:`.
set -eu
layout=$1 rootfs=$2
work=$(mktemp -d)
umoci init --layout "$layout"
umoci new --image "$layout:latest"
umoci unpack --image "$layout:latest" "$work/b" >/dev/null
cp -a "$rootfs/." "$work/b/rootfs/"
umoci repack --image "$layout:latest" "$work/b"
umoci config --image "$layout:latest" --config.cmd sh --config.env PATH=/bin
rm -rf "$work"
