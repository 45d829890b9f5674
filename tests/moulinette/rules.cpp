// rules.cpp — reads the README's rules table and spec.json's "rules" of each test, and says which
// rules no test checks and which tests name a rule that does not exist.
#include "rules.h"

#include <cctype>
#include <cstdio>
#include <fstream>
#include <jansson.h>
#include <map>
#include <set>

static std::string trim(const std::string &s)
{
    size_t b = 0, e = s.size();
    while (b < e && isspace((unsigned char)s[b])) b++;
    while (e > b && isspace((unsigned char)s[e - 1])) e--;
    return s.substr(b, e - b);
}

static void read_table(const std::string &readme, mt_rules *out)
{
    std::ifstream in(readme);
    std::string line;
    bool inside = false;
    std::set<std::string> seen;
    while (std::getline(in, line)) {
        if (line.rfind("## ", 0) == 0) {
            inside = trim(line.substr(3)) == "Rules";
            if (inside) out->has_table = true;
            continue;
        }
        if (!inside) continue;
        std::string t = trim(line);
        if (t.size() < 2 || t[0] != '|') continue;
        size_t bar = t.find('|', 1);
        if (bar == std::string::npos) continue;
        std::string id = trim(t.substr(1, bar - 1));
        if (id.size() < 2 || id[0] != 'R' || !isdigit((unsigned char)id[1])) continue;  // header, separator
        std::string text = t.substr(bar + 1);
        if (!text.empty() && text.back() == '|') text.pop_back();
        if (!seen.insert(id).second) out->problems.push_back(readme + ": rule " + id + " appears twice in the rules table");
        out->rules.push_back(mt_rule{id, trim(text), {}});
    }
}

mt_rules mt_rules_load(const mt_spec &spec)
{
    mt_rules r;
    read_table(spec.dir + "/README.md", &r);
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < r.rules.size(); i++) index[r.rules[i].id] = i;
    std::string path = spec.dir + "/spec.json";
    json_error_t je;
    json_t *j = json_load_file(path.c_str(), 0, &je);
    if (!j) {
        r.problems.push_back(path + ": " + je.text);
        return r;
    }
    std::vector<std::string> no_rules;
    for (const char *key : {"tests", "bonus_tests"}) {
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(j, key), i, t)
        {
            const char *name = json_string_value(json_object_get(t, "name"));
            std::string tn = name ? name : "?";
            json_t *rs = json_object_get(t, "rules");
            if (!rs || json_array_size(rs) == 0) {
                no_rules.push_back(tn);
                continue;
            }
            size_t k;
            json_t *e;
            json_array_foreach(rs, k, e)
            {
                const char *id = json_string_value(e);
                if (!id) {
                    r.problems.push_back(path + ": " + key + " " + tn + ": \"rules\" must be an array of rule ids");
                    continue;
                }
                auto it = index.find(id);
                if (it == index.end()) {
                    r.problems.push_back(path + ": test " + tn + " names rule " + id +
                                         (r.has_table ? ", which is not in the README's rules table" : ", but the README has no ## Rules table"));
                    continue;
                }
                r.rules[it->second].tests.push_back(tn);
            }
        }
    }
    json_decref(j);
    if (!r.has_table) {
        r.warnings.push_back(spec.id + ": no `## Rules` table in README.md yet (every rule and limit needs an id; see tests/README.md)");
        return r;
    }
    for (const mt_rule &rule : r.rules)
        if (rule.tests.empty()) r.problems.push_back(spec.id + ": rule " + rule.id + " (" + rule.text + ") is checked by no test");
    for (const std::string &t : no_rules) r.warnings.push_back(spec.id + ": test " + t + " names no rule (spec.json \"rules\")");
    return r;
}

int mt_rules_print(const mt_spec &spec, FILE *f)
{
    mt_rules r = mt_rules_load(spec);
    fprintf(f, "%s — rules\n", spec.id.c_str());
    int unchecked = 0;
    for (const mt_rule &rule : r.rules) {
        fprintf(f, "  %-4s %s\n", rule.id.c_str(), rule.text.c_str());
        if (rule.tests.empty()) {
            fprintf(f, "       checked by: NO TEST\n");
            unchecked++;
        } else {
            std::string ts;
            for (const std::string &t : rule.tests) ts += (ts.empty() ? "" : ", ") + t;
            fprintf(f, "       checked by: %s\n", ts.c_str());
        }
    }
    if (r.has_table) {
        fprintf(f, "unchecked rules:");
        for (const mt_rule &rule : r.rules)
            if (rule.tests.empty()) fprintf(f, " %s", rule.id.c_str());
        fprintf(f, "%s\n", unchecked ? "" : " none");
    }
    for (const std::string &w : r.warnings) fprintf(f, "warning: %s\n", w.c_str());
    for (const std::string &p : r.problems) fprintf(f, "PROBLEM: %s\n", p.c_str());
    return unchecked || !r.problems.empty() ? 1 : 0;
}
