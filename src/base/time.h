/* zke base: clocks and Kubernetes time formats. */
#ifndef ZK_BASE_TIME_H
#define ZK_BASE_TIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Milliseconds on the monotonic clock. */
uint64_t zk_mono_ms(void);
/* Seconds since the epoch, wall clock. */
int64_t zk_wall_s(void);
/* Wall-clock milliseconds since the epoch. */
int64_t zk_wall_ms(void);
/* Write t as RFC 3339 UTC ("2026-11-27T07:15:05Z") into out (>= 21 bytes). */
void zk_time_rfc3339(int64_t t, char *out, size_t outlen);
/* Same with microseconds ("...05.123456Z"), as metav1.MicroTime. */
void zk_time_rfc3339_micro(char *out, size_t outlen);
/* Parse RFC 3339 (Z or +hh:mm offset, optional fraction); -1 on error. */
int64_t zk_time_parse_rfc3339(const char *s);
/* Human age as kubectl prints it: "5s", "3m12s", "4h", "12d". */
void zk_time_age(int64_t seconds, char *out, size_t outlen);

#endif
