/* fuzz_netdev.c - libFuzzer target for the /proc/PID/net/dev parser (the
 * guest agent will run the same parser on guest-controlled text). */
#include "core/stats.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static eb_stats_t st;
    char *text = malloc(size + 1);
    char *json;
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    eb_stats_parse_netdev(text, &st);
    json = eb_stats_to_json(&st);
    free(json);
    free(text);
    return 0;
}
