/* log_files.c - parsing the io.edgebox.log-files annotation (see log_files.h). */
#include "spec/log_files.h"
#include "common/util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int eb_log_pattern_check(const char *p, eb_error_t *err)
{
    size_t len = strlen(p), i;
    const char *last = strrchr(p, '/');

    if (len < 2 || len > EB_LOG_PATTERN_MAX || p[0] != '/')
        return eb_error_set(err, EINVAL, "%s: `%.64s` is not an absolute path of 2-%d characters",
                            EB_ANNOT_LOG_FILES, p, EB_LOG_PATTERN_MAX);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) p[i];
        if (c < 0x20 || c > 0x7e || c == ',')
            return eb_error_set(err, EINVAL, "%s: `%.64s` has a character other than printable ASCII",
                                EB_ANNOT_LOG_FILES, p);
        if ((c == '*' || c == '?' || c == '[' || c == '\\') && p + i < last)
            return eb_error_set(err, EINVAL, "%s: `%.64s`: a glob only in the file name, not in directories",
                                EB_ANNOT_LOG_FILES, p);
    }
    for (i = 0; i < len;) {
        size_t n = strcspn(p + i + 1, "/");
        if (n == 0 || (n == 1 && p[i + 1] == '.') || (n == 2 && p[i + 1] == '.' && p[i + 2] == '.'))
            return eb_error_set(err, EINVAL, "%s: `%.64s` has an empty, `.` or `..` component",
                                EB_ANNOT_LOG_FILES, p);
        i += n + 1;
    }
    return 0;
}

void eb_log_patterns_free(char **v)
{
    size_t i;
    for (i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

int eb_log_patterns_parse(const char *value, char ***out, size_t *n, eb_error_t *err)
{
    char **v = eb_xcalloc(EB_LOG_PATTERNS_MAX + 1, sizeof(*v));
    const char *s = value;
    size_t k = 0;

    while (*s) {
        size_t len = strcspn(s, ",");
        char *p;
        /* Blanks around the commas are the writer's, not the paths'. */
        while (len && (*s == ' ')) s++, len--;
        p = eb_xcalloc(1, len + 1);
        memcpy(p, s, len);
        while (len && p[len - 1] == ' ') p[--len] = 0;
        s += strcspn(s, ",");
        if (*s == ',')
            s++;
        if (len == 0) {
            free(p);
            continue;
        }
        if (k == EB_LOG_PATTERNS_MAX) {
            free(p);
            eb_log_patterns_free(v);
            return eb_error_set(err, E2BIG, "%s: more than %d paths", EB_ANNOT_LOG_FILES, EB_LOG_PATTERNS_MAX);
        }
        v[k++] = p;
        if (eb_log_pattern_check(p, err) < 0) {
            eb_log_patterns_free(v);
            return -1;
        }
    }
    *out = v;
    *n = k;
    return 0;
}
