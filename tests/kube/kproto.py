"""Kubernetes protobuf for the test apiserver and test clients.

The wire format of k8s.io/api's generated.proto for the kinds the tests use
(field numbers as upstream), the runtime.Unknown envelope ("k8s\\0" magic)
and the watch stream's length-prefixed WatchEvent frames. JSON fields not in
these schemas are dropped when encoding, as a real apiserver would never
have them.
"""
import base64
import calendar
import struct
import time

MAGIC = b"k8s\x00"

# field: (number, type[, message]) ; types: str int bool bytes msg time mtime
# map_str map_bytes rep_str rep_msg quantity_map
T = {}
T["Time"] = "time"
T["ObjectMeta"] = {
    "name": (1, "str"), "generateName": (2, "str"), "namespace": (3, "str"), "selfLink": (4, "str"),
    "uid": (5, "str"), "resourceVersion": (6, "str"), "generation": (7, "int"),
    "creationTimestamp": (8, "time"), "deletionTimestamp": (9, "time"),
    "deletionGracePeriodSeconds": (10, "int"), "labels": (11, "map_str"), "annotations": (12, "map_str"),
    "ownerReferences": (13, "rep_msg", "OwnerReference"), "finalizers": (14, "rep_str"),
}
T["OwnerReference"] = {"kind": (1, "str"), "name": (3, "str"), "uid": (4, "str"), "apiVersion": (5, "str"),
                       "controller": (6, "bool"), "blockOwnerDeletion": (7, "bool")}
T["ListMeta"] = {"selfLink": (1, "str"), "resourceVersion": (2, "str"), "continue": (3, "str"),
                 "remainingItemCount": (4, "int")}
T["ConfigMap"] = {"metadata": (1, "msg", "ObjectMeta"), "data": (2, "map_str"), "binaryData": (3, "map_bytes"),
                  "immutable": (4, "bool")}
T["Secret"] = {"metadata": (1, "msg", "ObjectMeta"), "data": (2, "map_bytes"), "type": (3, "str"),
               "stringData": (4, "map_str"), "immutable": (5, "bool")}
T["NamespaceSpec"] = {"finalizers": (1, "rep_str")}
T["NamespaceStatus"] = {"phase": (1, "str")}
T["Namespace"] = {"metadata": (1, "msg", "ObjectMeta"), "spec": (2, "msg", "NamespaceSpec"),
                  "status": (3, "msg", "NamespaceStatus")}
T["Container"] = {"name": (1, "str"), "image": (2, "str"), "command": (3, "rep_str"), "args": (4, "rep_str")}
T["Toleration"] = {"key": (1, "str"), "operator": (2, "str"), "value": (3, "str"), "effect": (4, "str"),
                   "tolerationSeconds": (5, "int")}
T["PodSpec"] = {"containers": (2, "rep_msg", "Container"), "restartPolicy": (3, "str"),
                "terminationGracePeriodSeconds": (4, "int"), "dnsPolicy": (6, "str"), "nodeSelector": (7, "map_str"),
                "serviceAccountName": (8, "str"), "nodeName": (10, "str"), "hostNetwork": (11, "bool"),
                "schedulerName": (19, "str"), "tolerations": (22, "rep_msg", "Toleration")}
T["PodStatus"] = {"phase": (1, "str"), "hostIP": (5, "str"), "podIP": (6, "str"), "startTime": (7, "time"),
                  "nominatedNodeName": (11, "str")}
T["Pod"] = {"metadata": (1, "msg", "ObjectMeta"), "spec": (2, "msg", "PodSpec"), "status": (3, "msg", "PodStatus")}
T["Taint"] = {"key": (1, "str"), "value": (2, "str"), "effect": (3, "str"), "timeAdded": (4, "time")}
T["NodeSpec"] = {"podCIDR": (1, "str"), "providerID": (3, "str"), "unschedulable": (4, "bool"),
                 "taints": (5, "rep_msg", "Taint")}
T["NodeCondition"] = {"type": (1, "str"), "status": (2, "str"), "lastHeartbeatTime": (3, "time"),
                      "lastTransitionTime": (4, "time"), "reason": (5, "str"), "message": (6, "str")}
