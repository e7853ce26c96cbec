# lib.sh - a private containerd 1.6 with its CRI plugin for cri.sh and
# bench/cri-bench.sh, sourced after tests/lib/harness.sh.
#
# Its own root, state and socket under $EB_TMP (never the system
# containerd's), Debian's CNI plugins (bridge + host-local, and the
# loopback containerd adds itself) on a private bridge and subnet, a local
# pause and busybox image, and the two runtime handlers of
# deploy/containerd-runtimes.toml: "runc" (the runc v2 shim with edgebox as
# its runtime: the runc class) and "runv" (edgebox's own shim,
# io.containerd.edgebox.v2: the runv class), and "runv-relay" (below).  The
# shims keep their default roots (/run/containerd/runc/k8s.io,
# /run/containerd/edgebox/k8s.io) and containerd's 64-char ids, as on a
# node.

CRI_D=$EB_TMP/cri
CRI_SOCK=$CRI_D/containerd.sock
CRI_BRIDGE=ebcri0
CRI_NET=ebcri
CRI_SUBNET=${CRI_SUBNET:-10.88.177}
CRI_PAUSE=docker.io/edgebox/pause:latest
CRI_BUSYBOX=docker.io/edgebox/busybox:latest
SHIM_DIR=${EDGEBOX_SHIM_DIR:-$EB_BUILD/src/shim}
RUNC_ROOT=/run/containerd/runc/k8s.io
SHIM_ROOT=/run/containerd/edgebox/k8s.io

# Debian's python3 (its python3-grpcio), whatever python3 comes first on PATH
cri() { /usr/bin/python3 "$EB_SRC/tests/cri/cri.py" --sock "$CRI_SOCK" --state "$CRI_D/client" "$@"; }
# ctr on the private containerd, in the CRI plugin's namespace
cri_ctr() { command ctr --address "$CRI_SOCK" --namespace k8s.io "$@"; }

# cri_net_free: the test's bridge is not there and CRI_SUBNET (a /24) is
# one no route or address of this host is in: the first free of
# 10.88.177-186 unless CRI_SUBNET was given; sets CRI_GW
cri_net_free() {
    local n
    ip link show "$CRI_BRIDGE" >/dev/null 2>&1 && return 1
    for n in $CRI_SUBNET $(seq -f '10.88.%g' 178 186); do
        if ! ip -4 route show | grep -q "^${n//./\\.}\." && ! ip -4 addr show | grep -q "inet ${n//./\\.}\."; then
            CRI_SUBNET=$n CRI_GW=$n.1
            return 0
        fi
    done
    return 1
}

# cri_restrict_oom: "true" when this process lacks CAP_SYS_RESOURCE (a
# host that runs the tests in a container): no process may then lower its
# oom_score_adj, as the CRI plugin asks for the pause container (-998), and
# containerd's restrict_oom_score_adj clamps the score to its own, which is
# what that option is for.
cri_restrict_oom() {
    local eff; eff=$(awk '$1 == "CapEff:" {print $2}' /proc/self/status)
    if (( (0x$eff >> 24) & 1 )); then echo false; else echo true; fi
}

cri_config() {
    mkdir -p "$CRI_D/cni" "$CRI_D/client"
    cat > "$CRI_D/cni/10-$CRI_NET.conflist" <<JSON
{"cniVersion": "0.4.0", "name": "$CRI_NET", "plugins": [
  {"type": "bridge", "bridge": "$CRI_BRIDGE", "isGateway": true,
   "ipMasq": false, "hairpinMode": false,
   "ipam": {"type": "host-local", "dataDir": "$CRI_D/ipam",
            "ranges": [[{"subnet": "$CRI_SUBNET.0/24", "gateway": "$CRI_GW"}]]}}]}
JSON
    cat > "$CRI_D/config.toml" <<TOML
version = 2
root = "$CRI_D/root"
state = "$CRI_D/state"
[grpc]
  address = "$CRI_SOCK"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CRI_D/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$CRI_PAUSE"
  stream_server_port = "0"
  restrict_oom_score_adj = $(cri_restrict_oom)
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$CRI_D/cni"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      pod_annotations = ["io.edgebox.*"]
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$EDGEBOX"
        SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runv]
      runtime_type = "io.containerd.edgebox.v2"
      pod_annotations = ["io.edgebox.*"]
    # the path the shim replaces (the runc v2 shim, a relay per process),
    # for the bench's comparison and for showing what the test catches
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runv-relay]
      runtime_type = "io.containerd.runc.v2"
      pod_annotations = ["io.edgebox.*"]
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runv-relay.options]
        BinaryName = "$EDGEBOX-runv"
        SystemdCgroup = false
