/* fuzz_loguri.c - libFuzzer target for the stdio URIs containerd hands the
 * shim in CreateTask and Exec (file://, binary://, a FIFO's path): parsed
 * as Go's net/url parses them, bounded; every input either parses into an
 * absolute path and NUL-free arguments or fails with an error message,
 * and frees what it made. */
#include "shim/logio.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    eb_loguri_t u = { 0 };
    eb_error_t err = { 0 };

    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    if (eb_loguri_parse(s, &u, &err) == 0) {
        /* What a parse promises the code that opens or executes it. */
        if (u.kind != EB_LOGURI_NONE && (u.path == NULL || u.path[0] != '/'))
            __builtin_trap();
        for (size_t i = 0; i < u.n_args; i++)
            if (u.args[i] == NULL)
                __builtin_trap();
        if (u.args && u.args[u.n_args] != NULL)
            __builtin_trap();
    } else if (err.msg[0] == 0) {
        __builtin_trap();
    }
    eb_loguri_free(&u);
    free(s);
    return 0;
}
