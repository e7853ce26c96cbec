#!/bin/bash
# build-image.sh OUT_DIR AGENT [KERNEL_DEB]
#
# Build the runv guest image from Debian's cloud kernel package: OUT_DIR
# gets `vmlinuz`, `initramfs.cpio` (the edgebox agent as /init plus the
# modules a sandbox needs, uncompressed: TCG decompresses slowly) and
# `image.json` (kernel release, sizes).  Without KERNEL_DEB the package
# linux-image-cloud-amd64 depends on is fetched with `apt-get download`.
set -euo pipefail

out=$1 agent=$2 deb=${3:-}
# What a sandbox needs, beyond what the modules' depends= pull in:
# virtio-mmio transport (microvm's devices), virtio-pci (the agent's
# virtio-serial sits on microvm's PCIe bus: smaller queues), the agent
# port, pod networking and virtio-fs for rootfs and volumes.  Every module costs boot time under
# TCG: the block-device rootfs will add virtio_blk, erofs and overlay.
wanted="virtio_mmio virtio_pci virtio_console virtio_net virtiofs"

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -z "$deb" ]; then
    pkg=$(apt-cache depends linux-image-cloud-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
    [ -n "$pkg" ] || { echo "build-image: cannot resolve linux-image-cloud-amd64" >&2; exit 1; }
    mkdir -p "$out/cache"
    if ! ls "$out/cache/${pkg}"_*.deb >/dev/null 2>&1; then
        (cd "$out/cache" && apt-get download "$pkg" >/dev/null 2>&1) \
            || { echo "build-image: apt-get download $pkg failed" >&2; exit 1; }
    fi
    deb=$(ls "$out/cache/${pkg}"_*.deb | head -n1)
fi
dpkg-deb -x "$deb" "$work/pkg"
kver=$(ls "$work/pkg/lib/modules" | head -n1)
moddir="$work/pkg/lib/modules/$kver/kernel"
cp "$work/pkg/boot/vmlinuz-$kver" "$out/vmlinuz"

# Resolve load order from each module's depends= (the package has no
# modules.dep): depth-first, dependencies before dependants.
declare -A path seen
while IFS= read -r f; do
    n=$(basename "$f" .ko); path[${n//-/_}]=$f
done < <(find "$moddir" -name '*.ko')
order=()
visit() {
    local m=${1//-/_} d
    [ -n "${seen[$m]:-}" ] && return
    seen[$m]=1
    [ -n "${path[$m]:-}" ] || { echo "build-image: module $m not in $deb" >&2; exit 1; }
    # .modinfo holds NUL-separated key=value strings; no kmod needed.
    for d in $(tr '\0' '\n' < "${path[$m]}" | sed -n 's/^depends=//p' | head -n1 | tr ',' ' '); do visit "$d"; done
    order+=("$m")
}
# virtio_mmio's dependency on virtio is declared; virtio_ring first anyway.
for m in virtio_ring virtio $wanted; do visit "$m"; done

root="$work/root"
mkdir -p "$root"/{dev,proc,sys,run,tmp,lib/modules}
install -m 0755 "$agent" "$root/init"
strip "$root/init" 2>/dev/null || true
for m in "${order[@]}"; do cp "${path[$m]}" "$root/lib/modules/$m.ko"; done
printf '%s\n' "${order[@]}" > "$root/lib/modules/order"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) > "$out/initramfs.cpio.tmp"
mv "$out/initramfs.cpio.tmp" "$out/initramfs.cpio"

ksize=$(stat -c %s "$out/vmlinuz"); isize=$(stat -c %s "$out/initramfs.cpio")
cat > "$out/image.json" <<JSON
{"kernel_release": "$kver", "package": "$(basename "$deb")", "kernel_bytes": $ksize, "initramfs_bytes": $isize, "modules": [$(printf '"%s",' "${order[@]}" | sed 's/,$//')]}
JSON
echo "guest image: $out (kernel $kver $((ksize / 1024)) KiB, initramfs $((isize / 1024)) KiB, ${#order[@]} modules)"
