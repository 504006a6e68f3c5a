// The umbrella header of the tsu library: every area of the public API.
//   #include <tsu/tsu.hpp>          with find_package(tsu) and target tsu::tsu
#pragma once

#include "api/exact.hpp"
#include "api/model.hpp"
#include "api/sample.hpp"
