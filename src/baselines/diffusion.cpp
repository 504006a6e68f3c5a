// The diffusion baseline, DDPM-style (Ho, Jain & Abbeel 2020): a linear beta schedule from 1e-4
// to 0.02 over 1000 steps, rescaled to `steps` (beta x 1000 / steps, as Nichol & Dhariwal 2021 do
// for shorter schedules); epsilon prediction with the simple MSE loss; a small U-Net with two
// resolution levels (28 and 14) joined by skips, residual blocks with group normalisation and SiLU,
// and a sinusoidal time embedding followed by an MLP. Images are mapped to [-1, 1].
// Generation: deterministic DDIM (Song, Meng & Ermon 2021, eta = 0) over `sampling_steps` steps
// with "trailing" spacing (Lin et al. 2024), so that the first step starts at t = steps - 1 and
// sampling_steps = steps visits every t; the predicted x0 is clipped to [-1, 1]; the final image
// is thresholded at 0 to binary. DDIM is chosen over respaced ancestral DDPM because it is the
// usual way to sample a DDPM in few steps and it needs no noise after the start. Samples come from an
// exponential moving average of the weights (Ho et al. 2020, appendix B: decay 0.9999), with the
// usual warm-up min(decay, (1 + n) / (10 + n)) after n updates, so short runs are not dominated by
// the initial weights.
#include <cmath>

#include "baselines/generator_torch.hpp"

namespace tsu::baselines::detail {

namespace {

constexpr int64_t kSide = 28;
constexpr int64_t kGroups = 8;  // group normalisation groups (Wu & He 2018 use 32; 8 suits these widths)
constexpr double kBetaStart = 1e-4, kBetaEnd = 0.02, kReferenceSteps = 1000;  // Ho et al. 2020, section 4
constexpr double kMaxPeriod = 10000;  // sinusoidal embedding (Vaswani et al. 2017, section 3.5)

// Cumulative products alpha_bar_t, t = 0..steps-1.
std::vector<double> alpha_bars(int steps) {
  const double scale = kReferenceSteps / steps;
  std::vector<double> out(static_cast<size_t>(steps));
  double product = 1;
  for (int t = 0; t < steps; ++t) {
    const double beta = scale * (kBetaStart + (kBetaEnd - kBetaStart) * t / std::max(steps - 1, 1));
    product *= 1 - beta;
    out[size_t(t)] = product;
  }
  return out;
}

// The timesteps of a `count`-step DDIM generation, increasing: tau_i = (i + 1) steps / count - 1.
std::vector<int> trailing_timesteps(int steps, int count) {
  std::vector<int> out(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) out[size_t(i)] = int((int64_t(i) + 1) * steps / count) - 1;
  return out;
}

torch::Tensor sinusoidal_embedding(const torch::Tensor& t, const torch::Tensor& frequencies, const Trace& trace,
                                   const std::string& name) {
  trace.record(sinusoidal_embedding_cost(trace.name(name), 2 * frequencies.numel(), t.numel()));
  const torch::Tensor phase = t.view({-1, 1}) * frequencies.view({1, -1});
  return torch::cat({torch::sin(phase), torch::cos(phase)}, 1);
}

// a x + b y (a fused element-wise op: 3 FLOPs per element).
torch::Tensor combine(double a, const torch::Tensor& x, double b, const torch::Tensor& y, const Trace& trace,
                      const std::string& name) {
  trace.record(binary_cost(trace.name(name), "axpby", x.numel(), y.numel(), 3));
  return a * x + b * y;
}

torch::Tensor clip_unit(const torch::Tensor& x, const Trace& trace, const std::string& name) {
  trace.record(elementwise_cost(trace.name(name), "clamp", x.numel(), 2));
  return x.clamp(-1, 1);
}

torch::nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1));
}

struct ResBlock : torch::nn::Module {
  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, skip{nullptr};
  torch::nn::Linear time{nullptr};

