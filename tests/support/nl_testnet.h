// nl_testnet.h — a line-oriented TCP test client with deadlines on every read.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

int nl_tc_connect(uint16_t port);                          // 127.0.0.1:port, -1 on failure
int nl_tc_send(int fd, const std::string &data);           // all bytes, 0 or -1
// Reads one line (without "\n"; a trailing "\r" kept) within timeout_ms, buffering extra bytes
// per fd. Returns 1 for a line, 0 on EOF, -1 on timeout or error.
int nl_tc_read_line(int fd, std::string *line, int timeout_ms);
// Waits for the peer to close: true on EOF (or reset) within timeout_ms. Pending data is skipped.
bool nl_tc_wait_eof(int fd, int timeout_ms);
// Bytes available within timeout_ms, appended to *out; returns count, 0 on EOF, -1 on timeout.
long nl_tc_read_some(int fd, std::string *out, int timeout_ms);
// One recv() before the monotonic deadline (nl_now_ms), appended to *out, bypassing the line
// buffers: >0 bytes, 0 on EOF or reset, -1 on timeout or error. For clients of other protocols.
long nl_tc_recv_until(int fd, std::string *out, uint64_t deadline_ms);
void nl_tc_close(int fd);                                  // also forgets buffered bytes
