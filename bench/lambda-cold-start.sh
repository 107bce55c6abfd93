#!/usr/bin/env bash
# The Alexa Lambda's cold start, measured the way AWS runs it: for each run a fresh JVM whose class path is only
# the unpacked target/virtdevice-alexa-lambda.zip (plus the timing harness, src/test/.../LambdaColdStart.java)
# loads io.virtdevice.lambda.AlexaLambda by name and forwards a TurnOn to a local backend that answers at once
# (so the figures are the Lambda's own cost), then 20 more (warm). Prints medians over RUNS runs, per JVM option
# set: process start -> main, loading and constructing the handler (init), the first invocation, process start ->
# first answer (cold total, wall clock), the CPU time used until then (less distorted by a busy machine), and a
# warm invocation. Not part of verify: speed is measured here, never asserted in tests.
# Usage: bench/lambda-cold-start.sh [RUNS]     (builds the zip first if it is missing: ./mvnw package -DskipTests)
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JAVA_HOME/bin/java"
RUNS=${1:-10}

if [ ! -f target/virtdevice-alexa-lambda.zip ] || [ ! -f target/test-classes/io/virtdevice/lambda/LambdaColdStart.class ]; then
  ./mvnw -B -ntp package -DskipTests
  ./mvnw -B -ntp test-compile
fi
work=$(mktemp -d)
backend_pid=""
cleanup() { [ -n "$backend_pid" ] && kill "$backend_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/function" "$work/harness/io/virtdevice/lambda"
(cd "$work/function" && unzip -q "$OLDPWD/target/virtdevice-alexa-lambda.zip")
cp target/test-classes/io/virtdevice/lambda/LambdaColdStart*.class "$work/harness/io/virtdevice/lambda/"
echo "zip: $(stat -c %s target/virtdevice-alexa-lambda.zip) bytes; $("$JAVA" -version 2>&1 | head -1); $(nproc) cores"

"$JAVA" -cp "$work/harness:$work/function/lib/*" io.virtdevice.lambda.LambdaColdStart serve > "$work/backend.out" &
backend_pid=$!
for _ in $(seq 1 100); do grep -q '^PORT ' "$work/backend.out" 2>/dev/null && break; sleep 0.1; done
port=$(awk '/^PORT /{print $2}' "$work/backend.out")
[ -n "$port" ] || { echo "the local backend did not start" >&2; exit 1; }
export VIRTDEVICE_URL="http://127.0.0.1:$port" AWS_REGION=eu-west-1

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }

printf '%-56s %10s %10s %10s %12s %10s %10s\n' "JVM options" "to main" "init" "1st call" "cold total" "cold CPU" "warm p50"
for opts in "" "-XX:TieredStopAtLevel=1" "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto"; do
  : > "$work/results"
  for _ in $(seq 1 "$RUNS"); do
    # shellcheck disable=SC2086
    "$JAVA" $opts -cp "$work/function:$work/function/lib/*:$work/harness" io.virtdevice.lambda.LambdaColdStart invoke 20 \
      > "$work/run.out"
    # only runs whose first answer is the backend's own count (not an ErrorResponse of the Lambda's)
    grep -q '^ANSWER {"event":{"header":{"namespace":"Alexa","name":"Response"' "$work/run.out" \
      || { echo "the Lambda did not forward:" >&2; cat "$work/run.out" >&2; exit 1; }
    sed -n 's/^RESULT //p' "$work/run.out" >> "$work/results"
  done
  printf '%-56s %8sms %8sms %8sms %10sms %8sms %8sms\n' "${opts:-(defaults)}" \
    "$(field processToMainMs < "$work/results" | median)" "$(field handlerInitMs < "$work/results" | median)" \
    "$(field firstInvocationMs < "$work/results" | median)" "$(field processToFirstAnswerMs < "$work/results" | median)" \
    "$(field cpuToFirstAnswerMs < "$work/results" | median)" \
    "$(field warmMedianMs < "$work/results" | median)"
done
