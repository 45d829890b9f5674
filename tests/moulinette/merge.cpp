// merge.cpp — shards are dealt round-robin (variant k of the batch goes to shard k % n + 1, in batch
// order), so the batch order comes back by taking one variant from each shard in turn.
#include "merge.h"

#include <cstdio>
#include <map>

namespace {

struct shard {
    std::string file;
    json_t *doc = nullptr;
    int index = 0, count = 0;
};

// One variant of a shard: its exercise entry and the variant's object (reference, mutant, submission).
struct item {
    json_t *exercise;
    const char *kind;   // "reference", "mutants", "submissions"
    json_t *value;
    json_t *bonus;      // the reference's bonus_reference, if any
};

std::string str_of(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

std::vector<item> items_of(json_t *doc)
{
    std::vector<item> out;
    size_t i, j;
    json_t *e, *v;
    json_array_foreach(json_object_get(doc, "exercises"), i, e)
    {
        if (json_t *r = json_object_get(e, "reference")) out.push_back({e, "reference", r, json_object_get(e, "bonus_reference")});
        json_array_foreach(json_object_get(e, "mutants"), j, v) out.push_back({e, "mutants", v, nullptr});
        json_array_foreach(json_object_get(e, "submissions"), j, v) out.push_back({e, "submissions", v, nullptr});
    }
    return out;
}

int load_shard(const std::string &file, shard *s, std::string *err)
{
    json_error_t jerr;
    s->file = file;
    s->doc = json_load_file(file.c_str(), 0, &jerr);
    if (!s->doc) {
        *err = file + ": not a JSON report (" + jerr.text + ", line " + std::to_string(jerr.line) + ")";
        return -1;
    }
    json_t *m = json_object_get(s->doc, "moulinette"), *sh = json_object_get(m, "shard");
    if (!json_is_object(m) || !json_is_string(json_object_get(m, "pack")) || !json_is_object(sh) ||
        !json_is_array(json_object_get(s->doc, "exercises"))) {
        *err = file + ": not a moulinette report of this version (no \"moulinette\" object with pack and shard: "
                      "write it again with --json)";
        return -1;
    }
    s->index = (int)json_integer_value(json_object_get(sh, "index"));
    s->count = (int)json_integer_value(json_object_get(sh, "count"));
    if (json_object_get(sh, "merged")) {
        *err = file + ": is already a merged report; merge the shard reports themselves";
        return -1;
    }
    return 0;
}

// The checks that make the shards one batch: same command, pack, batch and shard count.
int same_batch(const shard &a, const shard &b, std::string *err)
{
    json_t *ma = json_object_get(a.doc, "moulinette"), *mb = json_object_get(b.doc, "moulinette");
    std::string both = a.file + " and " + b.file;
    if (str_of(ma, "command") != str_of(mb, "command"))
        *err = both + " come from different commands (" + str_of(ma, "command") + ", " + str_of(mb, "command") + ")";
    else if (str_of(ma, "pack") != str_of(mb, "pack"))
        *err = both + " are reports of different packs (fingerprints " + str_of(ma, "pack") + " and " +
               str_of(mb, "pack") + "): some exercise, mutant or test differs between them";
    else if (!json_equal(json_object_get(ma, "batch"), json_object_get(mb, "batch")) ||
             json_integer_value(json_object_get(ma, "variants")) != json_integer_value(json_object_get(mb, "variants")))
        *err = both + " grade different batches (other exercises or submission folders on the command line)";
    else if (a.count != b.count)
        *err = both + " split the batch differently (" + std::to_string(a.index) + "/" + std::to_string(a.count) +
               " and " + std::to_string(b.index) + "/" + std::to_string(b.count) + ")";
    else if (a.index == b.index)
        *err = both + " are both shard " + std::to_string(a.index) + "/" + std::to_string(a.count) +
               ": overlapping shards (give each shard once)";
    else return 0;
    return -1;
}

const char *const TIME_KEYS[] = {"build_ms", "tests_ms", "build_cpu_ms", "tests_cpu_ms"};

void add_ms(json_t *to, json_t *from, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(to, key)) + json_integer_value(json_object_get(from, key));
    json_object_set_new(to, key, json_integer(v));
}

}  // namespace