TOML
}

# cri_images: the pause image (tests/tools/pause.c as /pause) and the
# busybox one (with eb-loggen, for the bench's log stream), as OCI layouts
# imported into the k8s.io namespace
cri_images() {
    local img
    mkdir -p "$CRI_D/pause-rootfs"
    cp "$EB_BUILD/tests/tools/eb-pause" "$CRI_D/pause-rootfs/pause"
    "$EB_SRC/tests/lib/make-rootfs.sh" "$CRI_D/busybox-rootfs"
    cp "$EB_BUILD/tests/tools/eb-loggen" "$CRI_D/busybox-rootfs/bin/"
    "$EB_SRC/tests/lib/make-image.sh" "$CRI_D/pause" "$CRI_D/pause-rootfs" /pause >/dev/null 2>&1
    "$EB_SRC/tests/lib/make-image.sh" "$CRI_D/busybox" "$CRI_D/busybox-rootfs" >/dev/null 2>&1
    for img in pause busybox; do
        (cd "$CRI_D/$img" && tar -cf "$CRI_D/$img.tar" .)
        cri_ctr images import --base-name docker.io/edgebox/$img "$CRI_D/$img.tar" >/dev/null || return 1
    done
}

# cri_start: containerd up and answering CRI Version; 0 when it is
cri_start() {
    cri_forward=$(cat /proc/sys/net/ipv4/ip_forward)
    PATH=$SHIM_DIR:$PATH containerd --config "$CRI_D/config.toml" >> "$CRI_D/log" 2>&1 &
    cri_pid=$!
    for _ in $(seq 100); do
        [ -S "$CRI_SOCK" ] && cri version >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}

# cri_teardown: whatever a failed run left: pods, containerd, shims,
# mounts, the bridge, the addresses handed out, ip_forward as it was
cri_teardown() {
    local f
    for f in "$CRI_D"/client/*.json; do
        [ -e "$f" ] || continue
        f=$(basename "$f" .json)
        cri rmp "$f" >/dev/null 2>&1
    done
    if [ -n "${cri_pid:-}" ]; then kill "$cri_pid" 2>/dev/null; wait "$cri_pid" 2>/dev/null; fi
    # the shims of this instance (their command line names its socket)
    for f in $(pgrep -f "containerd-shim.* -address $CRI_SOCK"); do kill -9 "$f" 2>/dev/null; done
    EB_ROOT=$RUNC_ROOT cleanup_all_ids
    EB_ROOT=$SHIM_ROOT cleanup_all_ids
    # a run with the pool on (EB_POOL): its claims counted, then no pooled
    # VM left in the shim's root (the harness's pool_report)
    pool_report
    grep -o " $CRI_D[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
    ip link del "$CRI_BRIDGE" 2>/dev/null
    [ -n "${cri_forward:-}" ] && echo "$cri_forward" > /proc/sys/net/ipv4/ip_forward
}

# cleanup_all without removing $EB_TMP: delete --force every id in $EB_ROOT
cleanup_all_ids() {
    local id
    for id in $(ls "$EB_ROOT" 2>/dev/null); do eb delete --force "$id" >/dev/null 2>&1; done
}

# cri_log_text FILE STREAM: the text of STREAM's lines of a CRI log file,
# each line checked for its shape "<RFC3339Nano> <stream> <F|P> <text>"
cri_log_text() {
    local shape='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}) (stdout|stderr) [FP] '
    grep -Ev "$shape" "$1" | sed 's/^/BAD LINE: /'
    grep -E "$shape" "$1" | awk -v s="$2" '$2 == s { sub(/^[^ ]+ [^ ]+ [^ ]+ /, ""); print }'
}

# cri_shim_socket ID: the socket containerd 1.6 gives the shim of task ID
# in k8s.io (its SocketAddress: a sha256 of address/namespace/id)
cri_shim_socket() {
    echo "/run/containerd/s/$(printf %s "$CRI_SOCK/k8s.io/$1" | sha256sum | cut -d' ' -f1)"
}
