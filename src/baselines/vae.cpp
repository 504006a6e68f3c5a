// The VAE baseline (Kingma & Welling 2014): a conv encoder to the mean and log-variance of a
// Gaussian latent, a transposed-conv decoder to Bernoulli logits, trained on the negative ELBO.
// A sample is the decoder's most likely image at z ~ N(0, I): each pixel is 1 where its Bernoulli
// probability exceeds 1/2 (logit > 0). Drawing each pixel independently instead adds salt-and-pepper
// noise that the decoder cannot correlate, which is why the decoder mean is the usual VAE sample.
#include "baselines/generator_torch.hpp"

namespace tsu::baselines::detail {

namespace {

// 28 -> 14 -> 7 with 4x4 kernels, stride 2, padding 1 (the DCGAN geometry).
constexpr int64_t kSide = 28, kBottom = 7;

torch::nn::Conv2dOptions down(int64_t in, int64_t out) { return torch::nn::Conv2dOptions(in, out, 4).stride(2).padding(1); }
torch::nn::ConvTranspose2dOptions up(int64_t in, int64_t out) {
  return torch::nn::ConvTranspose2dOptions(in, out, 4).stride(2).padding(1);
}

struct Encoder : torch::nn::Module {
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear head{nullptr};  // -> [mu, logvar]

  Encoder(int64_t width, int64_t latent) {
    conv1 = register_module("conv1", torch::nn::Conv2d(down(1, width)));
    conv2 = register_module("conv2", torch::nn::Conv2d(down(width, 2 * width)));
    head = register_module("head", torch::nn::Linear(2 * width * kBottom * kBottom, 2 * latent));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    const Trace none;
    torch::Tensor h = relu(conv(conv1, x, none, "conv1"), none, "relu1");
    h = relu(conv(conv2, h, none, "conv2"), none, "relu2");
    return linear(head, h.flatten(1), none, "head");
  }
};

struct Decoder : torch::nn::Module {
  int64_t width;
  torch::nn::Linear fc{nullptr};
  torch::nn::ConvTranspose2d deconv1{nullptr}, deconv2{nullptr};

  Decoder(int64_t width_, int64_t latent) : width(width_) {
    fc = register_module("fc", torch::nn::Linear(latent, 2 * width * kBottom * kBottom));
    deconv1 = register_module("deconv1", torch::nn::ConvTranspose2d(up(2 * width, width)));
    deconv2 = register_module("deconv2", torch::nn::ConvTranspose2d(up(width, 1)));
  }

  // Bernoulli logits [B, 1, 28, 28].
  torch::Tensor forward(const torch::Tensor& z, const Trace& t) {
    torch::Tensor h = relu(linear(fc, z, t, "fc"), t, "relu0").view({-1, 2 * width, kBottom, kBottom});
    h = relu(conv_transpose(deconv1, h, t, "deconv1"), t, "relu1");
    return conv_transpose(deconv2, h, t, "deconv2");
  }
};

class Vae : public TorchGenerator {
 public:
  explicit Vae(const GeneratorConfig& config)
      : TorchGenerator(config),
        decoder_(std::make_shared<Decoder>(config.width, config.latent)),
        encoder_(std::make_shared<Encoder>(config.width, config.latent)),
        adam_(parameters(), torch::optim::AdamOptions(config.learning_rate)) {}

 protected:
  Named modules() const override { return {{"decoder", decoder_}, {"encoder", encoder_}}; }
  std::vector<std::pair<std::string, torch::optim::Optimizer*>> optimizers() override { return {{"adam", &adam_}}; }
  std::vector<std::string> loss_names() const override { return {"loss", "reconstruction", "kl"}; }

  // The negative ELBO per image: Bernoulli reconstruction + KL(q(z|x) || N(0, I)).
  std::vector<double> train_batch(const torch::Tensor& images, torch::Generator& gen) override {
    const auto stats = encoder_->forward(images).chunk(2, 1);
    const torch::Tensor& mu = stats[0];
    const torch::Tensor& logvar = stats[1];
    const torch::Tensor z = mu + torch::exp(0.5 * logvar) * torch::randn(mu.sizes(), gen);
    const torch::Tensor logits = decoder_->forward(z, Trace{});
    const double batch = double(images.size(0));
    const torch::Tensor reconstruction = torch::binary_cross_entropy_with_logits(
                                             logits, images, {}, {}, at::Reduction::Sum) / batch;
    const torch::Tensor kl = -0.5 * torch::sum(1 + logvar - mu.pow(2) - logvar.exp()) / batch;
    const torch::Tensor loss = reconstruction + kl;
    adam_.zero_grad();
    loss.backward();
    adam_.step();
    return {loss.item<double>(), reconstruction.item<double>(), kl.item<double>()};
  }

  torch::Tensor generate(int64_t count, torch::Generator& gen, const Trace& trace) const override {
    const torch::Tensor z = randn({count, config().latent}, gen, trace, "z");
    return threshold_at_zero(decoder_->forward(z, trace / "decoder"), trace, "threshold").view({count, 1, kSide, kSide});
  }

 private:
  std::vector<torch::Tensor> parameters() const {
    auto all = decoder_->parameters();
    for (auto& p : encoder_->parameters()) all.push_back(p);
    return all;
  }

  std::shared_ptr<Decoder> decoder_;
  std::shared_ptr<Encoder> encoder_;
  torch::optim::Adam adam_;
};

}  // namespace

std::unique_ptr<TorchGenerator> make_vae(const GeneratorConfig& config) { return std::make_unique<Vae>(config); }

}  // namespace tsu::baselines::detail
