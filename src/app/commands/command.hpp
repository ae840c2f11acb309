// The `meterdesk` subcommands. Each file adds its commands to the command line with their
// options, and the code that runs when the line chose one; main() only parses and runs it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/config.hpp"
#include "service/clock.hpp"
#include "service/submission.hpp"
#include "store/store.hpp"

namespace md::app {

// The options every command that opens the database takes.
struct Common {
  std::string db = "meterdesk.db";
  std::string now;
  std::string config;
};
void add_common(CLI::App* cmd, Common& c);

// What a command works with: the configuration, the business clock, the store (migrated unless
// asked not to) and the submission rules.
struct Context {
  Config config;
  service::Clock clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<service::Submissions> submissions;
};
// `bulk`: for an import, which has the SQLite database to itself when no server has it open.
Context open(const Common& c, bool migrate = true, bool bulk = false);
Config load(const Common& c);  // the configuration alone, for commands without a database

std::string read_file(const std::string& path);

struct Command {
  CLI::App* cli;             // chosen when *cli is true after parsing
  std::function<int()> run;  // its exit code; throws for a clear one-line error
};
using Commands = std::vector<Command>;

void add_serve(CLI::App& app, Common& common, Commands& out);
// migrate, import-accounts, import-readings, demo-data, backup, restore
void add_data_commands(CLI::App& app, Common& common, Commands& out);
// close-period, export, exchange-meter
void add_period_commands(CLI::App& app, Common& common, Commands& out);
// token create/list/revoke, user add
void add_access_commands(CLI::App& app, Common& common, Commands& out);
// backtest, config, prompts
void add_tool_commands(CLI::App& app, Common& common, Commands& out);

}  // namespace md::app