  ResBlock(int64_t in, int64_t out, int64_t time_dims) {
    norm1 = register_module("norm1", torch::nn::GroupNorm(kGroups, in));
    conv1 = register_module("conv1", conv3x3(in, out));
    time = register_module("time", torch::nn::Linear(time_dims, out));
    norm2 = register_module("norm2", torch::nn::GroupNorm(kGroups, out));
    conv2 = register_module("conv2", conv3x3(out, out));
    if (in != out) skip = register_module("skip", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1)));
  }

  // `time_features`: the SiLU of the time embedding, [B, time_dims].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& time_features, const Trace& t) {
    torch::Tensor h = conv(conv1, silu(groupnorm(norm1, x, t, "norm1"), t, "silu1"), t, "conv1");
    const torch::Tensor shift = linear(time, time_features, t, "time");
    h = add(h, shift.view({shift.size(0), shift.size(1), 1, 1}), t, "add_time");
    h = conv(conv2, silu(groupnorm(norm2, h, t, "norm2"), t, "silu2"), t, "conv2");
    return add(h, skip ? conv(skip, x, t, "skip") : x, t, "add_skip");
  }
};

// Levels: 28 x 28 with `width` channels, 14 x 14 with 2 `width`; a middle block at 14 x 14.
struct UNet : torch::nn::Module {
  torch::Tensor frequencies;  // buffer [width / 2]
  torch::nn::Linear time1{nullptr}, time2{nullptr};
  torch::nn::Conv2d conv_in{nullptr}, downsample{nullptr}, upsample_conv{nullptr}, conv_out{nullptr};
  std::shared_ptr<ResBlock> down1, down2, middle, up2, up1;
  torch::nn::GroupNorm norm_out{nullptr};

  explicit UNet(int64_t width) {
    const int64_t time_dims = 4 * width;  // Ho et al. 2020's time MLP width: 4 x the base channels
    frequencies = register_buffer(
        "frequencies", torch::exp(-std::log(kMaxPeriod) * torch::arange(width / 2, torch::kFloat) / double(width / 2)));
    time1 = register_module("time1", torch::nn::Linear(width, time_dims));
    time2 = register_module("time2", torch::nn::Linear(time_dims, time_dims));
    conv_in = register_module("conv_in", conv3x3(1, width));
    down1 = register_module("down1", std::make_shared<ResBlock>(width, width, time_dims));
    downsample = register_module("downsample", conv3x3(width, width, 2));
    down2 = register_module("down2", std::make_shared<ResBlock>(width, 2 * width, time_dims));
    middle = register_module("middle", std::make_shared<ResBlock>(2 * width, 2 * width, time_dims));
    up2 = register_module("up2", std::make_shared<ResBlock>(4 * width, 2 * width, time_dims));
    upsample_conv = register_module("upsample_conv", conv3x3(2 * width, width));
    up1 = register_module("up1", std::make_shared<ResBlock>(2 * width, width, time_dims));
    norm_out = register_module("norm_out", torch::nn::GroupNorm(kGroups, width));
    conv_out = register_module("conv_out", conv3x3(width, 1));
  }

  // Predicted noise for x [B, 1, 28, 28] at timesteps t [B] (floats).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const Trace& tr) {
    torch::Tensor time = sinusoidal_embedding(t, frequencies, tr, "time_embedding");
    time = silu(linear(time2, silu(linear(time1, time, tr, "time1"), tr, "time_silu1"), tr, "time2"), tr, "time_silu2");
    const torch::Tensor skip1 = down1->forward(conv(conv_in, x, tr, "conv_in"), time, tr / "down1");
    const torch::Tensor skip2 = down2->forward(conv(downsample, skip1, tr, "downsample"), time, tr / "down2");
    torch::Tensor h = middle->forward(skip2, time, tr / "middle");
    h = up2->forward(concat_channels(h, skip2, tr, "concat2"), time, tr / "up2");
    h = conv(upsample_conv, upsample_nearest2(h, tr, "upsample"), tr, "upsample_conv");
    h = up1->forward(concat_channels(h, skip1, tr, "concat1"), time, tr / "up1");
    return conv(conv_out, silu(groupnorm(norm_out, h, tr, "norm_out"), tr, "silu_out"), tr, "conv_out");
  }
};

// The averaged copy of a network, with its update count (a buffer, so that checkpoints keep it).
struct MovingAverage : torch::nn::Module {
  std::shared_ptr<UNet> net;
  torch::Tensor updates;

  explicit MovingAverage(const UNet& source, int64_t width)
      : net(register_module("net", std::make_shared<UNet>(width))),
        updates(register_buffer("updates", torch::zeros({1}, torch::kLong))) {
    torch::NoGradGuard no_grad;
    const std::vector<torch::Tensor> from = source.parameters(), to = net->parameters();
    for (size_t i = 0; i < to.size(); ++i) to[i].copy_(from[i]);
  }

