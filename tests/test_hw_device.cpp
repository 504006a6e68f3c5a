// Device constants and the energy model: the presets reproduce the published figures (DTM §3.4,
// §3.5; H&C §1.4, §1.5), and device files are checked field by field.
#include <gtest/gtest.h>

#include "error_of.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <unistd.h>

#include "hw/energy.hpp"

using namespace tsu;
using namespace tsu::hw;

namespace {

EnergyReport report(const std::string& preset, int L, const std::string& rule, int64_t sweeps, int64_t steps) {
  const Device d = device_preset(preset);
  return energy_report(d, grid_shape(d, L, rule), Workload{sweeps, steps, -1});
}

TEST(HwEnergy, PaperPresetGivesTheDtmFigures) {
  const EnergyReport r = report("paper", 70, "G12", 250, 8);
  EXPECT_DOUBLE_EQ(r.cell.rng, 350e-18);                     // measured RNG energy per bit
  EXPECT_NEAR(r.cell.total(), 1.3e-15, 0.02e-15);            // E_cell = 1.6 nJ / (250 x 4900)
  EXPECT_NEAR(r.e_step, 1.6e-9, 0.03e-9);                    // Appendix D.4: about 1.6 T nJ
  EXPECT_NEAR(r.e_total, 13e-9, 0.5e-9);                     // T = 8: about 13 nJ per sample
  EXPECT_NEAR(r.t_step, 50e-6, 1e-12);                       // K sweeps of two tau-long phases
  EXPECT_NEAR(r.t_total, 0.4e-3, 1e-12);                     // 0.4 ms per sample
  EXPECT_NEAR(std::sqrt(r.area), 0.42e-3, 0.001e-3);         // a 0.42 mm square at 6 um pitch
  // The transcript's split: neighbour wires the largest term, then RNG, bias and clock.
  EXPECT_GT(r.cell.neighbours, r.cell.rng);
  EXPECT_GT(r.cell.rng, r.cell.bias);
  EXPECT_GT(r.cell.bias, r.cell.clock);
  // The main text's rounded 2 fJ is within the model's reach: the same array at 2 fJ costs 2.45 nJ.
  EXPECT_NEAR(250 * 4900 * 2e-15, 2.45e-9, 1e-12);
}

TEST(HwEnergy, WireEnergyFollowsTheConnectionOffsetsAndPitch) {
  const Device d = device_preset("paper");
  const ArrayShape g8 = grid_shape(d, 70, "G8"), g24 = grid_shape(d, 70, "G24");
  EXPECT_EQ(g8.degree, 8);
  EXPECT_EQ(g24.degree, 24);
  EXPECT_NEAR(g8.wire_length, 4 * 6e-6 * (1 + std::sqrt(17.0)), 1e-15);
  const CellEnergy e = cell_energy(d, g8.degree, g8.wire_length, 2, 0.5);
  EXPECT_NEAR(e.neighbours, 0.5 * 0.5 * 3.5e-10 * g8.wire_length * 0.11 * 0.11, 1e-24);  // activity 1/2 C V^2
  EXPECT_GT(cell_energy(d, g24.degree, g24.wire_length, 2, 0.5).neighbours, 10 * e.neighbours);
}

TEST(HwEnergy, Z1PresetGivesTheThermalizersFigures) {
  const Device d = device_preset("z1");
  const EnergyReport r = report("z1", int(d.grid), d.rule, 1, 1);
  EXPECT_EQ(r.shape.cells, 250000);
  EXPECT_EQ(r.shape.degree, 16);
  EXPECT_NEAR(r.cell.total(), 7.09e-15, 0.005e-15);        // SPICE, per p-bit per Gibbs cycle
  EXPECT_NEAR(r.e_samp, 1.8e-9, 0.05e-9);                  // about 1.8 nJ per full-chip iteration
  EXPECT_NEAR(r.t_step - d.t_read, 20e-9, 1e-15);          // 50 MHz: both colours in 20 ns
  EXPECT_DOUBLE_EQ(d.e_read_node, 1.692e-12);
  EXPECT_DOUBLE_EQ(d.e_write_node, 153.6e-12);
  // One write costs about 21,700 Gibbs updates and one read about 239 (H&C §1.4).
  EXPECT_NEAR(d.e_write_node / r.cell.total(), 21700, 100);
  EXPECT_NEAR(d.e_read_node / r.cell.total(), 239, 1);
}

TEST(HwDevice, FileOverridesThePresetAndEveryConstantIsSourced) {
  const Device d = parse_device_json(R"({"format": "tsu-device-v1", "preset": "z1", "tau": 5e-8})", "dev.json");
  EXPECT_EQ(d.tau, 5e-8);
  EXPECT_EQ(d.sources.at("tau"), "dev.json");
  EXPECT_EQ(d.grid, 500);
  EXPECT_EQ(d.rule, "Z1");
  for (const auto& f : device_fields()) EXPECT_FALSE(d.sources.at(f.key).empty()) << f.key;
  const Device paper = parse_device_json(R"({"format": "tsu-device-v1"})", "empty.json");
  EXPECT_EQ(paper.e_rng, device_preset("paper").e_rng);
}

TEST(HwDevice, BadConstantsAreRejectedNamingTheField) {
  auto parse = [](const std::string& body) {
    return error_of([&] { parse_device_json(R"({"format": "tsu-device-v1", )" + body + "}", "dev.json"); });
  };
  EXPECT_EQ(parse(R"("tau": -1e-7)"), "dev.json: tau: must be > 0, got -1e-07");
  EXPECT_EQ(parse(R"("e_rng": null)"), "dev.json: e_rng: missing value (null)");
  EXPECT_EQ(parse(R"("pitch": "6um")"), "dev.json: pitch: must be a number, got \"6um\"");
  EXPECT_EQ(parse(R"("tua": 1e-7)"), "dev.json: tua: unknown key (not a tsu-device-v1 constant)");
  EXPECT_EQ(parse(R"("readout_error": 0.7)"), "dev.json: readout_error: must be in [0, 0.5], got 0.7");
  EXPECT_EQ(parse(R"("dac_bits": 4.5)"), "dev.json: dac_bits: must be a whole number >= 0, got 4.5");
  EXPECT_EQ(parse(R"("rule": "G13")"),
            "dev.json: rule: unknown rule \"G13\" (known: G8, G12, G16, G20, G24, G12-paper, G16-paper, Z1)");
  EXPECT_EQ(parse(R"("preset": "x9")"),
            "dev.json: preset: unknown device preset \"x9\" (expected paper, z1 or ideal) or none");
  // Without a preset every constant must be given: the first missing one is named.
  EXPECT_EQ(parse(R"("preset": "none", "rule": "G8", "grid": 10)"),
            "dev.json: tau: missing (no value given and no preset default)");
  EXPECT_EQ(error_of([] { parse_device_json(R"({"tau": 1})", "dev.json"); }),
            "dev.json: format: must be \"tsu-device-v1\"");
  Device d = device_preset("paper");
  d.v_dd = std::numeric_limits<double>::quiet_NaN();
  d.sources.clear();
  EXPECT_EQ(error_of([&] { validate_device(d); }), "v_dd: missing (no value given and no preset default)");
  d.v_dd = std::numeric_limits<double>::infinity();
  EXPECT_EQ(error_of([&] { validate_device(d); }), "v_dd: must be >= 0, got inf");
}

TEST(HwDevice, LoadsPresetsAndFiles) {
  const auto path = std::filesystem::temp_directory_path() / ("tsu_hw_device_" + std::to_string(getpid()) + ".json");
  std::ofstream(path) << R"({"format": "tsu-device-v1", "preset": "ideal", "gain_sigma": 0.2})";
  const Device d = load_device(path.string());
  EXPECT_EQ(d.gain_sigma, 0.2);
  EXPECT_EQ(d.dac_bits, 0);
  std::filesystem::remove(path);
  EXPECT_EQ(load_device("z1").grid, 500);
  EXPECT_NE(error_of([] { load_device("/no/such/device.json"); }).find("/no/such/device.json: not a device preset (paper, z1, ideal) and no such file"),
            std::string::npos);
}

}  // namespace
