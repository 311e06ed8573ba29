/* zke base: logging to stderr, one line per message, with level and time. */
#ifndef ZK_BASE_LOG_H
#define ZK_BASE_LOG_H

enum { ZK_LOG_DEBUG = 0, ZK_LOG_INFO = 1, ZK_LOG_WARN = 2, ZK_LOG_ERROR = 3 };

/* Messages below this level are dropped; default ZK_LOG_INFO. */
void zk_log_set_level(int level);
/* The level named "debug", "info", "warn" or "error" (a --log-level flag);
 * anything else means info. */
void zk_log_set_level_name(const char *name);
int zk_log_get_level(void);
void zk_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define zk_debug(...) zk_log(ZK_LOG_DEBUG, __VA_ARGS__)
#define zk_info(...) zk_log(ZK_LOG_INFO, __VA_ARGS__)
#define zk_warn(...) zk_log(ZK_LOG_WARN, __VA_ARGS__)
#define zk_error(...) zk_log(ZK_LOG_ERROR, __VA_ARGS__)

#endif
