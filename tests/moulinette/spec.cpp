// spec.cpp — spec.json parsing with jansson; validation is strict so mistakes surface on load.
#include "spec.h"

#include <algorithm>
#include <dirent.h>
#include <jansson.h>
#include <set>
#include <sys/stat.h>

static bool file_exists(const std::string &p)
{
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

namespace {
struct ctx {
    std::string file;
    std::string *err;
    bool fail(const std::string &field, const std::string &what)
    {
        *err = file + ": field '" + field + "' " + what;
        return false;
    }
    bool str(json_t *o, const char *key, std::string *out, bool required, const std::string &where)
    {
        json_t *v = json_object_get(o, key);
        if (!v) return required ? fail(where + key, "is missing") : true;
        if (!json_is_string(v)) return fail(where + key, "must be a string");
        *out = json_string_value(v);
        return true;
    }
    bool boolean(json_t *o, const char *key, bool *out, const std::string &where)
    {
        json_t *v = json_object_get(o, key);
        if (!v) return true;
        if (!json_is_boolean(v)) return fail(where + key, "must be true or false");
        *out = json_is_true(v);
        return true;
    }
    bool integer(json_t *o, const char *key, int *out, bool required, int lo, int hi, const std::string &where)
    {
        json_t *v = json_object_get(o, key);
        if (!v) return required ? fail(where + key, "is missing") : true;
        if (!json_is_integer(v)) return fail(where + key, "must be an integer");
        long long x = json_integer_value(v);
        if (x < lo || x > hi) return fail(where + key, "must be in " + std::to_string(lo) + ".." + std::to_string(hi));
        *out = (int)x;
        return true;
    }
    bool strings(json_t *o, const char *key, std::vector<std::string> *out, const std::string &where)
    {
        json_t *v = json_object_get(o, key);
        if (!v) return true;
        if (!json_is_array(v)) return fail(where + key, "must be an array of strings");
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (!json_is_string(e)) return fail(where + key + "[" + std::to_string(i) + "]", "must be a string");
            out->push_back(json_string_value(e));
        }
        return true;
    }
    bool tests(json_t *o, const char *key, bool bonus, mt_spec *spec)
    {
        json_t *v = json_object_get(o, key);
        if (!v) return bonus ? true : fail(key, "is missing");
        if (!json_is_array(v)) return fail(key, "must be an array");
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            std::string where = std::string(key) + "[" + std::to_string(i) + "].";
            if (!json_is_object(e)) return fail(where.substr(0, where.size() - 1), "must be an object");
            mt_test t;
            t.bonus = bonus;
            if (!str(e, "name", &t.name, true, where) || !integer(e, "points", &t.points, true, 0, 100, where) ||
                !boolean(e, "required", &t.required, where) ||
                !str(e, "category", &t.category, false, where) ||
                !integer(e, "timeout_s", &t.timeout_s, false, 1, 3600, where) || !str(e, "san", &t.san, false, where))
                return false;
            // A row worth nothing cannot cost a wrong solution anything: a mutant it catches stays free.
            if (t.points == 0)
                return fail(where + "points", "is 0: every test must be worth at least 1 point (a wrong solution it "
                                              "catches would lose nothing)");
            if (!t.san.empty() && t.san != "thread" && t.san != "address" && t.san != "undefined")
                return fail(where + "san", "must be one of thread, address, undefined");
            spec->tests.push_back(t);
        }
        return true;
    }
};
}  // namespace

