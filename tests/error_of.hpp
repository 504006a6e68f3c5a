// The message of the tsu::Error that a call throws, for tests of error reports.
#pragma once

#include <functional>
#include <string>

#include "graph/model.hpp"

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const tsu::Error& e) {
    return e.what();
  }
  return "(no error)";
}
