/**
 * Fake `ip`, `iptables`, `sysctl`, `systemd-run` and `systemctl` for the NAT startup script: each records its
 * arguments (one call per line in `calls`), `ip` keeps a routes file and answers
 * `ip -o -4 addr show` from an addresses file, and `iptables -C` fails until `-A` added the rule.
 */
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const RECORD = 'echo "$(basename "$0") $*" >> "$FAKE_DIR/calls"';

const IP = `#!/usr/bin/env bash
${RECORD}
routes="$FAKE_DIR/routes"
touch "$routes"
without() { awk -v d="$1" '$1 != d' "$routes" > "$routes.tmp"; mv "$routes.tmp" "$routes"; }
case "$1 $2" in
  "-o -4") cat "$FAKE_DIR/addrs" ;;
  "route show")
    case "\${3:-}" in
      proto) awk -v p="$4" '$NF == p && $(NF-1) == "proto" { NF -= 2; print }' "$routes" ;;
      exact) awk -v d="$4" '$1 == d' "$routes" ;;
      *) cat "$routes" ;;
    esac ;;
  "route add")
    if awk -v d="$3" '$1 == d { found = 1 } END { exit !found }' "$routes"; then echo "RTNETLINK answers: File exists" >&2; exit 2; fi
    shift 2; echo "$*" >> "$routes" ;;
  "route replace") without "$3"; shift 2; echo "$*" >> "$routes" ;;
  "route del") without "$3" ;;
esac
`;

const IPTABLES = `#!/usr/bin/env bash
${RECORD}
case " $* " in
  *" -C "*) [ -f "$FAKE_DIR/masquerade" ] ;;
  *" -A "*) touch "$FAKE_DIR/masquerade" ;;
esac
`;

const RECORD_ONLY = `#!/usr/bin/env bash\n${RECORD}\n`;

/** `systemctl is-active` says "inactive" (3) unless the test created `$FAKE_DIR/unit-active`. */
const SYSTEMCTL = `#!/usr/bin/env bash
${RECORD}
case "$1" in is-active) [ -f "$FAKE_DIR/unit-active" ] || exit 3 ;; esac
`;

export interface FakeHost {
  dir: string;
  bin: string;
  calls(): Promise<string[]>;
  routes(): Promise<string[]>;
}

/** Creates the fake commands; `addrs` is what `ip -o -4 addr show` prints, `routes` the starting table. */
export async function fakeHost(addrs: string[], routes: string[] = []): Promise<FakeHost> {
  const dir = await mkdtemp(path.join(tmpdir(), 'netreflex-nat-'));
  const bin = path.join(dir, 'bin');
  await mkdir(bin);
  const scripts: Record<string, string> = {
    ip: IP,
    iptables: IPTABLES,
    sysctl: RECORD_ONLY,
    'systemd-run': RECORD_ONLY,
    systemctl: SYSTEMCTL,
  };
  for (const [name, body] of Object.entries(scripts)) {
    await writeFile(path.join(bin, name), body);
    await chmod(path.join(bin, name), 0o755);
  }
  await writeFile(path.join(dir, 'addrs'), addrs.map((a) => `${a}\n`).join(''));
  await writeFile(path.join(dir, 'routes'), routes.map((r) => `${r}\n`).join(''));
  await writeFile(path.join(dir, 'calls'), '');
  const lines = async (file: string) => (await readFile(path.join(dir, file), 'utf8')).split('\n').filter(Boolean);
  return { dir, bin, calls: () => lines('calls'), routes: () => lines('routes') };
}
