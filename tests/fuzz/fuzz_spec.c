/* fuzz_spec.c - libFuzzer target for the config.json parser: the whole
 * document, and the standalone process (exec --process) and resources
 * (update -r) objects.  Any input must end in success or a clean error. */
#include "spec/spec.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eb_spec_t *s = NULL;
    eb_error_t err = { 0 };
    if (eb_spec_parse((const char *) data, size, &s, &err) == 0) {
        eb_process_t p;
        eb_resources_t r;
        /* Feed the same bytes to the sub-parsers, as exec/update would. */
        eb_spec_parse_process(s, (const char *) data, size, &p, &err);
        eb_spec_parse_resources(s, (const char *) data, size, &r, &err);
        eb_spec_free(s);
    } else if (err.msg[0] == 0) {
        __builtin_trap(); /* a failure must always say why */
    }
    return 0;
}
