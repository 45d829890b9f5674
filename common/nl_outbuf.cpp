// nl_outbuf.cpp — flushed bytes are dropped lazily so appends stay amortised O(1).
#include "nl_outbuf.h"

#include <cerrno>
#include <sys/socket.h>

void nl_outbuf_append(nl_outbuf *ob, const void *buf, size_t len)
{
    ob->data.append((const char *)buf, len);
}

int nl_outbuf_flush(nl_outbuf *ob, int fd)
{
    while (nl_outbuf_pending(ob) > 0) {
        ssize_t n = send(fd, ob->data.data() + ob->off, nl_outbuf_pending(ob), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            ob->off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        return -1;
    }
    if (ob->off == ob->data.size()) {
        ob->data.clear();
        ob->off = 0;
    } else if (ob->off > 65536 && ob->off * 2 > ob->data.size()) {
        ob->data.erase(0, ob->off);
        ob->off = 0;
    }
    return 0;
}