T["NodeStatus"] = {"phase": (3, "str"), "conditions": (4, "rep_msg", "NodeCondition")}
T["Node"] = {"metadata": (1, "msg", "ObjectMeta"), "spec": (2, "msg", "NodeSpec"), "status": (3, "msg", "NodeStatus")}
T["LeaseSpec"] = {"holderIdentity": (1, "str"), "leaseDurationSeconds": (2, "int"), "acquireTime": (3, "mtime"),
                  "renewTime": (4, "mtime"), "leaseTransitions": (5, "int")}
T["Lease"] = {"metadata": (1, "msg", "ObjectMeta"), "spec": (2, "msg", "LeaseSpec")}
T["StatusDetails"] = {"name": (1, "str"), "group": (2, "str"), "kind": (3, "str"), "uid": (6, "str"),
                      "retryAfterSeconds": (5, "int")}
T["Status"] = {"metadata": (1, "msg", "ListMeta"), "status": (2, "str"), "message": (3, "str"), "reason": (4, "str"),
               "details": (5, "msg", "StatusDetails"), "code": (6, "int")}

KINDS = {"ConfigMap", "Secret", "Namespace", "Pod", "Node", "Lease", "Status"}


def _varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(num, wire):
    return _varint(num << 3 | wire)


def _ld(num, data):
    return _key(num, 2) + _varint(len(data)) + data


def _parse_time(s):
    if not s:
        return None
    frac = 0
    if "." in s:
        main, rest = s.split(".", 1)
        digits = rest.rstrip("Z")
        frac = int((digits + "000000000")[:9])
        s = main + "Z"
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ")), frac


