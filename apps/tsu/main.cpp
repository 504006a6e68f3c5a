// tsu: entry point. Every failure ends in one line on stderr, "tsu: error: <message>", and a status:
// 2 for invalid input (a bad file, field or argument), 1 for a system failure (a file that cannot be
// read or written, out of memory), 130 or 143 when SIGINT or SIGTERM stopped the command.
#include <algorithm>
#include <exception>
#include <new>
#include <fmt/format.h>
#include <string>

#include "commands.hpp"
#include "graph/model.hpp"
#include "interrupt.hpp"
#include "suggest.hpp"

namespace {

int report_error(const std::string& message, int status) {
  std::string line = message;
  std::replace(line.begin(), line.end(), '\n', ' ');
  fmt::print(stderr, "tsu: error: {}\n", line);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tsu: block-Gibbs sampling of discrete energy-based models (thermodynamic computing toolkit)", "tsu"};
  app.footer(
      "Run 'tsu COMMAND --help' for the options of a command. Exit status: 0 ok, 2 invalid input, 1 system failure "
      "(I/O, memory), 130/143 stopped by SIGINT/SIGTERM.");
  app.set_version_flag("--version", "tsu " TSU_VERSION);
  app.require_subcommand(1);
  tsu::cli::add_sample_command(app);
  tsu::cli::add_exact_command(app);
  tsu::cli::add_quantize_command(app);
  tsu::cli::add_train_command(app);
  tsu::cli::add_logz_command(app);
  tsu::cli::add_blocks_command(app);
  tsu::cli::add_bench_command(app);
  tsu::cli::add_cost_command(app);
  tsu::cli::add_hw_command(app);
  tsu::cli::add_dtm_command(app);
  tsu::cli::add_compare_command(app);
  tsu::cli::add_maxcut_command(app);
  tsu::cli::add_color_command(app);
  tsu::cli::add_sat_command(app);
  tsu::cli::add_qubo_command(app);
  tsu::cli::install_interrupt_handlers();
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_error(e.what() + tsu::cli::did_you_mean(app, argc, argv) + " (see --help)", tsu::cli::kExitBadInput);
  } catch (const tsu::Interrupted& e) {
    fmt::print(stderr, "tsu: stopped by {}; every file written is complete (a training run resumes from its last "
               "checkpoint when run again)\n", e.what());
    return tsu::cli::interrupted_exit_status();
  } catch (const tsu::IoError& e) {
    return report_error(e.what(), tsu::cli::kExitSystem);
  } catch (const tsu::Error& e) {
    return report_error(e.what(), tsu::cli::kExitBadInput);
  } catch (const std::bad_alloc&) {
    return report_error("out of memory", tsu::cli::kExitSystem);
  } catch (const std::exception& e) {
    return report_error(e.what(), tsu::cli::kExitSystem);
  }
  return 0;
}
