#!/usr/bin/env bash
# The OAuth access-token cache: validation with and without it, and a whole cached GET over HTTP
# (median and p95, microseconds). Not part of verify: speed is measured here, never asserted in tests.
# Usage: bench/token-cache.sh        (starts the app on a fresh embedded PostgreSQL in target/)
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

./mvnw -B -ntp -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt \
  -Dmdep.includeScope=test
"$JAVA_HOME/bin/java" -cp "target/classes:target/test-classes:$(cat target/bench-classpath.txt)" \
  io.virtdevice.oauth.TokenCacheBenchmark
