// nl_log.h — leveled, timestamped, thread-safe logging to stderr.
// The level comes from NETLAB_LOG (debug|info|warn|error|off) or nl_log_set_level().
#pragma once

enum nl_log_level { NL_LOG_DEBUG = 0, NL_LOG_INFO, NL_LOG_WARN, NL_LOG_ERROR, NL_LOG_OFF };

void nl_log_set_level(nl_log_level level);
nl_log_level nl_log_get_level(void);
void nl_log(nl_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define nl_debug(...) nl_log(NL_LOG_DEBUG, __VA_ARGS__)
#define nl_info(...)  nl_log(NL_LOG_INFO, __VA_ARGS__)
#define nl_warn(...)  nl_log(NL_LOG_WARN, __VA_ARGS__)
#define nl_error(...) nl_log(NL_LOG_ERROR, __VA_ARGS__)