  void update(const UNet& source, double decay) {
    torch::NoGradGuard no_grad;
    const double n = double(updates.item<int64_t>());
    const double d = std::min(decay, (1 + n) / (10 + n));
    const std::vector<torch::Tensor> from = source.parameters(), to = net->parameters();
    for (size_t i = 0; i < to.size(); ++i) to[i].mul_(d).add_(from[i], 1 - d);
    updates += 1;
  }
};

class Diffusion : public TorchGenerator {
 public:
  explicit Diffusion(const GeneratorConfig& config)
      : TorchGenerator(config),
        unet_(std::make_shared<UNet>(config.width)),
        average_(std::make_shared<MovingAverage>(*unet_, config.width)),
        adam_(unet_->parameters(), torch::optim::AdamOptions(config.learning_rate)),
        alpha_bars_(alpha_bars(config.steps)),
        alpha_bar_table_(torch::tensor(std::vector<float>(alpha_bars_.begin(), alpha_bars_.end()))) {}

 protected:
  // The sampling network (first) is the average; the trained one follows it.
  Named modules() const override { return {{"unet_average", average_}, {"unet", unet_}}; }
  std::vector<std::pair<std::string, torch::optim::Optimizer*>> optimizers() override { return {{"adam", &adam_}}; }
  std::vector<std::string> loss_names() const override { return {"loss"}; }

  // Ho et al.'s L_simple: t uniform, x_t = sqrt(ab_t) x0 + sqrt(1 - ab_t) eps, MSE of predicted eps.
  std::vector<double> train_batch(const torch::Tensor& images, torch::Generator& gen) override {
    const int64_t n = images.size(0);
    const torch::Tensor t = torch::randint(config().steps, {n}, gen, torch::kLong);
    const torch::Tensor noise = torch::randn(images.sizes(), gen);
    const torch::Tensor ab = alpha_bar_table_.index_select(0, t).view({n, 1, 1, 1});
    const torch::Tensor noisy = ab.sqrt() * (images * 2 - 1) + (1 - ab).sqrt() * noise;
    const torch::Tensor loss = torch::mse_loss(unet_->forward(noisy, t.to(torch::kFloat), Trace{}), noise);
    adam_.zero_grad();
    loss.backward();
    adam_.step();
    average_->update(*unet_, config().ema_decay);
    return {loss.item<double>()};
  }

  // DDIM (eta = 0) from tau_last down to tau_0, then to t = -1 (alpha_bar = 1). Every step runs
  // the same layers at the same shapes, so the first step's trace, counted sampling_steps times,
  // is the exact cost of all of them.
  torch::Tensor generate(int64_t count, torch::Generator& gen, const Trace& trace) const override {
    const int samples = config().sampling_steps > 0 ? config().sampling_steps : config().steps;
    const std::vector<int> taus = trailing_timesteps(config().steps, samples);
    torch::Tensor x = randn({count, 1, kSide, kSide}, gen, trace, "x_T");
    NetCost step_cost;
    for (int i = samples - 1; i >= 0; --i) {
      const Trace step = trace.on() && i == samples - 1 ? Trace(&step_cost, "step") : Trace{};
      const double ab = alpha_bars_[size_t(taus[size_t(i)])];
      const double ab_prev = i > 0 ? alpha_bars_[size_t(taus[size_t(i - 1)])] : 1.0;
      const torch::Tensor eps =
          average_->net->forward(x, torch::full({count}, float(taus[size_t(i)])), step / "unet");
      // Scalar coefficients are computed on the host once per step: not counted.
      const torch::Tensor x0 = clip_unit(combine(1 / std::sqrt(ab), x, -std::sqrt((1 - ab) / ab), eps, step, "x0"),
                                         step, "clip_x0");
      x = combine(std::sqrt(ab_prev), x0, std::sqrt(1 - ab_prev), eps, step, "x_prev");
    }
    trace.add(step_cost, samples);
    return threshold_at_zero(x, trace, "threshold");
  }

 private:
  std::shared_ptr<UNet> unet_;
  std::shared_ptr<MovingAverage> average_;
  torch::optim::Adam adam_;
  std::vector<double> alpha_bars_;
  torch::Tensor alpha_bar_table_;
};

}  // namespace

std::unique_ptr<TorchGenerator> make_diffusion(const GeneratorConfig& config) {
  return std::make_unique<Diffusion>(config);
}

}  // namespace tsu::baselines::detail
