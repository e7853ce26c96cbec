/* loggen.c - known log content for the log tests, and its checker.
 *
 *   eb-loggen mixed BYTES         about BYTES of lines on stdout and stderr,
 *                                 interleaved pseudo-randomly, then exit 0
 *   eb-loggen plan BYTES          the line counts `mixed BYTES` writes:
 *                                 "stdout=N stderr=M"
 *   eb-loggen burst LINES MARKER  LINES lines on each stream, then create
 *                                 MARKER and wait to be killed
 *   eb-loggen file PATH FIRST LINES ROTATE [PAUSE-US]
 *                                 append lines FIRST..FIRST+LINES-1 to PATH;
 *                                 every ROTATE lines (0: never) rename PATH
 *                                 to PATH.1 and start a new PATH, as
 *                                 logrotate's create mode does
 *   eb-loggen check FILE          read a CRI-format log (partial P records
 *                                 joined), check that every stream's lines
 *                                 run 0,1,2,... with the right content and
 *                                 print "stdout=N stderr=M" or the first
 *                                 fault
 *
 * A line is "<seq> <payload>\n" with a payload of 20-219 characters that
 * is a function of seq, so a lost, doubled, reordered or corrupted line is
 * found wherever it happens. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

static size_t payload(uint64_t seq, char *out)
{
    size_t n = 20 + (size_t) ((seq * 2654435761u) % 200), i;
    for (i = 0; i < n; i++)
        out[i] = alphabet[(seq * 31 + i * 7) % 62];
    return n;
}

static size_t line(uint64_t seq, char *out)
{
    int n = sprintf(out, "%llu ", (unsigned long long) seq);
    size_t len = (size_t) n + payload(seq, out + n);
    out[len++] = '\n';
    return len;
}

/* Which stream line k of `mixed` goes to: a fixed LCG, so plan agrees. */
static int pick(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (int) ((*state >> 33) & 1);
}

static int mixed(uint64_t bytes, int dry)
{
    char buf[300];
    uint64_t seq[2] = { 0, 0 }, total = 0, st = 42;
    FILE *f[2] = { stdout, stderr };

    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    setvbuf(stderr, NULL, _IOFBF, 1 << 16);
    while (total < bytes) {
        int s = pick(&st);
        size_t n = line(seq[s]++, buf);
        total += n;
        if (!dry && fwrite(buf, 1, n, f[s]) != n)
            return 1;
    }
    if (dry) {
        printf("stdout=%llu stderr=%llu\n", (unsigned long long) seq[0], (unsigned long long) seq[1]);
        return 0;
    }
    return fflush(stdout) || fflush(stderr) ? 1 : 0;
}

static __attribute__((noreturn)) void burst(uint64_t lines, const char *marker)
{
    char buf[300];
    uint64_t i;

    for (i = 0; i < lines; i++) {
        size_t n = line(i, buf);
        fwrite(buf, 1, n, stdout);
        fwrite(buf, 1, n, stderr);
    }
    fflush(stdout);
    fflush(stderr);
    close(open(marker, O_WRONLY | O_CREAT, 0644));
    for (;;)
        pause();
}

static int file(const char *path, uint64_t first, uint64_t lines, uint64_t rotate, useconds_t pause_us)
{
    char buf[300], old[4096];
    uint64_t i;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

    snprintf(old, sizeof(old), "%s.1", path);
    for (i = 0; i < lines && fd >= 0; i++) {
        size_t n = line(first + i, buf);
        if (write(fd, buf, n) != (ssize_t) n)
            return 1;
        if (rotate && (i + 1) % rotate == 0) {
            close(fd);
            if (rename(path, old) < 0)
                return 1;
            fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
        }
        if (pause_us)
            usleep(pause_us);
    }
    return fd < 0 || close(fd) < 0;
}

