#!/usr/bin/env bash
# netreflex NAT VM startup script (docs/architecture.md §1).
#
# Turns a two-NIC VM (private NIC in subnet A of VPC A, public NIC in subnet B of VPC B) into the
# egress NAT for Vertex AI nodes in the Private Service Access (PSA) ranges:
#   - IPv4 forwarding on, MASQUERADE out of the public NIC (added once: `iptables -C` before `-A`);
#   - default route via subnet B's gateway (egress through VPC B and Cloud NAT);
#   - a return route via subnet A's gateway for every PSA range, without which replies leave by the
#     default route and the Vertex nodes never see them; and for IAP (35.235.240.0/20) and Google's
#     health-check probers (35.191.0.0/16, 130.211.0.0/22), which reach nic0 too: without those, the
#     MIG's health-check replies leave by nic1, every VM looks dead and autohealing loops.
# The PSA ranges come from the metadata key `netreflex-psa-ranges` (instance attribute, else
# project attribute), which netreflex's peeringRanges function updates when it allocates a range.
# The script applies them at boot, then watches the key (wait_for_change) and reconciles: it adds
# missing return routes and removes routes IT added whose range left the list. Routes it adds carry
# `proto $NETREFLEX_ROUTE_PROTO`, which is how it tells its own routes from anyone else's; it never
# deletes or replaces a route it did not add. A missing key keeps the current routes (a deleted key
# is more likely an accident than a request to cut every return path); an empty value removes them.
#
# Metadata keys (instance attribute first, then project attribute, then the sample default):
#   netreflex-psa-ranges       comma-separated PSA CIDRs                  (none)
#   netreflex-return-ranges    other return-path CIDRs via subnet A        35.235.240.0/20,35.191.0.0/16,130.211.0.0/22
#                              (IAP and health-check probers; setting it replaces the whole list)
#   netreflex-private-cidr     subnet A range, finds the private NIC       10.95.0.0/16
#   netreflex-public-cidr      subnet B range, finds the public NIC        10.97.0.0/16
#   netreflex-private-gateway  subnet A gateway                            10.95.0.1
#   netreflex-public-gateway   subnet B gateway                            10.97.0.1
# NICs are found by address (the NIC whose IPv4 is inside the subnet range); if none matches, by
# the metadata server's NIC list (nic0 private, nic1 public). Interface names are never assumed.
#
# Usage: nat-startup.sh [--once | --watch] [--max-changes N]
#   (no flag)        apply, then run the watcher as a transient systemd unit (startup scripts
#                    must return), or in the foreground when systemd-run is not available
#   --once           apply and exit
#   --watch          apply, then watch in the foreground
#   --max-changes N  exit after N metadata changes were reconciled (tests)
# Environment (operations and tests): NETREFLEX_METADATA_URL (base URL of the metadata server),
# NETREFLEX_WAIT_TIMEOUT, NETREFLEX_RETRY_SECONDS, NETREFLEX_NIC_WAIT_SECONDS,
# NETREFLEX_ROUTE_PROTO, NETREFLEX_SYSLOG, NETREFLEX_INSTALL_PATH, NETREFLEX_MAX_CHANGES.
set -euo pipefail

METADATA_URL="${NETREFLEX_METADATA_URL:-http://metadata.google.internal/computeMetadata/v1}"
WAIT_TIMEOUT="${NETREFLEX_WAIT_TIMEOUT:-300}"
RETRY_SECONDS="${NETREFLEX_RETRY_SECONDS:-5}"
NIC_WAIT_SECONDS="${NETREFLEX_NIC_WAIT_SECONDS:-60}"
ROUTE_PROTO="${NETREFLEX_ROUTE_PROTO:-77}"
SYSLOG="${NETREFLEX_SYSLOG:-true}"
INSTALL_PATH="${NETREFLEX_INSTALL_PATH:-/usr/local/sbin/netreflex-nat-routes}"
MAX_CHANGES="${NETREFLEX_MAX_CHANGES:-0}"
RANGES_KEY="netreflex-psa-ranges"
DEFAULT_RETURN_RANGES="35.235.240.0/20,35.191.0.0/16,130.211.0.0/22"
MODE="detach"

