/**
 * GCRA (packages/core/src/rate-limits/gcra.ts) in Lua: one number per key, the theoretical
 * arrival time, stored as `{p}:rl:<key>` (a string, `%.17g`) expiring when the bucket is full
 * again — an absent key is a full bucket. `take` compares every line, then charges all or none.
 */
const PREAMBLE = `
local NOW
if ARGV[1] == '' then
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  NOW = tonumber(ARGV[1])
end
local EPSILON = 1e-6
local windowMs, n = tonumber(ARGV[2]), tonumber(ARGV[3])
local function num(x) return string.format('%.17g', x) end
local function line(i) return tonumber(ARGV[3 + (i - 1) * 2 + 1]), tonumber(ARGV[3 + (i - 1) * 2 + 2]) end
`;

/** KEYS: one per line. ARGV: now, windowMs, n, then per line: limit, amount → {'ok'} or {'no', index, retryAfterMs|''}. */
const TAKE = `
local pending = {}
local worst, worstWait = -1, -1
for i = 1, n do
  local limit, amount = line(i)
  if amount > limit then
    if worstWait ~= math.huge then worst = i; worstWait = math.huge end
  else
    local tat = tonumber(redis.call('GET', KEYS[i]))
    local from = NOW
    if tat and tat >= NOW then from = tat end
    local nextTat = from + (amount * windowMs) / limit
    pending[i] = nextTat
    if not (nextTat - NOW <= windowMs + EPSILON) then
      local wait = math.max(1, math.ceil(nextTat - windowMs - NOW - EPSILON))
      if wait > worstWait then worst = i; worstWait = wait end
    end
  end
end
if worst > 0 then
  if worstWait == math.huge then return { 'no', tostring(worst - 1), '' } end
  return { 'no', tostring(worst - 1), num(worstWait) }
end
for i = 1, n do
  local _, amount = line(i)
  if amount > 0 then redis.call('SET', KEYS[i], num(pending[i]), 'PX', math.max(1, math.ceil(pending[i] - NOW))) end
end
return { 'ok' }
`;

/** KEYS: one per line. ARGV: now, windowMs, n, then per line: limit, amount. */
const REFUND = `
for i = 1, n do
  local limit, amount = line(i)
  local tat = tonumber(redis.call('GET', KEYS[i]))
  if tat and amount > 0 then
    local nextTat = math.max(NOW, tat - (amount * windowMs) / limit)
    if nextTat <= NOW then redis.call('DEL', KEYS[i])
    else redis.call('SET', KEYS[i], num(nextTat), 'PX', math.max(1, math.ceil(nextTat - NOW))) end
  end
end
return 'ok'
`;

export const RATE_LIMIT_SCRIPTS = {
  keelRateLimitTake: PREAMBLE + TAKE,
  keelRateLimitRefund: PREAMBLE + REFUND,
} as const;
