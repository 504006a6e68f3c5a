// What every harness checks beyond "no crash": a rejected input throws exactly one tsu::Error whose
// message is one line that names the input (the file, then the field or line); any other
// exception escapes to libFuzzer, which reports it as a finding.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

#include "util/error.hpp"

namespace tsu::fuzz {

// The node bound the model harnesses parse with: a file may declare 10^8 nodes, whose writing and
// rereading take seconds under the sanitizers and would read as a timeout; large models have tests.
inline constexpr int64_t kMaxNodes = 100'000;

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "tsu fuzz finding: %s\n", what.c_str());
  std::abort();
}

inline void require(bool ok, const std::string& what) {
  if (!ok) finding(what);
}

// Runs `parse`; an Error must be one line that names `source`.
template <class Parse>
void expect_parse_or_clean_error(const std::string& source, Parse parse) {
  try {
    parse();
  } catch (const Error& e) {
    const std::string_view message = e.what();
    require(message.find(source) != std::string_view::npos, "the error does not name the input: " + std::string(message));
    require(message.find('\n') == std::string_view::npos, "the error is not one line: " + std::string(message));
  }
}

// The second read of a round trip: what tsu itself wrote must never be rejected.
template <class Read>
auto reread(Read read) {
  try {
    return read();
  } catch (const Error& e) {
    finding(std::string("what tsu wrote is rejected: ") + e.what());
  }
}

// Parses `text`, writes what parsed and parses that again: the two must be `same`. A rejection of
// `text` must be a clean error.
template <class Parse, class Write, class Same>
void expect_round_trip(const std::string& source, std::string_view text, Parse parse, Write write, Same same) {
  expect_parse_or_clean_error(source, [&] {
    const auto first = parse(text);
    require(same(reread([&] { return parse(write(first)); }), first), source + ": what was written reads back differently");
  });
}

// The input as a file, for the readers that take a path; one per process, rewritten each run.
class InputFile {
 public:
  explicit InputFile(const std::string& suffix)
      : path_(std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/tsu-fuzz-" +
              std::to_string(getpid()) + suffix) {}
  ~InputFile() { std::remove(path_.c_str()); }
  const std::string& write(std::string_view bytes) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    if (!out.flush()) finding("cannot write the fuzz input file " + path_);
    return path_;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tsu::fuzz
