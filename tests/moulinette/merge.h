// merge.h — `moulinette merge`: joins the JSON reports of the shards of one batch into the report the
// unsharded run gives, and reads a report back into variants so every output can be made from it.
#pragma once
#include "finish.h"
#include "report.h"

#include <deque>
#include <jansson.h>
#include <string>
#include <vector>

// The variants a JSON report describes, rebuilt (specs, mutants and variants own their storage).
struct mt_loaded_report {
    bool grading = false;
    std::deque<mt_spec> specs;
    std::deque<mt_mutant> mutants;
    std::deque<mt_variant> variants;
    std::vector<mt_exercise_run> runs;
};
int mt_report_load(json_t *doc, mt_loaded_report *out, std::string *err);

// Joins the shard reports in files; on success *merged is the joined report (the caller owns it).
// Refuses, with a message naming the files, reports of different packs, batches or commands,
// two reports of one shard, missing shards and shards whose contents do not fit their place.
int mt_merge_reports(const std::vector<std::string> &files, json_t **merged, std::string *err);

// The command: merge, then print, write the outputs and exit as the unsharded run would.
int mt_cmd_merge(const std::vector<std::string> &files, const mt_outputs &out, bool color);
