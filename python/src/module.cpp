// tsu._tsu: the Python bindings of the C++ API (src/api). Bindings only: conversions between numpy
// and the API's structs, the GIL released while C++ works, Ctrl-C turned into a clean stop, and
// tsu's errors raised as ValueError (bad input), OSError (files) or KeyboardInterrupt.
#include <Python.h>
#include <fmt/format.h>
#include <map>
#include <variant>
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/function.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>

#include "api/bench.hpp"
#include "api/cost.hpp"
#include "api/dtm.hpp"
#include "api/exact.hpp"
#include "api/hw.hpp"
#include "api/logz.hpp"
#include "api/model.hpp"
#include "api/neural.hpp"
#include "api/optimize.hpp"
#include "api/sample.hpp"
#include "api/train.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace {

using tsu::api::ClassifierMetric;
using tsu::api::ExactResult;
using tsu::api::ModelPtr;
using tsu::api::SampleResult;

// A model as Python holds it: shared with every result made from it, never changed.
struct PyModel {
  ModelPtr ptr;
};

template <class T>
using Vector = nb::ndarray<nb::numpy, const T, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using Edges = nb::ndarray<nb::numpy, const int32_t, nb::shape<-1, 2>, nb::c_contig, nb::device::cpu>;
using InitStates = nb::ndarray<nb::numpy, nb::ro, nb::c_contig, nb::device::cpu>;

// A numpy array that owns a copy of `values`, with the given shape.
template <class T>
nb::object owned_array(std::vector<T> values, std::vector<size_t> shape) {
  auto* heap = new std::vector<T>(std::move(values));
  nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::cast(nb::ndarray<nb::numpy, T>(heap->data(), shape.size(), shape.data(), owner));
}

nb::object json_to_python(const nlohmann::json& doc) {
  return nb::module_::import_("json").attr("loads")(doc.dump());
}

std::string python_to_json(nb::handle object) {
  return nb::cast<std::string>(nb::module_::import_("json").attr("dumps")(object));
}

// moments.json's form of the marginals: P(s=+1) for a spin, the K probabilities of a categorical.
nb::list marginals_list(const tsu::Model& model, const std::vector<std::vector<double>>& marginals) {
  nb::list out;
  for (size_t i = 0; i < marginals.size(); ++i) {
    if (model.nodes[i].is_spin())
      out.append(marginals[i][1]);
    else
      out.append(owned_array(marginals[i], {marginals[i].size()}));
  }
  return out;
}

nb::object pairs_array(const std::vector<std::pair<int32_t, int32_t>>& pairs) {
  std::vector<int32_t> flat;
  for (const auto& [a, b] : pairs) flat.insert(flat.end(), {a, b});
  return owned_array(std::move(flat), {pairs.size(), 2});
}

// The recorded samples as a numpy view of the result's own storage (no copy); the view keeps the
// result alive.
nb::object samples_view(nb::pointer_and_handle<SampleResult> self) {
  const auto& s = self.p->samples;
  if (!s) return nb::none();
  void* data = const_cast<char*>(s->bytes.data());
  if (s->dtype == "|i1")
    return nb::cast(nb::ndarray<nb::numpy, int8_t, nb::ndim<3>>(data, 3, s->shape.data(), self.h),
                    nb::rv_policy::reference);
  return nb::cast(nb::ndarray<nb::numpy, int16_t, nb::ndim<3>>(data, 3, s->shape.data(), self.h),
                  nb::rv_policy::reference);
}

// The npy dtype of an integer or bool array; floats and the rest get "" (the API names them).
std::string npy_dtype(const nb::dlpack::dtype& d) {
  if (d == nb::dtype<bool>()) return "|b1";
  if (d == nb::dtype<int8_t>()) return "|i1";
  if (d == nb::dtype<uint8_t>()) return "|u1";
  if (d == nb::dtype<int16_t>()) return "<i2";
  if (d == nb::dtype<uint16_t>()) return "<u2";
  if (d == nb::dtype<int32_t>()) return "<i4";
  if (d == nb::dtype<int64_t>()) return "<i8";
  return "";
}

// An integer or bool array as the API takes it; Error naming `argument` for any other dtype.
tsu::NpyArray integer_array(const InitStates& a, const char* argument) {
  tsu::NpyArray out{npy_dtype(a.dtype()), {}, {}};
  if (out.dtype.empty())
    throw tsu::Error(fmt::format(
        "{}: expected an array of bool, int8, uint8, int16, uint16, int32 or int64, got another dtype", argument));
  for (size_t d = 0; d < a.ndim(); ++d) out.shape.push_back(a.shape(d));
  const auto* bytes = static_cast<const char*>(a.data());
  out.bytes.assign(bytes, bytes + a.nbytes());
  return out;
}

// The progress hook of a long call: checks for Ctrl-C (raising KeyboardInterrupt through the C++
// frames) and forwards its arguments (done, total, ...) to the user's callback, with the GIL held
// for both.
template <class... Args>
std::function<void(Args...)> python_progress(std::optional<nb::callable> callback) {
  return [callback](Args... args) {
    nb::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw nb::python_error();
    if (callback) (*callback)(args...);
  };
}

