// main.cpp — `crdt_demo`: three replicas of a shopping list (OR-Set) and a counter edit offline, then
// exchange states in an order picked by a seed; every order ends in the same state. Given to students.
#include "crdt_registry.h"
#include "nl_opt.h"
#include "nl_socket.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

static std::string show(const OrSet *s)
{
    std::string out = "{";
    for (const std::string &v : orset_values(s)) out += (out.size() > 1 ? ", " : "") + v;
    return out + "}";
}

int main(int argc, char **argv)
{
    static const char USAGE[] = "usage: crdt_demo [SEED]   (SEED picks the order in which replicas exchange states)\n";
    int first = 0;
    int rc = nl_opt_parse(argc, argv, "crdt_demo", USAGE, nullptr, 0, &first);
    if (rc != NL_OPT_OK) return rc == NL_OPT_HELP ? 0 : 2;
    uint64_t seed = 1;
    char err[160];
    if (argc - first > 1) {
        fprintf(stderr, "crdt_demo: unexpected argument '%s'\n%s", argv[first + 1], USAGE);
        return 2;
    }
    if (argc - first == 1 && nl_parse_u64(argv[first], 1, UINT64_MAX, &seed, err, sizeof err) < 0) {
        fprintf(stderr, "crdt_demo: SEED: %s\n%s", err, USAGE);
        return 2;
    }
    const char *names[3] = {"A", "B", "C"};
    OrSet list[3];
    PNCounter stock[3];
    for (int i = 0; i < 3; i++) orset_init(&list[i], names[i]), pncounter_init(&stock[i]);
    orset_insert(&list[0], "milk");
    orset_insert(&list[0], "eggs");
    for (int i = 1; i < 3; i++) orset_merge(&list[i], &list[0]);
    printf("all replicas start with %s\n", show(&list[0]).c_str());
    // Offline edits.
    orset_remove(&list[1], "milk");
    orset_insert(&list[1], "bread");
    orset_insert(&list[2], "milk"); // concurrent with B's remove: add wins
    orset_remove(&list[2], "eggs");
    pncounter_increment_by(&stock[0], "A", 5);
    pncounter_decrement_by(&stock[1], "B", 2);
    pncounter_increment(&stock[2], "C");
    printf("offline: B removes milk, adds bread; C re-adds milk, removes eggs; stock A+5 B-2 C+1\n");
    for (int i = 0; i < 3; i++) printf("  %s: list %-22s stock %lld\n", names[i], show(&list[i]).c_str(), (long long)pncounter_value(&stock[i]));
    // Exchange states in a seeded order (splitmix64), until every replica has heard from every other.
    uint64_t s = seed;
    auto next = [&s]() {
        uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    };
    printf("exchanges (seed %lu):", seed);
    bool heard[3][3] = {{true, false, false}, {false, true, false}, {false, false, true}};
    for (int n = 0; n < 100; n++) {
        int to = (int)(next() % 3), from = (int)(next() % 3);
        if (to == from) continue;
        orset_merge(&list[to], &list[from]);
        pncounter_merge(&stock[to], &stock[from]);
        for (int k = 0; k < 3; k++) heard[to][k] = heard[to][k] || heard[from][k];
        printf(" %s<-%s", names[to], names[from]);
        bool all = true;
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 3; k++) all = all && heard[i][k];
        if (all) break;
    }
    printf("\n");
    for (int i = 0; i < 3; i++) printf("  %s: list %-22s stock %lld\n", names[i], show(&list[i]).c_str(), (long long)pncounter_value(&stock[i]));
    return 0;
}
