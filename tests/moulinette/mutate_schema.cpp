// mutate_schema.cpp — renders a file's mutant schema and settles which mutants it can hold.
// A site is an expression or a statement; each of its mutants is the site's whole text as the
// classic mutant has it, in its own branch:
//   expression  (netlab_mut(7) ? (a <= b) : netlab_mut(8) ? (a >= b) : (a < b))
//   statement   { if (netlab_mut(9)) { {} } else { count++; } }
// A mutant's branch is plain text: when it runs, every other mutant is off. Sites nested in a site
// are guarded in its original branch only, so each mutant alone behaves as its classic build.
#include "mutate_schema.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>

namespace {

// Before the file: the guard's declaration, then line 1 again so __LINE__ and messages keep their
// numbers. After it (where no include can change the file's own code): the guard itself.
const char *PROLOGUE = "static inline bool netlab_mut(int id);  // mutant schema of moulinette mutate\n#line 1\n";
const char *EPILOGUE = R"(
// --- moulinette mutate: the mutant switch. NL_MUTANT=<id> turns one mutant on (read once);
// NL_MUTANT_TRACE=<file> marks byte <id> of that file (shared, so a child's marks survive it) when
// the guard of mutant <id> is evaluated.
#include <cstdlib>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
static int netlab_mut_active = -2;   // -2: not read yet
static unsigned char *netlab_mut_map;
static long netlab_mut_len;
static int netlab_mut_init(void)
{
    const char *t = getenv("NL_MUTANT_TRACE");
    int fd = t && *t ? open(t, O_RDWR | O_CLOEXEC) : -1;
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
        void *p = mmap(nullptr, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED) {
            __atomic_store_n(&netlab_mut_len, (long)st.st_size, __ATOMIC_RELAXED);
            __atomic_store_n(&netlab_mut_map, (unsigned char *)p, __ATOMIC_RELEASE);
        }
    }
    if (fd >= 0) close(fd);
    const char *e = getenv("NL_MUTANT");
    int a = e && *e ? atoi(e) : 0;
    __atomic_store_n(&netlab_mut_active, a, __ATOMIC_RELEASE);
    return a;
}
static inline bool netlab_mut(int id)
{
    int a = __atomic_load_n(&netlab_mut_active, __ATOMIC_ACQUIRE);
    if (a == -2) a = netlab_mut_init();
    unsigned char *m = __atomic_load_n(&netlab_mut_map, __ATOMIC_ACQUIRE);
    if (m && id < __atomic_load_n(&netlab_mut_len, __ATOMIC_RELAXED)) __atomic_store_n(&m[id], (unsigned char)1, __ATOMIC_RELAXED);
    return a == id;
}
)";

struct site {
    size_t gs, ge;
    bool stmt;
    std::vector<ms_mutant *> ms;
    std::vector<size_t> kids;   // sites directly inside, in order
    bool test = false;          // a condition: `!(p)` and a pointer `p` have no common type, bool and bool have
};

std::string alt_text(const std::string &src, const ms_mutant *m)
{
    return src.substr(m->gs, m->start - m->gs) + m->repl + src.substr(m->end, m->ge - m->end);
}

struct renderer {
    const std::string &src;
    std::vector<site> &sites;
    ms_schema &out;

    void range(size_t a, size_t b, const std::vector<size_t> &kids)
    {
        size_t at = a;
        for (size_t k : kids) {
            out.text.append(src, at, sites[k].gs - at);
            one(k);
            at = sites[k].ge;
        }
        out.text.append(src, at, b - at);
    }
    void alt(size_t k, ms_mutant *m)
    {
        size_t b = out.text.size();
        out.text += alt_text(src, m);
        out.spans.push_back({b, out.text.size(), (int)k, m});
    }
    void one(size_t k)
    {
        site &s = sites[k];
        size_t b = out.text.size();
        if (s.stmt) {
            out.text += "{ ";
            for (ms_mutant *m : s.ms) {
                out.text += "if (netlab_mut(" + std::to_string(m->id) + ")) { ";
                alt(k, m);
                out.text += " } else ";
            }
            out.text += "{ ";
            range(s.gs, s.ge, s.kids);
            out.text += " } }";
        } else {
            // A condition is converted to bool where it is tested anyway (if, while, for, ?:).
            const char *open = s.test ? "static_cast<bool>(" : "(";
            out.text += "(";
            for (ms_mutant *m : s.ms) {
                out.text += "netlab_mut(" + std::to_string(m->id) + ") ? " + open;
                alt(k, m);
                out.text += ") : ";
            }
            out.text += open;
            range(s.gs, s.ge, s.kids);
            out.text += "))";
        }
        out.spans.push_back({b, out.text.size(), (int)k, nullptr});
    }
};

} // namespace