int mt_merge_reports(const std::vector<std::string> &files, json_t **merged, std::string *err)
{
    *merged = nullptr;
    if (files.empty()) {
        *err = "merge needs the shard reports: moulinette merge R1.json R2.json ...";
        return -1;
    }
    std::vector<shard> shards(files.size());
    int rc = 0;
    for (size_t i = 0; i < files.size() && rc == 0; i++) rc = load_shard(files[i], &shards[i], err);
    for (size_t i = 0; i < shards.size() && rc == 0; i++)
        for (size_t j = 0; j < i && rc == 0; j++) rc = same_batch(shards[j], shards[i], err);
    int n = rc == 0 ? shards[0].count : 0;
    if (rc == 0 && (int)shards.size() != n) {
        std::map<int, std::string> have;
        for (const shard &s : shards) have[s.index] = s.file;
        std::string missing;
        for (int k = 1; k <= n; k++)
            if (!have.count(k)) missing += (missing.empty() ? "" : ", ") + std::to_string(k) + "/" + std::to_string(n);
        *err = "shard(s) " + missing + " missing: " + std::to_string(shards.size()) + " report(s) given (";
        for (size_t i = 0; i < shards.size(); i++)
            *err += (i ? ", " : "") + shards[i].file + " = " + std::to_string(shards[i].index) + "/" + std::to_string(n);
        *err += ")";
        rc = -1;
    }
    if (rc == 0) {
        std::vector<shard *> by_index((size_t)n);
        for (shard &s : shards) by_index[(size_t)s.index - 1] = &s;
        std::vector<std::vector<item>> streams;
        for (shard *s : by_index) streams.push_back(items_of(s->doc));
        int total = (int)json_integer_value(json_object_get(json_object_get(shards[0].doc, "moulinette"), "variants"));
        for (int k = 0; k < n && rc == 0; k++) {
            size_t expect = (size_t)(total > k ? (total - k + n - 1) / n : 0);
            if (streams[(size_t)k].size() != expect) {
                *err = by_index[(size_t)k]->file + ": holds " + std::to_string(streams[(size_t)k].size()) +
                       " variant(s) where shard " + std::to_string(k + 1) + "/" + std::to_string(n) + " of " +
                       std::to_string(total) + " has " + std::to_string(expect) + " (an interrupted or edited run?)";
                rc = -1;
            }
        }
        json_t *root = json_deep_copy(shards[0].doc);
        json_t *exs = json_array();
        json_object_set_new(root, "exercises", exs);
        json_t *files_arr = json_array(), *shard_times = json_array();
        for (shard *s : by_index) {
            json_array_append_new(files_arr, json_string(s->file.c_str()));
            json_array_append(shard_times, json_object_get(s->doc, "timing"));
        }
        json_object_set_new(json_object_get(root, "moulinette"), "shard",
                            json_pack("{s:i, s:i, s:o}", "index", 1, "count", 1, "merged", files_arr));
        // The farm's wall time is its slowest shard's; the work is every shard's.
        json_t *timing = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:o}", "wall_ms", 0, "prelude_ms", 0, "jobs", 0, "build_ms", 0, "tests_ms", 0,
                                   "build_cpu_ms", 0, "tests_cpu_ms", 0, "shards", shard_times);
        json_object_set_new(root, "timing", timing);
        size_t ti;
        json_t *st;
        json_array_foreach(shard_times, ti, st)
        {
            for (const char *k : TIME_KEYS) add_ms(timing, st, k);
            for (const char *k : {"wall_ms", "prelude_ms"})
                if (json_integer_value(json_object_get(st, k)) > json_integer_value(json_object_get(timing, k)))
                    json_object_set(timing, k, json_object_get(st, k));
            json_object_set(timing, "jobs", json_object_get(st, "jobs"));
        }
        std::vector<size_t> next((size_t)n, 0);
        json_t *cur = nullptr;
        std::map<std::string, json_t *> by_id;
        for (int k = 0; k < total && rc == 0; k++) {
            const item &it = streams[(size_t)(k % n)][next[(size_t)(k % n)]++];
            std::string id = str_of(it.exercise, "id");
            if (!cur || str_of(cur, "id") != id) {
                if (by_id.count(id)) {
                    *err = "the shards list " + id + " in an order that no single run gives (shards of another version?)";
                    rc = -1;
                    break;
                }
                cur = json_pack("{s:s, s:O, s:O, s:{s:i, s:i, s:i, s:i}}", "id", id.c_str(), "passing_score",
                                json_object_get(it.exercise, "passing_score"), "spec", json_object_get(it.exercise, "spec"),
                                "timing", "build_ms", 0, "tests_ms", 0, "build_cpu_ms", 0, "tests_cpu_ms", 0);
                if (json_object_get(it.exercise, "submissions")) json_object_set_new(cur, "submissions", json_array());
                else json_object_set_new(cur, "mutants", json_array());
                json_array_append_new(exs, cur);
                by_id[id] = cur;
            }
            if (!std::string("reference").compare(it.kind)) {
                json_object_set(cur, "reference", it.value);
                if (it.bonus) json_object_set(cur, "bonus_reference", it.bonus);
            } else {
                json_array_append(json_object_get(cur, it.kind), it.value);
            }
        }
        // Each exercise's time is the sum of its entries in every shard.
        for (shard *s : by_index) {
            size_t i;
            json_t *e;
            json_array_foreach(json_object_get(s->doc, "exercises"), i, e)
            {
                auto found = by_id.find(str_of(e, "id"));
                if (found == by_id.end()) continue;
                json_t *t = json_object_get(found->second, "timing");
                for (const char *k : TIME_KEYS) add_ms(t, json_object_get(e, "timing"), k);
            }
        }
        // Key order as a single run writes it: reference and bonus before the variant lists.
        for (auto &kv : by_id) {
            for (const char *k : {"mutants", "submissions"}) {
                json_t *arr = json_object_get(kv.second, k);
                if (!arr) continue;
                json_incref(arr);
                json_object_del(kv.second, k);
                json_object_set_new(kv.second, k, arr);
            }
        }
        if (rc == 0) *merged = root;
        else json_decref(root);
    }
    for (shard &s : shards) json_decref(s.doc);
    return rc;
}

