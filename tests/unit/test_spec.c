/* test_spec.c - the config.json parser: the default spec round-trips, and
 * every class of bad input is refused with an error naming the field. */
#include "unit.h"
#include "spec/bundle.h"
#include "spec/spec.h"
#include "common/util.h"
#include "spec/log_files.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>

static void expect_error(const char *json, const char *needle)
{
    eb_spec_t *s = NULL;
    eb_error_t err = { 0 };
    int r = eb_spec_parse(json, strlen(json), &s, &err);
    CHECK(r < 0 && strstr(err.msg, needle) != NULL, "refuses %.60s... with \"%s\" (got \"%s\")", json, needle, err.msg);
    if (r == 0)
        eb_spec_free(s);
}

/* eb_bundle_load: the real path, the text kept verbatim, process required. */
static void test_bundle(const char *base, const char *proc)
{
    char dir[] = "/tmp/eb-test-bundle.XXXXXX";
    char *with, *without, *cfg;
    eb_bundle_t b;
    eb_error_t err = { 0 };
    int r;
    if (mkdtemp(dir) == NULL) {
        CHECK(0, "mkdtemp for the bundle test");
        return;
    }
    with = eb_strdup_printf("{%s,%s}", base, proc);
    without = eb_strdup_printf("{%s}", base);
    cfg = eb_strdup_printf("%s/config.json", dir);
    r = eb_bundle_load(dir, EB_BUNDLE_NEED_PROCESS, &b, &err);
    CHECK(r < 0 && err.code == ENOENT && b.spec == NULL, "bundle: a missing config.json is ENOENT (%s)", err.msg);
    eb_write_file_atomic(dir, "config.json", without, strlen(without), &err);
    r = eb_bundle_load(dir, EB_BUNDLE_NEED_PROCESS, &b, &err);
    CHECK(r < 0 && strstr(err.msg, "process: required") && strstr(err.msg, cfg), "bundle: process required (%s)", err.msg);
    r = eb_bundle_load(dir, 0, &b, &err);
    CHECK(r == 0 && b.spec && !b.spec->has_process, "bundle: process optional without the flag");
    if (r == 0)
        eb_bundle_release(&b);
    eb_write_file_atomic(dir, "config.json", with, strlen(with), &err);
    r = eb_bundle_load(dir, EB_BUNDLE_NEED_PROCESS, &b, &err);
    CHECK(r == 0 && strcmp(b.dir, dir) == 0 && b.len == strlen(with) && memcmp(b.text, with, b.len) == 0
          && b.spec->has_process, "bundle: real path, verbatim text and spec");
    if (r == 0)
        eb_bundle_release(&b);
    r = eb_bundle_load("/nonexistent/eb-bundle", 0, &b, &err);
    CHECK(r < 0 && strstr(err.msg, "bundle `/nonexistent/eb-bundle`"), "bundle: a missing directory is named (%s)", err.msg);
    unlink(cfg);
    rmdir(dir);
    free(with), free(without), free(cfg);
}

/* eb_spec_from_json: a tree parsed elsewhere (the agent's request) is
 * validated as a config.json would be, and kept alive by the spec. */
static void test_from_json(const char *json)
{
    json_object *o = json_tokener_parse(json), *bad = json_tokener_parse("[1]");
    json_object *noproc = json_tokener_parse("{\"ociVersion\":\"2.0\",\"root\":{\"path\":\"r\"}}");
    eb_spec_t *s = NULL;
    eb_error_t err = { 0 };
    int r = eb_spec_from_json(o, &s, &err);

    json_object_put(o); /* the spec holds its own reference */
    CHECK(r == 0 && s && s->has_process && strcmp(s->process.args[0], "sh") == 0 && strcmp(s->root_path, "rootfs") == 0,
          "from_json: a parsed tree gives the spec (%s)", err.msg);
    eb_spec_free(s);
    s = NULL;
    r = eb_spec_from_json(bad, &s, &err);
    CHECK(r < 0 && s == NULL && strstr(err.msg, "not an object"), "from_json: a non-object is refused (%s)", err.msg);
    eb_error_clear(&err);
    r = eb_spec_from_json(noproc, &s, &err);
    CHECK(r < 0 && s == NULL && strstr(err.msg, "ociVersion"), "from_json: validated as a config is (%s)", err.msg);
    json_object_put(bad);
    json_object_put(noproc);
}

#define BASE "\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"}"
#define PROC "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\"}"

