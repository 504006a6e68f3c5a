#include "suggest.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <numeric>
#include <vector>

namespace tsu::cli {

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t replaced = diagonal + (a[i - 1] != b[j - 1]);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, replaced});
    }
  }
  return row[b.size()];
}

std::string nearest(const std::string& word, const std::vector<std::string>& names) {
  std::string best;
  size_t best_distance = 3;  // more than two edits away is no suggestion
  for (const auto& name : names) {
    const size_t d = name.starts_with(word) ? 1 : edit_distance(word, name);
    if (d < best_distance) best = name, best_distance = d;
  }
  return best;
}

const CLI::App* subcommand_named(const CLI::App& app, const std::string& word) {
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    if (sub->get_name() == word) return sub;
  return nullptr;
}

std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  return names;
}

std::vector<std::string> long_options(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options())
    for (const auto& name : option->get_lnames()) names.push_back("--" + name);
  return names;
}

}  // namespace

std::string did_you_mean(const CLI::App& app, int argc, const char* const* argv) {
  const CLI::App* command = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.starts_with("--")) {
      const std::string name = word.substr(0, word.find('='));
      const auto options = long_options(*command);
      if (std::find(options.begin(), options.end(), name) != options.end()) continue;
      const std::string near = nearest(name, options);
      return near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near);
    }
    if (word.starts_with("-")) continue;
    if (const CLI::App* sub = subcommand_named(*command, word)) {
      command = sub;
      continue;
    }
    const auto names = subcommand_names(*command);
    if (names.empty()) continue;  // a positional argument
    const std::string near = nearest(word, names);
    return near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near);
  }
  return "";
}

}  // namespace tsu::cli
