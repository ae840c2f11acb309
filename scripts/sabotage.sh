#!/usr/bin/env bash
# Breaks meterdesk on purpose, one small breakage at a time, and shows which test catches each:
# proof that the suite fails when the product is wrong, not only passes when it is right.
#
#   scripts/sabotage.sh [NAME...]     all sabotages, or the named ones
#
# Each sabotage is one textual change to one file of src/ (a rule off by one, a check removed, a
# record skipped). For each, in a scratch worktree of HEAD (the checkout is never touched): apply
# it, rebuild, run the fast suites in order (domain, channel, store+service on SQLite, then the
# end-to-end tests through a running server) and stop at the first failing test; restore the file.
# A sabotage that no longer applies (the code moved) or that nothing catches fails the run. The
# table goes to stdout and build-sabotage/sabotage.md; docs/reliability.md keeps the last one.
# Needs a built tree's dependencies (scripts/deps.sh test); ~25–40 min on 2 cores, not in .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

# name#file#perl substitution (applied once; it must change the file)#end-to-end tests to try
# first (a ctest regex; a shortcut only: when they pass, every end-to-end test runs)
sabotages=(
  'lower-reading-by-one-accepted#src/domain/validation.cpp#s/if \(a < 0\) \{/if (a < -1) {/'
  'window-last-day-dropped#src/domain/calendar.cpp#s/date::days\{rules.last_day - 1\}/date::days{rules.last_day - 2}/'
  'window-first-day-dropped#src/domain/calendar.cpp#s/date::days\{rules.days_before_end - 1\}/date::days{rules.days_before_end - 2}/'
  'future-date-accepted#src/domain/validation.cpp#s/if \(in.taken_on > in.today\)/if (in.taken_on > in.today + date::days{1})/'
  'closed-period-reopened#src/domain/validation.cpp#s/if \(in.last_closed && as_of.instant/if (false \&\& in.last_closed \&\& as_of.instant/'
  'impossible-consumption-accepted#src/domain/validation.cpp#s/if \(static_cast<double>\(a\) > physical_max\)/if (static_cast<double>(a) > 10 * physical_max)/'
  'any-lower-reading-taken-as-rollover#src/domain/validation.cpp#s/if \(static_cast<double>\(wrap\) <= rules.rollover_max_factor \* expected\)/if (wrap >= 0)/'
  'high-consumption-not-confirmed#src/domain/validation.cpp#s/out.needs_confirmation = out.has\(Flag::high\) && !in.confirmed;/out.needs_confirmation = false;/'
  'close-forgets-corrections#src/domain/close.cpp#s/c.correction = c.start_value - previous;/c.correction = 0;/'
  'estimate-a-day-short#src/domain/estimation.cpp#s/total \+= basis.rate \* days;/total += basis.rate * (days - 1);/'
  'bill-drops-corrections#src/domain/bill.cpp#s/if \(c.correction == 0\) continue;/continue;/'
  'heating-block-ignored#src/domain/bill.cpp#s/if \(block > 0\) \{/if (block < 0) {/'
  'eic-check-character-ignored#src/domain/eic.cpp#s/return check && \*check == code\[15\];/return check.has_value();/'
  'telegram-secret-not-checked#src/channels/http/webhooks.cpp#s/if \(!telegram::same_secret\(/if (false \&\& !telegram::same_secret(/#BotsTest'
  'viber-signature-not-checked#src/channels/http/webhooks.cpp#s/if \(!viber::signature_ok\(/if (false \&\& !viber::signature_ok(/#BotsTest'
  'attempt-not-counted#src/service/rate_limit.cpp#s/const bool counted = tx.count_attempt\(row, start, free\);/const bool counted = free >= 0;/'
  'idempotency-key-ignored#src/service/submission.cpp#s/if \(req.idempotency_key.empty\(\)\) return std::nullopt;/if (!req.idempotency_key.empty()) return std::nullopt;/'
  'audit-record-skipped#src/store/sql/write_tx.cpp#s/      insert_audit\(c_, chain_, audit_, links\);/      if (false) insert_audit(c_, chain_, audit_, links);/#Audit'
  'audit-chain-not-linked#src/store/sql/write_tx.cpp#s/head->hash = audit_link\(head->hash,/head->hash = audit_link(kAuditGenesis,/#Audit'
  'fsync-skipped#src/store/sqlite/sqlite_conn.cpp#s/PRAGMA synchronous = FULL/PRAGMA synchronous = NORMAL/#Durability'
  'role-check-removed#src/channels/http/web/console/console.cpp#s/return rank\(user.role\) >= needed;/return rank(user.role) >= needed - 3;/#Roles'
  'csrf-not-checked-when-signed-in#src/channels/http/web/site.cpp#s/if \(p.who\) return same_token\(f.get\("csrf"\), p.who->session.csrf\);/if (p.who) return true;/#WebTest|Roles'
  'session-never-expires#src/service/people.cpp#s/session->expires_at <= now\) return std::nullopt;/session->expires_at <= now - std::chrono::hours{24 * 365}) return std::nullopt;/'
  'any-password-accepted#src/service/people.cpp#s/password.size\(\)\) == 0;/password.size()) == 0 || !password.empty();/'
  'receipt-link-not-checked#src/channels/http/web/public_form.cpp#s/same_token\(receipt_link\(id\), "\/receipt\/" \+ std::string\(rest\)\)/!rest.empty()/#WebReceipts'
  'ivr-transfer-never-sent#src/channels/ivr/ivr.cpp#s/if \(!to \|\| c->call->transferTo\(to\) != 0\) \{/if (!to) {/#OperatorsDesk'
  'upload-limit-not-enforced#src/channels/http/server.cpp#s/parser.body_limit\(limit\);  \/\/ a chunked/parser.body_limit(limit * 64);  \/\/ a chunked/#WebUploads|ApiTest'
)

