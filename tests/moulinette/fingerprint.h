// fingerprint.h — a pack fingerprint: a hash of every file that decides a verdict (spec.json, the
// reference, mutants, the suite), so reports of two different packs are never merged into one.
#pragma once
#include "spec.h"

#include <string>
#include <vector>

// "fnv1a64:<16 hex digits>" over each exercise's folder and its tests/<id>/ suite, file by file in
// sorted order (path and bytes). With for_grading, the files a student hands in are left out: the
// submission replaces them, and a student pack has none.
std::string mt_pack_fingerprint(const std::string &root, const std::vector<mt_spec> &specs, bool for_grading);
