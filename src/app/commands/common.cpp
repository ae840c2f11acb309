// What the subcommands share: the database, clock and configuration options, and opening them.
#include <fstream>
#include <sstream>

#include "app/commands/command.hpp"

namespace md::app {

void add_common(CLI::App* cmd, Common& c) {
  cmd->add_option("--db", c.db,
                  "database: a SQLite file path, or a postgresql:// URL (env METERDESK_DB)")
      ->envname("METERDESK_DB")
      ->capture_default_str();
  cmd->add_option("--now", c.now,
                  "fix the business clock at this ISO-8601 instant (tests and demos)");
  cmd->add_option("--config", c.config, "TOML configuration file")->check(CLI::ExistingFile);
}

Config load(const Common& c) {
  return load_config(c.config.empty() ? std::nullopt : std::optional(c.config));
}

Context open(const Common& c, bool migrate, bool bulk) {
  Context ctx{load(c), service::Clock{}, nullptr, nullptr};
  if (!c.now.empty()) {
    auto t = domain::parse_instant(c.now);
    if (!t)
      throw std::runtime_error("--now must be an ISO-8601 instant, e.g. 2026-11-30T10:00:00+02:00");
    ctx.clock = service::Clock{*t};
  }
  ctx.store = store::open_store(c.db, ctx.config.ingest_writers, bulk);
  if (migrate) ctx.store->migrate();
  ctx.submissions = std::make_unique<service::Submissions>(service::ServiceConfig{
      ctx.config.rules, ctx.config.account_digits, ctx.config.estimation, ctx.config.prices});
  return ctx;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace md::app
