#include "service/audit.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "store/audit_chain.hpp"

namespace md::service {

namespace {

void record(store::Store& store, const std::string& actor, std::string action, std::string identity,
            std::string asked, domain::Instant now, std::string_view request_id) {
  store::AuditEntry e;
  e.at = now;
  e.actor = actor;
  e.channel = "operator_console";
  e.action = std::move(action);
  e.identity = std::move(identity);
  e.raw_input = std::move(asked);
  e.result = "ok";
  e.request_id = std::string(request_id);
  auto tx = store.begin_write();
  tx->append_audit(e);
  tx->commit();
}

}  // namespace

void record_account_view(store::Store& store, const std::string& actor,
                         const std::string& account_number, domain::Instant now,
                         std::string_view request_id) {
  record(store, actor, "view_account", "account=" + account_number, "", now, request_id);
}

store::AuditPage search_audit(store::Store& store, const AuditSearch& search,
                              const std::string& actor, domain::Instant now,
                              std::string_view request_id) {
  store::AuditQuery q;
  q.who = search.who.substr(0, 64);
  q.action = search.action.substr(0, 64);
  const std::string about = search.about.substr(0, 64);
  if (!about.empty())
    q.identity_prefix =
        (about.find_first_not_of("0123456789") == std::string::npos ? "account=" : "staff=") +
        about;
  q.before_id = std::max<std::int64_t>(0, search.before_id);
  auto page = store.search_audit(q);
  record(store, actor, "view_audit", "audit",
         "who=" + q.who + " action=" + q.action + " about=" + about, now, request_id);
  return page;
}

std::string format_heads(const std::vector<store::AuditHead>& heads) {
  std::string out;
  for (const auto& h : heads) out += h.chain + " " + std::to_string(h.seq) + " " + h.hash + "\n";
  return out;
}

std::vector<store::AuditHead> parse_heads(std::string_view text) {
  std::vector<store::AuditHead> out;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    const auto a = line.find(' '), b = line.rfind(' ');
    if (a == std::string_view::npos || a == b) continue;
    store::AuditHead h{std::string(line.substr(0, a)), 0, std::string(line.substr(b + 1))};
    const std::string seq(line.substr(a + 1, b - a - 1));
    if (seq.empty() || seq.find_first_not_of("0123456789") != std::string::npos || seq.size() > 18)
      continue;
    h.seq = std::stoll(seq);
    out.push_back(std::move(h));
  }
  return out;
}

namespace {

constexpr std::string_view kAnchor = "audit_anchor";

struct Held {
  store::AuditHead head;
  std::int64_t by = 0;  // the anchor's audit id; 0: published outside
  bool found = false;
};

// One chain's walk, record by record in seq order. A record whose hash does not follow waits for
// the next one: if that one follows from the stored hash, only the content was changed.
class ChainWalk {
 public:
  explicit ChainWalk(AuditVerdict& v) : v_(v) {}

  void start(const std::string& chain) { s_ = State{chain, std::string(store::kAuditGenesis)}; }

  void visit(const store::ChainedAuditRow& r) {
    if (!v_.ok) return;
    if (s_.broken) {
      // The next record follows from the broken one's hash: that hash is as written, and the
      // break is between the two records before; else the broken record's hash was changed too.
      fail(store::audit_link(s_.broken->hash, s_.chain, r.seq, r) == r.hash ? breaks(*s_.broken)
                                                                            : changed(*s_.broken),
           s_.broken->id);
      return;
    }
    if (r.seq > s_.next_seq)
      return fail("records " + place(s_.next_seq) + " to " + place(r.seq - 1) +
                      " were deleted (before audit id " + std::to_string(r.id) + ")",
                  r.id);
    if (r.seq < s_.next_seq)
      return fail("audit id " + std::to_string(r.id) + " was inserted: it takes " + place(r.seq) +
                      ", which audit id " + std::to_string(s_.prev_id) + " has",
                  r.id);
    ++s_.next_seq;
    if (r.hash.empty() || store::audit_link(s_.prev, s_.chain, r.seq, r) != r.hash) {
      s_.broken = r;
      return;
    }
    s_.prev = r.hash;
    s_.prev_id = r.id;
  }

  // After the chain's last record: its end waits for the heads, which come with the snapshot.
  void end() { ends_.push_back(s_); }

  // Each chain must end where its head says; a head without records lost them all.
  void finish(const std::vector<store::AuditHead>& heads) {
    std::map<std::string, store::AuditHead> by_chain;
    for (const auto& h : heads) by_chain[h.chain] = h;
    for (const State& e : ends_) {
      s_ = e;
      auto it = by_chain.find(e.chain);
      check_end(it == by_chain.end() ? std::nullopt : std::optional(it->second));
      if (it != by_chain.end()) by_chain.erase(it);
    }
    for (const auto& [chain, h] : by_chain) {
      if (h.seq == 0) continue;
      start(chain);
      check_end(h);
    }
  }

 private:
  // Where the walk of one chain stands: the last good record and a broken one waiting for the
  // record after it.
  struct State {
    std::string chain, prev;
    std::int64_t next_seq = 1, prev_id = 0;
    std::optional<store::ChainedAuditRow> broken;
  };

