// nl_log.cpp — one formatted write per message so lines from different threads never interleave.
#include "nl_log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <unistd.h>

static std::atomic<int> g_level{-1};

static nl_log_level level_from_env(void)
{
    const char *s = getenv("NETLAB_LOG");
    if (!s) return NL_LOG_INFO;
    if (!strcmp(s, "debug")) return NL_LOG_DEBUG;
    if (!strcmp(s, "warn")) return NL_LOG_WARN;
    if (!strcmp(s, "error")) return NL_LOG_ERROR;
    if (!strcmp(s, "off")) return NL_LOG_OFF;
    return NL_LOG_INFO;
}

void nl_log_set_level(nl_log_level level) { g_level.store(level); }

nl_log_level nl_log_get_level(void)
{
    int l = g_level.load();
    if (l < 0) {
        l = level_from_env();
        g_level.store(l);
    }
    return (nl_log_level)l;
}

void nl_log(nl_log_level level, const char *fmt, ...)
{
    if (level < nl_log_get_level() || level >= NL_LOG_OFF) return;
    static const char *names[] = {"debug", "info", "warn", "error"};
    char line[1024];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%02d:%02d:%02d.%03ld [%s] ", tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2) len = sizeof line - 2;
    // One message, one line: a newline in logged data (a client's input) cannot forge a log line.
    for (size_t i = (size_t)n; i < len; i++)
        if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
    line[len++] = '\n';
    // A single write(2) keeps the line whole even when several threads log at once.
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