int main(void)
{
    eb_spec_t *s = NULL;
    eb_error_t err = { 0 };
    char *def;
    int r;

    unit_name = "spec";
    test_from_json("{" BASE "," PROC "}");
    def = eb_spec_default_json(false, 0, 0);
    r = eb_spec_parse(def, strlen(def), &s, &err);
    CHECK(r == 0, "the default spec parses (%s)", err.msg);
    if (r == 0) {
        CHECK(s->has_process && strcmp(s->process.args[0], "sh") == 0, "default process is sh");
        CHECK(s->process.no_new_privileges, "default sets noNewPrivileges");
        CHECK(s->seccomp.present && s->seccomp.default_action == EB_SCMP_ERRNO, "default seccomp is an allowlist");
        CHECK(s->process.cap_effective == ((1ULL << 29) | (1ULL << 5) | (1ULL << 10)), "default caps AUDIT_WRITE, KILL, NET_BIND_SERVICE");
        CHECK(s->namespaces[EB_NS_PID].present && s->namespaces[EB_NS_NET].present
              && s->namespaces[EB_NS_CGROUP].present && !s->namespaces[EB_NS_USER].present, "default namespaces");
        CHECK(s->masked_paths && s->readonly_paths, "masked and readonly paths present");
        CHECK(s->root_readonly, "default rootfs is read-only");
        eb_spec_free(s);
    }
    free(def);
    def = eb_spec_default_json(true, 1000, 1000);
    r = eb_spec_parse(def, strlen(def), &s, &err);
    CHECK(r == 0 && s->namespaces[EB_NS_USER].present && s->n_uid_mappings == 1 && s->uid_mappings[0].host_id == 1000
          && !s->namespaces[EB_NS_NET].present, "--rootless spec: user ns mapped to the caller, no network ns");
    if (r == 0)
        eb_spec_free(s);
    free(def);

    {
        const char *full = "{" BASE "," PROC ",\"hostname\":\"h\",\"mounts\":[{\"destination\":\"/p\",\"type\":\"proc\",\"source\":\"proc\",\"options\":[\"nosuid\"]}],"
            "\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\",\"args\":[\"true\"],\"timeout\":5}]},"
            "\"annotations\":{\"a\":\"b\"},"
            "\"linux\":{\"namespaces\":[{\"type\":\"uts\"},{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"}],"
            "\"resources\":{\"memory\":{\"limit\":1048576,\"swap\":-1},\"cpu\":{\"shares\":2,\"cpus\":\"0-1\"},\"pids\":{\"limit\":-1},"
            "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"}],"
            "\"blockIO\":{\"weight\":10,\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":100}]},"
            "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0}],\"unified\":{\"memory.high\":\"max\"}},"
            "\"rootfsPropagation\":\"rslave\",\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},"
            "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,"
            "\"args\":[{\"index\":1,\"value\":18446744073709551615,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}}}";
        r = eb_spec_parse(full, strlen(full), &s, &err);
        CHECK(r == 0, "a spec using most fields parses (%s)", err.msg);
        if (r == 0) {
            CHECK(s->namespaces[EB_NS_NET].path && strcmp(s->namespaces[EB_NS_NET].path, "/proc/1/ns/net") == 0, "joined namespace path");
            CHECK(s->resources.memory.swap.set && s->resources.memory.swap.v == -1, "memory.swap -1");
            CHECK(s->resources.pids_limit.set && s->resources.pids_limit.v == -1, "pids.limit -1");
            CHECK(s->resources.n_devices == 2 && s->resources.devices[1].major == 1 && s->resources.devices[0].major == -1, "device rules");
            CHECK(s->resources.blkio.n_throttle[EB_THROTTLE_READ_BPS] == 1, "blkio throttle");
            CHECK(s->seccomp.syscalls[0].args[0].value == UINT64_MAX, "seccomp 64-bit argument value");
            CHECK(s->rootfs_propagation == (MS_SLAVE | MS_REC), "rootfsPropagation rslave");
            CHECK(strcmp(eb_spec_annotation(s, "a"), "b") == 0, "annotations");
            CHECK(s->n_hooks[EB_HOOK_PRESTART] == 1 && s->hooks[EB_HOOK_PRESTART][0].timeout.v == 5, "hooks");
            eb_spec_free(s);
        }
    }

    expect_error("", "invalid JSON");
    expect_error("{", "unexpected end");
    expect_error("[]", "not an object");
    expect_error("null\n", "invalid JSON");
    expect_error("{} x", "invalid JSON");
    expect_error("{}", "ociVersion: required");
    expect_error("{\"ociVersion\":3}", "ociVersion: expected a string");
    expect_error("{\"ociVersion\":\"0.9\"}", "unsupported version");
    expect_error("{\"ociVersion\":\"1.0.0\"}", "root: required");
    expect_error("{" BASE ",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}}", "process.user: required");
    expect_error("{" BASE ",\"process\":{\"user\":{\"uid\":-1,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\"}}", "must not be negative");
    expect_error("{" BASE ",\"process\":{\"user\":{\"uid\":4294967296,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\"}}", "larger than");
    expect_error("{" BASE ",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[],\"cwd\":\"/\"}}", "at least the program");
    expect_error("{" BASE ",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"a\\u0000b\"],\"cwd\":\"/\"}}", "NUL byte");
    expect_error("{" BASE ",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\",\"env\":[\"NOEQUALS\"]}}", "not KEY=VALUE");
    expect_error("{" BASE ",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\",\"soft\":1,\"hard\":1}]}}", "unknown rlimit");
    expect_error("{" BASE ",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":1}]}}", "above hard limit");
    expect_error("{" BASE ",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\",\"oomScoreAdj\":1001}}", "out of range");
    expect_error("{" BASE ",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":[\"CAP_FLY\"]}}}", "unknown capability");
    expect_error("{" BASE ",\"mounts\":[{\"type\":\"proc\"}]}", "mounts[0].destination: required");
    expect_error("{" BASE ",\"hooks\":{\"prestart\":[{\"path\":\"rel\"}]}}", "is not an absolute path");
    expect_error("{" BASE ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}", "given twice");
    expect_error("{" BASE ",\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}}", "need a user namespace");
    expect_error("{" BASE ",\"linux\":{\"namespaces\":[{\"type\":\"user\"}]}}", "needs uid and gid mappings");
    expect_error("{" BASE ",\"linux\":{\"sysctl\":{\"../../x\":\"1\"}}}", "invalid key");
    expect_error("{" BASE ",\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}}}", "not a subset of rwm");
    expect_error("{" BASE ",\"linux\":{\"resources\":{\"hugepageLimits\":[{\"pageSize\":\"../x\",\"limit\":1}]}}}", "invalid page size");
    expect_error("{" BASE ",\"linux\":{\"resources\":{\"unified\":{\"../../etc/passwd\":\"x\"}}}}", "invalid key");
    expect_error("{" BASE ",\"linux\":{\"resources\":{\"cpu\":{\"period\":10}}}}", "1000 us minimum");
    expect_error("{" BASE ",\"linux\":{\"rootfsPropagation\":\"sideways\"}}", "unknown propagation");
    expect_error("{" BASE ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":6,\"op\":\"SCMP_CMP_EQ\"}]}]}}}", "larger than 5");
    expect_error("{" BASE ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_Z80\"]}}}", "unknown architecture");
    expect_error("{" BASE ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_NOPE\"]}}}", "unknown flag");
    expect_error("{" BASE ",\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"q\"}]}}", "is not one of c, b, u, p");
    expect_error("{" BASE ",\"linux\":{\"intelRdt\":{}}}", "not supported");
    expect_error("{" BASE ",\"hostname\":\"h\"}", "needs a uts namespace");
    {
        /* 200 nested arrays: beyond the parser's depth limit, not a crash */
        char deep[512];
        size_t i, n = 0;
        n += (size_t) snprintf(deep, sizeof(deep), "{\"a\":");
        for (i = 0; i < 200; i++) deep[n++] = '[';
        deep[n] = 0;
        expect_error(deep, "invalid JSON");
    }
    {
        /* io.edgebox.log-files */
        char **v = NULL;
        size_t n = 0;
        CHECK(eb_log_patterns_parse(" /var/log/app/*.log , /data/x.log,,", &v, &n, &err) == 0 && n == 2
                  && strcmp(v[0], "/var/log/app/*.log") == 0 && strcmp(v[1], "/data/x.log") == 0 && v[2] == NULL,
              "log-files: a comma-separated list, blanks and empty entries ignored");
        eb_log_patterns_free(v);
        CHECK(eb_log_patterns_parse("var/log/x", &v, &n, &err) < 0 && strstr(err.msg, "absolute"),
              "log-files: a relative path refused: %s", err.msg);
        CHECK(eb_log_patterns_parse("/var/log/../../etc/shadow", &v, &n, &err) < 0 && strstr(err.msg, "`..`"),
              "log-files: `..` refused: %s", err.msg);
        CHECK(eb_log_patterns_parse("/var/*/x.log", &v, &n, &err) < 0 && strstr(err.msg, "glob"),
              "log-files: a glob in a directory refused: %s", err.msg);
        CHECK(eb_log_patterns_parse("/var/log//x", &v, &n, &err) < 0, "log-files: an empty component refused");
        CHECK(eb_log_patterns_parse("/var/log/\x01", &v, &n, &err) < 0, "log-files: control characters refused");
        CHECK(eb_log_patterns_parse("/1,/2,/3,/4,/5,/6,/7,/8,/9,/10,/11,/12,/13,/14,/15,/16,/17", &v, &n, &err) < 0
                  && strstr(err.msg, "more than"),
              "log-files: at most %d paths", EB_LOG_PATTERNS_MAX);
    }
    test_bundle(BASE, PROC);
    return unit_failed;
}
