// The neural baselines (src/baselines/generator.hpp): configs, traced costs, tiny training runs,
// checkpoints and resume. Runs use one thread and a few hundred images, so each takes seconds.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "baselines/bernoulli.hpp"
#include "baselines/generator.hpp"
#include "ml/fashion_mnist.hpp"
#include "sample/npy.hpp"
#include "error_of.hpp"
#include "util/files.hpp"

namespace tsu::baselines {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kFamilies = {"vae", "gan", "diffusion", "bernoulli", "mixture"};

// A fresh, empty folder for one test.
std::string temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("tsu_baselines_" + std::to_string(getpid()) + "_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = (fs::path(temp_dir("cfg_" + name)) / (name + ".json")).string();
  write_file_atomic(path, text);
  return path;
}

// The shipped tiny config of `family`, made smaller still: 256 images, 1 thread.
GeneratorConfig small_config(const std::string& family, int epochs = 1) {
  GeneratorConfig c = load_generator_config(generator_config_path(family, "tiny"));
  c.train_images = 256;
  c.epochs = epochs;
  c.threads = 1;
  return c;
}

bool all_binary(const std::vector<float>& images) {
  for (float v : images)
    if (v != 0.0f && v != 1.0f) return false;
  return true;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::istringstream in(read_file(path));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

TEST(BaselinesGeneratorConfig, ShippedConfigsParse) {
  for (const auto& family : kFamilies)
    for (const std::string scale : {"tiny", "demo", "full"}) {
      const GeneratorConfig c = load_generator_config(generator_config_path(family, scale));
      EXPECT_EQ(c.family, family);
      EXPECT_EQ(c.name, family + "-" + scale);
    }
  EXPECT_NE(error_of([] { generator_config_path("flow", "tiny"); })
                .find("unknown (expected vae, gan, diffusion, bernoulli or mixture)"),
            std::string::npos);
  EXPECT_NE(error_of([] { generator_config_path("vae", "huge"); }).find("unknown (expected tiny, demo or full)"),
            std::string::npos);
}

TEST(BaselinesGeneratorConfig, ErrorsNameFileAndField) {
  const auto error_for = [](const std::string& name, const std::string& text) {
    const std::string path = write_temp(name, text);
    return std::make_pair(path, error_of([&] { load_generator_config(path); }));
  };
  const std::vector<std::array<std::string, 3>> cases = {  // file name, text, error after "PATH: "
      {"unknown", R"({"family": "vae", "widht": 8})", "widht: unknown field for the vae family"},
      {"foreign", R"({"family": "vae", "steps": 100})", "steps: unknown field for the vae family"},
      {"type", R"({"family": "gan", "batch": "big"})", "batch: must be an integer, got \"big\""},
      {"family", R"({"batch": 8})", "family: must be vae, gan, diffusion, bernoulli or mixture, got \"\""},
      {"components", R"({"family": "mixture", "components": 0})", "components: must be >= 1, got 0"},
      {"em", R"({"family": "mixture", "epochs": 0})", "epochs: must be >= 1 EM iterations, got 0"},
      {"width", R"({"family": "mixture", "width": 8})", "width: unknown field for the mixture family"},
      {"steps", R"({"family": "diffusion", "steps": 20})", "steps: must be > 20, got 20"},
      {"sampling", R"({"family": "diffusion", "steps": 50, "sampling_steps": 51})",
       "sampling_steps: must be in [0, steps = 50], got 51"},
      {"ema", R"({"family": "diffusion", "ema_decay": 1})", "ema_decay: must be in [0, 1), got 1"},
      {"images", R"({"family": "vae", "batch": 64, "train_images": 10})",
       "train_images: must be 0 (all) or hold one batch (64), got 10"},
  };
  for (const auto& [name, text, message] : cases) {
    const auto [path, e] = error_for(name, text);
    EXPECT_EQ(e, path + ": " + message);
  }
  {
    const auto [path, e] = error_for("json", R"({"family": )");
    EXPECT_EQ(e.rfind(path + ": invalid JSON", 0), 0u) << e;
  }
}

TEST(BaselinesGeneratorConfig, JsonRoundTrip) {
  for (const auto& family : kFamilies) {
    const GeneratorConfig c = load_generator_config(generator_config_path(family, "demo"));
    const std::string path = write_temp("roundtrip_" + family, to_json(c).dump());
    EXPECT_EQ(to_json(load_generator_config(path)), to_json(c));
  }
}

TEST(BaselinesGeneratorCost, TracedParamsEqualSamplingNetworkParameters) {
  for (const auto& family : kFamilies) {
    const auto g = make_generator(small_config(family));
    const NetCost cost = g->sample_cost();
    EXPECT_GT(g->params(), 0) << family;
    EXPECT_EQ(cost.params(), g->params()) << family;
    EXPECT_GT(cost.flops(), 0) << family;
    EXPECT_GT(cost.bytes(), 4 * g->params()) << family;  // weights and activations both move
  }
}

TEST(BaselinesGeneratorCost, VaeTinyDecoderByHand) {
  // width 8, latent 8: fc 8 -> 16 x 7 x 7 = 784, relu, deconv 16 -> 8 (7 -> 14), relu,
  // deconv 8 -> 1 (14 -> 28), threshold; the z draw costs no FLOPs.
  const auto g = make_generator(small_config("vae"));
  ASSERT_EQ(g->config().width, 8);
  ASSERT_EQ(g->config().latent, 8);
  const double fc = 2.0 * 8 * 784 + 784, relu0 = 784;
  const double deconv1 = 2.0 * 16 * 49 * 16 * 8 + 8 * 196, relu1 = 8 * 196;
  const double deconv2 = 2.0 * 8 * 196 * 16 * 1 + 784, threshold = 784;
  const NetCost cost = g->sample_cost();
  EXPECT_EQ(cost.flops(), fc + relu0 + deconv1 + relu1 + deconv2 + threshold);
  EXPECT_EQ(cost.params(), (8.0 * 784 + 784) + (16.0 * 8 * 16 + 8) + (8.0 * 16 + 1));
  EXPECT_EQ(cost.layers.front().kind, "random");
  EXPECT_EQ(cost.layers[1].name, "decoder.fc");
}

TEST(BaselinesGeneratorCost, DiffusionCostIsLinearInSamplingSteps) {
  // flops(S) = S x (one U-Net pass and the DDIM update) + the final threshold (784).
  GeneratorConfig c = small_config("diffusion");
  const auto flops_at = [&](int steps) {
    c.sampling_steps = steps;
    return make_generator(c)->sample_cost();
  };
  const NetCost five = flops_at(5), ten = flops_at(10), fifty = flops_at(0);  // 0 = every one of the 50 steps
  const double per_step = (ten.flops() - five.flops()) / 5;
  EXPECT_GT(per_step, 0);
  EXPECT_EQ(five.flops(), 5 * per_step + 784);
  EXPECT_EQ(fifty.flops(), 50 * per_step + 784);
  EXPECT_EQ(fifty.params(), five.params());  // the U-Net's parameters, counted once
  EXPECT_DOUBLE_EQ(fifty.bytes() - ten.bytes(), 8 * (ten.bytes() - five.bytes()));
}

// Trains `family` for one epoch in a folder, samples, and loads the folder back.
void tiny_run_end_to_end(const std::string& family) {
  const std::string dir = temp_dir("train_" + family);
  const auto g = make_generator(small_config(family));
  int progress_calls = 0;
  g->train(dir, [&](const std::string&, double done, double total) {
    ++progress_calls;
    EXPECT_LE(done, total);
  });
  EXPECT_EQ(progress_calls, 256 / g->config().batch);
  EXPECT_EQ(g->epochs_done(), 1);
  EXPECT_GT(g->timing().train_seconds, 0);
  const auto log = lines_of((fs::path(dir) / "log.jsonl").string());
  ASSERT_EQ(log.size(), 1u);
  const auto line = nlohmann::json::parse(log[0]);
  EXPECT_EQ(line["epoch"], 1);
  EXPECT_TRUE(std::isfinite(line["loss"].get<double>()));

  const std::vector<float> a = g->sample(6, 11);
  ASSERT_EQ(a.size(), 6u * 784);
  EXPECT_TRUE(all_binary(a));
  EXPECT_GT(g->timing().seconds_per_sample, 0);
  EXPECT_EQ(g->sample(6, 11), a);
  EXPECT_NE(g->sample(6, 12), a);
  // The checkpoint restores the trained model exactly.
  const auto loaded = load_generator(dir);
  EXPECT_EQ(loaded->epochs_done(), 1);
  EXPECT_DOUBLE_EQ(loaded->timing().train_seconds, g->timing().train_seconds);
  EXPECT_EQ(loaded->sample(6, 11), a);
  fs::remove_all(dir);
}

TEST(BaselinesGeneratorTrain, VaeTinyRunEndToEnd) { tiny_run_end_to_end("vae"); }
TEST(BaselinesGeneratorTrain, GanTinyRunEndToEnd) { tiny_run_end_to_end("gan"); }
TEST(BaselinesGeneratorTrain, DiffusionTinyRunEndToEnd) { tiny_run_end_to_end("diffusion"); }

// The Bernoulli-means model: its means are the per-class pixel means of the binarised training
// images, its samples draw every pixel at its class's mean (per-pixel frequencies within 5 standard
// errors; the means of the neighbouring class are rejected by the same bound), and the folder
// reloads to the same samples.
TEST(BaselinesBernoulli, MeansAreClassMeansAndSamplesDrawThem) {
  const std::string dir = temp_dir("bernoulli");
  GeneratorConfig config = load_generator_config(generator_config_path("bernoulli", "tiny"));
  config.train_images = 500;
  auto model = make_generator(config);
  model->train(dir);
  const NpyArray stored = read_npy((fs::path(dir) / "means.npy").string());
  ASSERT_EQ(stored.shape, (std::vector<size_t>{10, 28, 28}));
  std::vector<float> means(stored.elements());
  std::memcpy(means.data(), stored.bytes.data(), stored.bytes.size());

  const ml::ImageSet set = ml::load_fashion_mnist(ml::Split::Train, "", 500);
  const std::vector<float> binary = binarised_images(set, 500);
  std::vector<double> sums(10 * 784, 0.0), counts(10, 0.0);
  for (size_t i = 0; i < 500; ++i) {
    counts[set.labels[i]] += 1;
    for (size_t p = 0; p < 784; ++p) sums[set.labels[i] * 784 + p] += binary[i * 784 + p];
  }
  for (size_t k = 0; k < means.size(); ++k) ASSERT_FLOAT_EQ(means[k], float(sums[k] / counts[k / 784])) << k;

  const size_t per_class = 4000;
  const std::vector<float> images = model->sample(10 * per_class, 3);
  ASSERT_TRUE(all_binary(images));
  const auto worst_z = [&](int shift) {  // largest |z| of the per-pixel frequencies against class (c + shift)'s means
    double worst = 0;
    for (size_t c = 0; c < 10; ++c)
      for (size_t p = 0; p < 784; ++p) {
        double ones = 0;
        for (size_t i = c; i < images.size() / 784; i += 10) ones += images[i * 784 + p];
        const double m = means[((c + size_t(shift)) % 10) * 784 + p];
        const double se = std::sqrt(std::max(m * (1 - m), 1e-4) / double(per_class));
        worst = std::max(worst, std::abs(ones / double(per_class) - m) / se);
      }
    return worst;
  };
  EXPECT_LT(worst_z(0), 5.0);
  EXPECT_GT(worst_z(1), 5.0);

  EXPECT_EQ(load_generator(dir)->sample(20, 3), std::vector<float>(images.begin(), images.begin() + 20 * 784));
  const NetCost cost = model->sample_cost();
  EXPECT_EQ(cost.flops(), 784);
  EXPECT_EQ(cost.params(), 7840);
  fs::remove_all(dir);
}

// EM on 4,000 images drawn from a known mixture of two 16-pixel Bernoulli images (weights 0.3 and
// 0.7): the objective never falls, and the fit recovers the weights and means within 5 standard
// errors of their sampling noise (sqrt(p (1 - p) / n)); started from one component it finds the
// overall mean, not the two.
TEST(BaselinesMixture, EmNeverLowersItsObjectiveAndRecoversAKnownMixture) {
  const int pixels = 16;
  const size_t n = 4000;
  const double weight_a = 0.3;
  std::vector<double> mean_a(pixels), mean_b(pixels);
  for (int p = 0; p < pixels; ++p) mean_a[size_t(p)] = p < 8 ? 0.9 : 0.15, mean_b[size_t(p)] = p < 8 ? 0.2 : 0.8;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<float> images;
  for (size_t i = 0; i < n; ++i) {
    const auto& mean = u(rng) < weight_a ? mean_a : mean_b;
    for (int p = 0; p < pixels; ++p) images.push_back(u(rng) < mean[size_t(p)] ? 1.0f : 0.0f);
  }
  const detail::BernoulliMixture fit = detail::fit_bernoulli_mixture(images, n, pixels, 2, 30, 3);
  ASSERT_EQ(fit.objective.size(), 31u);
  for (size_t t = 1; t < fit.objective.size(); ++t) EXPECT_GE(fit.objective[t], fit.objective[t - 1] - 1e-12) << t;
  const size_t a = fit.means[0] > 0.5 ? 0 : 1;  // the component whose first pixel is mostly on
  EXPECT_NEAR(fit.weights[a], weight_a, 5 * std::sqrt(weight_a * (1 - weight_a) / double(n)));
  for (int p = 0; p < pixels; ++p) {
    const double ma = mean_a[size_t(p)], mb = mean_b[size_t(p)];
    EXPECT_NEAR(fit.means[a * pixels + size_t(p)], ma, 5 * std::sqrt(ma * (1 - ma) / (weight_a * double(n)))) << p;
    EXPECT_NEAR(fit.means[(1 - a) * pixels + size_t(p)], mb, 5 * std::sqrt(mb * (1 - mb) / ((1 - weight_a) * double(n))))
        << p;
  }
  const detail::BernoulliMixture one = detail::fit_bernoulli_mixture(images, n, pixels, 1, 2, 3);
  EXPECT_NEAR(one.means[0], weight_a * 0.9 + (1 - weight_a) * 0.2, 5 * std::sqrt(0.25 / double(n)));
  EXPECT_THROW(detail::fit_bernoulli_mixture(images, 1, pixels, 2, 5, 3), tsu::Error);
}

// The mixture family end to end: fitted per class, written as means.npy and weights.npy, sampled as
// binary images with one component per sample, reloaded to the same samples; its cost counts the
// component's draw and compares.
TEST(BaselinesMixture, FitsWritesReloadsAndIsPriced) {
  const std::string dir = temp_dir("mixture");
  GeneratorConfig config = load_generator_config(generator_config_path("mixture", "tiny"));
  config.train_images = 500;
  config.components = 3;
  config.epochs = 5;
  auto model = make_generator(config);
  model->train(dir);
  EXPECT_EQ(read_npy((fs::path(dir) / "means.npy").string()).shape, (std::vector<size_t>{30, 28, 28}));
  const NpyArray weights = read_npy((fs::path(dir) / "weights.npy").string());
  ASSERT_EQ(weights.shape, (std::vector<size_t>{10, 3}));
  std::vector<float> w(weights.elements());
  std::memcpy(w.data(), weights.bytes.data(), weights.bytes.size());
  for (int c = 0; c < 10; ++c) EXPECT_NEAR(w[size_t(c) * 3] + w[size_t(c) * 3 + 1] + w[size_t(c) * 3 + 2], 1.0, 1e-5);
  const std::vector<float> images = model->sample(40, 3);
  EXPECT_TRUE(all_binary(images));
  EXPECT_EQ(load_generator(dir)->sample(40, 3), images);
  const NetCost cost = model->sample_cost();
  EXPECT_EQ(cost.flops(), 784 + 3);
  EXPECT_EQ(model->params(), 30 * 785);
  GeneratorConfig other = config;
  other.components = 4;
  EXPECT_NE(error_of([&] { make_generator(other)->train(dir); }).find("another configuration"), std::string::npos);
  config.train_images = 20;  // two images of some class, fewer than its 3 components
  EXPECT_NE(error_of([&] { make_generator(config)->train(temp_dir("mixture_small")); }).find("fewer than the 3 components"),
            std::string::npos);
  fs::remove_all(dir);
}

TEST(BaselinesGeneratorCheckpoint, ResumedRunEqualsUninterruptedRun) {
  const std::string resumed = temp_dir("resumed"), straight = temp_dir("straight");
  make_generator(small_config("gan", 1))->train(resumed);  // as if killed after epoch 1 of 2
  // A folder whose config asks for 2 epochs but whose checkpoint holds 1 is unfinished.
  write_file_atomic((fs::path(resumed) / "config.json").string(), to_json(small_config("gan", 2)).dump());
  EXPECT_EQ(error_of([&] { load_generator(resumed); }),
            generator_checkpoint_path(resumed) +
                ": holds 1 of the 2 epochs of its config: the training is unfinished (train on the folder again to "
                "resume it)");
  const auto continued = make_generator(small_config("gan", 2));
  continued->train(resumed);
  EXPECT_EQ(continued->epochs_done(), 2);
  const auto whole = make_generator(small_config("gan", 2));
  whole->train(straight);
  EXPECT_EQ(load_generator(resumed)->sample(4, 3), whole->sample(4, 3));
  const auto log = lines_of((fs::path(resumed) / "log.jsonl").string());
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(log[1])["epoch"], 2);
  // Another configuration may not continue the folder.
  GeneratorConfig wider = small_config("gan", 3);
  wider.width = 16;
  EXPECT_EQ(error_of([&] { make_generator(wider)->train(resumed); }),
            generator_checkpoint_path(resumed) +
                ": was written by a run with another configuration (first difference at /width); use another output "
                "folder");
  fs::remove_all(resumed);
  fs::remove_all(straight);
}

// The diffusion model samples from its moving average of the weights, whose value and update count
// travel in the checkpoint: a resumed run samples exactly as an uninterrupted one. Without the
// average (decay 0: the average is the trained network) the samples differ.
TEST(BaselinesGeneratorCheckpoint, DiffusionMovingAverageResumes) {
  const std::string resumed = temp_dir("resumed-diffusion"), straight = temp_dir("straight-diffusion"),
                    plain_dir = temp_dir("plain-diffusion");
  make_generator(small_config("diffusion", 1))->train(resumed);
  const auto continued = make_generator(small_config("diffusion", 2));
  continued->train(resumed);
  const auto whole = make_generator(small_config("diffusion", 2));
  whole->train(straight);
  const std::vector<float> samples = whole->sample(8, 3);
  EXPECT_EQ(load_generator(resumed)->sample(8, 3), samples);
  GeneratorConfig plain = small_config("diffusion", 2);
  plain.ema_decay = 0;
  const auto unaveraged = make_generator(plain);
  unaveraged->train(plain_dir);
  EXPECT_NE(unaveraged->sample(8, 3), samples);
  fs::remove_all(resumed);
  fs::remove_all(straight);
  fs::remove_all(plain_dir);
}

TEST(BaselinesGeneratorCheckpoint, MissingCorruptAndIncompleteFilesAreNamed) {
  const std::string dir = temp_dir("broken");
  EXPECT_EQ(error_of([&] { load_generator(dir); }),
            (fs::path(dir) / "config.json").string() + ": missing: " + dir + " holds no generator training run");
  const GeneratorConfig c = small_config("vae");
  write_file_atomic((fs::path(dir) / "config.json").string(), to_json(c).dump());
  const std::string checkpoint = generator_checkpoint_path(dir);
  EXPECT_EQ(error_of([&] { load_generator(dir); }), checkpoint + ": missing: the folder holds no trained model");
  write_file_atomic(checkpoint, "not a checkpoint");
  EXPECT_EQ(error_of([&] { load_generator(dir); }), checkpoint + ": not a tsu-baseline-checkpoint-v1 file");

  fs::remove(checkpoint);
  make_generator(c)->train(dir);
  const std::string whole = read_file(checkpoint);
  write_file_atomic(checkpoint, whole.substr(0, whole.size() / 2));
  EXPECT_EQ(error_of([&] { load_generator(dir); }).rfind(checkpoint + ": corrupt: truncated (", 0), 0u);
  // One flipped byte in the tensor data: torch would load it silently; the checksum does not.
  std::string flipped = whole;
  flipped[flipped.size() / 2] = char(flipped[flipped.size() / 2] ^ 0x10);
  write_file_atomic(checkpoint, flipped);
  EXPECT_EQ(error_of([&] { load_generator(dir); }), checkpoint + ": corrupt: checksum mismatch");
  // A readable checkpoint of another family lacks this model's modules.
  const std::string other = temp_dir("other_family");
  make_generator(small_config("gan"))->train(other);
  write_file_atomic(checkpoint, read_file(generator_checkpoint_path(other)));
  EXPECT_NE(error_of([&] { load_generator(dir); }).find(checkpoint + ": was written by a run with another configuration"),
            std::string::npos);
  fs::remove_all(dir);
  fs::remove_all(other);
}

}  // namespace
}  // namespace tsu::baselines
