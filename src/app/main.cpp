// The `meterdesk` command line: each subcommand lives in src/app/commands/; this parses the line
// and runs the one chosen, turning any error into one line on standard error and exit code 1.
#include <cstdio>

#include "app/commands/command.hpp"

int main(int argc, char** argv) {
  using namespace md::app;
  CLI::App app{"meterdesk: meter readings for an electricity distribution system operator"};
  app.set_version_flag("--version", std::string("meterdesk ") + METERDESK_VERSION);
  app.require_subcommand(1);
  Common common;
  Commands commands;
  add_serve(app, common, commands);
  add_data_commands(app, common, commands);
  add_period_commands(app, common, commands);
  add_access_commands(app, common, commands);
  add_tool_commands(app, common, commands);
  CLI11_PARSE(app, argc, argv);
  try {
    for (const auto& c : commands)
      if (*c.cli) return c.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "meterdesk: %s\n", e.what());
    return 1;
  }
  return 0;
}
