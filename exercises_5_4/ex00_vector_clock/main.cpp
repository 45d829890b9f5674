// main.cpp — `vclock`: replays a small causal history and prints each event's vector clock and
// how every pair of events is ordered; --decode checks a clock's bytes. Given to students.
#include "vector_clock.h"
#include "nl_opt.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

static const char USAGE[] =
    "usage: vclock STEP...          replay a history, print clocks and causal order\n"
    "       vclock --decode HEX     decode a clock from its byte format (hex)\n"
    "STEP:  A      a local event on node A\n"
    "       A>B    A sends a message to B (a send event on A)\n"
    "       B<A    B receives the oldest pending message from A (merge, then tick B)\n";

static std::string show(const VectorClock *vc)
{
    std::string s = "{";
    for (const auto &[node, n] : vc->counters) s += (s.size() > 1 ? ", " : "") + node + ":" + std::to_string(n);
    return s + "}";
}

static int decode_hex(const char *hex)
{
    std::vector<uint8_t> bytes;
    size_t n = strlen(hex);
    if (n % 2) {
        fprintf(stderr, "vclock: odd number of hex digits\n");
        return 2;
    }
    for (size_t i = 0; i < n; i += 2) {
        unsigned v;
        if (sscanf(hex + i, "%2x", &v) != 1 || !isxdigit((unsigned char)hex[i]) || !isxdigit((unsigned char)hex[i + 1])) {
            fprintf(stderr, "vclock: '%c%c' is not a hex byte\n", hex[i], hex[i + 1]);
            return 2;
        }
        bytes.push_back((uint8_t)v);
    }
    VectorClock vc;
    VcError err;
    if (vc_from_bytes(bytes.data(), bytes.size(), &vc, &err) != VC_OK) {
        printf("rejected: %s\n", err.message);
        return 1;
    }
    printf("%s\n", show(&vc).c_str());
    return 0;
}

int main(int argc, char **argv)
{
    const char *hex = nullptr;
    const nl_opt opts[] = {{"decode", NL_OPT_ANY, &hex}};
    int first = 0;
    int rc = nl_opt_parse(argc, argv, "vclock", USAGE, opts, 1, &first);
    if (rc != NL_OPT_OK) return rc == NL_OPT_HELP ? 0 : 2;
    if (hex) {
        if (first < argc) {
            fprintf(stderr, "vclock: --decode: takes no STEP after it ('%s')\n%s", argv[first], USAGE);
            return 2;
        }
        return decode_hex(hex);
    }
    if (first >= argc) {
        fprintf(stderr, "vclock: no STEP given\n%s", USAGE);
        return 2;
    }
    std::map<std::string, VectorClock> nodes;
    std::map<std::pair<std::string, std::string>, std::deque<VectorClock>> pending; // (from, to)
    std::vector<VectorClock> stamps;
    for (int i = first; i < argc; i++) {
        std::string step = argv[i];
        size_t gt = step.find('>'), lt = step.find('<');
        std::string label = "e" + std::to_string(stamps.size() + 1);
        if (gt != std::string::npos && gt > 0 && gt + 1 < step.size()) {
            std::string from = step.substr(0, gt), to = step.substr(gt + 1);
            vc_tick(&nodes[from], from.c_str());
            pending[{from, to}].push_back(nodes[from]);
            printf("%-4s %-4s %-12s %s\n", label.c_str(), from.c_str(), ("send to " + to).c_str(), show(&nodes[from]).c_str());
            stamps.push_back(nodes[from]);
        } else if (lt != std::string::npos && lt > 0 && lt + 1 < step.size()) {
            std::string to = step.substr(0, lt), from = step.substr(lt + 1);
            auto &q = pending[{from, to}];
            if (q.empty()) {
                fprintf(stderr, "vclock: step %d '%s': no message from %s to %s is pending\n", i, step.c_str(), from.c_str(), to.c_str());
                return 2;
            }
            vc_merge(&nodes[to], &q.front(), to.c_str());
            q.pop_front();
            printf("%-4s %-4s %-12s %s\n", label.c_str(), to.c_str(), ("recv from " + from).c_str(), show(&nodes[to]).c_str());
            stamps.push_back(nodes[to]);
        } else if (!step.empty() && step.find_first_of("<>") == std::string::npos) {
            vc_tick(&nodes[step], step.c_str());
            printf("%-4s %-4s %-12s %s\n", label.c_str(), step.c_str(), "local", show(&nodes[step]).c_str());
            stamps.push_back(nodes[step]);
        } else {
            fprintf(stderr, "vclock: step %d '%s' is not A, A>B or B<A\n", i, step.c_str());
            return 2;
        }
    }
    // The matrix: row i, column j shows how ei relates to ej (< before, > after, || concurrent).
    std::string line = "    ";
    for (size_t j = 0; j < stamps.size(); j++) {
        char cell[16];
        snprintf(cell, sizeof cell, " %4s", ("e" + std::to_string(j + 1)).c_str());
        line += cell;
    }
    printf("\n%s\n", line.c_str());
    for (size_t i = 0; i < stamps.size(); i++) {
        char cell[16];
        snprintf(cell, sizeof cell, "%-4s", ("e" + std::to_string(i + 1)).c_str());
        line = cell;
        for (size_t j = 0; j < stamps.size(); j++) {
            CausalOrder o = vc_compare(&stamps[i], &stamps[j]);
            snprintf(cell, sizeof cell, " %4s", o == VC_BEFORE ? "<" : o == VC_AFTER ? ">" : o == VC_CONCURRENT ? "||" : "=");
            line += cell;
        }
        printf("%s\n", line.c_str());
    }
    printf("\n");
    for (const auto &[name, vc] : nodes) {
        std::vector<uint8_t> bytes;
        VcError err;
        if (vc_to_bytes(&vc, &bytes, &err) != VC_OK) {
            fprintf(stderr, "vclock: %s\n", err.message);
            return 1;
        }
        std::string hex;
        char b[3];
        for (uint8_t x : bytes) snprintf(b, sizeof b, "%02x", x), hex += b;
        printf("%s: %s\n", name.c_str(), hex.c_str());
    }
    return 0;
}
