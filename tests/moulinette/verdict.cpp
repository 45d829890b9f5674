// verdict.cpp — reading CMocka and compiler logs for the one message that tells a student why.
#include "verdict.h"

#include <cstdio>
#include <vector>

static std::vector<std::string> split_lines(const std::string &text)
{
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size();
        std::string line = text.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        out.push_back(line);
        pos = nl + 1;
    }
    return out;
}

static bool starts_with(const std::string &s, const char *p) { return s.rfind(p, 0) == 0; }

static std::string trim(const std::string &s)
{
    size_t a = s.find_first_not_of(" \t");
    if (a == std::string::npos) return "";
    return s.substr(a, s.find_last_not_of(" \t") - a + 1);
}

// "/tmp/x/build/../tests/ex00_echo/test_base.cpp:74: error: Failure!" -> "tests/ex00_echo/test_base.cpp:74"
static std::string location(const std::string &line_marker_rest)
{
    std::string loc = line_marker_rest;
    size_t err = loc.find(": error:");
    if (err != std::string::npos) loc.resize(err);
    size_t t = loc.rfind("/tests/");
    if (t != std::string::npos) return loc.substr(t + 1);
    size_t slash = loc.rfind('/');
    return slash == std::string::npos ? loc : loc.substr(slash + 1);
}

std::string mt_test_failure(const std::string &log)
{
    static const char ERR[] = "[  ERROR   ] --- ", LINE[] = "[   LINE   ] --- ";
    std::vector<std::string> lines = split_lines(log);
    std::string sanitizer;
    for (const std::string &l : lines)
        if (starts_with(l, "SUMMARY: ") && l.find("Sanitizer") != std::string::npos) {
            sanitizer = trim(l.substr(9));
            break;
        }
    for (size_t i = 0; i < lines.size(); i++) {
        size_t at = lines[i].find(LINE);
        if (at == std::string::npos) continue;
        std::string loc = location(lines[i].substr(at + sizeof LINE - 1)), msg;
        // The message is printed just before its location: "ERROR: text" (fail_msg, NL_EXPECT_*) or
        // "[  ERROR   ] --- text" (assert_*). A server's stderr may interleave: look a few lines up.
        for (size_t k = i; k-- > 0 && k + 6 > i && msg.empty();) {
            const std::string &m = lines[k];
            if (starts_with(m, "ERROR: ")) msg = trim(m.substr(7));
            else if (starts_with(m, ERR) && m.find(LINE) == std::string::npos) msg = trim(m.substr(sizeof ERR - 1));
        }
        if (msg.empty()) msg = "failed here";
        if (!sanitizer.empty()) msg += " [" + sanitizer + "]";
        return loc + ": " + msg;
    }
    return sanitizer;
}

static bool is_error_line(const std::string &l)
{
    return l.find(": error:") != std::string::npos || l.find(": fatal error:") != std::string::npos ||
           l.find("undefined reference to") != std::string::npos || l.find("multiple definition of") != std::string::npos ||
           starts_with(l, "missing file: ") || l.find("FAILED --") != std::string::npos ||
           l.find("can't find file to patch") != std::string::npos;
}

// A diagnostic's first line: "file:line:col: kind: text" (g++) or "file:line: kind" (ld).
static bool is_diagnostic(const std::string &l)
{
    size_t c = l.find(':');
    if (c == std::string::npos || c == 0 || l[0] == ' ') return false;
    return l.find(": error:") != std::string::npos || l.find(": warning:") != std::string::npos ||
           l.find(": note:") != std::string::npos || l.find(": In ") != std::string::npos ||
           starts_with(l, "make: ") || starts_with(l, "make[") || starts_with(l, "In file included from");
}

std::string mt_build_failure(const std::string &log, const std::string &strip_prefix)
{
    std::string text = log;
    if (!strip_prefix.empty())
        for (size_t p; (p = text.find(strip_prefix + "/")) != std::string::npos;) text.erase(p, strip_prefix.size() + 1);
    std::vector<std::string> lines = split_lines(text);
    size_t first = lines.size();
    int errors = 0;
    for (size_t i = 0; i < lines.size(); i++)
        if (is_error_line(lines[i])) {
            if (first == lines.size()) first = i;
            errors++;
        }
    if (first == lines.size()) return "";
    std::string out;
    // The lines that say where: "file: In function 'f':", "In file included from ...".
    size_t from = first;
    while (from > 0 && from + 4 > first &&
           (lines[from - 1].find(": In ") != std::string::npos || starts_with(lines[from - 1], "In file included from") ||
            starts_with(trim(lines[from - 1]), "from ")))
        from--;
    for (size_t i = from; i <= first; i++) out += lines[i] + "\n";
    // Its source excerpt and notes, up to the next diagnostic that is not a note about it.
    for (size_t i = first + 1, n = 0; i < lines.size() && n < 8; i++, n++) {
        const std::string &l = lines[i];
        if (is_diagnostic(l) && l.find(": note:") == std::string::npos) break;
        out += l + "\n";
    }
    if (errors > 1) out += "(" + std::to_string(errors - 1) + " more error line(s); --verbose prints the whole log)\n";
    return out;
}

std::string mt_read_head(const std::string &path, size_t max_bytes)
{
    FILE *f = fopen(path.c_str(), "rb");
    if (!f) return "";
    std::string out(max_bytes, '\0');
    size_t n = fread(out.data(), 1, max_bytes, f);
    fclose(f);
    out.resize(n);
    return out;
}
