#!/bin/sh
# setup.sh - install every dependency from Debian (apt-get only), build, and
# build the runv guest image.  Run as root on a fresh Debian 12 machine:
#   sudo ./setup.sh
set -eu
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Packages that ship daemons (prometheus) must not start them here.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# build: compiler, meson/ninja, the libraries edgebox links (static ones too,
#        for the guest agent)
# runv:  QEMU (microvm, virtiofsd), cpio for the initramfs; the guest kernel
#        is Debian's linux-image-cloud-amd64, fetched by guest/build-image.sh
#        with `apt-get download`
# tests: clang (libFuzzer), busybox-static (rootfs), jq, umoci (images),
#        containerd + runc v2 shim, podman + CNI plugins, util-linux (script),
#        libcap2-bin (capsh: the runtime run with a capability dropped from
#        its bounding set, spec_features.sh)
# shim:  protobuf-c (the containerd shim's ttrpc messages, compiled by protoc-c)
#        tests: python3-grpcio + python3-grpc-tools (the CRI client of
#        tests/cri, its stubs generated from the proto at test time)
# hub:   OpenSSL (TLS both ways), SQLite (the cache), libyaml (kubeconfig);
#        tests: python3 (the test apiserver), openssl and curl, promtool
#        (prometheus); kubectl is the machine's (not in Debian 12)
# bench: runc and crun (the peers), hyperfine is not needed (own timer)
apt-get install -y -qq --no-install-recommends \
    build-essential clang libclang-rt-14-dev meson ninja-build pkg-config \
    libseccomp-dev libcap-dev libjson-c-dev libssl-dev libsqlite3-dev libyaml-dev \
    protobuf-c-compiler libprotobuf-c-dev \
    qemu-system-x86 cpio \
    busybox-static jq umoci containerd runc crun podman containernetworking-plugins \
    iproute2 util-linux libcap2-bin procps time bc ca-certificates \
    python3 python3-grpcio python3-grpc-tools openssl curl prometheus >/dev/null
meson setup build --buildtype=debugoptimized -Dguest_dir="$PWD/build/guest" >/dev/null 2>&1 \
    || meson setup --reconfigure build -Dguest_dir="$PWD/build/guest" >/dev/null
# ninja also builds the guest image (guest/meson.build)
ninja -C build
echo "edgebox built: build/src/cli/edgebox (and edgebox-runv); guest image: build/guest"
