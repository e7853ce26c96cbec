/* fuzz_agent_channel.c - libFuzzer target for the host side of the
 * host-agent channel: arbitrary bytes from a (malicious) guest go through
 * the monitor's frame decoder, JSON validation, request/response matching,
 * stream credit accounting and event handling. */
#include "runv/monitor.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eb_error_t err = { 0 };
    eb_monitor_feed(data, size, &err);
    return 0;
}
