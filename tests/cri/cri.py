#!/usr/bin/env python3
"""cri.py - a CRI client making the calls kubelet makes, for edgebox's
CRI test (tests/integration/cri.sh) and bench (bench/cri-bench.sh).

    cri.py --sock SOCK --state DIR [--stubs DIR] COMMAND ARGS...

The Python stubs of tests/cri/api.proto are generated at run time into
--stubs (default DIR/stubs) with grpc_tools.protoc (Debian's
python3-grpc-tools).  DIR keeps each pod's sandbox config (CreateContainer
sends it again, as kubelet does) and the pods' log directories.  Answers
are printed as JSON (protobuf's JSON mapping, field names as in the
.proto, defaults included); errors go to stderr with exit status 1.

Commands:
  version
  runp NAME HANDLER [--memory B] [--cpu-quota Q --cpu-period P]
                                        RunPodSandbox; prints the pod id
  pod ID                                PodSandboxStatus
  create POD NAME IMAGE [--memory B] [--cpu-quota Q --cpu-period P] -- CMD...
                                        CreateContainer; prints its id
  run POD NAME IMAGE [...] -- CMD...    CreateContainer + StartContainer
  start ID | status ID | stats ID | rm ID
  pid ID | podpid POD                   the container's or the pod
                                        sandbox's host pid (the verbose
                                        status's info)
  lstats [POD]                          ListContainerStats (of one pod)
  exec ID TIMEOUT -- CMD...             ExecSync: its stdout and stderr,
                                        its exit code as this one's
  stop ID TIMEOUT | stopp POD | rmp POD
  wait ID STATE [SECONDS]               poll ContainerStatus until STATE
  bench HANDLER IMAGE N                 N pod starts (RunPodSandbox +
                                        CreateContainer + StartContainer
                                        until the container's first log
                                        line), each pod removed after;
                                        prints the N times in seconds
"""
import argparse
import json
import os
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))


def load_stubs(stubs):
    """Generate (once) and import the stubs of api.proto."""
    if not os.path.exists(os.path.join(stubs, "api_pb2_grpc.py")):
        os.makedirs(stubs, exist_ok=True)
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc",
                        "-I", HERE, "--python_out", stubs,
                        "--grpc_python_out", stubs,
                        os.path.join(HERE, "api.proto")], check=True)
    sys.path.insert(0, stubs)
    import api_pb2
    import api_pb2_grpc
    return api_pb2, api_pb2_grpc


