#!/usr/bin/env bash
# A/B of the forward proxy's hot path across builds: inline proxy, wrk through it (absolute-form GET), Node origin.
# Reports the proxy's CPU per request (utime+stime from /proc/PID/stat over the wrk run / requests): less sensitive to
# a shared machine than throughput. Usage: bench/reference/ab-forward.sh ROUNDS CHECKOUT... (each built)
set -u
work=$(mktemp -d)
opid=; ppid=
# every process started here is ended on every path (an interrupt included), and the temp dir removed
trap '[ -n "$ppid" ] && kill $ppid 2>/dev/null; [ -n "$opid" ] && kill $opid 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
rounds=$1; shift
origin_js='require("http").createServer((q,s)=>{s.end("ok")}).listen(0,"127.0.0.1",function(){console.log(this.address().port)})'
node -e "$origin_js" > $work/origin.port & opid=$!
sleep 0.5; oport=$(head -1 $work/origin.port)
cat > $work/abs.lua <<LUA
request = function() return wrk.format("GET", "http://127.0.0.1:$oport/") end
LUA
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
run() { # pid port extra-args...
  local pid=$1 port=$2; shift 2
  local c0; c0=$(cpu $pid)
  local out=$(wrk -t1 -c8 -d4s "$@" -s $work/abs.lua "http://127.0.0.1:$port/")
  local c1=$(cpu $pid)
  local n=$(echo "$out" | awk '/requests in/{print $1}')
  local rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  echo "$rps req/s $(( (c1-c0)*10000 / (n>0?n:1) )) us/req"
}
for r in $(seq 1 "$rounds"); do
  for d in "$@"; do
    node "$d/dist/src/cli/main.js" serve --strategy inline --port 0 > $work/proxy.out 2>&1 & ppid=$!
    for i in $(seq 1 50); do grep -q listening $work/proxy.out && break; sleep 0.1; done
    pport=$(grep -oE 'listening [^ ]*' $work/proxy.out | head -1 | grep -oE '[0-9]+$')
    wrk -t1 -c8 -d1s -s $work/abs.lua "http://127.0.0.1:$pport/" > /dev/null  # warm-up
    echo "$(basename $d) round$r keepalive: $(run $ppid $pport) | close: $(run $ppid $pport -H 'Connection: close')"
    kill $ppid; wait $ppid 2>/dev/null; ppid=
  done
done
kill $opid; wait $opid 2>/dev/null; opid=
