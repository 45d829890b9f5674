// demo_stdin.h — runs a demo's main (built with -Dmain=demo_main) on the fuzzer's bytes as its
// standard input (both std::cin and stdio's stdin), its standard output thrown away, no arguments.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <iostream>
#include <sstream>
#include <string>

int demo_main(int argc, char **argv);

static int run_demo_on_stdin(const uint8_t *data, size_t size)
{
    static FILE *devnull = freopen("/dev/null", "w", stdout);
    if (!devnull) abort();
    if (size == 0 || size > 8192) return 0;
    std::istringstream text(std::string((const char *)data, size));
    std::streambuf *old_cin = std::cin.rdbuf(text.rdbuf());
    std::cin.clear();
    char *copy = (char *)malloc(size);
    memcpy(copy, data, size);
    FILE *in = fmemopen(copy, size, "r");
    if (!in) abort();
    FILE *old_stdin = stdin;
    stdin = in;
    char name[] = "demo";
    char *argv[] = {name, nullptr};
    optind = 0;  // getopt starts over
    demo_main(1, argv);
    fflush(stdout);
    stdin = old_stdin;
    fclose(in);
    free(copy);
    std::cin.rdbuf(old_cin);
    std::cin.clear();
    return 0;
}