  void check_end(const std::optional<store::AuditHead>& head) {
    if (!v_.ok) return;
    const std::int64_t last = s_.next_seq - 1;
    if (head && head->seq < last) {
      const std::int64_t id =
          s_.broken && s_.broken->seq == head->seq + 1 ? s_.broken->id : s_.prev_id;
      return fail("audit id " + std::to_string(id) + " was inserted after the chain's head (" +
                      place(head->seq) + ")",
                  id);
    }
    if (s_.broken) {
      const bool hash_kept = head && head->seq == last && head->hash == s_.broken->hash;
      return fail(hash_kept ? breaks(*s_.broken) : changed(*s_.broken), s_.broken->id);
    }
    if (!head)
      return fail("chain " + s_.chain + " has records but no head: it was inserted", s_.prev_id);
    if (head->seq > last)
      return fail("records " + place(last + 1) + " to " + place(head->seq) +
                      " were deleted from the chain's end",
                  0);
    if (head->hash != s_.prev)
      return fail("the head of chain " + s_.chain + " does not match its last record", s_.prev_id);
  }

  void fail(std::string problem, std::int64_t id) {
    if (!v_.ok) return;
    v_.ok = false;
    v_.problem = std::move(problem);
    v_.audit_id = id;
  }
  std::string place(std::int64_t seq) const { return s_.chain + " #" + std::to_string(seq); }
  std::string changed(const store::ChainedAuditRow& r) const {
    return "audit id " + std::to_string(r.id) + " (" + place(r.seq) +
           ") was changed: its hash follows from neither neighbour";
  }
  // What the chain alone cannot tell apart: this record changed, or the one before it changed
  // and given a hash that follows.
  std::string breaks(const store::ChainedAuditRow& r) const {
    if (s_.prev_id == 0)
      return "audit id " + std::to_string(r.id) + " (" + place(r.seq) +
             ") was changed: its content no longer gives its hash";
    return "the chain breaks at audit id " + std::to_string(r.id) + " (" + place(r.seq) +
           "): it, or audit id " + std::to_string(s_.prev_id) + " before it, was changed";
  }

  AuditVerdict& v_;
  State s_;
  std::vector<State> ends_;
};

}  // namespace

AuditVerdict verify_audit(store::Store& store, const std::vector<store::AuditHead>& published) {
  AuditVerdict v;
  // What must still be in the chains: heads published outside, and those the anchors name (a
  // first pass finds them, wherever they are).
  std::map<std::pair<std::string, std::int64_t>, Held> held;
  for (const auto& h : published) held[{h.chain, h.seq}] = Held{h, 0, false};
  store.scan_audit_chains([&](const store::ChainedAuditRow& r) {
    if (r.action != kAnchor) return;
    for (auto& h : parse_heads(r.raw_input))
      if (h.seq > 0) held.try_emplace({h.chain, h.seq}, Held{h, r.id, false});
  });

  ChainWalk walk(v);
  std::string chain;
  bool any = false;
  const store::AuditChains facts = store.scan_audit_chains([&](const store::ChainedAuditRow& r) {
    if (!any || r.chain != chain) {
      if (any) walk.end();
      chain = r.chain;
      any = true;
      walk.start(chain);
    }
    ++v.records;
    walk.visit(r);
    if (auto it = held.find({r.chain, r.seq}); it != held.end()) {
      it->second.found = true;
      if (v.ok && it->second.head.hash != r.hash) {
        v.ok = false;
        v.audit_id = r.id;
        v.problem = "chain " + r.chain + " was rewritten: audit id " + std::to_string(r.id) +
                    " is not the #" + std::to_string(r.seq) + " that " +
                    (it->second.by ? "anchor audit id " + std::to_string(it->second.by)
                                   : std::string("the published head")) +
                    " names";
      }
    }
  });
  if (any) walk.end();
  walk.finish(facts.heads);
  v.heads = facts.heads;
  v.unchained = facts.unchained;
  if (v.ok && facts.last_unchained_id > 0 && facts.first_chained_id > 0 &&
      facts.last_unchained_id > facts.first_chained_id) {
    v.ok = false;
    v.audit_id = facts.last_unchained_id;
    v.problem = "audit id " + std::to_string(facts.last_unchained_id) +
                " was inserted: it has no place in a chain but comes after chained records";
  }
  for (const auto& [key, h] : held) {
    if (!v.ok || h.found) continue;
    v.ok = false;
    v.audit_id = h.by;
    v.problem =
        "chain " + key.first + " lost its records from #" + std::to_string(key.second) +
        " on, which " +
        (h.by ? "anchor audit id " + std::to_string(h.by) : std::string("a published head")) +
        " names";
  }
  return v;
}

std::vector<store::AuditHead> anchor_audit(store::Store& store, domain::Instant now) {
  auto heads = store.audit_heads();
  store::AuditEntry e;
  e.at = now;
  e.actor = "system";
  e.channel = "system";
  e.action = std::string(kAnchor);
  e.identity = "audit";
  e.raw_input = format_heads(heads);
  e.result = "ok";
  auto tx = store.begin_write();
  tx->append_audit(e);
  tx->commit();
  return heads;
}

}  // namespace md::service
