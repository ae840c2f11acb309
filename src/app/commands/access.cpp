// Who may reach the service besides customers: API tokens (suppliers, integrations) and the
// operators' console's staff users.
#include <cstdio>
#include <iostream>

#include "app/commands/command.hpp"
#include "service/handover.hpp"
#include "service/people.hpp"

namespace md::app {

namespace {

// A change to a staff user: what was done, or why not, on standard error; the exit code.
int report(service::StaffChange r, const std::string& done) {
  using C = service::StaffChange;
  const char* why = r == C::no_such_person ? "no staff user has that login"
                    : r == C::no_reason    ? "a reason is required"
                    : r == C::last_admin   ? "that is the last admin who can sign in"
                    : r == C::unknown_role ? "the role must be operator, supervisor or admin"
                                           : nullptr;
  std::fprintf(stderr, "%s\n", why ? why : done.c_str());
  return why ? 1 : 0;
}

void add_token_commands(CLI::App& app, Common& common, Commands& out) {
  auto* token = app.add_subcommand("token", "API tokens");
  token->require_subcommand(1);

  auto* create = token->add_subcommand("create", "create a token (shown once)");
  add_common(create, common);
  struct Token {
    std::string role, name;
    std::int64_t id = 0;
  };
  auto t = std::make_shared<Token>();
  create->add_option("--role", t->role, "supplier, operator, supervisor or admin")
      ->required()
      ->check(CLI::IsMember({"supplier", "operator", "supervisor", "admin"}));
  create->add_option("--name", t->name, "who holds it, e.g. the supplier's name")->required();
  out.push_back({create, [&common, t] {
                   Context ctx = open(common);
                   std::string secret =
                       service::create_token(*ctx.store, t->role, t->name, ctx.clock.now());
                   std::printf("%s\n", secret.c_str());
                   std::fprintf(stderr, "a %s token for %s; it is shown only now\n",
                                t->role.c_str(), t->name.c_str());
                   return 0;
                 }});

  auto* list = token->add_subcommand("list", "list tokens (never the secrets)");
  add_common(list, common);
  out.push_back({list, [&common] {
                   Context ctx = open(common);
                   for (const auto& row : ctx.store->tokens())
                     std::printf("%lld\t%s\t%s\t%s\n", static_cast<long long>(row.id),
                                 row.role.c_str(), row.name.c_str(),
                                 row.revoked ? "revoked" : "active");
                   return 0;
                 }});

  auto* revoke = token->add_subcommand("revoke", "revoke a token at once");
  add_common(revoke, common);
  revoke->add_option("ID", t->id, "the id shown by token list")->required();
  out.push_back({revoke, [&common, t] {
                   Context ctx = open(common);
                   if (!service::revoke_token(*ctx.store, t->id, "admin:cli", ctx.clock.now()))
                     throw std::runtime_error("no active token " + std::to_string(t->id));
                   std::fprintf(stderr, "token %lld revoked\n", static_cast<long long>(t->id));
                   return 0;
                 }});
}

void add_user_commands(CLI::App* user, Common& common, Commands& out) {
  auto* add = user->add_subcommand(
      "add", "add a staff user; the password is read from standard input (one line)");
  add_common(add, common);
  struct User {
    std::string login, role;
  };
  auto u = std::make_shared<User>();
  add->add_option("--login", u->login, "the login, e.g. ivanenko")->required();
  add->add_option("--role", u->role, "operator, supervisor or admin")
      ->required()
      ->check(CLI::IsMember({"operator", "supervisor", "admin"}));
  out.push_back({add, [&common, u] {
                   Context ctx = open(common);
                   std::string password;
                   std::getline(std::cin, password);
                   if (!password.empty() && password.back() == '\r') password.pop_back();
                   service::add_staff_user(*ctx.store, u->login, u->role, password,
                                           ctx.clock.now());
                   std::fprintf(stderr, "added %s as %s\n", u->login.c_str(), u->role.c_str());
                   return 0;
                 }});

  // Staff who leave are disabled, not deleted: the audit goes on naming them.
  for (bool enable : {false, true}) {
    auto* cmd = user->add_subcommand(
        enable ? "enable" : "disable",
        enable ? "let a disabled staff user sign in again"
               : "stop a staff user who has left: their sessions end, no sign-in, no reset code");
    add_common(cmd, common);
    auto who = std::make_shared<std::pair<std::string, std::string>>();
    cmd->add_option("--login", who->first, "the staff login")->required();
    cmd->add_option("--reason", who->second, "why, for the audit")->required();
    out.push_back({cmd, [&common, who, enable] {
                     Context ctx = open(common);
                     return report(
                         service::set_staff_enabled(*ctx.store, who->first, enable, "admin:cli",
                                                    "cli", who->second, ctx.clock.now()),
                         who->first + (enable ? " enabled" : " disabled"));
                   }});
  }

  auto* role = user->add_subcommand(
      "role", "give a staff user another role; it applies from their next request");
  add_common(role, common);
  struct Role {
    std::string login, role, reason;
  };
  auto ro = std::make_shared<Role>();
  role->add_option("--login", ro->login, "the staff login")->required();
  role->add_option("--role", ro->role, "operator, supervisor or admin")
      ->required()
      ->check(CLI::IsMember({"operator", "supervisor", "admin"}));
  role->add_option("--reason", ro->reason, "why, for the audit")->required();
  out.push_back({role, [&common, ro] {
                   Context ctx = open(common);
                   return report(
                       service::set_staff_role(*ctx.store, ro->login, ro->role, "admin:cli", "cli",
                                               ro->reason, ctx.clock.now()),
                       ro->login + " is now " + ro->role);
                 }});
}

void add_reset_command(CLI::App* user, Common& common, Commands& out) {
  auto* reset = user->add_subcommand(
      "reset-code",
      "a one-time password reset code for a person (staff login, or a customer's account number)"
      ", valid 24 hours; printed once, the person enters it at /operator/reset or /account/reset");
  add_common(reset, common);
  struct Reset {
    std::string login, reason;
  };
  auto r = std::make_shared<Reset>();
  reset->add_option("--login", r->login, "whose password")->required();
  reset->add_option("--reason", r->reason, "why, for the audit (how the person was identified)")
      ->required();
  out.push_back({reset, [&common, r] {
                   Context ctx = open(common);
                   using S = service::ResetCode::Status;
                   auto code = service::issue_password_reset(
                       *ctx.store, r->login, service::Side::either, "admin:cli", "cli", r->reason,
                       std::chrono::hours(24), ctx.clock.now());
                   if (code.status != S::issued) {
                     std::fprintf(stderr, "%s\n",
                                  code.status == S::no_reason ? "a reason is required"
                                  : code.status == S::disabled
                                      ? "that person is disabled: enable them first"
                                      : "no one signs in with that login");
                     return 1;
                   }
                   std::printf("%s\n", code.code.c_str());
                   std::fprintf(stderr, "a reset code for %s, valid until %s\n", r->login.c_str(),
                                domain::format_kyiv(code.expires_at).c_str());
                   return 0;
                 }});
}

}  // namespace

void add_access_commands(CLI::App& app, Common& common, Commands& out) {
  add_token_commands(app, common, out);
  auto* user = app.add_subcommand("user", "staff users of the operators' console");
  user->require_subcommand(1);
  add_user_commands(user, common, out);
  add_reset_command(user, common, out);
}

}  // namespace md::app
