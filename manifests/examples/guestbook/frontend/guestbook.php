#!/bin/sh
# The guestbook frontend's API, as the Kubernetes example's guestbook.php (PHP + Predis) has
# it, in busybox sh (busybox httpd runs *.php with /bin/sh, see httpd.conf):
#   GET /guestbook.php?cmd=get&key=K          -> {"data": "<value of K>"}
#   GET /guestbook.php?cmd=set&key=K&value=V  -> {"message": "Updated"}   (SET K V)
# The page keeps all messages, comma-separated, as one value under key "messages".
# Redis is spoken in RESP with busybox nc, to redis-leader:6379 (cluster DNS); when that name
# does not resolve, or GET_HOSTS_FROM=env as in the original, to the Service's environment
# variables REDIS_LEADER_SERVICE_HOST and REDIS_LEADER_SERVICE_PORT.
set -f # the query is split on '&' below: no globbing of its words
nl='
'
cr=$(printf '\r')

# reply STATUS JSON: busybox httpd adds "200 OK" itself unless the output starts with HTTP/.
reply() {
  if [ "$1" = 200 ]; then printf 'Content-Type: application/json\r\n\r\n%s\n' "$2"
  else printf 'HTTP/1.1 %s\r\nContent-Type: application/json\r\n\r\n%s\n' "$1" "$2"; fi
  exit 0
}

# param NAME: the URL-decoded value of query parameter NAME (+, %xx); empty when absent.
param() {
  local kv IFS='&'
  for kv in $QUERY_STRING; do
    case $kv in "$1="*) httpd -d "${kv#*=}"; return ;; esac
  done
}

# json_escape: stdin as the inside of a JSON string.
json_escape() {
  awk 'BEGIN { for (i = 1; i < 32; i++) esc[sprintf("%c", i)] = sprintf("\\u%04x", i) }
    { s = ""; n = length($0)
      for (i = 1; i <= n; i++) { c = substr($0, i, 1)
        if (c == "\\" || c == "\"") s = s "\\" c; else if (c in esc) s = s esc[c]; else s = s c }
      printf "%s%s", (NR > 1 ? "\\n" : ""), s }'
}

# resp ARG...: one RESP command (an array of bulk strings; lengths in bytes).
resp() {
  printf '*%d\r\n' $#
  for a; do printf '$%d\r\n%s\r\n' "$(printf %s "$a" | wc -c)" "$a"; done
}

# redis ARG...: runs one command, then QUIT (so redis closes the connection and nc ends);
# prints both replies. Fails when no connection could be made.
redis() {
  err=$(mktemp) || return 1
  host=redis-leader port=6379
  if [ "$GET_HOSTS_FROM" = env ]; then host=$REDIS_LEADER_SERVICE_HOST port=${REDIS_LEADER_SERVICE_PORT:-6379}; fi
  out=$({ resp "$@"; resp QUIT; } | nc -w 5 "$host" "$port" 2>"$err")
  if [ -z "$out" ] && grep -q 'bad address' "$err" && [ -n "$REDIS_LEADER_SERVICE_HOST" ]; then
    host=$REDIS_LEADER_SERVICE_HOST port=${REDIS_LEADER_SERVICE_PORT:-6379}
    out=$({ resp "$@"; resp QUIT; } | nc -w 5 "$host" "$port" 2>"$err")
  fi
  [ -n "$out" ] || { echo "redis at $host:$port: $(cat "$err")" >&2; rm -f "$err"; return 1; }
  rm -f "$err"
  printf '%s' "$out"
}

cmd=$(param cmd)
key=$(param key)
[ -n "$key" ] || reply '400 Bad Request' '{"error": "key is required"}'
case $cmd in
  set)
    value=$(param value)
    out=$(redis SET "$key" "$value") || reply '502 Bad Gateway' '{"error": "redis is unreachable"}'
    case $out in
      +OK*) reply 200 '{"message": "Updated"}' ;;
      *) reply '502 Bad Gateway' "{\"error\": \"$(printf %s "${out%%"$cr"*}" | json_escape)\"}" ;;
    esac
    ;;
  get)
    out=$(redis GET "$key") || reply '502 Bad Gateway' '{"error": "redis is unreachable"}'
    first=${out%%"$nl"*}
    first=${first%"$cr"}
    case $first in
      '$-1') reply 200 '{"data": ""}' ;; # no such key: the original prints an empty string too
      '$'*)
        data=$(printf %s "${out#*"$nl"}" | head -c "${first#?}" | json_escape)
        reply 200 "{\"data\": \"$data\"}"
        ;;
      *) reply '502 Bad Gateway' "{\"error\": \"$(printf %s "$first" | json_escape)\"}" ;;
    esac
    ;;
  *) reply '400 Bad Request' '{"error": "cmd must be get or set"}' ;;
esac
