#include <gtest/gtest.h>

#include "sample/engine.hpp"

TEST(Smoke, ScheduleCountsSweeps) {
  tsu::Schedule s{10, 5, 3};
  EXPECT_EQ(s.total_sweeps(), 22);
}
