#!/bin/sh
# make-rootfs.sh DIR - a busybox rootfs from Debian's busybox-static, the
# one image every test and the README demo use.
set -eu
dir=$1
bb=$(command -v busybox || echo /bin/busybox)
mkdir -p "$dir/bin" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/etc" "$dir/tmp" "$dir/root" "$dir/var/log"
cp "$bb" "$dir/bin/busybox"
for a in $("$dir/bin/busybox" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$dir/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$dir/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/false' >> "$dir/etc/passwd"
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' > "$dir/etc/group"
chmod 1777 "$dir/tmp"