SampleResult run_sample(const PyModel& model, int chains, int64_t warmup, int64_t samples, int64_t every,
                        std::optional<double> beta, uint64_t seed, int threads,
                        std::optional<tsu::api::Blocks> blocks, std::optional<std::map<int32_t, int>> clamp,
                        bool save_samples, std::optional<tsu::Schedule> schedule, const std::string& backend,
                        const std::string& init, std::optional<InitStates> init_states,
                        std::optional<std::pair<std::string, double>> anneal, std::vector<std::string> autocorr,
                        std::optional<nb::callable> progress, int64_t first_chain, int bits, int tempering,
                        double tempering_lowest, std::vector<double> tempering_ladder, int64_t tempering_every) {
  std::vector<std::pair<int32_t, int>> clamps;
  if (clamp) clamps.assign(clamp->begin(), clamp->end());
  const ModelPtr m = tsu::api::with_overrides(model.ptr, beta, clamps);
  tsu::api::SampleOptions o;
  o.chains = chains;
  o.schedule = schedule ? *schedule : tsu::Schedule{warmup, samples, every};
  o.seed = seed;
  o.threads = threads;
  o.first_chain = first_chain;
  o.backend = backend;
  o.bits = bits;
  o.tempering = tempering;
  o.tempering_lowest = tempering_lowest;
  o.tempering_ladder = std::move(tempering_ladder);
  o.tempering_every = tempering_every;
  o.init = init;
  if (init_states) o.init_states = integer_array(*init_states, "init_states");
  o.blocks = std::move(blocks);
  if (anneal) o.anneal = tsu::api::Anneal{anneal->first, anneal->second};
  o.autocorr = std::move(autocorr);
  o.save_samples = save_samples;
  o.progress = python_progress<int64_t, int64_t>(std::move(progress));
  SampleResult result = [&] {
    nb::gil_scoped_release released;
    return tsu::api::sample(m, o);
  }();
  // As RuntimeWarning, so that a filter turning warnings into errors stops the caller.
  for (const auto& warning : result.warnings())
    if (PyErr_WarnEx(PyExc_RuntimeWarning, warning.c_str(), 1) != 0) throw nb::python_error();
  return result;
}

tsu::api::TrainResult run_train(const PyModel& model, std::variant<InitStates, std::string> data,
                                const std::string& out, const std::string& method, int k, int positive_sweeps,
                                int chains, int batch, int epochs, const std::string& optimizer, double lr,
                                double lr_floor, double weight_decay, uint64_t seed, int threads,
                                const std::string& backend, int stop_after, std::optional<nb::callable> progress) {
  const auto* path = std::get_if<std::string>(&data);
  const tsu::NpyArray rows = [&] {
    if (!path) return integer_array(std::get<InitStates>(data), "data");
    nb::gil_scoped_release released;  // Fashion-MNIST takes a second to read
    return tsu::api::load_rows(*path);
  }();
  const tsu::ml::FitData fit_data = tsu::api::fit_data(rows, path ? *path : "data", *model.ptr);
  tsu::api::TrainOptions o;
  tsu::ml::FitConfig& c = o.fit;
  c.method = tsu::ml::parse_fit_method(method);
  c.k = k;
  c.positive_sweeps = positive_sweeps;
  c.chains = chains;
  c.batch = batch;
  c.epochs = epochs;
  c.optimizer = optimizer;
  c.learning_rate = lr;
  c.lr_floor = lr_floor;
  c.adam.weight_decay = weight_decay;
  c.seed = seed;
  c.threads = threads;
  c.backend = backend;
  o.out = out;
  o.stop_after = stop_after;
  o.progress = python_progress<int, int64_t, int64_t>(std::move(progress));
  nb::gil_scoped_release released;
  return tsu::api::train(model.ptr, fit_data, o);
}

// The JSON result of a call that runs with the GIL released.
template <class Call>
nb::object released_json(Call call) {
  nlohmann::json report;
  {
    nb::gil_scoped_release released;
    report = call();
  }
  return json_to_python(report);
}

void translate_errors(const std::exception_ptr& p, void*) {
  try {
    std::rethrow_exception(p);
  } catch (const tsu::IoError& e) {
    PyErr_SetString(PyExc_OSError, e.what());
  } catch (const tsu::Error& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const tsu::Interrupted& e) {
    PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
  }
}

