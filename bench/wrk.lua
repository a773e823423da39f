-- wrk script for bench/run.py: adds the session cookie, and for the rating benchmark posts a
-- fresh rating each time (a different new question per request, so every one is recorded).
-- Prints one JSON line of figures at the end.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  cookie = os.getenv("BENCH_COOKIE") or ""
  csrf = os.getenv("BENCH_CSRF") or ""
  method = os.getenv("BENCH_METHOD") or "GET"
  path = os.getenv("BENCH_PATH") or "/"
  questions = tonumber(os.getenv("BENCH_QUESTIONS") or "10000")
end

function request()
  local headers = {}
  if cookie ~= "" then headers["Cookie"] = cookie end
  if method == "POST" then
    counter = counter + 1
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["X-CSRFToken"] = csrf
    headers["HX-Request"] = "true"
    -- Each thread starts half the bank apart; wrapping keeps small --questions runs valid.
    local body = "question=syn-q-" .. ((tid * math.floor(questions / 2) + counter) % questions) ..
      "&scope=all&seq=0&started=0&shown_at=0&rating=3"
    return wrk.format("POST", path, headers, body)
  end
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "errors": %d, "bad_status": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    e.connect + e.read + e.write + e.timeout, e.status))
end