/* One content line (partials joined): is it line SEQ? */
static int verify(const char *text, size_t len, uint64_t seq)
{
    char want[300];
    size_t n = line(seq, want) - 1;
    return n == len && memcmp(want, text, n) == 0;
}

static int check(const char *path)
{
    FILE *f = fopen(path, "r");
    char *ln = NULL, *part[2] = { NULL, NULL };
    size_t cap = 0, plen[2] = { 0, 0 };
    uint64_t seq[2] = { 0, 0 }, records = 0;
    ssize_t len;

    if (f == NULL) {
        printf("open %s: %s\n", path, strerror(errno));
        return 1;
    }
    while ((len = getline(&ln, &cap, f)) > 0) {
        char *ts_end, *st_end, *tag;
        int s;

        records++;
        if (ln[len - 1] != '\n') {
            printf("record %llu: no newline at the end of the file\n", (unsigned long long) records);
            return 1;
        }
        ln[--len] = 0;
        ts_end = strchr(ln, ' ');
        st_end = ts_end ? strchr(ts_end + 1, ' ') : NULL;
        if (st_end == NULL || (st_end[1] != 'P' && st_end[1] != 'F') || (st_end[2] != ' ' && st_end[2] != 0)) {
            printf("record %llu: not CRI format: %.80s\n", (unsigned long long) records, ln);
            return 1;
        }
        if ((size_t) (ts_end - ln) < 20 || ln[10] != 'T') {
            printf("record %llu: bad timestamp: %.40s\n", (unsigned long long) records, ln);
            return 1;
        }
        if (strncmp(ts_end + 1, "stdout ", 7) == 0)
            s = 0;
        else if (strncmp(ts_end + 1, "stderr ", 7) == 0)
            s = 1;
        else {
            printf("record %llu: unknown stream: %.80s\n", (unsigned long long) records, ln);
            return 1;
        }
        tag = st_end + 1;
        {
            const char *text = tag[1] ? tag + 2 : "";
            size_t tl = strlen(text);
            part[s] = realloc(part[s], plen[s] + tl + 1);
            memcpy(part[s] + plen[s], text, tl);
            plen[s] += tl;
        }
        if (*tag == 'P')
            continue;
        if (!verify(part[s], plen[s], seq[s])) {
            /* part[] is not NUL-terminated */
            printf("%s line %llu (record %llu): expected line %llu, got: %.*s\n", s ? "stderr" : "stdout",
                   (unsigned long long) seq[s], (unsigned long long) records, (unsigned long long) seq[s],
                   plen[s] ? (int) (plen[s] < 80 ? plen[s] : 80) : 7, plen[s] ? part[s] : "(empty)");
            return 1;
        }
        seq[s]++;
        plen[s] = 0;
    }
    if (plen[0] || plen[1]) {
        printf("a partial record was never completed\n");
        return 1;
    }
    printf("stdout=%llu stderr=%llu\n", (unsigned long long) seq[0], (unsigned long long) seq[1]);
    free(ln), free(part[0]), free(part[1]);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "mixed") == 0)
        return mixed(strtoull(argv[2], NULL, 10), 0);
    if (argc == 3 && strcmp(argv[1], "plan") == 0)
        return mixed(strtoull(argv[2], NULL, 10), 1);
    if (argc == 4 && strcmp(argv[1], "burst") == 0)
        burst(strtoull(argv[2], NULL, 10), argv[3]);
    if ((argc == 6 || argc == 7) && strcmp(argv[1], "file") == 0)
        return file(argv[2], strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10), strtoull(argv[5], NULL, 10),
                    argc == 7 ? (useconds_t) strtoul(argv[6], NULL, 10) : 0);
    if (argc == 3 && strcmp(argv[1], "check") == 0)
        return check(argv[2]);
    fprintf(stderr, "usage: eb-loggen mixed|plan BYTES | burst LINES MARKER | file PATH FIRST LINES ROTATE [PAUSE-US] | check FILE\n");
    return 2;
}
