// `tsu bench`: the JSON rows of a short run, and a clear error for a missing data folder.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_fixture.hpp"

namespace {

using BenchCommand = CliTest;

TEST_F(BenchCommand, ReportsBothBackendsAsJson) {
  const CliResult r = tsu("bench --graph grid:24:G12 --chains 2,64 --threads 1 --sweeps 2 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto rows = nlohmann::json::parse(r.out);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    EXPECT_EQ(row["spins"], 576);
    EXPECT_EQ(row["edges"], 576 * 6);
    EXPECT_EQ(row["blocks"], 2);
    EXPECT_EQ(row["sweeps"], 2);
    EXPECT_GT(row["fast_flips_per_ns"].get<double>(), 0);
    EXPECT_GT(row["reference_flips_per_ns"].get<double>(), 0);
  }
  EXPECT_EQ(rows[1]["chains"], 64);
}

TEST_F(BenchCommand, NamesTheMissingDataFolder) {
  const CliResult r = tsu("bench --graph pegasus --data /nonexistent/tsu-data");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--data /nonexistent/tsu-data"), std::string::npos) << r.err;
}

}  // namespace
