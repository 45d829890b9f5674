// nl_socket.cpp — getaddrinfo-based listen/connect (IPv4 and IPv6), write_all, number parsing.
#include "nl_socket.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

static void set_err(char *err, size_t errlen, const char *fmt, const char *a, unsigned port, const char *why)
{
    if (err && errlen) snprintf(err, errlen, fmt, a, port, why);
}

static int resolve(const char *host, uint16_t port, bool passive, struct addrinfo **out, char *err, size_t errlen)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    int rc = getaddrinfo(host, service, &hints, out);
    if (rc != 0) {
        set_err(err, errlen, "cannot resolve %s:%u: %s", host ? host : "*", port, gai_strerror(rc));
        return -1;
    }
    return 0;
}

int nl_listen_tcp(const char *host, uint16_t port, int backlog, int flags, char *err, size_t errlen)
{
    struct addrinfo *res;
    if (resolve(host, port, true, &res, err, errlen) < 0) return -1;
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int type = ai->ai_socktype | SOCK_CLOEXEC | ((flags & NL_SOCK_NONBLOCK) ? SOCK_NONBLOCK : 0);
        fd = socket(ai->ai_family, type, ai->ai_protocol);
        if (fd < 0) { saved = errno; continue; }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0) break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) set_err(err, errlen, "cannot listen on %s:%u: %s", host ? host : "*", port, strerror(saved));
    return fd;
}

int nl_connect_tcp(const char *host, uint16_t port, char *err, size_t errlen)
{
    struct addrinfo *res;
    if (resolve(host, port, false, &res, err, errlen) < 0) return -1;
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) { saved = errno; continue; }
        int rc;
        do rc = connect(fd, ai->ai_addr, ai->ai_addrlen); while (rc < 0 && errno == EINTR);
        if (rc == 0) break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) set_err(err, errlen, "cannot connect to %s:%u: %s", host, port, strerror(saved));
    return fd;
}

uint16_t nl_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return 0;
    if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

void nl_print_listening(const char *host, int listen_fd)
{
    printf("listening on %s:%u\n", host, (unsigned)nl_local_port(listen_fd));
    fflush(stdout);
}

int nl_set_nonblock(int fd, bool on)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) return -1;
    fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    return fcntl(fd, F_SETFL, fl);
}

int nl_set_nodelay(int fd)
{
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int nl_write_all(int fd, const void *buf, size_t len)
{
    const char *p = (const char *)buf;
    bool is_socket = true;
    while (len > 0) {
        ssize_t n = is_socket ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
        if (n < 0 && is_socket && errno == ENOTSOCK) {
            is_socket = false;
            continue;
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int nl_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    // strtoull would skip leading blanks and accept a sign after them (" -1" = 2^64-1).
    if (!text || *text < '0' || *text > '9') {
        if (err && errlen) snprintf(err, errlen, "'%s' is not a number", text ? text : "");
        return -1;
    }
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE) {
        if (err && errlen) snprintf(err, errlen, "'%s' is not a number", text);
        return -1;
    }
    if (v < min || v > max) {
        if (err && errlen) snprintf(err, errlen, "%s is out of range [%llu, %llu]", text,
                                    (unsigned long long)min, (unsigned long long)max);
        return -1;
    }
    *out = v;
    return 0;
}
