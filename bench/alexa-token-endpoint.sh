#!/usr/bin/env bash
# Alexa account linking: how fast the token endpoint answers the authorization_code grant (HTTP Basic, PKCE S256)
# and the refresh_token grant (p50, p99, max in ms; Alexa gives it 4.5 s). Not part of verify: speed is
# measured here, never asserted in tests.
# Usage: bench/alexa-token-endpoint.sh    (starts the app on a fresh embedded PostgreSQL in target/)
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

./mvnw -B -ntp -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt \
  -Dmdep.includeScope=test
"$JAVA_HOME/bin/java" -cp "target/classes:target/test-classes:$(cat target/bench-classpath.txt)" \
  io.virtdevice.oauth.AlexaTokenEndpointBenchmark
