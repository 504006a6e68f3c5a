// The GAN baseline, DCGAN-style (Radford, Metz & Chintala 2016): a transposed-conv generator with
// batch normalisation and ReLU, tanh output; a conv discriminator with leaky ReLU (slope 0.2) and
// batch normalisation; the non-saturating BCE losses; Adam with betas (0.5, 0.999); weights drawn
// from N(0, 0.02) (batch-norm scales from N(1, 0.02)). The data are mapped to {-1, +1}; a sample is
// the generator's image at z ~ N(0, I) in eval mode (batch norm with its running statistics),
// thresholded at 0 to binary.
#include "baselines/generator_torch.hpp"

namespace tsu::baselines::detail {

namespace {

constexpr int64_t kSide = 28, kBottom = 7;
constexpr double kLeakySlope = 0.2;  // Radford et al. 2016, section 3
constexpr double kInitStd = 0.02;    // Radford et al. 2016, section 4
constexpr double kAdamBeta1 = 0.5, kAdamBeta2 = 0.999;  // Radford et al. 2016, section 4

torch::nn::Conv2dOptions down(int64_t in, int64_t out, bool bias) {
  return torch::nn::Conv2dOptions(in, out, 4).stride(2).padding(1).bias(bias);
}
torch::nn::ConvTranspose2dOptions up(int64_t in, int64_t out, bool bias) {
  return torch::nn::ConvTranspose2dOptions(in, out, 4).stride(2).padding(1).bias(bias);
}

// latent (1 x 1) -> 7 x 7 -> 14 x 14 -> 28 x 28.
struct GanGenerator : torch::nn::Module {
  torch::nn::ConvTranspose2d deconv1{nullptr}, deconv2{nullptr}, deconv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};

  GanGenerator(int64_t width, int64_t latent) {
    // Convolutions followed by batch norm have no bias (its shift replaces it).
    deconv1 = register_module(
        "deconv1", torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(latent, 2 * width, kBottom).bias(false)));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(2 * width));
    deconv2 = register_module("deconv2", torch::nn::ConvTranspose2d(up(2 * width, width, false)));
    bn2 = register_module("bn2", torch::nn::BatchNorm2d(width));
    deconv3 = register_module("deconv3", torch::nn::ConvTranspose2d(up(width, 1, true)));
  }

  // Intensities in [-1, 1], [B, 1, 28, 28].
  torch::Tensor forward(const torch::Tensor& z, const Trace& t) {
    torch::Tensor h = z.view({z.size(0), z.size(1), 1, 1});
    h = relu(batchnorm(bn1, conv_transpose(deconv1, h, t, "deconv1"), t, "bn1"), t, "relu1");
    h = relu(batchnorm(bn2, conv_transpose(deconv2, h, t, "deconv2"), t, "bn2"), t, "relu2");
    return tanh(conv_transpose(deconv3, h, t, "deconv3"), t, "tanh");
  }
};

// 28 x 28 -> 14 x 14 -> 7 x 7 -> one logit.
struct Discriminator : torch::nn::Module {
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn2{nullptr};

  explicit Discriminator(int64_t width) {
    conv1 = register_module("conv1", torch::nn::Conv2d(down(1, width, true)));
    conv2 = register_module("conv2", torch::nn::Conv2d(down(width, 2 * width, false)));
    bn2 = register_module("bn2", torch::nn::BatchNorm2d(2 * width));
    conv3 = register_module("conv3", torch::nn::Conv2d(torch::nn::Conv2dOptions(2 * width, 1, kBottom)));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    const Trace none;
    torch::Tensor h = leaky_relu(conv(conv1, x, none, "conv1"), kLeakySlope, none, "lrelu1");
    h = leaky_relu(batchnorm(bn2, conv(conv2, h, none, "conv2"), none, "bn2"), kLeakySlope, none, "lrelu2");
    return conv(conv3, h, none, "conv3").flatten();
  }
};

void dcgan_init(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& item : module.named_parameters()) {
    const std::string& name = item.key();
    torch::Tensor& p = item.value();
    const bool batchnorm_scale = name.find("bn") != std::string::npos && name.find("weight") != std::string::npos;
    if (name.find("bias") != std::string::npos)
      p.zero_();
    else
      p.normal_(batchnorm_scale ? 1.0 : 0.0, kInitStd);
  }
}

torch::optim::AdamOptions dcgan_adam(double learning_rate) {
  return torch::optim::AdamOptions(learning_rate).betas({kAdamBeta1, kAdamBeta2});
}

class Gan : public TorchGenerator {
 public:
  explicit Gan(const GeneratorConfig& config)
      : TorchGenerator(config),
        generator_(initialised(std::make_shared<GanGenerator>(config.width, config.latent))),
        discriminator_(initialised(std::make_shared<Discriminator>(config.width))),
        g_adam_(generator_->parameters(), dcgan_adam(config.learning_rate)),
        d_adam_(discriminator_->parameters(), dcgan_adam(config.learning_rate)) {}

 protected:
  Named modules() const override { return {{"generator", generator_}, {"discriminator", discriminator_}}; }
  std::vector<std::pair<std::string, torch::optim::Optimizer*>> optimizers() override {
    return {{"generator_adam", &g_adam_}, {"discriminator_adam", &d_adam_}};
  }
  std::vector<std::string> loss_names() const override { return {"loss", "generator_loss"}; }

  // One discriminator step on a real and a fake batch, then one generator step (non-saturating
  // loss: the generator maximises log D(G(z))). "loss" is the discriminator's.
  std::vector<double> train_batch(const torch::Tensor& images, torch::Generator& gen) override {
    const int64_t n = images.size(0);
    const torch::Tensor real = images * 2 - 1, ones = torch::ones({n}), zeros = torch::zeros({n});
    const torch::Tensor fake = generator_->forward(torch::randn({n, config().latent}, gen), Trace{});

    const torch::Tensor d_loss = torch::binary_cross_entropy_with_logits(discriminator_->forward(real), ones) +
                                 torch::binary_cross_entropy_with_logits(discriminator_->forward(fake.detach()), zeros);
    d_adam_.zero_grad();
    d_loss.backward();
    d_adam_.step();

    const torch::Tensor g_loss = torch::binary_cross_entropy_with_logits(discriminator_->forward(fake), ones);
    g_adam_.zero_grad();
    g_loss.backward();
    g_adam_.step();
    return {d_loss.item<double>(), g_loss.item<double>()};
  }

  torch::Tensor generate(int64_t count, torch::Generator& gen, const Trace& trace) const override {
    const torch::Tensor z = randn({count, config().latent}, gen, trace, "z");
    return threshold_at_zero(generator_->forward(z, trace / "generator"), trace, "threshold")
        .view({count, 1, kSide, kSide});
  }

 private:
  template <class M>
  static std::shared_ptr<M> initialised(std::shared_ptr<M> module) {
    dcgan_init(*module);
    return module;
  }

  std::shared_ptr<GanGenerator> generator_;
  std::shared_ptr<Discriminator> discriminator_;
  torch::optim::Adam g_adam_, d_adam_;
};

}  // namespace

std::unique_ptr<TorchGenerator> make_gan(const GeneratorConfig& config) { return std::make_unique<Gan>(config); }

}  // namespace tsu::baselines::detail
