// Runs the built `tsu` binary inside a temporary folder of its own per test (ctest runs tests side
// by side, so no two may share a file), capturing its exit status, stdout and stderr.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "util/files.hpp"

struct CliResult {
  int status = -1;
  std::string out, err;
};

// A failure as the CLI must report it: exit `status` and one line "tsu: error: ..." naming every word.
inline void expect_error_line(const CliResult& r, int status, const std::vector<std::string>& words) {
  EXPECT_EQ(r.status, status) << r.err;
  EXPECT_EQ(r.err.rfind("tsu: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  for (const auto& word : words) EXPECT_NE(r.err.find(word), std::string::npos) << word << " in " << r.err;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "_" + info->name();
    std::replace(name.begin(), name.end(), '/', '_');  // parameterised tests have '/' in their names
    dir_ = std::filesystem::temp_directory_path() / ("tsu_" + name + "_" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs `tsu ARGS` in the folder, on one OpenMP thread unless ARGS ask otherwise, so that tests
  // running side by side do not compete for the cores.
  CliResult tsu(const std::string& args) const {
    const auto out = dir_ / "stdout.txt", err = dir_ / "stderr.txt";
    const std::string command = "cd '" + dir_.string() + "' && OMP_NUM_THREADS=1 '" + TSU_BINARY + "' " + args +
                                " > '" + out.string() + "' 2> '" + err.string() + "'";
    const int raw = std::system(command.c_str());
    return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, tsu::read_file(out.string()), tsu::read_file(err.string())};
  }

  // Writes `text` to a file of the folder and returns its path.
  std::string file(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  std::filesystem::path dir_;
};
