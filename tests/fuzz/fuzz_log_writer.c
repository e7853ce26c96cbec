/* fuzz_log_writer.c - libFuzzer target for the host writer of in-guest log
 * files: arbitrary frames (as a malicious guest would have the monitor
 * forward them) go through event validation, file ids and offsets, line
 * splitting into CRI records and the checkpoint.  Container "fuzz" has a
 * record; the files it writes are removed after each input. */
#include "runv/logger.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char sbdir[64], outdir[96];

static void empty(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    if (d)
        closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eb_error_t err = { 0 };
    char path[160];
    FILE *f;

    if (sbdir[0] == 0) {
        snprintf(sbdir, sizeof(sbdir), "/tmp/eb-fuzz-logs.XXXXXX");
        if (mkdtemp(sbdir) == NULL)
            abort();
        snprintf(outdir, sizeof(outdir), "%s/out", sbdir);
        snprintf(path, sizeof(path), "%s/logs", sbdir);
        mkdir(path, 0700);
    }
    /* A logend event removes the record: it is written for every input. */
    snprintf(path, sizeof(path), "%s/logs/fuzz.json", sbdir);
    if ((f = fopen(path, "w")) == NULL)
        abort();
    fprintf(f, "{\"dir\":\"%s\"}", outdir);
    fclose(f);
    eb_logger_feed(sbdir, data, size, &err);
    empty(outdir);
    snprintf(path, sizeof(path), "%s/logs", sbdir);
    empty(path);
    return 0;
}
