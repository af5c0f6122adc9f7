-- Paces wrk (classic wrk has no -R): before every request each connection waits a random time,
-- uniform between 0 and twice the first script argument (milliseconds), so that the mean gap is
-- that argument and the connections do not fire in step. `wrk ... -s paced.lua URL -- DELAY_MS`.
local delay_ms = 0

function init(args)
  delay_ms = tonumber(args[1]) or 0
  math.randomseed(os.time())
end

function delay()
  return math.random(0, 2 * delay_ms)
end
