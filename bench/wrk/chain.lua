-- One order chain per request: an e-mail now and two SMS reminders (after 7 and 14 days), each under
-- an idempotency id of its own (a repeated id would be answered from the first registration). The two
-- reminders go to one mobile number, drawn at random per request, so that the server parses a number
-- it has not seen before in nearly every chain, as it would for a population of recipients.
-- The Authorization header comes from `-H`.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local prefix = ""
local counter = 0

local template = [[{"idempotencyId": "bench-%s-%d", "sendersReference": "bench-chain",
 "recipient": {"recipientEmail": {"emailAddress": "r0@example.com",
   "emailSettings": {"subject": "Benchmark", "body": "A message from the benchmark."}}},
 "reminders": [
  {"delayDays": 7, "recipient": {"recipientSms": {"phoneNumber": "+479%07d",
    "smsSettings": {"body": "A reminder from the benchmark."}}}},
  {"delayDays": 14, "recipient": {"recipientSms": {"phoneNumber": "+479%07d",
    "smsSettings": {"body": "A second reminder from the benchmark."}}}}]}]]

function init(args)
  -- Each run (warm-up, rounds) gets ids no earlier run used, even when started within one second.
  local started = math.floor(os.clock() * 1000000)
  math.randomseed(os.time() + started)
  prefix = string.format("%d-%d-%d", os.time(), started, math.random(1, 1000000000))
end

function request()
  counter = counter + 1
  local number = math.random(0, 9999999)
  return wrk.format(nil, nil, nil, string.format(template, prefix, counter, number, number))
end
