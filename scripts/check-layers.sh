#!/usr/bin/env bash
# Fails on an #include that runs up the layers (docs/architecture.md): data flows one way,
# channels → dialog → service → domain + store, with i18n (languages, message catalogue, the
# estimate's words) below the service and obs (metrics) beside everything. app wires it all.
#   scripts/check-layers.sh [SRC_DIR]   checks SRC_DIR (default: src)
#   scripts/check-layers.sh --self-test proves the check fails on an upward include
set -euo pipefail

declare -A may_include=(
  [domain]="domain"
  [obs]="obs"
  [i18n]="i18n domain"
  [store]="store domain"
  [service]="service store domain i18n obs"
  [dialog]="dialog service store domain i18n obs"
  # Channels reach the store only through the service's use cases and read models.
  [channels]="channels dialog service domain i18n obs"
  [app]="app channels dialog service store domain i18n obs"
)

check() {
  local src=$1 bad=0 file layer target line
  while IFS= read -r hit; do
    file=${hit%%:*}
    line=${hit#*:}
    line=${line%%:*}
    layer=${file#"$src"/}
    layer=${layer%%/*}
    target=$(sed -n "${line}p" "$file" | sed -E 's/^#include "([^/"]+)\/.*/\1/')
    if [[ -z ${may_include[$layer]+set} ]]; then
      echo "$file: the folder '$layer' is in no layer (scripts/check-layers.sh)"
      bad=1
    elif [[ " ${may_include[$layer]} " != *" $target "* ]]; then
      echo "$file:$line: $layer includes $target, a layer above it or beside it: $(sed -n "${line}p" "$file")"
      bad=1
    fi
  done < <(grep -rnE '^#include "[^/"]+/' "$src" --include='*.cpp' --include='*.hpp' | cut -d: -f1,2)
  # Nor may a channel call the store it hands to the service (`ctx.store.find_meter(...)`): what a
  # page shows comes from a service query (service/console_views.hpp, service/account_views.hpp).
  if [[ -d $src/channels ]]; then
    while IFS= read -r hit; do
      echo "$hit: a channel reads the store itself; ask a service query instead"
      bad=1
    done < <(grep -rnE '\bstore_?\.[a-z_]+\(' "$src/channels" --include='*.cpp' --include='*.hpp')
  fi
  return $bad
}

if [[ ${1:-} == --self-test ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/service" "$tmp/dialog" "$tmp/domain"
  printf '#include "domain/a.hpp"\n' >"$tmp/service/ok.cpp"
  printf '#include "dialog/b.hpp"\n' >"$tmp/domain/b.hpp"
  check "$tmp" >/dev/null && { echo "check-layers self-test: an upward include passed"; exit 1; }
  rm "$tmp/domain/b.hpp"
  mkdir -p "$tmp/channels"
  printf 'auto m = ctx.store.find_meter(a, s);\n' >"$tmp/channels/page.cpp"
  check "$tmp" >/dev/null && { echo "check-layers self-test: a channel's store read passed"; exit 1; }
  printf 'auto m = service::find_meter(ctx.store, a, s);\n' >"$tmp/channels/page.cpp"
  check "$tmp" || { echo "check-layers self-test: a downward include failed"; exit 1; }
  echo "check-layers self-test: ok"
  exit 0
fi

src=${1:-src}
if check "$src"; then
  echo "layers: no include runs up ($src)"
else
  exit 1
fi
