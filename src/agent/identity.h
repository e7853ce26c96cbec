/* identity.h - what makes a pre-booted guest its sandbox's own at claim
 * (identity.c): the host's wall clock and fresh entropy. */
#ifndef EB_AGENT_IDENTITY_H
#define EB_AGENT_IDENTITY_H

#include <json-c/json.h>

#include "common/error.h"

/* The bytes of entropy a claim carries at most (hex: twice as many chars). */
#define EB_CLAIM_ENTROPY_MAX 512

/* From the "sandbox" request REQ: "time" {sec, nsec} sets the guest's
 * clock, "entropy" (hex) is mixed into its pool and credited
 * (RNDADDENTROPY).  Both optional (a cold boot has the RTC and RDRAND).
 * RESP gets "entropy_bits" (credited) and the guest's "boot_id". */
int eb_agent_identity(json_object *req, json_object *resp, eb_error_t *err);

#endif
