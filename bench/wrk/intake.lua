-- One e-mail order of one recipient per request; the Authorization header comes from `-H`.
-- The sender's reference repeats on purpose: it is a search key, not a unique one.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[{"sendersReference": "bench-intake", "recipients": [{"emailAddress": "r0@example.com"}], "subject": "Benchmark", "body": "A message from the benchmark."}]]