# Log lines go to the script's stdout (fd 3, so command substitutions never capture them) and to
# syslog when `logger` exists.
exec 3>&1
log() {
  printf '%s netreflex-nat: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&3
  if [ "$SYSLOG" = "true" ] && command -v logger >/dev/null 2>&1; then logger -t netreflex-nat -- "$*" || true; fi
}

die() { log "error: $*"; exit 1; }

parse_args() {
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --once) MODE="once" ;;
      --watch) MODE="watch" ;;
      --max-changes) [ "$#" -ge 2 ] || die "--max-changes needs a number"; MAX_CHANGES="$2"; shift ;;
      -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
      *) die "unknown argument $1 (see --help)" ;;
    esac
    shift
  done
}

WORK_DIR="$(mktemp -d)"
trap 'rm -rf "$WORK_DIR"' EXIT

# md_get PATH [QUERY] — sets MD_CODE (HTTP status, 000 on network failure), MD_BODY, MD_ETAG.
md_get() {
  local url="$METADATA_URL/$1" max_time=10
  if [ -n "${2:-}" ]; then url="$url?$2"; max_time=$((WAIT_TIMEOUT + 30)); fi
  MD_CODE="$(curl -sS -o "$WORK_DIR/body" -D "$WORK_DIR/headers" -w '%{http_code}' \
    -H 'Metadata-Flavor: Google' --max-time "$max_time" "$url" 2>"$WORK_DIR/curl-err")" || MD_CODE="000"
  MD_BODY="$(cat "$WORK_DIR/body" 2>/dev/null || true)"
  MD_ETAG="$(tr -d '\r' <"$WORK_DIR/headers" 2>/dev/null | awk 'tolower($1) == "etag:" { e = $2 } END { print e }')"
}

# attr KEY DEFAULT — the instance attribute, else the project attribute, else DEFAULT.
attr() {
  md_get "instance/attributes/$1"
  if [ "$MD_CODE" = "200" ]; then printf '%s' "$MD_BODY"; return; fi
  md_get "project/attributes/$1"
  if [ "$MD_CODE" = "200" ]; then printf '%s' "$MD_BODY"; return; fi
  printf '%s' "$2"
}

is_ipv4() { [[ $1 =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]]; }
is_cidr() { [[ $1 =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$ ]]; }

