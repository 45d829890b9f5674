// oracle.cpp — ships each exercise's oracle (mk/exercise.mk: ORACLE_SRCS, ORACLE_HDRS) into a student
// pack as objects and generated headers; the pack's exercise.mk copies them instead of compiling.
#include "oracle.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <vector>

static std::string quote(const std::string &s)
{
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

int mt_oracle_ship(const std::string &root, const std::string &build, const mt_spec &s, const std::string &pack_ex_dir,
                   std::string *err)
{
    std::string make = "make --no-print-directory -s -C " + quote(s.dir) + " NETLAB_ROOT=" + quote(root) +
                       " BUILD=" + quote(build) + " NETLAB_PREBUILT=1";
    FILE *p = popen((make + " oracle-files 2>&1").c_str(), "r");
    if (!p) {
        *err = s.id + ": cannot run make oracle-files";
        return -1;
    }
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    if (pclose(p) != 0) {
        *err = s.id + ": make oracle-files failed: " + out;
        return -1;
    }
    std::vector<std::string> files;
    std::istringstream words(out);
    for (std::string w; words >> w;) files.push_back(w);
    if (files.empty()) return 0;
    std::string cmd = make + " " + [&] {
        std::string all;
        for (const std::string &f : files) all += quote(f) + " ";
        return all;
    }() + ">&2 && mkdir -p " + quote(pack_ex_dir + "/oracle");
    for (const std::string &f : files) {
        std::string name = f.substr(f.rfind('/') + 1), to = quote(pack_ex_dir + "/oracle/" + name);
        bool obj = name.size() > 2 && name.substr(name.size() - 2) == ".o";
        cmd += obj ? " && objcopy --strip-debug " + quote(f) + " " + to : " && cp " + quote(f) + " " + to;
    }
    if (system(cmd.c_str()) != 0) {
        *err = s.id + ": building or copying the oracle failed (command: " + cmd + ")";
        return -1;
    }
    return (int)files.size();
}
