#!/usr/bin/env bash
# Builds the container image's base for one architecture, without a Docker engine or a container registry:
# a root file system from Debian 13 (trixie) packages (glibc and its C.UTF-8 locale, libstdc++, zlib, dash as /bin/sh, the
# OpenJDK 21 headless runtime), an unprivileged user "virtdevice" (uid/gid 10001) and /data owned by it,
# written as a "docker save" tarball that Jib takes as its base image (jib.from.image=tar://...).
#
#   scripts/container-base.sh amd64|arm64 [output.tar]   (default target/container/base-<arch>.tar)
#
# The packages come from Debian's archive through apt with a private configuration (scripts/debian-packages.sh:
# its own sources list, lists and cache under target/container/apt-<arch>; the machine's apt settings are not
# read or changed), checked against the Debian archive keyring. Needs: apt-get, dpkg-deb, tar, a JDK (its cacerts file becomes
# the runtime's trust store, as Debian's ca-certificates-java would build it at install time).
# Why this and not a registry's JRE image: docs/decisions.md, "Container image without a Docker engine".
set -euo pipefail
cd "$(dirname "$0")/.."

arch=${1:?usage: $0 amd64|arm64 [output.tar]}
case "$arch" in amd64|arm64) ;; *) echo "unsupported architecture: $arch (amd64 or arm64)" >&2; exit 2 ;; esac
out=${2:-target/container/base-$arch.tar}
suite=${DEBIAN_SUITE:-trixie}
packages=(libc6 libc-bin libgcc-s1 libstdc++6 zlib1g dash openjdk-21-jre-headless)
java_home_src=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}

work=target/container/apt-$arch
rootfs=target/container/rootfs-$arch
scripts/debian-packages.sh "$arch" "$suite" "$work" "${packages[@]}"

rm -rf "$rootfs" && mkdir -p "$rootfs"
for deb in "$work"/archives/*.deb; do
  dpkg-deb -x "$deb" "$rootfs"
done
# merged /usr, as Debian 13 lays it out
for d in bin sbin lib; do [ -e "$rootfs/$d" ] || ln -s "usr/$d" "$rootfs/$d"; done
if [ "$arch" = amd64 ]; then [ -e "$rootfs/lib64" ] || ln -s usr/lib64 "$rootfs/lib64"; fi
ln -sf dash "$rootfs/usr/bin/sh"
jre=$(cd "$rootfs" && ls -d usr/lib/jvm/java-21-openjdk-*)
ln -sfn "/$jre" "$rootfs/opt-java" && mkdir -p "$rootfs/opt" && mv "$rootfs/opt-java" "$rootfs/opt/java"
ln -sf ../../opt/java/bin/java "$rootfs/usr/bin/java"
# the trust store ca-certificates-java would generate at install time (a JKS/PKCS12 file is not per-architecture)
mkdir -p "$rootfs/etc/ssl/certs/java"
cp "$java_home_src/lib/security/cacerts" "$rootfs/etc/ssl/certs/java/cacerts"
rm -f "$rootfs/$jre/lib/security/cacerts" && ln -s /etc/ssl/certs/java/cacerts "$rootfs/$jre/lib/security/cacerts"
# no documentation in an image
rm -rf "$rootfs/usr/share/doc" "$rootfs/usr/share/man" "$rootfs/usr/share/lintian" "$rootfs/usr/share/locale"
cat > "$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/usr/sbin/nologin
virtdevice:x:10001:10001:VirtDevice:/data:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
PASSWD
cat > "$rootfs/etc/group" <<'GROUP'
root:x:0:
virtdevice:x:10001:
nogroup:x:65534:
GROUP
echo "hosts: files dns" > "$rootfs/etc/nsswitch.conf"
# container engines mount their own; chroot-style runs (scripts/container-smoke.sh) need localhost
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$rootfs/etc/hosts"
mkdir -p "$rootfs/tmp" "$rootfs/data" "$rootfs/root" "$rootfs/app"
chmod 1777 "$rootfs/tmp"

# one layer, then the "docker save" layout Jib reads: manifest.json, the config and the layer
image=target/container/image-$arch
rm -rf "$image" && mkdir -p "$image"
tar --sort=name --mtime='@0' --numeric-owner --owner=0 --group=0 \
    --mode='u+w' -C "$rootfs" -cf "$image/layer.tar" \
    --transform 's,^\./,,' --exclude='./data' --exclude='./tmp' .
# /data and /tmp with their owners and modes (the tar above is all root-owned)
tar --numeric-owner --mtime='@0' -C "$rootfs" --owner=10001 --group=10001 -rf "$image/layer.tar" ./data
tar --numeric-owner --mtime='@0' -C "$rootfs" --owner=0 --group=0 -rf "$image/layer.tar" ./tmp
diff_id=sha256:$(sha256sum "$image/layer.tar" | cut -d' ' -f1)
cat > "$image/config.json" <<CONFIG
{"architecture":"$arch","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"Env":["PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=/opt/java","LANG=C.UTF-8"],"User":"10001:10001","WorkingDir":"/"},
 "rootfs":{"type":"layers","diff_ids":["$diff_id"]},
 "history":[{"created":"1970-01-01T00:00:00Z","created_by":"scripts/container-base.sh $arch: Debian $suite ${packages[*]}"}]}
CONFIG
config_sha=$(sha256sum "$image/config.json" | cut -d' ' -f1)
mv "$image/config.json" "$image/$config_sha.json"
echo "[{\"Config\":\"$config_sha.json\",\"RepoTags\":[\"virtdevice-base:$arch\"],\"Layers\":[\"layer.tar\"]}]" > "$image/manifest.json"
mkdir -p "$(dirname "$out")"
tar --sort=name --mtime='@0' --owner=0 --group=0 -C "$image" -cf "$out" manifest.json "$config_sha.json" layer.tar
echo "base image for linux/$arch: $out ($(du -h "$out" | cut -f1); $(dpkg-deb -f "$work"/archives/openjdk-21-jre-headless_*.deb Version) OpenJDK 21)"
