/* zke scheduler: Events about pods (FailedScheduling, Scheduled).
 *
 * core/v1 Events with involvedObject, reason, message, type, source.
 * component and a count. A repeat of the last message with the same
 * reason about the same pod within 10 minutes bumps the count of the
 * Event already written (PATCH) instead of writing another. Fire and
 * forget: at most 256 writes in flight, more are dropped (and logged). */
#ifndef ZK_SCHED_RECORD_H
#define ZK_SCHED_RECORD_H

#include <jansson.h>

#include "kube/client.h"

typedef struct zk_sched_recorder zk_sched_recorder;

zk_sched_recorder *zk_sched_recorder_new(zk_kube_client *c, const char *component);
void zk_sched_recorder_free(zk_sched_recorder *r);
/* Record an Event about pod (its JSON: metadata and kind are read). */
void zk_sched_record(zk_sched_recorder *r, const json_t *pod, const char *type,
                     const char *reason, const char *message);
/* Forget what was recorded about the pod with this uid (it is gone or
 * scheduled). */
void zk_sched_recorder_forget(zk_sched_recorder *r, const char *uid);

#endif