void bind_model(nb::module_& m) {
  nb::class_<PyModel>(m, "Model", "A discrete energy-based model (tsu-model-v1): spins and categoricals joined by factors.")
      .def_static(
          "from_json", [](const std::string& text, const std::string& source) { return PyModel{tsu::api::from_json(text, source)}; },
          "text"_a, "source_name"_a = "model", "A model from a tsu-model-v1 JSON text.")
      .def_static(
          "from_dict", [](nb::handle d) { return PyModel{tsu::api::from_json(python_to_json(d), "model")}; }, "d"_a,
          "A model from a dict in the tsu-model-v1 schema.")
      .def("to_json", [](const PyModel& self) { return tsu::api::to_json(*self.ptr); }, "The tsu-model-v1 JSON text.")
      .def("to_dict", [](const PyModel& self) { return json_to_python(nlohmann::json::parse(tsu::api::to_json(*self.ptr))); },
           "The model as a dict in the tsu-model-v1 schema.")
      .def("with_beta", [](const PyModel& self, double beta) { return PyModel{tsu::api::with_overrides(self.ptr, beta)}; },
           "beta"_a, "The same model at another beta.")
      .def(
          "with_clamp",
          [](const PyModel& self, const std::map<int32_t, int>& clamp) {
            return PyModel{tsu::api::with_overrides(self.ptr, std::nullopt, {clamp.begin(), clamp.end()})};
          },
          "clamp"_a, "The same model with these nodes also clamped ({node: value}; spins -1/+1, categoricals 0..K-1).")
      .def_prop_ro("name", [](const PyModel& self) { return self.ptr->name; })
      .def_prop_ro("beta", [](const PyModel& self) { return self.ptr->beta; })
      .def_prop_ro("num_nodes", [](const PyModel& self) { return self.ptr->size(); })
      .def_prop_ro("num_free", [](const PyModel& self) { return self.ptr->free_count(); })
      .def_prop_ro(
          "states", [](const PyModel& self) {
            std::vector<int> k;
            for (const auto& n : self.ptr->nodes) k.push_back(n.is_spin() ? 0 : n.states);
            return k;
          },
          "Per node: 0 for a spin, K for a categorical with K states.")
      .def("__len__", [](const PyModel& self) { return self.ptr->size(); })
      .def("__repr__", [](const PyModel& self) {
        return "<tsu.Model '" + self.ptr->name + "': " + std::to_string(self.ptr->size()) + " nodes, " +
               std::to_string(self.ptr->free_count()) + " free, beta " + std::to_string(self.ptr->beta) + ">";
      });

  m.def(
      "load",
      [](const std::string& source, double j_sigma, double h_sigma, uint64_t model_seed, std::optional<double> beta) {
        return PyModel{tsu::api::load(tsu::api::ModelSource{source, j_sigma, h_sigma, model_seed, beta})};
      },
      "path_or_spec"_a, "j_sigma"_a = 1.0, "h_sigma"_a = 0.0, "model_seed"_a = 0, "beta"_a = nb::none(),
      "A model file (tsu-model-v1 JSON or Ising edge list) or a topology spec (grid:L:RULE, rr:N:DEGREE).");
  m.def(
      "quantize",
      [](const PyModel& model, int bits) {
        const tsu::api::Quantized q = tsu::api::quantize(model.ptr, bits);
        return nb::make_tuple(PyModel{q.model}, q.scale, q.max_error);
      },
      "model"_a, "bits"_a,
      "(model, step, largest rounding error): every weight on a signed B-bit grid (2 <= bits <= 16) with one step "
      "per model, as tsu.sample(bits=B) samples it and `tsu quantize` writes it.");
  m.def(
      "_ising",
      [](const Vector<double>& h, const Edges& edges, const Vector<double>& weights, double beta, const std::string& name) {
        std::vector<std::pair<int32_t, int32_t>> e(edges.shape(0));
        for (size_t k = 0; k < e.size(); ++k) e[k] = {edges(k, 0), edges(k, 1)};
        return PyModel{tsu::api::ising({h.data(), h.size()}, e, {weights.data(), weights.size()}, beta, name)};
      },
      "h"_a, "edges"_a, "weights"_a, "beta"_a, "name"_a);
  m.def(
      "color", [](const PyModel& model) { return tsu::api::layout_for(*model.ptr, std::nullopt, model.ptr->name).blocks; },
      "model"_a, "The blocks a run uses by default: the model's own, else a DSATUR colouring of its free nodes.");
}

void bind_results(nb::module_& m) {
  nb::class_<tsu::Schedule>(m, "SamplingSchedule",
                            "THRML's schedule: n_warmup sweeps, an observation, then (n_samples - 1) times "
                            "steps_per_sample sweeps and an observation.")
      .def(nb::init<int64_t, int64_t, int64_t>(), "n_warmup"_a, "n_samples"_a, "steps_per_sample"_a)
      .def_rw("n_warmup", &tsu::Schedule::warmup)
      .def_rw("n_samples", &tsu::Schedule::samples)
      .def_rw("steps_per_sample", &tsu::Schedule::every)
      .def_prop_ro("total_sweeps", &tsu::Schedule::total_sweeps);

  nb::class_<SampleResult>(m, "SampleResult", "What a sampling run measured (moments.json).")
      .def_prop_ro("marginals", [](const SampleResult& r) { return marginals_list(*r.model, r.marginals); },
                   "Per node: P(s=+1) for a spin, an array of the K probabilities for a categorical.")
      .def_prop_ro("pairs", [](const SampleResult& r) { return pairs_array(r.pairs); },
                   "int32 [pairs, 2]: the nodes of every two-spin factor, in the model's order.")
      .def_prop_ro("pair_moments", [](const SampleResult& r) { return owned_array(r.pair_moments, {r.pair_moments.size()}); },
                   "E[s_i s_j] for each row of pairs.")
      .def_prop_ro("factor_moments",
                   [](const SampleResult& r) { return owned_array(r.factor_moments, {r.factor_moments.size()}); },
                   "E[phi] for every weight, in the order of the model's flat weights: a pure-spin factor's E[s_1...s_S], "
                   "a categorical table's probabilities, a mixed factor's E[[cats = t] s_1...s_S] "
                   "(to_dict()['factor_moments'] has them per group).")
      .def_ro("energy_mean", &SampleResult::energy_mean)
      .def_ro("energy_std", &SampleResult::energy_std)
      .def_ro("draws", &SampleResult::draws, "chains x observations behind the averages")
      .def_prop_ro("samples", &samples_view,
                   "int8 (int16 when some K > 128) [samples, chains, nodes] when recorded, else None; a view, no copy.")
      .def_prop_ro("run", [](const SampleResult& r) { return json_to_python(r.to_json()["run"]); })
      .def_prop_ro("diagnostics", [](const SampleResult& r) { return json_to_python(r.diagnostics()); },
                   "MCSE, ESS and R-hat of the energy, every marginal and factor moment, and the worst of each "
                   "(moments.json's diagnostics; None where a statistic is constant).")
      .def_prop_ro("warnings", &SampleResult::warnings,
                   "The diagnostics' complaints (R-hat > 1.01, ESS < 400, ...), also issued as RuntimeWarning.")
      .def("to_dict", [](const SampleResult& r) { return json_to_python(r.to_json()); }, "The CLI's moments.json.")
      .def("merge", &SampleResult::merge, "other"_a,
           "Folds in a run over other chains (another seed or process) of the same model and schedule.")
      .def("save", [](const SampleResult& r, const std::string& dir) { return tsu::api::save(r, dir); }, "dir"_a,
           "Writes DIR/moments.json (and DIR/samples.npy when recorded); returns the paths.");

  nb::class_<ExactResult>(m, "ExactResult", "Exact moments and log Z by enumeration.")
      .def_prop_ro("marginals", [](const ExactResult& r) { return marginals_list(*r.model, r.marginals); })
      .def_prop_ro("pairs", [](const ExactResult& r) { return pairs_array(r.pairs); })
      .def_prop_ro("pair_moments", [](const ExactResult& r) { return owned_array(r.pair_moments, {r.pair_moments.size()}); })
      .def_prop_ro("factor_moments",
                   [](const ExactResult& r) { return owned_array(r.factor_moments, {r.factor_moments.size()}); },
                   "E[phi] for every weight, as SampleResult.factor_moments.")
      .def_ro("log_z", &ExactResult::log_z)
      .def_ro("energy_mean", &ExactResult::energy_mean)
      .def("to_dict", [](const ExactResult& r) { return json_to_python(r.to_json()); }, "The CLI's moments.json.")
      .def("save", [](const ExactResult& r, const std::string& dir) { return tsu::api::save(r, dir); }, "dir"_a);
}