want=("$@")
work=$(mktemp -d /tmp/meterdesk-sabotage.XXXXXX)
# The end-to-end tests take PostgreSQL too, as in ./test.sh: a throw-away cluster.
pg=$(mktemp -d /tmp/meterdesk-sabotage-pg.XXXXXX)
trap 'scripts/pg-test.sh stop "$pg" >/dev/null 2>&1 || true
  git -C "$repo" worktree remove --force "$work/tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
METERDESK_TEST_POSTGRES=$(scripts/pg-test.sh start "$pg" "${METERDESK_PG_PORT:-55439}")
export METERDESK_TEST_POSTGRES
git worktree add --detach "$work/tree" HEAD >/dev/null
tree=$work/tree build=$work/tree/build
cmake -S "$tree" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERDESK_WERROR=ON -DMETERDESK_TESTS=ON \
  -DMETERDESK_BENCH=OFF >/dev/null
echo "== building the unbroken tree (ccache makes this quick after a build of the checkout)"
cmake --build "$build" >/dev/null

# The first failing test of a suite, or empty when the suite passes.
first_failure() {
  local out=$1
  grep -m1 -oP '^\[  FAILED  \] \K[A-Za-z0-9_./]+' "$out" 2>/dev/null \
    || grep -m1 -A1 'The following tests FAILED' "$out" | tail -1 | grep -oP '\d+ - \K\S+' || true
}

# Runs the suites until one fails; prints "suite test" of the first failure, or nothing.
# $1: end-to-end tests to run before the others (a ctest regex), or empty.
catch() {
  local log=$work/run.log suite hint=${1:-}
  for suite in domain_tests channel_tests store_service_tests e2e; do
    if [[ $suite == e2e ]]; then
      cmake --build "$build" --target e2e_tests ivr_tests meterdesk prompts >/dev/null 2>&1 || { echo "build -"; return; }
      if [[ -n $hint ]] && ! ctest --test-dir "$build" -L '^e2e$' -R "$hint" -j 2 \
        --stop-on-failure --output-on-failure >"$log" 2>&1; then
        echo "e2e_tests $(first_failure "$log")"
        return
      fi
      # The phone line's tests (label phone, ~5 min, serial) run only when a hint names them.
      if ! ctest --test-dir "$build" -L '^e2e$' -LE '^phone$' -j 2 --stop-on-failure --output-on-failure >"$log" 2>&1; then
        echo "e2e_tests $(first_failure "$log")"
        return
      fi
    else
      cmake --build "$build" --target "$suite" >/dev/null 2>&1 || { echo "build -"; return; }
      if ! (cd "$work" && timeout 600 "$build/tests/$suite" --gtest_brief=1 >"$log" 2>&1); then
        echo "$suite $(first_failure "$log")"
        return
      fi
    fi
  done
}

# Unbroken, every suite passes: a failure below is the sabotage's doing.
read -r suite test < <(catch; echo)
if [[ -n ${suite:-} ]]; then
  echo "the unbroken tree fails: $suite $test (fix that first)"
  exit 1
fi

table=$work/table.md uncaught=0 started=$(date +%s)
printf '| sabotage | file | caught by |\n|---|---|---|\n' >"$table"
for entry in "${sabotages[@]}"; do
  IFS='#' read -r name file subst hint <<<"$entry"
  if ((${#want[@]})) && [[ ! " ${want[*]} " == *" $name "* ]]; then continue; fi
  before=$(sha1sum "$tree/$file")
  perl -0pi -e "$subst" "$tree/$file"
  if [[ $(sha1sum "$tree/$file") == "$before" ]]; then
    echo "!! $name: the change no longer applies to $file (update scripts/sabotage.sh)"
    printf '| %s | %s | **does not apply** |\n' "$name" "$file" >>"$table"
    uncaught=$((uncaught + 1))
    continue
  fi
  t0=$(date +%s)
  read -r suite test < <(catch "$hint"; echo)
  git -C "$tree" checkout -- "$file"
  if [[ -z ${suite:-} ]]; then
    echo "!! $name: NOT CAUGHT"
    printf '| %s | %s | **nothing** |\n' "$name" "$file" >>"$table"
    uncaught=$((uncaught + 1))
  elif [[ $suite == build ]]; then
    echo "!! $name: does not compile (make it a change that builds)"
    printf '| %s | %s | **does not build** |\n' "$name" "$file" >>"$table"
    uncaught=$((uncaught + 1))
  else
    echo "ok $name: caught by $suite $test ($(($(date +%s) - t0)) s)"
    printf '| %s | %s | `%s` %s |\n' "$name" "$file" "$test" "$suite" >>"$table"
  fi
done
mkdir -p "$repo/build-sabotage"
cp "$table" "$repo/build-sabotage/sabotage.md"
echo
cat "$table"
echo
echo "$uncaught not caught; $(($(date +%s) - started)) s"
((uncaught == 0))
