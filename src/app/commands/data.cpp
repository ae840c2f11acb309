// The database's own commands: migrate, the CSV imports, demo data, backup and restore, and the
// audit's hash chains (verify, head, anchor).
#include <chrono>
#include <cstdio>

#include "app/commands/command.hpp"
#include "service/accounts.hpp"
#include "service/audit.hpp"
#include "service/demo_data.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace md::app {
namespace {

int report(const service::ImportReport& r, const char* what) {
  if (r.ok()) {
    std::printf("imported %d %s", r.imported, what);
    if (r.replayed) std::printf(" (%d already imported earlier, skipped)", r.replayed);
    std::printf("\n");
    return 0;
  }
  std::fprintf(stderr, "nothing imported: %zu problem(s)\n", r.problem_count());
  for (const auto& e : r.errors) std::fprintf(stderr, "  %s\n", e.c_str());
  if (r.unlisted) std::fprintf(stderr, "  … and %zu more\n", r.unlisted);
  return 1;
}

// On stderr, at most every two seconds: a DSO moving in a million accounts sees it go.
service::ImportProgress progress_on_stderr() {
  using Clock = std::chrono::steady_clock;
  return [start = Clock::now(), last = Clock::now()](std::size_t at, std::size_t size,
                                                     std::size_t rows) mutable {
    const auto now = Clock::now();
    if (now - last < std::chrono::seconds(2) && at < size) return;
    last = now;
    const double seconds = std::chrono::duration<double>(now - start).count();
    std::fprintf(stderr, "  %zu rows read (%.0f%% of the file) in %.0f s\n", rows,
                 size ? 100.0 * static_cast<double>(at) / static_cast<double>(size) : 100.0,
                 seconds);
  };
}

using Import = service::ImportReport (*)(store::Store&, service::Submissions&, std::string_view,
                                         domain::Instant, const service::ImportProgress&);

void add_import(CLI::App& app, Common& common, Commands& out, const char* name,
                const char* description, const std::string& header, Import import,
                const char* what) {
  auto* cmd = app.add_subcommand(name, description);
  add_common(cmd, common);
  auto file = std::make_shared<std::string>();
  cmd->add_option("FILE", *file, "CSV with the header " + header)->required();
  out.push_back({cmd, [&common, file, import, what] {
                   Context ctx = open(common, /*migrate=*/true, /*bulk=*/true);
                   return report(import(*ctx.store, *ctx.submissions, read_file(*file),
                                        ctx.clock.now(), progress_on_stderr()),
                                 what);
                 }});
}

}  // namespace

