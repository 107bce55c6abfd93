#!/usr/bin/env bash
# The release build: every artifact of version VERSION with SHA-256 checksums, in target/release/VERSION/.
#
#   scripts/release.sh VERSION [--previous REF] [--skip-tests] [--tag]
#
#   virtdevice-VERSION.jar                   universal: the embedded PostgreSQL of all five platforms
#   virtdevice-VERSION-<platform>.jar        one platform's PostgreSQL only (linux-amd64, linux-arm64,
#                                            macos-amd64, macos-arm64, windows-amd64)
#   virtdevice-alexa-lambda-VERSION.zip      the Alexa skill's Lambda function (docs/alexa.md)
#   virtdevice-VERSION-image-amd64.tar       container images (docker load / podman load), linux/amd64
#   virtdevice-VERSION-image-arm64.tar         and linux/arm64
#   SHA256SUMS                               sha256sum -c SHA256SUMS checks them
#
# --previous REF  then runs scripts/upgrade-test.sh: the jar built from REF (the previous release's tag;
#                 for 0.9.0, the first release, the last commit before versioning, 7d57485) creates data,
#                 this release's linux-amd64 jar starts on the same data directory and must keep it all.
# --skip-tests    builds without running the unit and integration test suite (Surefire); the checks of the
#                 artifacts themselves (Failsafe: ContainerImageCheck on the image tarballs, LambdaPackageIT
#                 on the Lambda zip) still run, and so does the upgrade test if asked for.
# --tag           tags the current commit vVERSION afterwards (annotated), for the next release's --previous.
# Needs what ./mvnw verify needs, plus apt-get and dpkg-deb for the images' base (scripts/container-base.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: $0 VERSION [--previous REF] [--skip-tests] [--tag]}
shift
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] || { echo "not a semantic version: $version" >&2; exit 2; }
previous="" skip="" tag=""
while [ $# -gt 0 ]; do
  case "$1" in
    --previous) previous=${2:?--previous needs a git ref}; shift 2 ;;
    --skip-tests) skip="-Dtest=NoUnitTestsInThisReleaseBuild -Dsurefire.failIfNoSpecifiedTests=false"; shift ;;
    --tag) tag=yes; shift ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
grep -q "^## \[$version\]" CHANGELOG.md || { echo "CHANGELOG.md has no section ## [$version]" >&2; exit 2; }

started=$SECONDS
# shellcheck disable=SC2086 # $skip is two words or none
./mvnw -B -ntp -Drevision="$version" -Prelease,image $skip verify
out=target/release/$version
rm -rf "$out" && mkdir -p "$out"
cp target/virtdevice-"$version".jar "$out/"
for platform in linux-amd64 linux-arm64 macos-amd64 macos-arm64 windows-amd64; do
  cp target/virtdevice-"$version-$platform".jar "$out/"
done
cp target/virtdevice-alexa-lambda.zip "$out/virtdevice-alexa-lambda-$version.zip"
cp target/virtdevice-"$version"-image-amd64.tar target/virtdevice-"$version"-image-arm64.tar "$out/"
# the operator's scripts next to the jar: backups and restores (physical and logical, with the transaction-id
# fix-up a logical restore needs), the PostgreSQL client fetch they use, and the systemd unit
tar -czf "$out/virtdevice-$version-ops.tar.gz" --owner=0 --group=0 --transform "s,^,virtdevice-$version/," \
  scripts/backup.sh scripts/restore.sh scripts/logical-restore-xids.sql scripts/pg-client.sh \
  scripts/debian-packages.sh packaging/systemd
(cd "$out" && sha256sum -- * > SHA256SUMS && sha256sum -c --quiet SHA256SUMS)
echo "release $version built in $((SECONDS - started)) s:"
(cd "$out" && ls -l --block-size=K -- *)

if [ -n "$previous" ]; then
  scripts/upgrade-test.sh --from-ref "$previous" "$out/virtdevice-$version-linux-amd64.jar"
fi
if [ -n "$tag" ]; then
  git tag -a "v$version" -m "VirtDevice $version"
  echo "tagged v$version"
fi