def _fmt_time(sec, nanos, micro):
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
    return base + (".%06dZ" % (nanos // 1000) if micro else "Z")


def encode_msg(tname, obj):
    schema = T[tname]
    out = bytearray()
    for field, spec in sorted(schema.items(), key=lambda kv: kv[1][0]):
        if field not in obj or obj[field] is None:
            continue
        v = obj[field]
        num, typ = spec[0], spec[1]
        if typ == "str":
            out += _ld(num, v.encode())
        elif typ == "int":
            out += _key(num, 0) + _varint(int(v))
        elif typ == "bool":
            out += _key(num, 0) + _varint(1 if v else 0)
        elif typ == "msg":
            out += _ld(num, encode_msg(spec[2], v))
        elif typ in ("time", "mtime"):
            t = _parse_time(v)
            if t:
                inner = _key(1, 0) + _varint(t[0])
                if typ == "mtime" and t[1]:
                    inner += _key(2, 0) + _varint(t[1])
                out += _ld(num, inner)
        elif typ == "map_str":
            for k in sorted(v):
                out += _ld(num, _ld(1, k.encode()) + _ld(2, str(v[k]).encode()))
        elif typ == "map_bytes":
            for k in sorted(v):
                out += _ld(num, _ld(1, k.encode()) + _ld(2, base64.b64decode(v[k])))
        elif typ == "rep_str":
            for s in v:
                out += _ld(num, s.encode())
        elif typ == "rep_msg":
            for m in v:
                out += _ld(num, encode_msg(spec[2], m))
    return bytes(out)


def _fields(data):
    i = 0
    while i < len(data):
        key, i = _read_varint(data, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _read_varint(data, i)
            yield num, wire, v
        elif wire == 2:
            n, i = _read_varint(data, i)
            if i + n > len(data):
                raise ValueError("truncated field")
            yield num, wire, data[i:i + n]
            i += n
        elif wire == 1:
            yield num, wire, data[i:i + 8]
            i += 8
        elif wire == 5:
            yield num, wire, data[i:i + 4]
            i += 4
        else:
            raise ValueError("bad wire type %d" % wire)


def _read_varint(data, i):
    shift = v = 0
    while True:
        if i >= len(data):
            raise ValueError("truncated varint")
        b = data[i]
        i += 1
        v |= (b & 0x7F) << shift
        if not b & 0x80:
            return v, i
        shift += 7


def decode_msg(tname, data):
    schema = T[tname]
    bynum = {spec[0]: (field, spec) for field, spec in schema.items()}
    obj = {}
    for num, wire, v in _fields(data):
        if num not in bynum:
            continue
        if wire == 0 and v == 0 and bynum[num][1][1] in ("int", "bool"):
            continue          # Go's JSON omits zero values (omitempty)
        if wire == 2 and not v and bynum[num][1][1] in ("str", "time", "mtime"):
            continue
        field, spec = bynum[num]
        typ = spec[1]
        if typ == "str":
            obj[field] = v.decode()
        elif typ == "int":
            obj[field] = v - (1 << 64) if v >= 1 << 63 else v
        elif typ == "bool":
            obj[field] = bool(v)
        elif typ == "msg":
            obj[field] = decode_msg(spec[2], v)
        elif typ in ("time", "mtime"):
            sec = nanos = 0
            for n2, _, v2 in _fields(v):
                if n2 == 1:
                    sec = v2
                elif n2 == 2:
                    nanos = v2
            obj[field] = _fmt_time(sec, nanos, typ == "mtime")
        elif typ in ("map_str", "map_bytes"):
            k = val = None
            for n2, _, v2 in _fields(v):
                if n2 == 1:
                    k = v2.decode()
                elif n2 == 2:
                    val = v2
            m = obj.setdefault(field, {})
            m[k] = val.decode() if typ == "map_str" else base64.b64encode(val or b"").decode()
        elif typ == "rep_str":
            obj.setdefault(field, []).append(v.decode())
        elif typ == "rep_msg":
            obj.setdefault(field, []).append(decode_msg(spec[2], v))
    return obj


def wrap(api_version, kind, raw):
    tm = _ld(1, api_version.encode()) + _ld(2, kind.encode())
    return MAGIC + _ld(1, tm) + _ld(2, raw) + _ld(3, b"") + _ld(4, b"")


def unwrap(data):
    if not data.startswith(MAGIC):
        raise ValueError("no k8s protobuf magic")
    api_version = kind = ""
    raw = b""
    for num, wire, v in _fields(data[4:]):
        if num == 1 and wire == 2:
            for n2, _, v2 in _fields(v):
                if n2 == 1:
                    api_version = v2.decode()
                elif n2 == 2:
                    kind = v2.decode()
        elif num == 2 and wire == 2:
            raw = v
    return api_version, kind, raw


def encode_object(obj):
    """A JSON object (with kind/apiVersion) into an envelope."""
    kind = obj["kind"]
    return wrap(obj.get("apiVersion", "v1"), kind, encode_msg(kind, obj))


def decode_object(data):
    api_version, kind, raw = unwrap(data)
    if kind not in T:
        raise ValueError("kind %s not known to the test schema" % kind)
    obj = decode_msg(kind, raw)
    obj["kind"], obj["apiVersion"] = kind, api_version
    return obj


def encode_list(api_version, list_kind, item_kind, meta, items):
    raw = _ld(1, encode_msg("ListMeta", meta))
    for it in items:
        raw += _ld(2, encode_msg(item_kind, it))
    return wrap(api_version, list_kind, raw)


def decode_list(data):
    api_version, kind, raw = unwrap(data)
    item_kind = kind[:-4]
    meta, items = {}, []
    for num, wire, v in _fields(raw):
        if num == 1:
            meta = decode_msg("ListMeta", v)
        elif num == 2:
            it = decode_msg(item_kind, v)
            items.append(it)
    return {"kind": kind, "apiVersion": api_version, "metadata": meta, "items": items}


def encode_watch_event(etype, obj):
    """One length-prefixed frame of a protobuf watch stream."""
    ev = _ld(1, etype.encode()) + _ld(2, _ld(1, encode_object(obj)))
    return struct.pack(">I", len(ev)) + ev


def decode_watch_frames(buf):
    """Complete frames from BUF: ([(type, obj)], rest)."""
    out = []
    while len(buf) >= 4:
        (n,) = struct.unpack(">I", buf[:4])
        if len(buf) < 4 + n:
            break
        frame, buf = buf[4:4 + n], buf[4 + n:]
        etype, obj = "", None
        for num, wire, v in _fields(frame):
            if num == 1:
                etype = v.decode()
            elif num == 2:
                for n2, _, v2 in _fields(v):
                    if n2 == 1:
                        obj = decode_object(v2) if not etype == "BOOKMARK" else _bookmark(v2)
        out.append((etype, obj))
    return out, buf


def _bookmark(data):
    api_version, kind, raw = unwrap(data)
    obj = decode_msg(kind, raw) if kind in T else {}
    obj["kind"], obj["apiVersion"] = kind, api_version
    return obj