class Cri:
    """The runtime service on SOCK, and the client's state in DIR."""

    def __init__(self, sock, state, stubs):
        import grpc
        from google.protobuf import json_format
        self.pb, pbg = load_stubs(stubs)
        self.grpc = grpc
        self.json_format = json_format
        self.state = state
        os.makedirs(state, exist_ok=True)
        chan = grpc.insecure_channel("unix://" + sock)
        self.rt = pbg.RuntimeServiceStub(chan)

    def show(self, msg):
        print(json.dumps(self.json_format.MessageToDict(
            msg, preserving_proto_field_name=True,
            including_default_value_fields=True), indent=1))

    def resources(self, a):
        return self.pb.LinuxContainerResources(
            memory_limit_in_bytes=a.memory, cpu_quota=a.cpu_quota,
            cpu_period=a.cpu_period)

    def sandbox_config(self, pod):
        with open(os.path.join(self.state, pod + ".json")) as f:
            return self.json_format.Parse(f.read(), self.pb.PodSandboxConfig())

    def runp(self, name, handler, res=None):
        """RunPodSandbox as kubelet sends it: metadata, a log directory,
        the pod's resources (kubelet >= 1.23) when it has limits."""
        logs = os.path.join(self.state, "logs", name)
        os.makedirs(logs, exist_ok=True)
        cfg = self.pb.PodSandboxConfig(
            metadata=self.pb.PodSandboxMetadata(
                name=name, uid=str(uuid.uuid4()), namespace="ebcri"),
            hostname=name, log_directory=logs)
        if res is not None:
            cfg.linux.resources.CopyFrom(res)
        else:
            cfg.linux.SetInParent()
        pid = self.rt.RunPodSandbox(self.pb.RunPodSandboxRequest(
            config=cfg, runtime_handler=handler)).pod_sandbox_id
        with open(os.path.join(self.state, pid + ".json"), "w") as f:
            f.write(self.json_format.MessageToJson(cfg))
        return pid

    def create(self, pod, name, image, cmd, res=None):
        """CreateContainer; its log is <pod's log directory>/NAME.log."""
        cfg = self.pb.ContainerConfig(
            metadata=self.pb.ContainerMetadata(name=name),
            image=self.pb.ImageSpec(image=image), command=cmd,
            log_path=name + ".log",
            envs=[self.pb.KeyValue(key="PATH", value="/bin")])
        if res is not None:
            cfg.linux.resources.CopyFrom(res)
        return self.rt.CreateContainer(self.pb.CreateContainerRequest(
            pod_sandbox_id=pod, config=cfg,
            sandbox_config=self.sandbox_config(pod))).container_id

    def start(self, cid):
        self.rt.StartContainer(self.pb.StartContainerRequest(container_id=cid))

    def status(self, cid):
        return self.rt.ContainerStatus(
            self.pb.ContainerStatusRequest(container_id=cid)).status

    def wait(self, cid, state, seconds):
        want = self.pb.ContainerState.Value(state)
        end = time.monotonic() + seconds
        while self.status(cid).state != want:
            if time.monotonic() > end:
                raise TimeoutError("%s is not %s after %ss" % (cid, state, seconds))
            time.sleep(0.1)

    def remove_pod(self, pod):
        self.rt.StopPodSandbox(self.pb.StopPodSandboxRequest(pod_sandbox_id=pod))
        self.rt.RemovePodSandbox(self.pb.RemovePodSandboxRequest(pod_sandbox_id=pod))
        try:
            os.unlink(os.path.join(self.state, pod + ".json"))
        except FileNotFoundError:
            pass

    def first_log_line(self, path, seconds):
        """Wait for the CRI log file at PATH to hold one whole line."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                with open(path, "rb") as f:
                    if b"\n" in f.read():
                        return
            except FileNotFoundError:
                pass
            time.sleep(0.005)
        raise TimeoutError("no log line in %s after %ss" % (path, seconds))

    def bench(self, handler, image, n):
        times = []
        for i in range(n):
            name = "bench-%s-%d" % (handler, i)
            t0 = time.monotonic()
            pod = self.runp(name, handler)
            cid = self.create(pod, "c", image, ["sh", "-c", "echo up; sleep 1000"])
            self.start(cid)
            self.first_log_line(os.path.join(self.state, "logs", name, "c.log"), 120)
            times.append(time.monotonic() - t0)
            self.remove_pod(pod)
        return times


def main():
    ap = argparse.ArgumentParser(description="a CRI client for edgebox's tests")
    ap.add_argument("--sock", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--stubs")
    ap.add_argument("--memory", type=int, default=0)
    ap.add_argument("--cpu-quota", type=int, default=0)
    ap.add_argument("--cpu-period", type=int, default=0)
    ap.add_argument("command")
    ap.add_argument("args", nargs="*")
    argv = sys.argv[1:]
    cmd = []
    if "--" in argv:
        i = argv.index("--")
        argv, cmd = argv[:i], argv[i + 1:]
    a = ap.parse_intermixed_args(argv)
    c = Cri(a.sock, a.state, a.stubs or os.path.join(a.state, "stubs"))
    res = c.resources(a) if (a.memory or a.cpu_quota) else None
    pb, x = c.pb, a.args
    try:
        if a.command == "version":
            c.show(c.rt.Version(pb.VersionRequest(version="v1")))
        elif a.command == "runp":
            print(c.runp(x[0], x[1], res))
        elif a.command == "pod":
            c.show(c.rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=x[0])).status)
        elif a.command in ("create", "run"):
            cid = c.create(x[0], x[1], x[2], cmd, res)
            if a.command == "run":
                c.start(cid)
            print(cid)
        elif a.command == "start":
            c.start(x[0])
        elif a.command == "status":
            c.show(c.status(x[0]))
        elif a.command == "pid":
            r = c.rt.ContainerStatus(pb.ContainerStatusRequest(container_id=x[0], verbose=True))
            print(json.loads(r.info["info"])["pid"])
        elif a.command == "podpid":
            r = c.rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=x[0], verbose=True))
            print(json.loads(r.info["info"])["pid"])
        elif a.command == "wait":
            c.wait(x[0], x[1], float(x[2]) if len(x) > 2 else 60)
        elif a.command == "stats":
            c.show(c.rt.ContainerStats(pb.ContainerStatsRequest(container_id=x[0])).stats)
        elif a.command == "lstats":
            f = pb.ContainerStatsFilter(pod_sandbox_id=x[0] if x else "")
            c.show(c.rt.ListContainerStats(pb.ListContainerStatsRequest(filter=f)))
        elif a.command == "exec":
            r = c.rt.ExecSync(pb.ExecSyncRequest(container_id=x[0], cmd=cmd, timeout=int(x[1])))
            sys.stdout.buffer.write(r.stdout)
            sys.stderr.buffer.write(r.stderr)
            return r.exit_code
        elif a.command == "stop":
            c.rt.StopContainer(pb.StopContainerRequest(container_id=x[0], timeout=int(x[1])))
        elif a.command == "rm":
            c.rt.RemoveContainer(pb.RemoveContainerRequest(container_id=x[0]))
        elif a.command == "stopp":
            c.rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=x[0]))
        elif a.command == "rmp":
            c.remove_pod(x[0])
        elif a.command == "bench":
            print(" ".join("%.3f" % t for t in c.bench(x[0], x[1], int(x[2]))))
        else:
            ap.error("unknown command " + a.command)
    except c.grpc.RpcError as e:
        print("cri.py %s: %s: %s" % (a.command, e.code().name, e.details()), file=sys.stderr)
        return 1
    except (TimeoutError, IndexError, KeyError, ValueError, OSError) as e:
        print("cri.py %s: %s" % (a.command, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
