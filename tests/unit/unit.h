/* unit.h - the smallest test vocabulary: each CHECK prints one TAP-like
 * line the runner counts; main returns non-zero if any failed. */
#ifndef EB_UNIT_H
#define EB_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed;
static const char *unit_name = "unit";

#define CHECK(cond, ...) do { \
    if (cond) { printf("ok - %s: ", unit_name); printf(__VA_ARGS__); printf("\n"); } \
    else { unit_failed = 1; printf("not ok - %s: ", unit_name); printf(__VA_ARGS__); \
           printf(" (%s:%d: %s)\n", __FILE__, __LINE__, #cond); } \
} while (0)
#define SKIP(...) do { printf("skip - %s: ", unit_name); printf(__VA_ARGS__); printf("\n"); } while (0)

#endif
