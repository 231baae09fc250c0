#!/usr/bin/env bash
# `breakglass alarms --output json` against a raw curl of the same DescribeAlarms request and against
# `aws cloudwatch describe-alarms` (when the AWS CLI is installed), on one local moto_server holding 500
# alarms. Runs them alternately (so machine noise hits all alike) and prints the median wall time of
# each and the ratios. Loopback only. Usage: scripts/bench-alarms.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-21}
bin=${BREAKGLASS_BIN:-.build/release/breakglass}
[ -x "$bin" ] || { echo "build first: swift build -c release --product breakglass" >&2; exit 2; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Signature checks stay off here: this measures the client, and curl cannot sign.
moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null' EXIT
url="http://127.0.0.1:$port/"
for _ in $(seq 1 100); do curl -sf -o /dev/null "${url}moto-api/" && break; sleep 0.1; done
auth='Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0'
for i in $(seq -w 1 500); do
  state=OK; [ $((10#$i % 10)) -eq 0 ] && state=ALARM
  curl -sf -o /dev/null "$url" -H "$auth" -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: GraniteServiceVersion20100801.PutMetricAlarm' \
    -d "{\"AlarmName\":\"bench-alarm-$i\",\"Namespace\":\"AWS/EC2\",\"MetricName\":\"CPUUtilization\",\"Statistic\":\"Average\",\"Period\":60,\"EvaluationPeriods\":1,\"Threshold\":80,\"ComparisonOperator\":\"GreaterThanThreshold\"}"
  curl -sf -o /dev/null "$url" -H "$auth" -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: GraniteServiceVersion20100801.SetAlarmState' \
    -d "{\"AlarmName\":\"bench-alarm-$i\",\"StateValue\":\"$state\",\"StateReason\":\"bench\"}"
done
body='{"AlarmTypes":["MetricAlarm","CompositeAlarm"],"MaxRecords":100}'
export AWS_ENDPOINT_URL=$url AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=x AWS_REGION=us-east-1
count=$("$bin" alarms --output json | grep -c '"name"')
[ "$count" -eq 500 ] || { echo "expected 500 alarms, got $count" >&2; exit 1; }
now() { date +%s%N; }
have_cli=0
command -v aws >/dev/null 2>&1 && have_cli=1
bg=(); cu=(); cli=()
for _ in $(seq 1 "$runs"); do
  t0=$(now); "$bin" alarms --output json >/dev/null; t1=$(now)
  curl -sf -o /dev/null "$url" -H "$auth" -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: GraniteServiceVersion20100801.DescribeAlarms' -d "$body"; t2=$(now)
  bg+=($(( (t1 - t0) / 1000 ))); cu+=($(( (t2 - t1) / 1000 )))
  if [ "$have_cli" -eq 1 ]; then
    t3=$(now); AWS_DEFAULT_REGION=us-east-1 aws cloudwatch describe-alarms --endpoint-url "$url" --output json >/dev/null; t4=$(now)
    cli+=($(( (t4 - t3) / 1000 )))
  fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mb=$(median "${bg[@]}"); mc=$(median "${cu[@]}")
echo "500 alarms, $runs alternating runs: breakglass alarms ${mb} µs, curl ${mc} µs, ratio $(awk "BEGIN {printf \"%.2f\", $mb/$mc}")"
if [ "$have_cli" -eq 1 ]; then
  ma=$(median "${cli[@]}")
  echo "aws cloudwatch describe-alarms ${ma} µs: $(awk "BEGIN {printf \"%.2f\", $ma/$mc}")x curl, $(awk "BEGIN {printf \"%.2f\", $ma/$mb}")x breakglass"
fi