ip_to_int() {
  local a b c d
  IFS=. read -r a b c d <<EOF
$1
EOF
  echo $(( (10#$a << 24) + (10#$b << 16) + (10#$c << 8) + 10#$d ))
}

# in_cidr IP CIDR — true when IP lies inside CIDR.
in_cidr() {
  local bits="${2#*/}" mask
  mask=$(( bits == 0 ? 0 : (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF ))
  [ $(( $(ip_to_int "$1") & mask )) -eq $(( $(ip_to_int "${2%/*}") & mask )) ]
}

# cidr_list TEXT — the valid IPv4 CIDRs of a comma/space separated list, one per line; logs the rest.
cidr_list() {
  local item
  for item in $(printf '%s' "$1" | tr ',' ' '); do
    if is_cidr "$item"; then echo "$item"; else log "ignoring \"$item\": not an IPv4 CIDR"; fi
  done
}

# nic_by_cidr CIDR — the interface holding an IPv4 address inside CIDR.
nic_by_cidr() {
  ip -o -4 addr show | awk '{ split($4, a, "/"); print $2, a[1] }' | while read -r dev addr; do
    if is_ipv4 "$addr" && in_cidr "$addr" "$1"; then echo "$dev"; break; fi
  done
}

# nic_by_metadata INDEX — the interface holding the address the metadata server lists for nicINDEX.
nic_by_metadata() {
  md_get "instance/network-interfaces/$1/ip"
  [ "$MD_CODE" = "200" ] && is_ipv4 "$MD_BODY" || return 0
  ip -o -4 addr show | awk -v want="$MD_BODY" '{ split($4, a, "/"); if (a[1] == want) { print $2; exit } }'
}

# find_nics — sets PRIVATE_IF and PUBLIC_IF, waiting up to NIC_WAIT_SECONDS for DHCP on both NICs.
find_nics() {
  local waited=0
  while :; do
    PRIVATE_IF="$(nic_by_cidr "$PRIVATE_CIDR")"; PUBLIC_IF="$(nic_by_cidr "$PUBLIC_CIDR")"
    [ -n "$PRIVATE_IF" ] || PRIVATE_IF="$(nic_by_metadata 0)"
    [ -n "$PUBLIC_IF" ] || PUBLIC_IF="$(nic_by_metadata 1)"
    if [ -n "$PRIVATE_IF" ] && [ -n "$PUBLIC_IF" ]; then break; fi
    [ "$waited" -lt "$NIC_WAIT_SECONDS" ] || die "no NIC in $PRIVATE_CIDR (private) or $PUBLIC_CIDR (public) after ${NIC_WAIT_SECONDS}s; set metadata netreflex-private-cidr / netreflex-public-cidr"
    sleep 1; waited=$((waited + 1))
  done
  log "private interface $PRIVATE_IF (subnet A $PRIVATE_CIDR), public interface $PUBLIC_IF (subnet B $PUBLIC_CIDR)"
}

load_config() {
  PRIVATE_CIDR="$(attr netreflex-private-cidr 10.95.0.0/16)"
  PUBLIC_CIDR="$(attr netreflex-public-cidr 10.97.0.0/16)"
  PRIVATE_GW="$(attr netreflex-private-gateway 10.95.0.1)"
  PUBLIC_GW="$(attr netreflex-public-gateway 10.97.0.1)"
  RETURN_RANGES="$(cidr_list "$(attr netreflex-return-ranges "$DEFAULT_RETURN_RANGES")")"
  is_cidr "$PRIVATE_CIDR" && is_cidr "$PUBLIC_CIDR" || die "netreflex-private-cidr/netreflex-public-cidr must be IPv4 CIDRs"
  is_ipv4 "$PRIVATE_GW" && is_ipv4 "$PUBLIC_GW" || die "netreflex-private-gateway/netreflex-public-gateway must be IPv4 addresses"
}

# apply_base — forwarding, masquerade, default route, metadata server pinned to the private NIC.
# Idempotent, so it is re-asserted on every watch round (a DHCP renewal may restore a default route).
apply_base() {
  sysctl -w net.ipv4.ip_forward=1 >/dev/null
  if ! iptables -t nat -C POSTROUTING -o "$PUBLIC_IF" -j MASQUERADE 2>/dev/null; then
    iptables -t nat -A POSTROUTING -o "$PUBLIC_IF" -j MASQUERADE
    log "MASQUERADE added on $PUBLIC_IF"
  fi
  ip route replace default via "$PUBLIC_GW" dev "$PUBLIC_IF"
  # The watch keeps talking to the metadata server; keep it on the NIC it answers on.
  ip route replace 169.254.169.254/32 via "$PRIVATE_GW" dev "$PRIVATE_IF"
}

# reconcile_routes DESIRED — return routes via subnet A for DESIRED (one CIDR per line).
# Membership is tested with here-strings, never `printf … | grep -q`: grep -q exits at the first
# match, the printf still writing the rest gets SIGPIPE, and under pipefail the test reads as "not
# listed" — the watcher then deleted a wanted return route (a health-check range) now and then.
reconcile_routes() {
  local desired="$1" ours range
  ours="$(ip route show proto "$ROUTE_PROTO" | awk '{ print $1 }')"
  for range in $desired; do
    if grep -qxF "$range" <<<"$ours"; then continue; fi
    if [ -n "$(ip route show exact "$range")" ]; then
      log "route to $range exists and was not added by netreflex; leaving it alone"
      continue
    fi
    if ip route add "$range" via "$PRIVATE_GW" dev "$PRIVATE_IF" proto "$ROUTE_PROTO"; then
      log "return route added: $range via $PRIVATE_GW dev $PRIVATE_IF"
    else
      log "could not add the return route to $range; will retry on the next round"
    fi
  done
  for range in $ours; do
    if grep -qxF "$range" <<<"$desired"; then continue; fi
    if ip route del "$range" proto "$ROUTE_PROTO"; then
      log "return route removed: $range (no longer listed)"
    else
      log "could not remove the route to $range; will retry on the next round"
    fi
  done
}

# apply RANGES_TEXT — the whole desired state for one value of netreflex-psa-ranges.
apply() {
  apply_base
  reconcile_routes "$(printf '%s\n%s\n' "$RETURN_RANGES" "$(cidr_list "$1")" | awk 'NF && !seen[$0]++')"
}

# read_ranges [QUERY] — fetches the ranges key (instance, else project); sets RANGES_PATH too.
read_ranges() {
  RANGES_PATH="${RANGES_PATH:-instance/attributes/$RANGES_KEY}"
  md_get "$RANGES_PATH" "${1:-}"
  if [ "$MD_CODE" = "404" ] && [ "$RANGES_PATH" = "instance/attributes/$RANGES_KEY" ] && [ -z "${1:-}" ]; then
    md_get "project/attributes/$RANGES_KEY"
    if [ "$MD_CODE" = "200" ]; then RANGES_PATH="project/attributes/$RANGES_KEY"; fi
  fi
}

boot() {
  load_config
  find_nics
  read_ranges
  case "$MD_CODE" in
    200) log "PSA ranges from $RANGES_PATH: ${MD_BODY:-(empty)}"; apply "$MD_BODY" ;;
    404) log "metadata key $RANGES_KEY not set; only the base return routes"; apply "" ;;
    *) die "metadata server answered $MD_CODE for $RANGES_PATH: $(cat "$WORK_DIR/curl-err" 2>/dev/null)" ;;
  esac
  ETAG="$MD_ETAG"
}

watch() {
  local changes=0
  log "watching $RANGES_PATH for changes"
  while :; do
    read_ranges "wait_for_change=true&last_etag=${ETAG}&timeout_sec=${WAIT_TIMEOUT}"
    case "$MD_CODE" in
      200)
        if [ "$MD_ETAG" = "$ETAG" ]; then apply "$MD_BODY"; continue; fi  # timed out: re-assert, self-heal
        ETAG="$MD_ETAG"
        log "PSA ranges changed: ${MD_BODY:-(empty)}"
        apply "$MD_BODY"
        changes=$((changes + 1))
        if [ "$MAX_CHANGES" -gt 0 ] && [ "$changes" -ge "$MAX_CHANGES" ]; then log "reconciled $changes change(s); exiting"; return; fi
        ;;
      404) log "metadata key $RANGES_KEY is missing; keeping the current routes"; sleep "$RETRY_SECONDS" ;;
      *) log "metadata server answered $MD_CODE; retrying in ${RETRY_SECONDS}s"; sleep "$RETRY_SECONDS" ;;
    esac
  done
}

# detach — a startup script must return, so the watcher runs as its own transient systemd unit.
detach() {
  if ! command -v systemd-run >/dev/null 2>&1; then watch; return; fi
  install -m 0755 "$0" "$INSTALL_PATH"
  if systemctl is-active --quiet netreflex-nat-watch 2>/dev/null; then
    systemctl restart netreflex-nat-watch
    log "watcher unit netreflex-nat-watch restarted"
    return
  fi
  systemd-run --unit=netreflex-nat-watch --property=Restart=always --property=RestartSec=10 \
    "$INSTALL_PATH" --watch
  log "watcher started as systemd unit netreflex-nat-watch"
}

main() {
  parse_args "$@"
  boot
  case "$MODE" in
    once) ;;
    watch) watch ;;
    detach) detach ;;
  esac
}

main "$@"