void bind_runs(nb::module_& m) {
  m.def("sample", &run_sample, "model"_a, "chains"_a = 64, "warmup"_a = 100, "samples"_a = 1000, "every"_a = 1,
        "beta"_a = nb::none(), "seed"_a = 0, "threads"_a = 0, "blocks"_a = nb::none(), "clamp"_a = nb::none(),
        "save_samples"_a = false, "schedule"_a = nb::none(), "backend"_a = "auto", "init"_a = "uniform",
        "init_states"_a = nb::none(), "anneal"_a = nb::none(), "autocorr"_a = std::vector<std::string>{},
        "progress"_a = nb::none(), "first_chain"_a = 0, "bits"_a = 0, "tempering"_a = 0, "tempering_lowest"_a = 0.1,
        "tempering_ladder"_a = std::vector<double>{}, "tempering_every"_a = 1,
        "Block-Gibbs sampling with many chains. schedule (a SamplingSchedule) replaces warmup/samples/every; "
        "blocks: lists of node indices (default: the model's, else DSATUR); clamp: {node: value}; init: "
        "'uniform', 'hinton' or a .npy path; init_states: [chains, nodes] or [nodes]; anneal: (kind, beta_start) "
        "over the warmup; autocorr: ['energy', 'magnetization']; progress(done, total) after every chunk of sweeps; "
        "first_chain: this run's chains are chains first_chain.. of the seed's (ranges merge exactly); "
        "bits: sample the model quantized to B-bit weights (tsu.quantize), 0 = as given; tempering: K replicas per "
        "chain on a geometric ladder of beta factors from tempering_lowest to 1 (or tempering_ladder), the cold "
        "replicas observed, swap rates in run['tempering']. "
        "The same seed gives the same result at any thread count.");
  nb::class_<tsu::api::TrainResult>(m, "TrainResult", "A fitted model and its learning curve (train.json).")
      .def_prop_ro("model", [](const tsu::api::TrainResult& r) { return PyModel{r.model}; })
      .def_ro("epochs_done", &tsu::api::TrainResult::epochs_done)
      .def_ro("resumed_from", &tsu::api::TrainResult::resumed_from,
              "Epochs the folder's checkpoint held when the call started (0: a fresh run).")
      .def_prop_ro("history", [](const tsu::api::TrainResult& r) { return json_to_python(r.to_json()["history"]); },
                   "Per epoch: learning_rate, gradient_rms, weight_rms, reconstruction, nll (exact; None where "
                   "too large to enumerate), seconds, sweeps.")
      .def("to_dict", [](const tsu::api::TrainResult& r) { return json_to_python(r.to_json()); });
  m.def("train", &run_train, "model"_a, "data"_a, "out"_a = "", "method"_a = "pcd", "k"_a = 1,
        "positive_sweeps"_a = 1, "chains"_a = 100, "batch"_a = 100, "epochs"_a = 10, "optimizer"_a = "adam",
        "lr"_a = 0.01, "lr_floor"_a = 0.0, "weight_decay"_a = 0.0, "seed"_a = 0, "threads"_a = 0,
        "backend"_a = "auto", "stop_after"_a = -1, "progress"_a = nb::none(),
        "Fits the model's weights to data by maximum likelihood: method 'exact' (enumeration), 'cd' (CD-k) or "
        "'pcd' (persistent chains). data: an integer array [rows, visible] (spins -1/+1, or 0/1 unsigned; the "
        "model's nodes after the visible ones are latent), a .npy path or 'fashion-mnist:CLASS[:POOL]'. out: a "
        "folder for model.json, train.json and a checkpoint that a later call resumes from ('' = in memory). "
        "progress(epoch, batches done, batches). The same seed gives the same fit at any thread count.");
  m.def(
      "log_z",
      [](const PyModel& model, int chains, int64_t steps, uint64_t seed, int threads, const std::string& backend,
         const std::string& data, std::optional<nb::callable> progress) {
        tsu::api::LogZOptions o;
        o.ais = {chains, steps, seed, threads, backend};
        o.data = data;
        o.progress = python_progress<int64_t, int64_t>(std::move(progress));
        return released_json([&] { return tsu::api::log_z(model.ptr, o).to_json(); });
      },
      "model"_a, "chains"_a = 1000, "steps"_a = 1000, "seed"_a = 0, "threads"_a = 0, "backend"_a = "auto",
      "data"_a = "", "progress"_a = nb::none(),
      "log Z by annealed importance sampling from beta 0 (a linear ladder of `steps` sweeps) with its standard error, "
      "exact_log_z beside it when the model is small, and with data (a .npy path or 'fashion-mnist[-test]:CLASS') "
      "the rows' mean NLL, latent nodes summed in closed form; the CLI's logz.json.");
  m.def(
      "exact",
      [](const PyModel& model) {
        nb::gil_scoped_release released;
        return tsu::api::exact(model.ptr);
      },
      "model"_a, "Exact marginals, spin-pair moments and log Z by enumeration (at most 2^24 free configurations).");
}