void add_data_commands(CLI::App& app, Common& common, Commands& out) {
  auto* migrate = app.add_subcommand("migrate", "apply pending schema migrations");
  add_common(migrate, common);
  out.push_back({migrate, [&common] {
                   Context ctx = open(common, false);
                   int before = ctx.store->schema_version();
                   int after = ctx.store->migrate();
                   std::printf("schema version %d (was %d)\n", after, before);
                   return 0;
                 }});

  add_import(app, common, out, "import-accounts", "import accounts and meters from CSV",
             std::string(service::kAccountsHeader) + "[,area]", &service::import_accounts,
             "accounts");
  add_import(app, common, out, "import-readings", "import readings from CSV",
             std::string(service::kReadingsHeader), &service::import_readings, "readings");

  struct Demo {
    int accounts = 1000;
    std::uint64_t seed = 2026;
    int examples = 6;
  };
  auto demo = std::make_shared<Demo>();
  auto* demo_cmd = app.add_subcommand("demo-data", "create synthetic accounts with history");
  add_common(demo_cmd, common);
  demo_cmd->add_option("--accounts", demo->accounts, "how many accounts")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  demo_cmd->add_option("--seed", demo->seed, "random seed")->capture_default_str();
  demo_cmd->add_option("--examples", demo->examples, "accounts to suggest a reading for")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  out.push_back({demo_cmd, [&common, demo] {
                   Context ctx = open(common);
                   auto s =
                       service::generate_demo_data(*ctx.store, *ctx.submissions, demo->accounts,
                                                   ctx.clock.now(), demo->seed, demo->examples);
                   std::printf("created %d accounts with %d readings\n", s.accounts, s.readings);
                   for (const auto& e : s.examples)
                     std::printf("  account %s  meter %s  (%d zone%s)  try: %s\n",
                                 e.account.c_str(), e.meter_serial.c_str(), e.zones,
                                 e.zones > 1 ? "s" : "", e.next_reading.c_str());
                   return 0;
                 }});

  auto* backup = app.add_subcommand(
      "backup", "copy the database to a new file, consistently, while the service runs");
  add_common(backup, common);
  auto output = std::make_shared<std::string>();
  backup->add_option("--output", *output, "the new file")->required();
  out.push_back({backup, [&common, output] {
                   auto store = store::open_store(common.db);
                   store->backup_to(*output);
                   std::printf("backed up %s to %s (schema %d)\n", common.db.c_str(),
                               output->c_str(), store->schema_version());
                   return 0;
                 }});

  auto* restore = app.add_subcommand(
      "restore", "make a database at --db from a backup (the service must be stopped)");
  add_common(restore, common);
  auto input = std::make_shared<std::string>();
  restore->add_option("FILE", *input, "a file made by meterdesk backup")->required();
  out.push_back({restore, [&common, input] {
                   store::sqlite_restore(*input, common.db);
                   auto store = store::open_store(common.db);
                   int version = store->migrate();  // an older backup is brought up to this one
                   auto c = store->counts();
                   std::printf("restored %s into %s: schema %d, %lld accounts, %lld submissions\n",
                               input->c_str(), common.db.c_str(), version,
                               static_cast<long long>(c.accounts),
                               static_cast<long long>(c.submissions));
                   return 0;
                 }});

  auto* audit = app.add_subcommand("audit", "the audit trail's hash chains");
  audit->require_subcommand(1);
  auto* verify = audit->add_subcommand(
      "verify", "walk the chains; name the first record changed, deleted or inserted");
  add_common(verify, common);
  auto published = std::make_shared<std::string>();
  verify
      ->add_option("--published", *published,
                   "a file of heads given out earlier (`meterdesk audit head`), one a line")
      ->check(CLI::ExistingFile);
  out.push_back(
      {verify, [&common, published] {
         Context ctx = open(common, false);
         auto v = service::verify_audit(
             *ctx.store, published->empty() ? std::vector<store::AuditHead>{}
                                            : service::parse_heads(read_file(*published)));
         if (!v.ok) {
           std::fprintf(stderr, "audit: TAMPERED: %s\n", v.problem.c_str());
           return 1;
         }
         std::printf("audit: intact: %lld chained records in %zu chain(s)",
                     static_cast<long long>(v.records), v.heads.size());
         if (v.unchained)
           std::printf(", %lld from before the chains began", static_cast<long long>(v.unchained));
         std::printf("\n%s", service::format_heads(v.heads).c_str());
         return 0;
       }});
  auto* head = audit->add_subcommand(
      "head", "print each chain's head (keep it elsewhere; `verify --published` holds to it)");
  add_common(head, common);
  out.push_back({head, [&common] {
                   Context ctx = open(common, false);
                   std::printf("%s", service::format_heads(ctx.store->audit_heads()).c_str());
                   return 0;
                 }});
  auto* anchor = audit->add_subcommand(
      "anchor",
      "write every chain's head into one of this node's chains (the server does it daily)");
  add_common(anchor, common);
  out.push_back(
      {anchor, [&common] {
         Context ctx = open(common);
         std::printf(
             "%s",
             service::format_heads(service::anchor_audit(*ctx.store, ctx.clock.now())).c_str());
         return 0;
       }});
}

}  // namespace md::app