ms_schema ms_render(const std::string &src, const std::vector<ms_mutant *> &mutants)
{
    std::map<std::tuple<size_t, size_t, bool>, size_t> by_range;
    std::vector<site> sites;
    for (ms_mutant *m : mutants) {
        if (!m->in_schema) continue;
        auto key = std::make_tuple(m->gs, m->ge, m->stmt);
        auto it = by_range.find(key);
        if (it == by_range.end()) {
            it = by_range.emplace(key, sites.size()).first;
            sites.push_back(site{m->gs, m->ge, m->stmt, {}, {}});
        }
        sites[it->second].ms.push_back(m);
        sites[it->second].test = sites[it->second].test || m->test;
    }
    std::vector<size_t> order(sites.size());
    for (size_t i = 0; i < order.size(); i++) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        if (sites[a].gs != sites[b].gs) return sites[a].gs < sites[b].gs;
        if (sites[a].ge != sites[b].ge) return sites[a].ge > sites[b].ge;
        return sites[a].stmt && !sites[b].stmt;   // a statement holds the expression of the same bytes
    });
    // Nest the sites; one that overlaps another without being inside it cannot take a guard.
    std::vector<size_t> top, stack;
    for (size_t k : order) {
        site &s = sites[k];
        while (!stack.empty() && sites[stack.back()].ge <= s.gs) stack.pop_back();
        if (!stack.empty() && (s.ge > sites[stack.back()].ge || (sites[stack.back()].gs == s.gs && sites[stack.back()].ge == s.ge))) {
            for (ms_mutant *m : s.ms) {
                m->in_schema = false;
                m->why = "its site overlaps another site";
            }
            s.ms.clear();
            continue;
        }
        (stack.empty() ? top : sites[stack.back()].kids).push_back(k);
        stack.push_back(k);
    }
    ms_schema out;
    out.text = PROLOGUE;
    out.prefix_lines = 2;
    renderer r{src, sites, out};
    r.range(0, src.size(), top);
    out.text += EPILOGUE;
    for (const site &s : sites) out.sites.push_back(s.ms);
    return out;
}

std::vector<ms_mutant *> ms_blame(const ms_schema &s, const std::string &path, const std::string &diagnostics,
                                  bool *unplaced)
{
    *unplaced = false;
    std::vector<size_t> line_start = {0};
    for (size_t i = 0; i < s.text.size(); i++)
        if (s.text[i] == '\n') line_start.push_back(i + 1);
    std::set<ms_mutant *> hit;
    size_t pos = 0;
    while (pos < diagnostics.size()) {
        size_t nl = diagnostics.find('\n', pos);
        std::string line = diagnostics.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? diagnostics.size() : nl + 1;
        if (line.compare(0, path.size() + 1, path + ":") != 0) continue;
        char *p = nullptr;
        long ln = strtol(line.c_str() + path.size() + 1, &p, 10);
        if (!p || *p != ':') continue;
        long col = strtol(p + 1, &p, 10);
        if (!p || *p != ':' || ln < 1 || col < 1) continue;
        bool error = line.find(": error:") != std::string::npos;
        size_t phys = (size_t)ln - 1 + s.prefix_lines;
        if (phys >= line_start.size()) {
            if (error) *unplaced = true;
            continue;
        }
        size_t off = line_start[phys] + (size_t)col - 1;
        const ms_schema::span *best = nullptr, *best_site = nullptr;
        for (const ms_schema::span &sp : s.spans) {
            if (off < sp.b || off >= sp.e) continue;
            if (sp.mutant && (!best || sp.e - sp.b < best->e - best->b)) best = &sp;
            if (!sp.mutant && (!best_site || sp.e - sp.b < best_site->e - best_site->b)) best_site = &sp;
        }
        // A mutant's own text lies inside its site and holds no other site: it is the innermost.
        if (best && (!best_site || (best_site->b <= best->b && best->e <= best_site->e))) hit.insert(best->mutant);
        else if (best_site)
            for (ms_mutant *m : s.sites[(size_t)best_site->site]) hit.insert(m);
        else if (error)
            *unplaced = true;
    }
    return std::vector<ms_mutant *>(hit.begin(), hit.end());
}

namespace {

// The mutants of `cand` that break the build by themselves (the others of `all` left out of the
// schema meanwhile), found by halving.
std::vector<ms_mutant *> culprits(const std::string &src, std::vector<ms_mutant *> &all, std::vector<ms_mutant *> cand,
                                  const std::function<bool(const std::string &, std::string *)> &compile, int *compiles)
{
    std::vector<bool> saved;
    for (ms_mutant *m : all) saved.push_back(m->in_schema);
    for (ms_mutant *m : all) m->in_schema = false;
    for (ms_mutant *m : cand) m->in_schema = true;
    std::string diag;
    bool ok = compile(ms_render(src, all).text, &diag);
    (*compiles)++;
    for (size_t i = 0; i < all.size(); i++) all[i]->in_schema = saved[i];
    if (ok) return {};
    if (cand.size() == 1) return cand;
    std::vector<ms_mutant *> a(cand.begin(), cand.begin() + (long)cand.size() / 2), b(cand.begin() + (long)cand.size() / 2, cand.end());
    std::vector<ms_mutant *> r = culprits(src, all, a, compile, compiles), rb = culprits(src, all, b, compile, compiles);
    r.insert(r.end(), rb.begin(), rb.end());
    return r.empty() ? cand : r;   // only together: none of them goes in
}

} // namespace

int ms_settle(const std::string &src, const std::string &path, std::vector<ms_mutant *> &mutants,
              const std::function<bool(const std::string &text, std::string *diagnostics)> &compile, int *compiles)
{
    // The file with the switch and no mutant must build here first (else no halving can help).
    std::string diag;
    (*compiles)++;
    if (!compile(ms_render(src, {}).text, &diag)) return -1;
    for (;;) {
        ms_schema s = ms_render(src, mutants);
        std::string diag;
        (*compiles)++;
        if (compile(s.text, &diag)) return 0;
        bool unplaced = false;
        std::vector<ms_mutant *> bad = ms_blame(s, path, diag, &unplaced);
        for (ms_mutant *m : bad) {
            m->in_schema = false;
            m->why = "the compiler refuses it in the schema";
        }
        if (!bad.empty()) continue;
        std::vector<ms_mutant *> in;
        for (ms_mutant *m : mutants)
            if (m->in_schema) in.push_back(m);
        if (in.empty()) return -1;
        bad = culprits(src, mutants, in, compile, compiles);
        if (bad.empty()) return -1;   // the schema fails, yet each half alone builds: give up
        for (ms_mutant *m : bad) {
            m->in_schema = false;
            m->why = "the schema does not build with it (found by halving)";
        }
    }
}