tsu::api::ChipSettings chip_settings(const std::string& device, const std::string& mode, std::vector<std::string> off,
                                     bool ideal, int64_t calibrate, uint64_t calibration_seed) {
  return {device, mode, std::move(off), ideal, calibrate, calibration_seed};
}

void bind_hw(nb::module_& m) {
  m.def(
      "hw_energy",
      [](const std::string& device, std::optional<int> grid, std::optional<std::string> rule, int sweeps, int steps,
         int64_t data_nodes, int colours) {
        const auto r = tsu::api::hw_energy({device, grid, rule, {sweeps, steps, data_nodes}, colours});
        return json_to_python(r.to_json());
      },
      "device"_a = "paper", "grid"_a = nb::none(), "rule"_a = nb::none(), "sweeps"_a = 250, "steps"_a = 1,
      "data_nodes"_a = -1, "colours"_a = 2,
      "Energy, time, power and area per sample on a TSU array (the CLI's tsu hw energy --json).");
  m.def(
      "hw_run",
      [](const PyModel& model, const std::string& device, const std::string& mode, std::vector<std::string> off,
         bool ideal, int64_t calibrate, uint64_t calibration_seed, int chains, int64_t warmup, int64_t samples,
         int64_t every, uint64_t seed, int threads, bool compare) {
        tsu::api::HwRunOptions o;
        o.chip = chip_settings(device, mode, std::move(off), ideal, calibrate, calibration_seed);
        o.chains = chains;
        o.schedule = {warmup, samples, every};
        o.seed = seed;
        o.threads = threads;
        o.compare = compare;
        tsu::api::HwRunResult r;
        {
          nb::gil_scoped_release released;
          r = tsu::api::hw_run(model.ptr, o);
        }
        return json_to_python(r.report);
      },
      "model"_a, "device"_a = "paper", "mode"_a = "clocked", "off"_a = std::vector<std::string>{}, "ideal"_a = false,
      "calibrate"_a = 0, "calibration_seed"_a = 1, "chains"_a = 64, "warmup"_a = 100, "samples"_a = 1000,
      "every"_a = 1, "seed"_a = 0, "threads"_a = 0, "compare"_a = false,
      "A model sampled on the simulated chip: the CLI's hw.json (chip, statistics, energy, run, compare).");
  m.def(
      "hw_calibrate",
      [](const PyModel& model, const std::string& device, const std::string& mode, std::vector<std::string> off,
         bool ideal, int64_t calibrate, uint64_t calibration_seed, int threads) {
        const auto c = chip_settings(device, mode, std::move(off), ideal, calibrate, calibration_seed);
        nlohmann::json report;
        {
          nb::gil_scoped_release released;
          report = tsu::api::hw_calibrate(model.ptr, c, threads);
        }
        return json_to_python(report);
      },
      "model"_a, "device"_a = "paper", "mode"_a = "clocked", "off"_a = std::vector<std::string>{}, "ideal"_a = false,
      "calibrate"_a = 1000, "calibration_seed"_a = 1, "threads"_a = 0,
      "Calibrates every cell of the model's chip: the residual |P_chip - P| before and after.");
}

// The DTM calls' quality metric: a classifier's, or the pixel stand-in (empty) when None.
tsu::ml::Metric metric_of(const ClassifierMetric* metric) { return metric ? metric->metric : tsu::ml::Metric{}; }

