/* logger.h - in-guest log files, written on the host. */
#ifndef EB_RUNV_LOGGER_H
#define EB_RUNV_LOGGER_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "spec/spec.h"

#define EB_POD_LOG_DIR "/var/log/edgebox/pods"    /* $EDGEBOX_POD_LOG_DIR overrides */
/* At create: check the io.edgebox.log-files annotation, record where the
 * container's files go and add "log_files" to the agent's request REQ. */
int eb_logger_prepare(const char *sbdir, const char *cid, const eb_spec_t *spec, json_object *req, eb_error_t *err);
void eb_logger_forget(const char *sbdir, const char *cid);
/* The writer's guest-facing half fed DATA as the monitor would forward it
 * (fuzz target): -1 where the writer would end and be restarted. */
int eb_logger_feed(const char *sbdir, const uint8_t *data, size_t len, eb_error_t *err);
/* The writer process (forked by the monitor). */
__attribute__((noreturn)) void eb_logger_main(const char *root, const char *sid, const char *sbdir);

#endif
