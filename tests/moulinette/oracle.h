// oracle.h — the differential tests' oracle in a student pack: the reference compiled inside
// namespace oracle ships as an object file and a generated header, never as source.
#pragma once
#include "spec.h"

#include <string>

// Builds the oracle of exercise s in build (when its Makefile sets ORACLE_SRCS) and copies its
// objects (debug info stripped) and generated headers into pack_ex_dir/oracle/. Returns the number
// of files shipped, or -1 with *err set.
int mt_oracle_ship(const std::string &root, const std::string &build, const mt_spec &s, const std::string &pack_ex_dir,
                   std::string *err);