void bind_dtm(nb::module_& m) {
  m.def(
      "dtm_train",
      [](const std::string& config, const std::string& out, int epochs, int threads,
         const ClassifierMetric* metric, std::optional<nb::callable> progress) {
        tsu::api::DtmTrainOptions o{config, out, threads, epochs, metric_of(metric), {}, {}};
        o.progress = python_progress<int, double, double>(std::move(progress));
        nb::gil_scoped_release released;
        return tsu::api::dtm_train(o);
      },
      "config"_a, "out"_a, "epochs"_a = -1, "threads"_a = -1, "metric"_a.none() = nb::none(),
      "progress"_a = nb::none(),
      "Trains (or resumes) a DTM into the run folder OUT; returns the epochs done. progress(epoch, done, total). "
      "metric: a classifier_metric() to score the evaluated epochs with (default: the pixel stand-in).");
  m.def(
      "dtm_generate",
      [](const std::string& model, const std::string& out, int n, const std::string& mode, uint64_t seed, int sweeps,
         std::optional<double> beta_start, std::optional<double> beta_end, int threads, int trajectory,
         std::optional<nb::callable> progress) {
        tsu::api::DtmGenerateOptions o;
        o.model = model, o.out = out, o.mode = mode, o.n = n, o.seed = seed, o.sweeps = sweeps;
        o.beta_start = beta_start, o.beta_end = beta_end, o.threads = threads, o.trajectory = trajectory;
        o.progress = python_progress<const std::string&, double, double>(std::move(progress));
        nlohmann::json report;
        {
          nb::gil_scoped_release released;
          report = tsu::api::dtm_generate(o);
        }
        return json_to_python(report);
      },
      "model"_a, "out"_a, "n"_a = 1000, "mode"_a = "both", "seed"_a = 0, "sweeps"_a = 0,
      "beta_start"_a.none() = nb::none(), "beta_end"_a.none() = nb::none(), "threads"_a = 0, "trajectory"_a = 8,
      "progress"_a = nb::none(),
      "Ancestral sampling into OUT (samples-free.npy: uint8 [n, side, side], grids); returns generate.json. "
      "beta_start/beta_end replace the config's annealing ends (None = the config's).");
  m.def(
      "dtm_eval",
      [](const std::string& model, const std::string& samples, int n, uint64_t seed, const ClassifierMetric* metric) {
        return released_json([&] { return tsu::api::dtm_eval({model, samples, n, seed, metric_of(metric)}); });
      },
      "model"_a, "samples"_a = "", "n"_a = 0, "seed"_a = 0, "metric"_a.none() = nb::none(),
      "Quality of a DTM's samples (the pixel-feature Frechet distance); the CLI's tsu dtm eval report.");
}

// The options of `kind`'s tuned defaults, with every argument the caller gave on top.
tsu::api::OptimizeOptions optimize_options(const std::string& kind, std::optional<std::string> method,
                                           std::optional<int> chains, std::optional<int64_t> sweeps,
                                           std::optional<double> beta_start, std::optional<double> beta_end,
                                           std::optional<std::string> schedule, int runs, double time_limit,
                                           std::optional<std::string> target, uint64_t seed, int threads,
                                           const std::string& backend, const std::string& device,
                                           const std::string& best_known, const std::string& solution) {
  tsu::api::OptimizeOptions o = tsu::api::optimize_defaults(kind);
  auto& s = o.solver;
  if (method) o.method = *method;
  if (chains) s.chains = *chains;
  if (sweeps) s.sweeps = *sweeps;
  if (beta_start) s.beta_start = *beta_start;
  if (beta_end) s.beta_end = *beta_end;
  if (schedule) o.schedule = *schedule;
  if (target) o.target = *target;
  s.runs = runs, s.time_limit = time_limit, s.seed = seed, s.threads = threads, s.backend = backend;
  o.device = device, o.best_known = best_known, o.solution = solution;
  s.validate();
  return o;
}

void bind_optimize(nb::module_& m) {
  m.def(
      "optimize",
      [](const std::string& kind, const std::string& file, int colors, std::optional<std::string> method,
         std::optional<int> chains, std::optional<int64_t> sweeps, std::optional<double> beta_start,
         std::optional<double> beta_end, std::optional<std::string> schedule, int runs, double time_limit,
         std::optional<std::string> target, uint64_t seed, int threads, const std::string& backend,
         const std::string& device, const std::string& best_known, const std::string& solution) {
        const auto o = optimize_options(kind, method, chains, sweeps, beta_start, beta_end, schedule, runs, time_limit,
                                        target, seed, threads, backend, device, best_known, solution);
        tsu::api::OptimizeResult r;
        {
          nb::gil_scoped_release released;
          r = tsu::api::optimize(tsu::api::load_problem(kind, file, colors), file, o);
        }
        nb::object report = json_to_python(r.report);
        report["solution"] = owned_array(std::vector<int32_t>(r.solution.begin(), r.solution.end()), {r.solution.size()});
        return report;
      },
      "kind"_a, "file"_a, "colors"_a = 0, "method"_a = nb::none(), "chains"_a = nb::none(), "sweeps"_a = nb::none(),
      "beta_start"_a = nb::none(), "beta_end"_a = nb::none(), "schedule"_a = nb::none(), "runs"_a = 1,
      "time_limit"_a = 10.0, "target"_a = nb::none(), "seed"_a = 0, "threads"_a = 0, "backend"_a = "auto",
      "device"_a = "paper", "best_known"_a = "", "solution"_a = "",
      "Solves a maxcut, color, sat or qubo problem read from FILE on the sampler (None = the kind's tuned default); "
      "returns the CLI's --json report with 'solution' (the best solution's values) added, and writes the solution "
      "file (default out/INSTANCE.sol).");
  m.def(
      "verify_solution",
      [](const std::string& kind, const std::string& file, const std::string& solution, int colors,
         std::optional<std::string> target, const std::string& best_known) {
        auto o = tsu::api::optimize_defaults(kind);
        if (target) o.target = *target;
        o.best_known = best_known;
        return released_json(
            [&] { return tsu::api::verify_solution(tsu::api::load_problem(kind, file, colors), file, solution, o); });
      },
      "kind"_a, "file"_a, "solution"_a, "colors"_a = 0, "target"_a = nb::none(), "best_known"_a = "",
      "Reads a solution file and evaluates it on the problem: {value, target, reached, ...}.");
}

