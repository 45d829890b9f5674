// fingerprint.cpp — FNV-1a 64 over the files of the exercises of a run. Not a security hash: it only
// has to tell two packs apart when shards of one batch are joined.
#include "fingerprint.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <dirent.h>
#include <set>
#include <sys/stat.h>

namespace {

struct fnv {
    uint64_t h = 14695981039346656037ull;
    void add(const void *p, size_t n)
    {
        const unsigned char *b = (const unsigned char *)p;
        for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    }
    void add(const std::string &s) { add(s.data(), s.size() + 1); }   // with its NUL: "ab"+"c" != "a"+"bc"
};

// Regular files under dir (relative paths), recursively, skipping dot files (editor and git leftovers).
void list_files(const std::string &dir, const std::string &rel, std::vector<std::string> *out)
{
    DIR *d = opendir((dir + "/" + rel).c_str());
    if (!d) return;
    while (struct dirent *e = readdir(d)) {
        std::string name = e->d_name;
        if (name[0] == '.') continue;
        std::string r = rel.empty() ? name : rel + "/" + name;
        struct stat st;
        if (stat((dir + "/" + r).c_str(), &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) list_files(dir, r, out);
        else if (S_ISREG(st.st_mode)) out->push_back(r);
    }
    closedir(d);
}

void add_tree(fnv *f, const std::string &dir, const std::string &label, const std::set<std::string> &skip)
{
    std::vector<std::string> files;
    list_files(dir, "", &files);
    std::sort(files.begin(), files.end());
    for (const std::string &r : files) {
        if (skip.count(r)) continue;
        f->add(label + "/" + r);
        FILE *fp = fopen((dir + "/" + r).c_str(), "rb");
        if (!fp) continue;
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, fp)) > 0) f->add(buf, n);
        fclose(fp);
    }
}

}  // namespace

std::string mt_pack_fingerprint(const std::string &root, const std::vector<mt_spec> &specs, bool for_grading)
{
    std::vector<const mt_spec *> sorted;
    for (const mt_spec &s : specs) sorted.push_back(&s);
    std::sort(sorted.begin(), sorted.end(), [](const mt_spec *a, const mt_spec *b) { return a->id < b->id; });
    fnv f;
    for (const mt_spec *s : sorted) {
        std::set<std::string> skip;
        if (for_grading) {
            skip.insert(s->files.begin(), s->files.end());
            skip.insert(s->bonus_files.begin(), s->bonus_files.end());
        }
        add_tree(&f, s->dir, s->id, skip);
        add_tree(&f, root + "/tests/" + s->id, "tests/" + s->id, {});
    }
    char hex[32];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)f.h);
    return std::string("fnv1a64:") + hex;
}