static void load_results(mt_variant *v, json_t *tests, json_t *bonus_tests)
{
    std::map<std::string, json_t *> by_name;
    size_t i;
    json_t *t;
    json_array_foreach(tests, i, t) by_name[str_of(t, "name")] = t;
    json_array_foreach(bonus_tests, i, t) by_name[str_of(t, "name")] = t;
    for (mt_result &r : v->results) {
        auto f = by_name.find(r.test->name);
        if (f == by_name.end()) continue;
        r.passed = json_is_true(json_object_get(f->second, "passed"));
        r.ms = (long)json_integer_value(json_object_get(f->second, "ms"));
        r.cpu_ms = (long)json_integer_value(json_object_get(f->second, "cpu_ms"));
        r.detail = str_of(f->second, "detail");
        // A test that never started says so in its detail ("not run: ...", or the grader's own failure).
        r.ran = v->built && r.detail.rfind("not run", 0) != 0 && r.detail.rfind("grader:", 0) != 0;
    }
}

static void load_norm_build(mt_variant *v, json_t *o, const char *error_key)
{
    v->build_error = str_of(o, error_key);
    v->built = !json_object_get(o, error_key);
    v->build_ms = (long)json_integer_value(json_object_get(o, "build_ms"));
    v->build_cpu_ms = (long)json_integer_value(json_object_get(o, "build_cpu_ms"));
    json_t *norm = json_object_get(o, "norm");
    if (norm && !json_is_true(json_object_get(norm, "passed"))) v->norm_error = str_of(norm, "detail");
}

