/* cri.h - the annotations CRI runtimes put in config.json to say which
 * pod a container belongs to: containerd's keys and CRI-O's.  The runv
 * class reads them to share a VM per pod, edgebox-stats to group
 * containers into pods. */
#ifndef EB_SPEC_CRI_H
#define EB_SPEC_CRI_H

#define EB_CRI_TYPE "io.kubernetes.cri.container-type"          /* "sandbox" | "container" */
#define EB_CRI_SANDBOX_ID "io.kubernetes.cri.sandbox-id"
#define EB_CRI_POD_NAME "io.kubernetes.cri.sandbox-name"
#define EB_CRI_POD_NAMESPACE "io.kubernetes.cri.sandbox-namespace"
#define EB_CRI_POD_UID "io.kubernetes.cri.sandbox-uid"
#define EB_CRI_CONTAINER_NAME "io.kubernetes.cri.container-name"
#define EB_CRI_IMAGE "io.kubernetes.cri.image-name"
/* The pod's totals on the sandbox's spec (containerd 1.6's CRI plugin,
 * from kubelet's LinuxPodSandboxConfig.resources): what a pod VM is sized
 * from.  Memory in bytes; the quota and period in microseconds. */
#define EB_CRI_SANDBOX_MEMORY "io.kubernetes.cri.sandbox-memory"
#define EB_CRI_SANDBOX_CPU_QUOTA "io.kubernetes.cri.sandbox-cpu-quota"
#define EB_CRI_SANDBOX_CPU_PERIOD "io.kubernetes.cri.sandbox-cpu-period"

#define EB_CRIO_TYPE "io.kubernetes.cri-o.ContainerType"
#define EB_CRIO_SANDBOX_ID "io.kubernetes.cri-o.SandboxID"
#define EB_CRIO_POD_NAME "io.kubernetes.pod.name"
#define EB_CRIO_POD_NAMESPACE "io.kubernetes.pod.namespace"
#define EB_CRIO_POD_UID "io.kubernetes.pod.uid"
#define EB_CRIO_CONTAINER_NAME "io.kubernetes.container.name"
#define EB_CRIO_IMAGE "io.kubernetes.cri-o.ImageName"

#endif
