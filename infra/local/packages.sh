#!/usr/bin/env bash
# Install the Debian packages a group of commands needs (infra/local/debian-packages.txt), or say how.
# usage: packages.sh check|install GROUP...      (groups: run, test, bench)
#   check    lists what is missing; exit 1 if anything is
#   install  installs what is missing as root or with passwordless sudo; otherwise prints the one
#            apt-get command that does it and exits 2, before any slow step has started
# CS_PACKAGES_FILE overrides the list (the tests use it); on a system without dpkg this is a no-op.
set -euo pipefail
LIST="${CS_PACKAGES_FILE:-$(dirname "${BASH_SOURCE[0]}")/debian-packages.txt}"
cmd="${1:-}"; shift || true
[ $# -gt 0 ] || set -- run
case "$cmd" in check|install) ;; *) echo "usage: $0 check|install GROUP..." >&2; exit 2 ;; esac

wanted() {  # the list's packages in the given groups
  local name group _
  while read -r name group _; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    for g in "$@"; do [ "$group" = "$g" ] && { printf '%s\n' "$name"; break; }; done
  done <"$LIST"
}

if ! command -v dpkg-query >/dev/null; then
  echo "note: not a Debian system; make sure these are installed: $(wanted "$@" | tr '\n' ' ')" >&2
  exit 0
fi

missing=()
while read -r pkg; do
  [ -n "$pkg" ] || continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < <(wanted "$@")
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$cmd" = check ]; then printf '%s\n' "${missing[@]}"; exit 1; fi

apt_install=(apt-get install -y -qq --no-install-recommends "${missing[@]}")
if [ "$(id -u)" -eq 0 ]; then sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo)
else
  echo "error: missing Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 2
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; an old list may name versions the mirror no longer has.
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" "${apt_install[@]}" >/dev/null