void bind_cost(nb::module_& m) {
  m.def(
      "cost",
      [](const std::string& calculator, const std::string& preset, const std::string& model, const std::string& gpu,
         const std::string& precision, std::vector<std::string> platforms, const std::string& config,
         std::map<std::string, double> inputs) {
        const tsu::api::CostOptions o{calculator, preset, model, gpu, precision, std::move(platforms), config,
                                      std::move(inputs)};
        return json_to_python(tsu::cost::to_json(tsu::api::cost(o)));
      },
      "calculator"_a, "preset"_a = "", "model"_a = "llama-70b", "gpu"_a = "h100", "precision"_a = "fp32",
      "platforms"_a = std::vector<std::string>{}, "config"_a = "", "inputs"_a = std::map<std::string, double>{},
      "An energy and cost calculator (llm, infer, asic, gpu): every input with its source and every output, as the "
      "CLI's tsu cost ... --json. inputs: {'tokens_in': 1000, ...} overrides the preset's values.");
  m.def("cost_presets", [] { return json_to_python(tsu::api::cost_presets()); },
        "Every cost preset with its sources (the CLI's tsu cost list --json).");
}

void bind_studies(nb::module_& m) {
  m.def(
      "bench",
      [](const std::string& graph, std::vector<int> chains, int threads, int64_t sweeps, uint64_t seed,
         bool reference, const std::string& data, int bits) {
        tsu::api::BenchOptions o;
        o.graph = graph, o.chains = std::move(chains), o.threads = threads, o.sweeps = sweeps, o.seed = seed;
        o.skip_reference = !reference, o.data = data, o.bits = bits;
        return released_json([&] { return tsu::api::bench(o); });
      },
      "graph"_a = "", "chains"_a = std::vector<int>{}, "threads"_a = 0, "sweeps"_a = 0, "seed"_a = 1,
      "reference"_a = true, "data"_a = "", "bits"_a = 0,
      "Flips/ns of the fast backend (and of the reference one, in the same run) per graph and chain count; "
      "graph '' = the standard suite (Pegasus P14 and grid:70:G12). bits B > 0 also times the exact kernels of "
      "the model quantized to B bits (quantized_flips_per_ns, quantized_speedup against fast_flips_per_ns).");
  m.def(
      "hw_study",
      [](std::vector<std::string> names, const std::string& out, const std::string& device, const std::string& model,
         int chains, int64_t samples, int instances, int64_t calibration_samples, uint64_t seed, int threads) {
        tsu::api::HwStudyOptions o;
        o.names = std::move(names);
        o.out = out, o.device = device, o.model = model;
        o.study.chains = chains, o.study.schedule.samples = samples, o.study.instances = instances;
        o.study.calibration_samples = calibration_samples, o.study.seed = seed, o.study.threads = threads;
        std::vector<tsu::hw::Table> tables;
        {
          nb::gil_scoped_release released;
          tables = tsu::api::hw_study(o);
        }
        nb::dict result;
        for (size_t k = 0; k < tables.size(); ++k)
          result[nb::str(o.names[k].c_str())] = nb::make_tuple(tables[k].columns, tables[k].rows);
        return result;
      },
      "names"_a, "out"_a, "device"_a = "paper", "model"_a = "", "chains"_a = 256, "samples"_a = 400,
      "instances"_a = 4, "calibration_samples"_a = 1000, "seed"_a = 1, "threads"_a = 0,
      "Chip-vs-exact accuracy as one hardware parameter varies (mismatch, dac, clock, async, calibration, pbit, "
      "transfer); writes NAME.csv and NAME.png to OUT and returns {name: (columns, rows)}.");
  m.def(
      "dtm_study",
      [](std::vector<std::string> configs, const std::string& out, int threads, const std::string& target,
         const ClassifierMetric* metric, std::optional<nb::callable> progress) {
        tsu::api::DtmStudyOptions o{std::move(configs), out, threads, target, metric_of(metric), {}, {}, {}};
        o.progress = python_progress<int, double, double>(std::move(progress));
        return released_json([&] { return tsu::api::dtm_study(o); });
      },
      "configs"_a, "out"_a, "threads"_a = -1, "target"_a = "", "metric"_a.none() = nb::none(),
      "progress"_a = nb::none(),
      "Trains every config into OUT/<name> (resuming), then writes study.csv, study.json and per-epoch plots of their "
      "quality and autocorrelation, and the scaling fits of free and clamped FD against training flips (predicted at "
      "the config TARGET if given) with scaling-{free,clamped}.png and energy-quality.png; returns {metric, runs, "
      "scaling, files}.");
}

