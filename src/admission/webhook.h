/* zke admission: `zke webhook`, zke's policies (review.h) served as
 * admission webhooks for clusters that are not zke. It watches what the
 * policies read (Namespaces, Nodes, LimitRanges, OvercommitPolicies,
 * HostGroups) through the API of the cluster it serves, and answers
 * AdmissionReview v1 over HTTPS:
 *
 *   POST /mutate     pods being created (register in a
 *                    MutatingWebhookConfiguration)
 *   POST /validate   workloads and OvercommitPolicies being written (a
 *                    ValidatingWebhookConfiguration)
 *   GET  /healthz    200 once its caches have synced, else 503
 *
 * deploy/webhook/ installs it into a cluster. */
#ifndef ZK_ADM_WEBHOOK_H
#define ZK_ADM_WEBHOOK_H

int zk_adm_webhook_main(int argc, char **argv);

#endif