int mt_spec_load(const std::string &root, const std::string &id, mt_spec *spec, std::string *err, bool for_grading)
{
    *spec = mt_spec();
    spec->dir = root + "/" + id;
    ctx c{spec->dir + "/spec.json", err};
    json_error_t jerr;
    json_t *j = json_load_file(c.file.c_str(), JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        *err = c.file + ":" + std::to_string(jerr.line) + ": " + jerr.text;
        return -1;
    }
    bool ok = json_is_object(j) || c.fail("(top level)", "must be a JSON object");
    ok = ok && c.str(j, "id", &spec->id, true, "") && c.str(j, "title", &spec->title, false, "") &&
         c.strings(j, "files", &spec->files, "") && c.strings(j, "bonus_files", &spec->bonus_files, "") &&
         c.integer(j, "passing_score", &spec->passing_score, true, 1, 100, "") &&
         c.integer(j, "timeout_s", &spec->timeout_s, false, 1, 3600, "") && c.tests(j, "tests", false, spec) &&
         c.tests(j, "bonus_tests", true, spec);
    if (ok && spec->id != id) ok = c.fail("id", "is '" + spec->id + "' but the folder is '" + id + "'");
    if (ok && spec->files.empty()) ok = c.fail("files", "must list at least one file a student hands in");
    if (ok) {
        json_t *norm = json_object_get(j, "norm");
        if (norm && !json_is_object(norm)) ok = c.fail("norm", "must be an object");
        else if (norm) ok = c.strings(norm, "forbidden_symbols", &spec->forbidden_symbols, "norm.");
    }
    if (ok) {
        json_t *m = json_object_get(j, "mutants");
        if (m && !json_is_array(m)) ok = c.fail("mutants", "must be an array");
        size_t i;
        json_t *e;
        if (m) json_array_foreach(m, i, e)
            {
                if (!ok) break;
                std::string where = "mutants[" + std::to_string(i) + "].";
                mt_mutant mu;
                ok = json_is_object(e) ? (c.str(e, "id", &mu.id, true, where) && c.str(e, "patch", &mu.patch, true, where) &&
                                          c.str(e, "category", &mu.category, false, where) &&
                                          c.str(e, "why", &mu.why, false, where) &&
                                          c.boolean(e, "seed", &mu.seed, where))
                                       : c.fail(where + "", "must be an object");
                if (ok) spec->mutants.push_back(mu);
            }
    }
    json_decref(j);
    if (!ok) return -1;

    std::set<std::string> names;
    int sum = 0;
    for (const mt_test &t : spec->tests) {
        if (!names.insert(t.name).second) return c.fail("tests", "names '" + t.name + "' twice"), -1;
        if (!t.bonus) sum += t.points;
    }
    if (sum != 100) return c.fail("tests", "points add up to " + std::to_string(sum) + ", not 100"), -1;
    if (for_grading) return 0;
    for (const std::string &f : spec->files)
        if (!file_exists(spec->dir + "/" + f)) return c.fail("files", "names '" + f + "', which does not exist"), -1;
    for (const std::string &f : spec->bonus_files)
        if (!file_exists(spec->dir + "/" + f)) return c.fail("bonus_files", "names '" + f + "', which does not exist"), -1;
    std::set<std::string> ids;
    for (const mt_mutant &mu : spec->mutants) {
        if (!ids.insert(mu.id).second) return c.fail("mutants", "has the id '" + mu.id + "' twice"), -1;
        if (!file_exists(spec->dir + "/" + mu.patch))
            return c.fail("mutants", "patch '" + mu.patch + "' of '" + mu.id + "' does not exist"), -1;
    }
    return 0;
}

static void scan(const std::string &root, const std::string &rel, std::vector<std::string> *out)
{
    DIR *d = opendir((root + "/" + rel).c_str());
    if (!d) return;
    while (struct dirent *e = readdir(d)) {
        std::string name = e->d_name;
        if (name[0] == '.') continue;
        std::string id = rel.empty() ? name : rel + "/" + name;
        if (file_exists(root + "/" + id + "/spec.json")) out->push_back(id);
    }
    closedir(d);
}

std::vector<std::string> mt_find_exercises(const std::string &root)
{
    std::vector<std::string> all, out;
    scan(root, "", &all);
    scan(root, "exercises_5_4", &all);
    for (const std::string &id : all)
        if (id.rfind("ex", 0) == 0) out.push_back(id);
    std::sort(out.begin(), out.end());
    return out;
}

int mt_spec_max_points(const mt_spec &spec)
{
    int sum = 0;
    for (const mt_test &t : spec.tests)
        if (!t.bonus) sum += t.points;
    return sum;
}

int mt_spec_bonus_max(const mt_spec &spec)
{
    int sum = 0;
    for (const mt_test &t : spec.tests)
        if (t.bonus) sum += t.points;
    return sum;
}

std::vector<std::string> mt_extra_sans(const std::vector<const mt_spec *> &specs, const std::string &own_san)
{
    std::set<std::string> sans;
    for (const mt_spec *s : specs)
        for (const mt_test &t : s->tests)
            if (!t.san.empty() && t.san != own_san) sans.insert(t.san);
    return std::vector<std::string>(sans.begin(), sans.end());
}
