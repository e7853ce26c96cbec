#!/usr/bin/env python3
"""A test kube-apiserver that follows the real protocol for what the tests
use (kube-apiserver can't run on these machines).

HTTPS with client-certificate or bearer-token authentication; core/v1 pods,
configmaps, secrets, namespaces, nodes and coordination.k8s.io/v1 leases;
get, list (resourceVersion, limit/continue with expiry, label and field
selectors as upstream supports them), watch (JSON lines or length-prefixed
protobuf frames, bookmarks, 410 Expired as an ERROR event, selector
transitions as ADDED/DELETED, timeoutSeconds), create/update/patch/delete in
JSON and protobuf, server-side Tables, aggregated and legacy discovery,
Status objects for every error. State can persist in a JSON file so a test
can stop the server, change the world, and start it again.

Pods get the DefaultTolerationSeconds admission (the real flags set the
seconds) and the validation of pod updates (only images,
activeDeadlineSeconds and tolerations - additions or a new
tolerationSeconds - may change).  With --taint-eviction the server also
plays kube-controller-manager's taint eviction controller (the tests set
node taints as the node lifecycle controller would).

Test-only endpoints: POST /_test/compact (expire every older
resourceVersion), GET /_test/requests (requests served, by User-Agent
product and verb), POST /_test/pager?max=N&expire=RESOURCE (list pages of
at most N items, as a server may return fewer than the limit; with expire,
the next page of RESOURCE that has a continue token is followed by writes
elsewhere and a compaction, so that token is answered 410 Expired).

Link failures: stopping the server is a link that refuses (RST at once).
A black-holed link, the common WAN failure, is SIGUSR1 (or --partition from
the start): connections are still accepted, but TLS handshakes, requests
(health checks included) and open watch streams get nothing back, without
a refusal or a reset, until SIGUSR2 heals the link (then held requests are
answered, as TCP's retransmissions would deliver them).
"""
import argparse
import base64
import copy
import json
import os
import re
import signal
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kproto  # noqa: E402

RESOURCES = {
    ("", "v1", "pods"): ("Pod", True, ["po"], "pod"),
    ("", "v1", "configmaps"): ("ConfigMap", True, ["cm"], "configmap"),
    ("", "v1", "secrets"): ("Secret", True, [], "secret"),
    ("", "v1", "namespaces"): ("Namespace", False, ["ns"], "namespace"),
    ("", "v1", "nodes"): ("Node", False, ["no"], "node"),
    ("coordination.k8s.io", "v1", "leases"): ("Lease", True, [], "lease"),
}
FIELDS = {
    "pods": {"spec.nodeName": "", "spec.restartPolicy": "", "spec.schedulerName": "",
             "spec.serviceAccountName": "", "spec.hostNetwork": "false", "status.phase": "",
             "status.podIP": "", "status.nominatedNodeName": ""},
    "secrets": {"type": ""},
    "nodes": {"spec.unschedulable": "false"},
    "namespaces": {"status.phase": ""},
}
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
PB = "application/vnd.kubernetes.protobuf"
TABLE_CT = "application/json;as=Table;v=v1;g=meta.k8s.io"
DISCO_CT = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details


class World:
    def __init__(self, state_file, history):
        self.lock = threading.Condition()
        self.objects = {}          # (rkey, ns, name) -> obj
        self.rv = 1
        self.compacted = 0
        self.events = []           # (rv, type, rkey, obj, old)
        self.page_max = 0          # /_test/pager
        self.expire_after_page = None
        self.history = history
        self.state_file = state_file
        self.requests = {}
        if state_file and os.path.exists(state_file):
            with open(state_file) as f:
                st = json.load(f)
            self.rv = st["rv"]
            self.compacted = self.rv    # a restarted apiserver keeps no watch history
            for o in st["objects"]:
                self.objects[(tuple(o["rkey"]), o["ns"], o["name"])] = o["obj"]

    def save(self):
        if not self.state_file:
            return
        objs = [{"rkey": list(k[0]), "ns": k[1], "name": k[2], "obj": v} for k, v in self.objects.items()]
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"rv": self.rv, "objects": objs}, f)
        os.replace(tmp, self.state_file)

    def record(self, etype, rkey, obj, old=None):
        self.events.append((int(obj["metadata"]["resourceVersion"]), etype, rkey, copy.deepcopy(obj), old))
        if len(self.events) > self.history:
            drop = self.events[:-self.history]
            self.events = self.events[-self.history:]
            self.compacted = max(self.compacted, drop[-1][0])
        self.save()
        self.lock.notify_all()

    def next_rv(self):
        self.rv += 1
        return str(self.rv)