// The calls that load libtsu_neural.so (and libtorch) on first use: the classifier metric and compare.
void bind_neural(nb::module_& m) {
  nb::class_<ClassifierMetric>(m, "ClassifierMetric",
                               "The Fashion-MNIST classifier's features as the DTM calls' quality metric (fd_classifier).")
      .def_ro("path", &ClassifierMetric::path, "The classifier's cache file.")
      .def_ro("test_accuracy", &ClassifierMetric::test_accuracy);
  m.def(
      "classifier_metric",
      [](const std::string& scale, const std::string& cache, int threads, std::optional<nb::callable> progress) {
        const auto report = python_progress<const std::string&, double, double>(std::move(progress));
        nb::gil_scoped_release released;
        return tsu::api::classifier_metric(scale, cache, threads, report);
      },
      "scale"_a = "demo", "cache"_a = "", "threads"_a = 0, "progress"_a = nb::none(),
      "The classifier metric of a scale (tiny, demo, full), loaded from CACHE ('' = $TSU_CACHE, else ~/.cache/tsu) "
      "or trained there first (a minute or more). progress(step, done, total).");
  m.def(
      "dtm_coverage",
      [](const std::string& model, const std::string& out, const std::string& classifier, const std::string& cache,
         int samples, std::vector<int> sweeps, std::optional<double> beta_start, std::optional<double> beta_end,
         int mode_chains, int snapshots, int every, uint64_t seed, int threads, std::optional<nb::callable> log,
         std::optional<nb::callable> progress) {
        tsu::api::DtmCoverageOptions o;
        o.model = model, o.out = out, o.classifier = classifier, o.cache = cache, o.samples = samples;
        o.sweeps = std::move(sweeps), o.beta_start = beta_start, o.beta_end = beta_end;
        o.mode_chains = mode_chains, o.snapshots = snapshots, o.every = every, o.seed = seed, o.threads = threads;
        o.log = python_progress<const std::string&>(std::move(log));
        o.progress = python_progress<const std::string&, double, double>(std::move(progress));
        return released_json([&] { return tsu::api::dtm_coverage(o); });
      },
      "model"_a, "out"_a, "classifier"_a = "demo", "cache"_a = "", "samples"_a = 1000, "sweeps"_a = std::vector<int>{},
      "beta_start"_a.none() = nb::none(), "beta_end"_a.none() = nb::none(), "mode_chains"_a = 256,
      "snapshots"_a = 16, "every"_a = 100, "seed"_a = 0, "threads"_a = 0, "log"_a = nb::none(),
      "progress"_a = nb::none(),
      "tsu dtm coverage: where a DTM's samples fall short of the data. Free and label-clamped samples at each "
      "sweeps value (default: the config's) scored by the classifier metric with the per-class split and the class "
      "imbalance, held-out test images as the floor, and the noisiest step's mixing between modes (mode_chains 0 = "
      "none); writes coverage.json, quality-sweeps.png and modes.png to OUT and returns coverage.json.");
  m.def(
      "compare",
      [](const std::string& out, const std::string& scale, const std::string& dtm, std::vector<std::string> families,
         const std::string& cache, const std::string& device, const std::string& gpu, const std::string& precision,
         double batch, int samples, uint64_t seed, int bootstrap, const std::vector<std::string>& extras,
         int threads, std::optional<nb::callable> log, std::optional<nb::callable> progress) {
        tsu::api::CompareOptions o;
        o.out = out, o.scale = scale, o.dtm = dtm, o.families = std::move(families), o.cache = cache;
        o.device = device, o.gpu = gpu, o.precision = precision, o.batch = batch, o.samples = samples;
        o.seed = seed, o.bootstrap = bootstrap, o.threads = threads;
        for (const std::string& spec : extras) o.extras.push_back(tsu::api::parse_extra_model(spec));
        o.log = python_progress<const std::string&>(std::move(log));
        o.progress = python_progress<const std::string&, double, double>(std::move(progress));
        return released_json([&] { return tsu::cost::compare_json(tsu::api::compare(o).run); });
      },
      "out"_a, "scale"_a = "demo", "dtm"_a = "", "families"_a = tsu::api::kBaselineFamilies,
      "cache"_a = "", "device"_a = "paper", "gpu"_a = "h100", "precision"_a = "fp32", "batch"_a = 256.0,
      "samples"_a = 0, "seed"_a = 1, "bootstrap"_a = 200, "extras"_a = std::vector<std::string>{}, "threads"_a = 0, "log"_a = nb::none(),
      "progress"_a = nb::none(),
      "tsu compare: trains (or resumes from OUT) the classifier, a DTM and the neural baselines, scores them with one "
      "metric, prices each on its hardware and writes compare.json, compare.png and report.html to OUT; returns "
      "compare.json. extras: your own models as NAME=SAMPLES.npy:FLOPS:BYTES[:WEIGHT_BYTES] (the CLI's --extra). "
      "log(line) gets one line per step, progress(step, done, total) the long ones.");
}

}  // namespace

NB_MODULE(_tsu, m) {
  m.doc() = "tsu: block-Gibbs sampling of discrete energy-based models (the C++ core)";
  nb::register_exception_translator(&translate_errors);
  bind_model(m);
  bind_results(m);
  bind_runs(m);
  bind_hw(m);
  bind_dtm(m);
  bind_optimize(m);
  bind_cost(m);
  bind_studies(m);
  bind_neural(m);
}
