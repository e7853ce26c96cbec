/* test_pool.c - the pool's configuration (src/runv/pool.c): every value
 * bounded, every malformed one refused with what was wrong; nothing given
 * means no pool. */
#include "unit.h"
#include "runv/pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static int parse(const char *env, eb_pool_config_t *cfg, eb_error_t *err)
{
    setenv("EDGEBOX_POOL", env, 1);
    eb_error_clear(err);
    return eb_pool_config(cfg, err);
}

static int parse_file(const char *text, eb_pool_config_t *cfg, eb_error_t *err)
{
    char path[] = "/tmp/eb-test-pool.XXXXXX";
    int fd = mkstemp(path), ret;

    if (fd < 0 || write(fd, text, strlen(text)) < 0)
        return -2;
    close(fd);
    unsetenv("EDGEBOX_POOL");
    setenv("EDGEBOX_POOL_CONFIG", path, 1);
    eb_error_clear(err);
    ret = eb_pool_config(cfg, err);
    unlink(path);
    return ret;
}

int main(void)
{
    eb_pool_config_t cfg;
    eb_error_t err = { 0 };

    unit_name = "test_pool";
    CHECK(parse("320:1:2,576:1:1", &cfg, &err) == 0 && cfg.n == 2 && cfg.c[0].mem_mib == 320 && cfg.c[0].vcpus == 1
              && cfg.c[0].size == 2 && cfg.c[1].mem_mib == 576,
          "EDGEBOX_POOL: two classes");
    CHECK(parse("0", &cfg, &err) == 0 && cfg.n == 0, "EDGEBOX_POOL=0: off");
    CHECK(parse("off", &cfg, &err) == 0 && cfg.n == 0, "EDGEBOX_POOL=off: off");
    CHECK(parse("320:1:0", &cfg, &err) == 0 && cfg.n == 0, "a class of size 0 is off");
    CHECK(parse("320:1:17", &cfg, &err) < 0 && strstr(err.msg, "size 0-16"), "a size over 16 is refused: %s", err.msg);
    CHECK(parse("64:1:1", &cfg, &err) < 0 && strstr(err.msg, "128-65536"), "too little memory is refused");
    CHECK(parse("320:4096:1", &cfg, &err) < 0 && strstr(err.msg, "vCPUs"), "more vCPUs than the host's are refused");
    CHECK(parse("320:1:1,320:1:2", &cfg, &err) < 0 && strstr(err.msg, "twice"), "a class given twice is refused");
    CHECK(parse("320:1", &cfg, &err) < 0 && strstr(err.msg, "MEMORY_MIB:VCPUS:SIZE"), "a short class is refused");
    CHECK(parse("320:1:2:3", &cfg, &err) < 0, "a long class is refused");
    CHECK(parse("a:b:c", &cfg, &err) < 0, "non-numbers are refused");
    CHECK(parse("1:1:1,2:1:1,3:1:1,4:1:1,5:1:1,6:1:1,7:1:1,8:1:1,9:1:1", &cfg, &err) < 0, "bad classes are refused");
    CHECK(parse("128:1:1,129:1:1,130:1:1,131:1:1,132:1:1,133:1:1,134:1:1,135:1:1,136:1:1", &cfg, &err) < 0
              && strstr(err.msg, "more than 8"),
          "more than 8 classes are refused");
    CHECK(parse_file("{\"classes\": [{\"memory_mib\": 320, \"vcpus\": 1, \"size\": 3}]}", &cfg, &err) == 0
              && cfg.n == 1 && cfg.c[0].size == 3,
          "pool.json: one class");
    CHECK(parse_file("{\"classes\": [{\"memory_mib\": 320, \"vcpus\": 1}]}", &cfg, &err) < 0 && strstr(err.msg, "size"),
          "pool.json: a class without its size is refused: %s", err.msg);
    CHECK(parse_file("{\"classes\": {}}", &cfg, &err) < 0, "pool.json: classes not an array is refused");
    CHECK(parse_file("not json", &cfg, &err) < 0, "pool.json: not JSON is refused");
    setenv("EDGEBOX_POOL_CONFIG", "/nonexistent/pool.json", 1);
    eb_error_clear(&err);
    CHECK(eb_pool_config(&cfg, &err) == 0 && cfg.n == 0, "no file: no pool");

    /* the keeper's requests (pool_keeper.c): what a claim sends, bounded */
    {
        static const char *const bad[] = {
            "", "refill", "refill ", "refill 1000", "refill 1000 ", "refill -1 5", "refill 1000 -5",
            "refill 60001 5", "refill 1000 18446744073709551616", "refill 1000 5 6", "refill 1000 5\n\n",
            "refill  1000 5", "refill 1000  5", "refill 0x10 5", "fill 1000 5",
            "refill 1000 5 and much more text than a request may have, over sixty-four bytes",
        };
        unsigned d = 7;
        uint64_t ino = 7;
        CHECK(eb_pool_keeper_parse("refill 1000 1234\n", 17, &d, &ino, &err) == 0 && d == 1000 && ino == 1234,
              "keeper: a claim's request: its delay and the pool's inode");
        CHECK(eb_pool_keeper_parse("refill 0 18446744073709551615", 29, &d, &ino, &err) == 0 && d == 0
                  && ino == UINT64_MAX,
              "keeper: no delay, the largest inode");
        CHECK(eb_pool_keeper_parse("refill 1 2\0x", 12, &d, &ino, &err) < 0 && strstr(err.msg, "NUL"),
              "keeper: a NUL inside is refused");
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            eb_error_clear(&err);
            d = 7, ino = 7;
            CHECK(eb_pool_keeper_parse(bad[i], strlen(bad[i]), &d, &ino, &err) < 0 && err.msg[0] && d == 7 && ino == 7,
                  "keeper: `%s` is refused, nothing set: %s", bad[i], err.msg);
        }
    }
    return unit_failed;
}
