// html.h — `--html FILE`: the report as one self-contained page (inline CSS and JS, no network):
// per exercise the points table, the mutants × tests heat map and time bars; for a grade of many
// submissions, the score distribution.
#pragma once
#include <jansson.h>
#include <string>

// Writes the page for doc (a JSON report: mt_report_json or a merge). Returns 0, or -1 with a message.
int mt_write_html(const std::string &path, json_t *doc);
