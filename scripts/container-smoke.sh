#!/usr/bin/env bash
# Runs a built image tarball without a container engine, as far as this machine allows: unpacks its layers
# into a directory and starts its entrypoint there with chroot (own mount and PID namespaces, /proc and /dev
# mounted), as the image's user, with the image's environment and working directory. Then it waits for
# /actuator/health/readiness, runs the compose health check (HealthProbe) inside, prints the version from
# /actuator/info, and stops the process with SIGTERM. Root only (chroot); same-architecture images only.
#
#   scripts/container-smoke.sh target/virtdevice-<version>-image-amd64.tar [port]
set -euo pipefail
tarball=$(readlink -f "${1:?usage: $0 image.tar [port]}")
port=${2:-18080}
work=$(mktemp -d /tmp/virtdevice-smoke.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
mkdir -p "$work/image" "$work/rootfs"
tar -xf "$tarball" -C "$work/image"
# the "docker save" layout Jib writes: manifest.json names the config and the layers in order
config=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Config"])' "$work/image/manifest.json")
python3 -c 'import json,sys; [print(l) for l in json.load(open(sys.argv[1]))[0]["Layers"]]' "$work/image/manifest.json" |
  while read -r layer; do tar -xzf "$work/image/$layer" -C "$work/rootfs" 2>/dev/null || tar -xf "$work/image/$layer" -C "$work/rootfs"; done
read -r user workdir < <(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["config"]; print(c["User"], c["WorkingDir"])' "$work/image/$config")
mapfile -t envs < <(python3 -c 'import json,sys; [print(e) for e in json.load(open(sys.argv[1]))["config"]["Env"]]' "$work/image/$config")
mapfile -t entrypoint < <(python3 -c 'import json,sys; [print(e) for e in json.load(open(sys.argv[1]))["config"]["Entrypoint"]]' "$work/image/$config")
mkdir -p "$work/rootfs/proc" "$work/rootfs/dev"
echo "image user $user, working directory $workdir, entrypoint ${entrypoint[*]}"
log=$work/app.log
# a fresh mount and PID namespace: /proc and /dev for the image, every process gone when it ends
unshare -m -p -f --kill-child=SIGTERM -- bash -c 'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" && shift && exec "$@"' \
  _ "$work/rootfs" env -i "${envs[@]}" "PORT=$port" chroot --userspec="$user" "$work/rootfs" \
  /bin/sh -c 'cd "$0" && exec "$@"' "$workdir" "${entrypoint[@]}" >"$log" 2>&1 </dev/null &
pid=$!
ready=""
for _ in $(seq 1 180); do
  if curl -fsS "http://127.0.0.1:$port/actuator/health/readiness" >/dev/null 2>&1; then ready=yes; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
status=0
if [ -n "$ready" ]; then
  echo "ready: $(curl -fsS "http://127.0.0.1:$port/actuator/health/readiness")"
  echo "info: $(curl -fsS "http://127.0.0.1:$port/actuator/info")"
  # the compose health check, run inside the image as compose would
  if unshare -m -- bash -c 'mount -t proc proc "$1/proc" && shift && exec "$@"' _ "$work/rootfs" \
      env -i "${envs[@]}" "PORT=$port" chroot --userspec="$user" "$work/rootfs" \
      java -cp /app/classes io.virtdevice.platform.container.HealthProbe; then
    echo "health probe: healthy"
  else
    echo "health probe: unhealthy"; status=1
  fi
  echo "data volume: $(cd "$work/rootfs/data" && find . -maxdepth 1 | sort | tr '\n' ' ') owned by $(stat -c %u:%g "$work/rootfs/data/postgres")"
else
  echo "not ready; log:"; tail -50 "$log"; status=1
fi
# unshare holds SIGTERM while it waits: stop the image process (PID 1 of the namespace) itself
kill -TERM $(pgrep -P "$pid") 2>/dev/null || true
wait "$pid" 2>/dev/null || true
grep -q '"log.level":"ERROR"\|ERROR' "$log" && { echo "errors logged:"; grep 'ERROR' "$log" | head -5; status=1; }
exit $status