def now_rfc3339():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def human_age(ts):
    try:
        t = time.mktime(time.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    except (TypeError, ValueError):
        return "<unknown>"
    d = max(0, int(time.time() - t))
    if d < 120:
        return "%ds" % d
    if d < 600:
        return "%dm%ds" % (d // 60, d % 60)
    if d < 3 * 3600:
        return "%dm" % (d // 60)
    if d < 48 * 3600:
        return "%dh" % (d // 3600)
    return "%dd" % (d // 86400)


def parse_bool(v):
    if v in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if v in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise ApiError(400, "BadRequest", "invalid boolean %r" % v)


def parse_label_selector(text):
    reqs = []
    if not text:
        return reqs
    parts = re.findall(r"(?:[^,(]|\([^)]*\))+", text)
    for p in parts:
        p = p.strip()
        m = re.match(r"^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$", p)
        if m:
            reqs.append((m.group(1), m.group(2), [v.strip() for v in m.group(3).split(",")]))
            continue
        m = re.match(r"^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$", p)
        if m:
            reqs.append((m.group(1), {"=": "eq", "==": "eq", "!=": "ne"}[m.group(2)], [m.group(3)]))
            continue
        m = re.match(r"^(!?)([\w./-]+)$", p)
        if m:
            reqs.append((m.group(2), "notexists" if m.group(1) else "exists", []))
            continue
        raise ApiError(400, "BadRequest", "unable to parse requirement: invalid label selector %r" % text)
    return reqs


def parse_field_selector(text, resource):
    reqs = []
    if not text:
        return reqs
    for p in re.split(r"(?<!\\),", text):
        m = re.match(r"^([^=!]+)(==|=|!=)(.*)$", p)
        if not m:
            raise ApiError(400, "BadRequest", "invalid selector: %r" % text)
        key = m.group(1).strip()
        if key not in ("metadata.name", "metadata.namespace") and key not in FIELDS.get(resource, {}):
            raise ApiError(400, "BadRequest", "field label not supported: %s" % key)
        reqs.append((key, "ne" if m.group(2) == "!=" else "eq", [m.group(3).replace("\\,", ",").replace("\\=", "=")]))
    return reqs


def match(reqs, values):
    for key, op, vals in reqs:
        present = key in values
        v = values.get(key)
        if op == "eq" and (not present or v != vals[0]):
            return False
        if op == "ne" and present and v == vals[0]:
            return False
        if op == "in" and (not present or v not in vals):
            return False
        if op == "notin" and present and v in vals:
            return False
        if op == "exists" and not present:
            return False
        if op == "notexists" and present:
            return False
    return True


def field_values(resource, obj):
    md = obj.get("metadata", {})
    out = {"metadata.name": md.get("name", ""), "metadata.namespace": md.get("namespace", "")}
    for path, absent in FIELDS.get(resource, {}).items():
        cur = obj
        for part in path.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        if isinstance(cur, bool):
            cur = "true" if cur else "false"
        out[path] = absent if cur is None else str(cur)
    return out


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def json_patch(target, ops):
    doc = copy.deepcopy(target)
    for op in ops:
        path = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for p in path[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent.setdefault(p, {})
        last = path[-1]
        if op["op"] in ("add", "replace"):
            if isinstance(parent, list):
                if last == "-":
                    parent.append(op["value"])
                elif op["op"] == "add":
                    parent.insert(int(last), op["value"])
                else:
                    parent[int(last)] = op["value"]
            else:
                parent[last] = op["value"]
        elif op["op"] == "remove":
            if isinstance(parent, list):
                del parent[int(last)]
            else:
                parent.pop(last, None)
        elif op["op"] == "test":
            cur = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if cur != op.get("value"):
                raise ApiError(422, "Invalid", "test operation failed")
        else:
            raise ApiError(422, "Invalid", "unsupported patch op %s" % op["op"])
    return doc


PODS = ("", "v1", "pods")
NODES = ("", "v1", "nodes")
TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"


def default_toleration_seconds(pod, not_ready_s, unreachable_s):
    """The DefaultTolerationSeconds admission plugin: a pod that tolerates
    neither outage taint for NoExecute gets a toleration with a limit."""
    tols = pod.setdefault("spec", {}).get("tolerations") or []
    nr = any((t.get("key") in (TAINT_NOT_READY, None, "")) and t.get("effect") in ("NoExecute", None, "")
             for t in tols)
    ur = any((t.get("key") in (TAINT_UNREACHABLE, None, "")) and t.get("effect") in ("NoExecute", None, "")
             for t in tols)
    if not nr:
        tols.append({"key": TAINT_NOT_READY, "operator": "Exists", "effect": "NoExecute",
                     "tolerationSeconds": not_ready_s})
    if not ur:
        tols.append({"key": TAINT_UNREACHABLE, "operator": "Exists", "effect": "NoExecute",
                     "tolerationSeconds": unreachable_s})
    pod["spec"]["tolerations"] = tols


def validate_tolerations(name, tols):
    """ValidateTolerations, the parts a client can get wrong."""
    for i, t in enumerate(tols or []):
        fld = "spec.tolerations[%d]" % i
        op = t.get("operator") or "Equal"
        if not t.get("key") and op != "Exists":
            raise ApiError(422, "Invalid", 'Pod "%s" is invalid: %s.operator: Invalid value: "%s": operator must be '
                           'Exists when `key` is empty, which means "match all values and all keys"' % (name, fld, op))
        if op == "Exists" and t.get("value"):
            raise ApiError(422, "Invalid", 'Pod "%s" is invalid: %s.operator: Invalid value: "Exists": value must '
                           'be empty when `operator` is \'Exists\'' % (name, fld))
        if t.get("tolerationSeconds") is not None and t.get("effect") != "NoExecute":
            raise ApiError(422, "Invalid", 'Pod "%s" is invalid: %s.effect: Invalid value: "%s": effect must be '
                           '\'NoExecute\' when `tolerationSeconds` is set' % (name, fld, t.get("effect", "")))


def validate_pod_update(name, old, new):
    """ValidatePodUpdate: only images, activeDeadlineSeconds and tolerations
    may change, and tolerations only by additions or a new tolerationSeconds."""
    os_, ns_ = copy.deepcopy(old.get("spec") or {}), copy.deepcopy(new.get("spec") or {})
    old_tols, new_tols = os_.pop("tolerations", None) or [], ns_.pop("tolerations", None) or []
    for spec in (os_, ns_):
        spec.pop("activeDeadlineSeconds", None)
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            c.pop("image", None)
    if os_ != ns_:
        raise ApiError(422, "Invalid", 'Pod "%s" is invalid: spec: Forbidden: pod updates may not change fields '
                       'other than `spec.containers[*].image`, `spec.initContainers[*].image`, '
                       '`spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), '
                       '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)'
                       % name)

    def strip(t):
        t = dict(t)
        t.pop("tolerationSeconds", None)
        return t
    for ot in old_tols:
        if not any(strip(ot) == strip(nt) for nt in new_tols):
            raise ApiError(422, "Invalid", 'Pod "%s" is invalid: spec.tolerations: Forbidden: existing toleration '
                           'can not be modified except its tolerationSeconds' % name)
    validate_tolerations(name, new_tols)


def tolerates(tol, taint):
    """v1helper ToleratesTaint."""
    if tol.get("effect") and tol["effect"] != taint.get("effect"):
        return False
    if tol.get("key") and tol["key"] != taint.get("key"):
        return False
    op = tol.get("operator") or "Equal"
    if op == "Exists":
        return True
    return op == "Equal" and (tol.get("value") or "") == (taint.get("value") or "")


def taint_eviction_loop(srv):
    """What kube-controller-manager's taint eviction controller does to
    pods on a node with NoExecute taints: a pod that doesn't tolerate them
    all is deleted at once; otherwise its first matching toleration per
    taint decides - no tolerationSeconds on any of them: it stays; else it
    is deleted the smallest tolerationSeconds after the controller first
    saw it so.  Deletion is graceful (deletionTimestamp set): an
    unreachable kubelet can't finish it."""
    scheduled = {}
    w = srv.world
    while True:
        time.sleep(0.2)
        now = time.time()
        with w.lock:
            nodes = {k[2]: o for k, o in w.objects.items() if k[0] == NODES}
            live = set()
            for key, pod in list(w.objects.items()):
                if key[0] != PODS or pod["metadata"].get("deletionTimestamp"):
                    continue
                live.add(key)
                node = nodes.get((pod.get("spec") or {}).get("nodeName") or "")
                taints = [t for t in ((node or {}).get("spec") or {}).get("taints") or []
                          if t.get("effect") == "NoExecute"]
                if not taints:
                    scheduled.pop(key, None)
                    continue
                used, ok = [], True
                for taint in taints:
                    m = [t for t in (pod["spec"].get("tolerations") or []) if tolerates(t, taint)]
                    if not m:
                        ok = False
                        break
                    used.append(m[0])
                if ok:
                    secs = [t["tolerationSeconds"] for t in used if t.get("tolerationSeconds") is not None]
                    if not secs:
                        if scheduled.pop(key, None) is not None:
                            print("taint-eviction: %s/%s tolerates forever: eviction cancelled" % (key[1], key[2]),
                                  flush=True)
                        continue
                    start = scheduled.setdefault(key, now)
                    if now < start + max(0, min(secs)):
                        continue
                print("taint-eviction: evicting %s/%s from %s" % (key[1], key[2], node["metadata"]["name"]),
                      flush=True)
                pod = copy.deepcopy(pod)
                pod["metadata"]["deletionTimestamp"] = now_rfc3339()
                pod["metadata"]["deletionGracePeriodSeconds"] = 30
                pod["metadata"]["resourceVersion"] = w.next_rv()
                old = w.objects[key]
                w.objects[key] = pod
                w.record("MODIFIED", PODS, pod, copy.deepcopy(old))
                scheduled.pop(key, None)
            for k in list(scheduled):
                if k not in live:
                    del scheduled[k]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "edgebox-test-apiserver"

    def setup(self):
        # the handshake here, not in the accept loop: a black-holed link
        # holds it (the client's side of TCP is connected all the same)
        self.server.hold()
        self.request.do_handshake()
        super().setup()

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("apiserver: " + fmt % args + "\n")

    # ---- plumbing ----
    def accepts(self):
        """Representation to answer in: 'pb', 'table', 'json' (first acceptable)."""
        acc = self.headers.get("Accept") or "application/json"
        for r in acc.split(","):
            r = r.strip()
            if "as=Table" in r:
                if r.startswith("application/json"):
                    return "table"
                continue
            if "as=" in r:
                continue
            if r.startswith(PB):
                return "pb"
            if r.startswith("application/json") or r.startswith("*/*") or r.startswith("application/*"):
                return "json"
        raise ApiError(406, "NotAcceptable", "only application/json and %s are served" % PB)

    def send_body(self, code, ctype, body, extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        # Head and body in one write, so one TLS record for a small answer
        # as kube-apiserver (Go's net/http) sends it; end_headers() would
        # write the head alone first.
        self._headers_buffer.append(b"\r\n")
        head = b"".join(self._headers_buffer)
        self._headers_buffer = []
        self.wfile.write(head if self.command == "HEAD" else head + body)

    def send_obj(self, code, obj, rep):
        if rep == "pb" and obj.get("kind") in kproto.T:
            self.send_body(code, PB, kproto.encode_object(obj))
        else:
            self.send_body(code, "application/json", json.dumps(obj).encode())

    def send_status(self, e, rep="json"):
        st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": e.message,
              "reason": e.reason, "code": e.code}
        if e.details:
            st["details"] = e.details
        self.send_obj(e.code, st, rep)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
        self.wfile.flush()

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 3 << 20:
            raise ApiError(413, "RequestEntityTooLarge", "request body too large")
        data = self.rfile.read(n) if n else b""
        ct = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        if ct == PB:
            try:
                return kproto.decode_object(data), ct
            except ValueError as e:
                raise ApiError(400, "BadRequest", "bad protobuf body: %s" % e)
        try:
            return json.loads(data or b"{}"), ct
        except ValueError as e:
            raise ApiError(400, "BadRequest", "bad JSON body: %s" % e)

    def authenticate(self):
        token = self.server.token
        auth = self.headers.get("Authorization", "")
        if token and auth == "Bearer " + token:
            return
        cert = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        if cert:
            return
        raise ApiError(401, "Unauthorized", "Unauthorized")

    def count(self, verb):
        ua = (self.headers.get("User-Agent") or "-").split("/")[0]
        with self.server.world.lock:
            key = "%s %s" % (ua, verb)
            self.server.world.requests[key] = self.server.world.requests.get(key, 0) + 1

    # ---- dispatch ----
    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def handle_any(self, method):
        rep = "json"
        self.server.hold()
        try:
            url = urlsplit(self.path)
            path = unquote(url.path)
            self.q = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            if path in ("/readyz", "/healthz", "/livez"):
                return self.send_body(200, "text/plain; charset=utf-8", b"ok")
            self.authenticate()
            if path.startswith("/_test/"):
                return self.test_endpoint(method, path)
            if method == "GET" and self.discovery(path):
                return
            rep = self.accepts() if method != "DELETE" or True else "json"
            self.resource_request(method, path, rep)
        except ApiError as e:
            if method in ("POST", "PUT", "PATCH"):
                try:
                    n = int(self.headers.get("Content-Length") or 0)
                    if n and not getattr(self, "_body_read", False):
                        self.rfile.read(n)
                except (OSError, ValueError):
                    pass
            self.send_status(e, rep if rep in ("json", "pb") else "json")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def test_endpoint(self, method, path):
        w = self.server.world
        if path == "/_test/compact" and method == "POST":
            with w.lock:
                w.compacted = w.rv
                w.events = []
            return self.send_body(200, "application/json", b'{"compacted":true}')
        if path == "/_test/pager" and method == "POST":
            with w.lock:
                w.page_max = int(self.q.get("max") or 0)
                w.expire_after_page = self.q.get("expire")
            return self.send_body(200, "application/json", b'{"pager":true}')
        if path == "/_test/requests":
            with w.lock:
                body = json.dumps(w.requests).encode()
            return self.send_body(200, "application/json", body)
        raise ApiError(404, "NotFound", "no such test endpoint")

    # ---- discovery ----
    def discovery(self, path):
        srv = self.server
        acc = self.headers.get("Accept") or ""
        aggregated = "as=APIGroupDiscoveryList" in acc and "v=v2;" in acc.replace("v=v2beta1", "")
        if path == "/version":
            self.count("version")
            self.send_body(200, "application/json", json.dumps(
                {"major": "1", "minor": "32", "gitVersion": "v1.32.0-edgebox-test", "gitCommit": "0" * 40,
                 "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23",
                 "compiler": "gc", "platform": "linux/amd64"}).encode())
            return True
        groups = sorted({g for g, _, _ in RESOURCES if g})
        if path in ("/api", "/apis"):
            self.count("discovery")
            if aggregated:
                items = []
                for g in ([""] if path == "/api" else groups):
                    res = []
                    for (gg, v, r), (kind, nsd, short, singular) in sorted(RESOURCES.items()):
                        if gg != g:
                            continue
                        d = {"resource": r, "responseKind": {"group": g, "version": v, "kind": kind},
                             "scope": "Namespaced" if nsd else "Cluster", "singularResource": singular,
                             "verbs": VERBS}
                        if short:
                            d["shortNames"] = short
                        res.append(d)
                    md = {"creationTimestamp": None}
                    if g:
                        md["name"] = g
                    items.append({"metadata": md, "versions": [{"version": "v1", "resources": res,
                                                                "freshness": "Current"}]})
                self.send_body(200, DISCO_CT, json.dumps(
                    {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
                     "items": items}).encode(), {"Vary": "Accept"})
            elif path == "/api":
                self.send_body(200, "application/json", json.dumps(
                    {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                        {"clientCIDR": "0.0.0.0/0", "serverAddress": srv.address}]}).encode())
            else:
                self.send_body(200, "application/json", json.dumps(
                    {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                        {"name": g, "versions": [{"groupVersion": g + "/v1", "version": "v1"}],
                         "preferredVersion": {"groupVersion": g + "/v1", "version": "v1"}} for g in groups]}).encode())
            return True
        m = re.match(r"^/(?:api/(v1)|apis/([^/]+)/(v1))$", path)
        if m:
            g = m.group(2) or ""
            if g and g not in groups:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            self.count("discovery")
            res = []
            for (gg, v, r), (kind, nsd, short, singular) in sorted(RESOURCES.items()):
                if gg == g:
                    d = {"name": r, "singularName": singular, "namespaced": nsd, "kind": kind, "verbs": VERBS}
                    if short:
                        d["shortNames"] = short
                    res.append(d)
            self.send_body(200, "application/json", json.dumps(
                {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": (g + "/v1") if g else "v1",
                 "resources": res}).encode())
            return True
        m = re.match(r"^/apis/([^/]+)$", path)
        if m and m.group(1) in groups:
            g = m.group(1)
            self.send_body(200, "application/json", json.dumps(
                {"kind": "APIGroup", "apiVersion": "v1", "name": g, "versions": [{"groupVersion": g + "/v1",
                 "version": "v1"}], "preferredVersion": {"groupVersion": g + "/v1", "version": "v1"}}).encode())
            return True
        return False

    # ---- resources ----
    def parse_path(self, path):
        segs = [s for s in path.split("/") if s]
        if len(segs) >= 2 and segs[0] == "api":
            g, v, i = "", segs[1], 2
        elif len(segs) >= 3 and segs[0] == "apis":
            g, v, i = segs[1], segs[2], 3
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        watch_prefix = False
        if i < len(segs) and segs[i] == "watch":
            watch_prefix, i = True, i + 1
        ns = None
        rest = segs[i:]
        if len(rest) >= 3 and rest[0] == "namespaces" and not (len(rest) == 3 and rest[2] in ("status", "finalize")):
            ns, rest = rest[1], rest[2:]
        if not rest:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        resource, name, sub = rest[0], rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None
        rkey = (g, v, resource)
        if rkey not in RESOURCES:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return rkey, ns, name, sub, watch_prefix

    def resource_request(self, method, path, rep):
        rkey, ns, name, sub, watch_prefix = self.parse_path(path)
        kind, namespaced, _, _ = RESOURCES[rkey]
        if not namespaced:
            ns = None
        api_version = (rkey[0] + "/" + rkey[1]) if rkey[0] else rkey[1]
        if sub in ("exec", "attach", "portforward") and rkey == ("", "v1", "pods"):
            self.count(sub)
            return self.upgrade_echo(rkey, ns, name)
        if sub == "log" and rkey == ("", "v1", "pods") and method == "GET":
            self.count("log")
            return self.pod_log(rkey, ns, name)
        if sub and sub != "status":
            raise ApiError(404, "NotFound", "subresource %s not supported by the test apiserver" % sub)
        watch = watch_prefix or parse_bool(self.q["watch"]) if "watch" in self.q and self.q["watch"] != "" else watch_prefix
        if method == "GET" and watch:
            self.count("watch")
            return self.watch(rkey, ns, name, rep)
        if method == "GET" and name:
            self.count("get")
            return self.get(rkey, ns, name, rep)
        if method == "GET":
            self.count("list")
            return self.list(rkey, ns, rep)
        if method == "POST" and not name:
            self.count("create")
            return self.create(rkey, ns, kind, api_version, rep)
        if method == "PUT" and name:
            self.count("update")
            return self.update(rkey, ns, name, rep, sub)
        if method == "PATCH" and name:
            self.count("patch")
            return self.patch(rkey, ns, name, rep, sub)
        if method == "DELETE" and name:
            self.count("delete")
            return self.delete(rkey, ns, name, rep)
        raise ApiError(405, "MethodNotAllowed", "method %s not allowed here" % method)

    def upgrade_echo(self, rkey, ns, name):
        """exec/attach/port-forward: the upgrade handshake, then the raw
        stream echoed back (the stream protocol itself is the client's and
        kubelet's business; a proxy must only pass bytes)."""
        w = self.server.world
        with w.lock:
            if (rkey, ns or "", name) not in w.objects:
                raise self.not_found(rkey, name)
        up = self.headers.get("Upgrade")
        if not up or "upgrade" not in (self.headers.get("Connection") or "").lower():
            raise ApiError(400, "BadRequest", "Upgrade request required")
        self.send_response(101, "Switching Protocols")
        self.send_header("Connection", "Upgrade")
        self.send_header("Upgrade", up)
        self.send_header("X-Stream-Protocol-Version", "v4.channel.k8s.io")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        while True:
            data = self.connection.recv(65536)
            if not data:
                return
            self.connection.sendall(data)

    def pod_log(self, rkey, ns, name):
        w = self.server.world
        with w.lock:
            if (rkey, ns or "", name) not in w.objects:
                raise self.not_found(rkey, name)
        follow = parse_bool(self.q["follow"]) if self.q.get("follow") else False
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i in range(3 if not follow else 5):
            self.chunk(b"log line %d of %s\n" % (i, name.encode()))
            if follow:
                time.sleep(0.2)
        self.chunk(b"")

    def not_found(self, rkey, name):
        return ApiError(404, "NotFound", '%s "%s" not found' % (rkey[2], name),
                        {"name": name, "kind": rkey[2], **({"group": rkey[0]} if rkey[0] else {})})

    def render(self, rkey, obj, rep, list_item=False):
        o = copy.deepcopy(obj)
        if list_item:
            o.pop("kind", None)
            o.pop("apiVersion", None)
        return o

    def table(self, objs, rv, include="Metadata"):
        rows = []
        for o in objs:
            md = o.get("metadata", {})
            row = {"cells": [md.get("name"), human_age(md.get("creationTimestamp"))]}
            if include == "Object":
                row["object"] = o
            elif include != "None":
                row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                 "metadata": copy.deepcopy(md)}
            rows.append(row)
        return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv},
                "columnDefinitions": [
                    {"name": "Name", "type": "string", "format": "name",
                     "description": "Name must be unique within a namespace.", "priority": 0},
                    {"name": "Age", "type": "string", "format": "",
                     "description": "CreationTimestamp is a timestamp representing the server time when this "
                                    "object was created.", "priority": 0}],
                "rows": rows}

    def get(self, rkey, ns, name, rep):
        w = self.server.world
        with w.lock:
            obj = copy.deepcopy(w.objects.get((rkey, ns or "", name)))
        if not obj:
            raise self.not_found(rkey, name)
        if rep == "table":
            return self.send_body(200, TABLE_CT, json.dumps(
                self.table([obj], obj["metadata"]["resourceVersion"], self.q.get("includeObject", "Metadata"))).encode())
        self.send_obj(200, obj, rep)

    def selected(self, rkey, ns):
        lsel = parse_label_selector(self.q.get("labelSelector", ""))
        fsel = parse_field_selector(self.q.get("fieldSelector", ""), rkey[2])

        def ok(o):
            if ns and o["metadata"].get("namespace") != ns:
                return False
            return match(lsel, o["metadata"].get("labels") or {}) and match(fsel, field_values(rkey[2], o))
        return ok

    def list(self, rkey, ns, rep):
        w = self.server.world
        ok = self.selected(rkey, ns)
        limit = int(self.q.get("limit") or 0)
        cont = self.q.get("continue")
        with w.lock:
            rv = str(w.rv)
            start = ""
            if cont:
                try:
                    tok = json.loads(base64.b64decode(cont))
                    crv, start = int(tok["rv"]), tok["start"]
                except (ValueError, KeyError, TypeError):
                    raise ApiError(400, "BadRequest", "invalid continue token")
                if crv < w.compacted:
                    raise ApiError(410, "Expired", "The provided continue parameter is too old to display a "
                                   "consistent list result. You can start a new list without the continue "
                                   "parameter.")
                rv = str(crv)
            items = sorted(((k[1], k[2]), copy.deepcopy(o)) for k, o in w.objects.items() if k[0] == rkey and ok(o))
        items = [(k, o) for k, o in items if "/".join(k) > start] if start else items
        meta = {"resourceVersion": rv}
        if limit and w.page_max:
            limit = min(limit, w.page_max)
        if limit and len(items) > limit:
            rest = len(items) - limit
            items = items[:limit]
            meta["continue"] = base64.b64encode(json.dumps({"rv": int(rv), "start": "/".join(items[-1][0])}).encode()).decode()
            meta["remainingItemCount"] = rest
            with w.lock:
                if w.expire_after_page == rkey[2]:
                    # etcd moved on (writes to other keys) and was compacted
                    w.expire_after_page = None
                    w.rv += 1
                    w.compacted = w.rv
                    w.events = []
        objs = [o for _, o in items]
        kind = RESOURCES[rkey][0]
        api_version = (rkey[0] + "/v1") if rkey[0] else "v1"
        if rep == "table":
            t = self.table(objs, rv, self.q.get("includeObject", "Metadata"))
            t["metadata"] = meta
            return self.send_body(200, TABLE_CT, json.dumps(t).encode())
        if rep == "pb":
            return self.send_body(200, PB, kproto.encode_list(api_version, kind + "List", kind, meta, objs))
        body = {"kind": kind + "List", "apiVersion": api_version, "metadata": meta,
                "items": [self.render(rkey, o, rep, True) for o in objs]}
        self.send_body(200, "application/json", json.dumps(body).encode())

    def watch(self, rkey, ns, name, rep):
        w = self.server.world
        if name:
            fs = self.q.get("fieldSelector", "")
            self.q["fieldSelector"] = (fs + "," if fs else "") + "metadata.name=" + name
        ok = self.selected(rkey, ns)
        rv_param = self.q.get("resourceVersion", "")
        bookmarks = parse_bool(self.q["allowWatchBookmarks"]) if self.q.get("allowWatchBookmarks") else False
        timeout = int(self.q.get("timeoutSeconds") or 0) or self.server.watch_timeout
        deadline = time.time() + timeout
        kind = RESOURCES[rkey][0]
        api_version = (rkey[0] + "/v1") if rkey[0] else "v1"
        self.send_response(200)
        self.send_header("Content-Type", PB + ";stream=watch" if rep == "pb" else TABLE_CT if rep == "table" else
                         "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def emit(etype, obj):
            if rep == "pb":
                self.chunk(kproto.encode_watch_event(etype, obj))
            else:
                if rep == "table" and etype != "BOOKMARK" and obj.get("kind") != "Status":
                    t = self.table([obj], obj["metadata"]["resourceVersion"], self.q.get("includeObject", "Metadata"))
                    obj = t
                self.chunk(json.dumps({"type": etype, "object": obj}).encode() + b"\n")

        with w.lock:
            if rv_param not in ("", "0"):
                try:
                    start = int(rv_param)
                except ValueError:
                    start = -1
                if start < w.compacted:
                    emit("ERROR", {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                   "message": "too old resource version: %s (%d)" % (rv_param, w.compacted),
                                   "reason": "Expired", "code": 410})
                    self.chunk(b"")
                    return
                initial = []
            else:
                start = w.rv
                initial = sorted(((k[1], k[2]), copy.deepcopy(o)) for k, o in w.objects.items()
                                 if k[0] == rkey and ok(o))
        for _, o in initial:
            emit("ADDED", o)
        last_bookmark = time.time()
        pos = start
        while time.time() < deadline and not self.server.stopping:
            if self.server.partitioned:
                time.sleep(0.2)   # a stalled stream: no events, no bookmarks, no end
                continue
            batch = []
            with w.lock:
                w.lock.wait(timeout=0.2)
                for ev in w.events:
                    if ev[0] > pos:
                        batch.append(ev)
                cur = w.rv
            for erv, etype, ekey, obj, old in batch:
                pos = max(pos, erv)
                if ekey != rkey:
                    continue
                now_ok = ok(obj)
                was_ok = ok(old) if old is not None else False
                if etype == "MODIFIED":
                    if now_ok and not was_ok:
                        etype = "ADDED"
                    elif was_ok and not now_ok:
                        etype = "DELETED"
                    elif not now_ok:
                        continue
                elif not now_ok:
                    continue
                emit(etype, obj)
            pos = max(pos, cur) if not batch else pos
            if bookmarks and time.time() - last_bookmark >= self.server.bookmark_interval:
                emit("BOOKMARK", {"kind": kind, "apiVersion": api_version,
                                  "metadata": {"resourceVersion": str(pos),
                                               "annotations": {"k8s.io/initial-events-end": "true"}}})
                last_bookmark = time.time()
        self.chunk(b"")

    def stamp(self, rkey, ns, obj, kind, api_version):
        md = obj.setdefault("metadata", {})
        if not md.get("name"):
            if md.get("generateName"):
                md["name"] = md["generateName"] + uuid.uuid4().hex[:5]
            else:
                raise ApiError(422, "Invalid", "%s is invalid: metadata.name: Required value: name or generateName "
                               "is required" % kind)
        if not re.match(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", md["name"]) or len(md["name"]) > 253:
            raise ApiError(422, "Invalid", '%s "%s" is invalid: metadata.name: Invalid value' % (kind, md["name"]))
        if ns:
            if md.get("namespace") and md["namespace"] != ns:
                raise ApiError(400, "BadRequest", "the namespace of the object does not match the request")
            md["namespace"] = ns
        obj["kind"], obj["apiVersion"] = kind, api_version
        if kind == "Secret" and "stringData" in obj:
            data = obj.setdefault("data", {})
            for k, v in obj.pop("stringData").items():
                data[k] = base64.b64encode(v.encode()).decode()
        if kind == "Secret":
            obj.setdefault("type", "Opaque")
        if kind == "Namespace":
            obj.setdefault("status", {"phase": "Active"})
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        return md

    def create(self, rkey, ns, kind, api_version, rep):
        obj, _ = self.read_body()
        self._body_read = True
        if obj.get("kind") and obj["kind"] != kind:
            raise ApiError(400, "BadRequest", "kind %s does not match %s" % (obj["kind"], kind))
        w = self.server.world
        with w.lock:
            md = self.stamp(rkey, ns, obj, kind, api_version)
            if rkey == PODS:
                default_toleration_seconds(obj, self.server.not_ready_s, self.server.unreachable_s)
                validate_tolerations(md["name"], obj["spec"]["tolerations"])
            key = (rkey, ns or "", md["name"])
            if key in w.objects:
                raise ApiError(409, "AlreadyExists", '%s "%s" already exists' % (rkey[2], md["name"]),
                               {"name": md["name"], "kind": rkey[2]})
            if ns and ((("", "v1", "namespaces"), "", ns) not in w.objects):
                raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns,
                               {"name": ns, "kind": "namespaces"})
            md["uid"] = str(uuid.uuid4())
            md["creationTimestamp"] = now_rfc3339()
            md["resourceVersion"] = w.next_rv()
            w.objects[key] = obj
            w.record("ADDED", rkey, obj)
            out = copy.deepcopy(obj)
        self.send_obj(201, out, rep)

    def replace(self, rkey, ns, name, new, rep, check_rv):
        w = self.server.world
        with w.lock:
            key = (rkey, ns or "", name)
            old = w.objects.get(key)
            if not old:
                raise self.not_found(rkey, name)
            want = new.get("metadata", {}).get("resourceVersion")
            if check_rv and want and want != old["metadata"]["resourceVersion"]:
                raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object has been '
                               'modified; please apply your changes to the latest version and try again'
                               % (rkey[2], name), {"name": name, "kind": rkey[2]})
            kind, _, _, _ = RESOURCES[rkey]
            new.setdefault("metadata", {})["name"] = name
            if rkey == PODS:
                validate_pod_update(name, old, new)
            self.stamp(rkey, ns, new, kind, old["apiVersion"])
            for k in ("uid", "creationTimestamp"):
                new["metadata"][k] = old["metadata"][k]
            new["metadata"]["resourceVersion"] = w.next_rv()
            w.objects[key] = new
            w.record("MODIFIED", rkey, new, copy.deepcopy(old))
            out = copy.deepcopy(new)
        self.send_obj(200, out, rep)

    def update(self, rkey, ns, name, rep, sub):
        obj, _ = self.read_body()
        self._body_read = True
        self.replace(rkey, ns, name, obj, rep, True)

    def patch(self, rkey, ns, name, rep, sub):
        patch, ct = self.read_body()
        self._body_read = True
        w = self.server.world
        with w.lock:
            cur = copy.deepcopy(w.objects.get((rkey, ns or "", name)))
        if not cur:
            raise self.not_found(rkey, name)
        if ct == "application/json-patch+json":
            new = json_patch(cur, patch)
        elif ct in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            new = merge_patch(cur, patch)
        else:
            raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format")
        self.replace(rkey, ns, name, new, rep, "resourceVersion" in (patch.get("metadata") or {})
                     if isinstance(patch, dict) else False)

    def delete(self, rkey, ns, name, rep):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        self._body_read = True
        w = self.server.world
        with w.lock:
            key = (rkey, ns or "", name)
            old = w.objects.pop(key, None)
            if not old:
                raise self.not_found(rkey, name)
            old = copy.deepcopy(old)
            old["metadata"]["resourceVersion"] = w.next_rv()
            w.record("DELETED", rkey, old, copy.deepcopy(old))
        self.send_obj(200, old, rep)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    partitioned = False

    def hold(self):
        """While black-holed: say nothing (polled: set from a signal handler)."""
        while self.partitioned:
            time.sleep(0.1)

    def handle_error(self, request, client_address):
        # a client that gave up on a held handshake or request is expected
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1:6443")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--client-ca", required=True)
    ap.add_argument("--token", default="")
    ap.add_argument("--state", default="")
    ap.add_argument("--history", type=int, default=10000, help="watch events kept (older ones: 410)")
    ap.add_argument("--bookmark-interval", type=float, default=1.0)
    ap.add_argument("--watch-timeout", type=int, default=1800)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--partition", action="store_true",
                    help="start black-holed (accept, answer nothing) until SIGUSR2")
    ap.add_argument("--default-not-ready-toleration-seconds", type=int, default=300)
    ap.add_argument("--default-unreachable-toleration-seconds", type=int, default=300)
    ap.add_argument("--taint-eviction", action="store_true",
                    help="also act as kube-controller-manager's taint eviction controller")
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    srv = Server((host, int(port)), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    ctx.load_verify_locations(a.client_ca)
    ctx.verify_mode = ssl.CERT_OPTIONAL
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    srv.partitioned = a.partition

    def partition(on):
        srv.partitioned = on
        print("apiserver: link %s" % ("black-holed" if on else "healed"), flush=True)
    signal.signal(signal.SIGUSR1, lambda *_: partition(True))
    signal.signal(signal.SIGUSR2, lambda *_: partition(False))
    srv.world = World(a.state, a.history)
    srv.token, srv.verbose, srv.stopping = a.token, a.verbose, False
    srv.bookmark_interval, srv.watch_timeout = a.bookmark_interval, a.watch_timeout
    srv.address = a.listen
    srv.not_ready_s = a.default_not_ready_toleration_seconds
    srv.unreachable_s = a.default_unreachable_toleration_seconds
    if a.taint_eviction:
        threading.Thread(target=taint_eviction_loop, args=(srv,), daemon=True).start()
    with srv.world.lock:
        if (("", "v1", "namespaces"), "", "default") not in srv.world.objects:
            for nsname in ("default", "kube-system"):
                o = {"kind": "Namespace", "apiVersion": "v1", "metadata": {
                    "name": nsname, "uid": str(uuid.uuid4()), "creationTimestamp": now_rfc3339(),
                    "resourceVersion": srv.world.next_rv()}, "spec": {"finalizers": ["kubernetes"]},
                    "status": {"phase": "Active"}}
                srv.world.objects[(("", "v1", "namespaces"), "", nsname)] = o
            srv.world.save()
    print("apiserver: listening on https://%s" % a.listen, flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
