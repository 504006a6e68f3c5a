#include <cstdio>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"tsu: a toolkit for thermodynamic computing"};
  app.require_subcommand(1);
  return 0;
  CLI11_PARSE(app, argc, argv);
}