int mt_report_load(json_t *doc, mt_loaded_report *out, std::string *err)
{
    out->grading = str_of(json_object_get(doc, "moulinette"), "command") == "grade";
    size_t i, j;
    json_t *e, *v;
    json_array_foreach(json_object_get(doc, "exercises"), i, e)
    {
        json_t *sp = json_object_get(e, "spec");
        if (!sp) {
            *err = "exercise " + str_of(e, "id") + " has no \"spec\" in the report";
            return -1;
        }
        mt_spec &s = out->specs.emplace_back();
        s.id = str_of(e, "id");
        s.title = str_of(sp, "title");
        s.passing_score = (int)json_integer_value(json_object_get(e, "passing_score"));
        json_array_foreach(json_object_get(sp, "tests"), j, v)
        {
            mt_test t;
            t.name = str_of(v, "name");
            t.points = (int)json_integer_value(json_object_get(v, "points"));
            t.category = str_of(v, "category");
            t.bonus = json_is_true(json_object_get(v, "bonus"));
            t.required = json_is_true(json_object_get(v, "required"));
            s.tests.push_back(t);
        }
        json_array_foreach(json_object_get(sp, "forbidden_symbols"), j, v) s.forbidden_symbols.push_back(json_string_value(v));
        mt_exercise_run run{&s, {}};
        auto fresh = [&](mt_variant_kind kind) -> mt_variant & {
            mt_variant &x = out->variants.emplace_back();
            x.spec = &s;
            x.kind = kind;
            for (const mt_test &t : s.tests) {
                mt_result r;
                r.test = &t;
                x.results.push_back(r);
            }
            run.variants.push_back(&x);
            return x;
        };
        if (json_t *r = json_object_get(e, "reference")) {
            mt_variant &x = fresh(MT_REFERENCE);
            load_norm_build(&x, r, "build_error");
            load_results(&x, json_object_get(r, "tests"), json_object_get(json_object_get(e, "bonus_reference"), "tests"));
        }
        json_array_foreach(json_object_get(e, "mutants"), j, v)
        {
            mt_mutant &m = out->mutants.emplace_back();
            m.id = str_of(v, "id");
            m.seed = json_is_true(json_object_get(v, "seed"));
            mt_variant &x = fresh(MT_MUTANT);
            x.mutant = &m;
            x.build_error = str_of(v, "error");
            x.built = !json_object_get(v, "error");
            x.build_ms = (long)json_integer_value(json_object_get(v, "build_ms"));
            x.build_cpu_ms = (long)json_integer_value(json_object_get(v, "build_cpu_ms"));
            std::map<std::string, bool> failed;
            size_t k;
            json_t *f;
            json_array_foreach(json_object_get(v, "failed_tests"), k, f) failed[json_string_value(f)] = true;
            if (failed.count("norm")) x.norm_error = "uses a forbidden symbol";
            json_t *ms = json_object_get(v, "test_ms");
            for (size_t t = 0; t < x.results.size(); t++) {
                mt_result &r = x.results[t];
                r.ran = x.built;
                r.passed = x.built && !failed.count(r.test->name);
                r.ms = (long)json_integer_value(json_array_get(ms, t));
                if (!x.built) r.detail = "not run: mutant build failed";
            }
        }
        json_array_foreach(json_object_get(e, "submissions"), j, v)
        {
            mt_variant &x = fresh(MT_SUBMISSION);
            x.sub_dir = str_of(v, "dir");
            load_norm_build(&x, v, "build_error");
            load_results(&x, json_object_get(v, "tests"), json_object_get(v, "bonus_tests"));
        }
        out->runs.push_back(run);
    }
    return 0;
}

int mt_cmd_merge(const std::vector<std::string> &files, const mt_outputs &out, bool color)
{
    json_t *doc;
    std::string err;
    if (mt_merge_reports(files, &doc, &err) < 0) {
        fprintf(stderr, "moulinette: merge: %s\n", err.c_str());
        return 2;
    }
    mt_loaded_report rep;
    if (mt_report_load(doc, &rep, &err) < 0) {
        fprintf(stderr, "moulinette: merge: %s\n", err.c_str());
        json_decref(doc);
        return 2;
    }
    int rc;
    if (rep.grading) {
        size_t subs = 0;
        for (const mt_exercise_run &r : rep.runs) subs += r.variants.size();
        if (!out.gradescope.empty() && subs != 1) {
            fprintf(stderr, "moulinette: merge: --gradescope writes one submission's results, and the shards hold %zu\n", subs);
            json_decref(doc);
            return 2;
        }
        rc = rep.runs.empty() ? 0 : mt_finish_grade(rep.runs[0], doc, out, color);
    } else {
        rc = mt_finish_validate(rep.runs, doc, out, color);
    }
    json_decref(doc);
    return rc;
}
