/**
 * The Lua behind the Redis BudgetStore: one script per method, each a port of the in-memory
 * store (packages/core/src/budgets/memory-store.ts + ledger.ts) over Redis keys. Every script
 * starts with the same preamble: the clock, number formatting, calendar math, ledger load/save
 * and the lazy expiry sweep, so each method is one atomic step exactly as in memory.
 *
 * Numbers travel as strings both ways: JS's shortest round-trip form in, `%.17g` out. (Redis
 * converts a Lua number with `%.14g` when writing and truncates it to an integer when replying,
 * either of which would lose USD precision.)
 *
 * Keys, all under one hash tag `{<prefix>}` so every key a script touches lives in one Cluster
 * slot (the expiry sweep touches ledgers of other reservations; same slot, so it is allowed):
 *   {p}:b:<key>   hash, one budget counter: w (window tag), start/end (calendar), committed,
 *                 held, holds, tail (sliding: when the last slot opened)
 *   {p}:s:<key>   list, sliding windows only: "<stamp> <amount>" entries, oldest first (≤ ~128)
 *   {p}:r:<id>    hash, one reservation: nonce, n, granted, consumed, exp, and per line i
 *                 k<i> key, h<i> hold, b<i> base, p<i> per-output, l<i> limit, s<i> scope, u<i> unit;
 *                 once finished: only `done` (the finishing call's nonce), for TOMBSTONE_MS
 *   {p}:exp       sorted set: live reservation ids scored by expiresAt
 */

const PREAMBLE = `
local P = ARGV[1]
local NOW
if ARGV[2] == '' then
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  NOW = tonumber(ARGV[2])
end
local GRACE = 60000
local TOMBSTONE_MS = 600000
local SWEEP_MAX = 1000
local SLOTS = 128
local function num(x) return string.format('%.17g', x) end
local function fail(msg) return redis.error_reply('KEEL_RANGE ' .. msg) end

local FIXED = { minute = 60000, hour = 3600000, day = 86400000 }
-- Howard Hinnant's civil-from-days / days-from-civil, for UTC month boundaries.
local function civil(days)
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m
end
local function fromCivil(y, m)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = m > 2 and m - 3 or m + 9
  local doy = math.floor((153 * mp + 2) / 5)
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return (era * 146097 + doe - 719468) * 86400000
end
local function windowStart(w, now)
  if w == 'month' then
    local y, m = civil(math.floor(now / 86400000))
    return fromCivil(y, m)
  end
  local size = FIXED[w]
  return now - (now % size)
end
local function windowEnd(w, start)
  if w == 'month' then
    local y, m = civil(math.floor(start / 86400000))
    m = m + 1
    if m > 12 then m = 1; y = y + 1 end
    return fromCivil(y, m)
  end
  return start + FIXED[w]
end

local ledgers = {}
local function sizeOf(w) return tonumber(string.match(w, '^sliding(%d+)$')) end

-- A ledger as in ledger.ts. wtag: the window the caller expects (nil: take the stored one).
local function load(key, wtag, now)
  local L = ledgers[key]
  if L then
    if wtag and L.w ~= wtag then return nil, 'budget key "' .. key .. '" is already used with another window' end
    return L
  end
  local bk = P .. 'b:' .. key
  local f = redis.call('HMGET', bk, 'w', 'start', 'end', 'committed', 'held', 'holds', 'tail')
  L = { key = key, bk = bk, sk = P .. 's:' .. key }
  if not f[1] and not wtag then return nil, 'missing' end
  if f[1] then
    if wtag and f[1] ~= wtag then return nil, 'budget key "' .. key .. '" is already used with another window' end
    L.w = f[1]
    L.committed = tonumber(f[4]); L.held = tonumber(f[5]); L.holds = tonumber(f[6])
    if FIXED[L.w] or L.w == 'month' then
      L.start = tonumber(f[2]); L['end'] = tonumber(f[3])
    else
      L.size = sizeOf(L.w); L.tail = tonumber(f[7])
    end
  else
    L.w = wtag; L.committed = 0; L.held = 0; L.holds = 0; L.fresh = true
    if FIXED[wtag] or wtag == 'month' then
      L.start = windowStart(wtag, now); L['end'] = windowEnd(wtag, L.start)
    else
      L.size = sizeOf(wtag); L.tail = nil
    end
  end
  L.sliding = L.size ~= nil
  if L.sliding then L.slot = math.max(1, math.floor(L.size / SLOTS)) end
  ledgers[key] = L
  return L
end

-- Sliding entries are read lazily, once per script.
local function entries(L)
  if not L.list then
    L.list = {}
    if not L.fresh then
      local raw = redis.call('LRANGE', L.sk, 0, -1)
      for i = 1, #raw do
        local t, a = string.match(raw[i], '^(%S+) (%S+)$')
        L.list[i] = { tonumber(t), tonumber(a) }
      end
    end
    L.head = 1
  end
  return L.list
end

local function refresh(L, now)
  if not L.sliding then
    if now < L['end'] then return end
    L.start = windowStart(L.w, now); L['end'] = windowEnd(L.w, L.start)
    L.committed = 0; L.dirty = true
    return
  end
  local list = entries(L)
  while L.head <= #list and list[L.head][1] + L.size <= now do
    L.committed = L.committed - list[L.head][2]
    L.head = L.head + 1; L.dirty = true; L.listDirty = true
  end
  if L.head > #list then L.committed = 0 end
end

local function used(L) return L.committed + L.held end

local function commit(L, amount, at)
  if amount <= 0 then return end
  L.committed = L.committed + amount; L.dirty = true
  if not L.sliding then return end
  local list = entries(L)
  L.listDirty = true
  local last = #list
  if last >= L.head and L.tail and at < L.tail + L.slot then
    list[last][2] = list[last][2] + amount
    list[last][1] = math.max(list[last][1], at)
  else
    local stamp = at
    if last >= L.head then stamp = math.max(list[last][1], at) end
    list[last + 1] = { stamp, amount }
    L.tail = stamp
  end
end

local function resetAt(L, deficit)
  if not L.sliding then return L['end'] end
  local list = entries(L)
  local freed = 0
  for i = L.head, #list do
    freed = freed + list[i][2]
    if freed >= deficit then return list[i][1] + L.size end
  end
  return nil
end

local function nextReset(L)
  if not L.sliding then return L['end'] end
  local list = entries(L)
  if L.head <= #list then return list[L.head][1] + L.size end
  return nil
end

local function ttl(at) return math.max(1, math.ceil(at - NOW)) end

-- Writes every changed ledger back, with a TTL once it holds nothing worth keeping.
local function saveAll()
  for _, L in pairs(ledgers) do
    if L.dirty then
      local fields = { 'w', L.w, 'committed', num(L.committed), 'held', num(L.held), 'holds', L.holds }
      if L.sliding then
        fields[#fields + 1] = 'tail'; fields[#fields + 1] = L.tail and num(L.tail) or '-inf'
      else
        fields[#fields + 1] = 'start'; fields[#fields + 1] = num(L.start)
        fields[#fields + 1] = 'end'; fields[#fields + 1] = num(L['end'])
      end
      if L.listDirty then
        redis.call('DEL', L.sk)
        local list = L.list
        if L.head <= #list then
          local items = {}
          for i = L.head, #list do items[#items + 1] = num(list[i][1]) .. ' ' .. num(list[i][2]) end
          redis.call('RPUSH', L.sk, unpack(items))
        end
      end
      local empty = L.sliding and L.head > #entries(L)
      if L.holds == 0 and empty then
        redis.call('DEL', L.bk, L.sk)
      else
        redis.call('HSET', L.bk, unpack(fields))
        if L.holds > 0 then
          redis.call('PERSIST', L.bk)
          if L.sliding then redis.call('PERSIST', L.sk) end
        elseif L.sliding then
          local list = L.list
          local expireAt = list[#list][1] + L.size
          redis.call('PEXPIRE', L.bk, ttl(expireAt)); redis.call('PEXPIRE', L.sk, ttl(expireAt))
        else
          redis.call('PEXPIRE', L.bk, ttl(L['end'] + GRACE))
        end
      end
    end
  end
end

-- A reservation's lines, read from its hash.
local function readReservation(rk)
  local f = redis.call('HGETALL', rk)
  if #f == 0 then return nil end
  local r = {}
  for i = 1, #f, 2 do r[f[i]] = f[i + 1] end
  if r.done then return nil, r.done end
  r.n = tonumber(r.n); r.granted = tonumber(r.granted); r.consumed = tonumber(r.consumed); r.exp = tonumber(r.exp)
  return r
end

local function recorded(r, i)
  if r.consumed > 0 then return tonumber(r['b' .. i]) + tonumber(r['p' .. i]) * r.consumed end
  return 0
end

-- Ends a reservation: commits amountOf(i) on each line in the window current at 'at', drops
-- the hold, and leaves a tombstone naming the call that finished it.
local function finish(id, r, amountOf, at, nonce)
  for i = 1, r.n do
    local L = load(r['k' .. i], nil, at)
    -- A ledger lost under a live hold (FLUSHALL, a failover without persistence): nothing to drop.
    if L then
    refresh(L, at)
    L.holds = L.holds - 1
    if L.holds <= 0 then L.holds = 0; L.held = 0 else L.held = math.max(0, L.held - tonumber(r['h' .. i])) end
    L.dirty = true
    commit(L, amountOf(i), at)
    end
  end
  local rk = P .. 'r:' .. id
  redis.call('DEL', rk)
  redis.call('HSET', rk, 'done', nonce)
  redis.call('PEXPIRE', rk, TOMBSTONE_MS)
  redis.call('ZREM', P .. 'exp', id)
end

-- Lazy expiry, first thing in every script, as advance() does in memory.
local function sweep()
  local due = redis.call('ZRANGEBYSCORE', P .. 'exp', '-inf', NOW, 'LIMIT', 0, SWEEP_MAX)
  for _, id in ipairs(due) do
    local r = readReservation(P .. 'r:' .. id)
    if r then finish(id, r, function(i) return recorded(r, i) end, r.exp, 'expired')
    else redis.call('ZREM', P .. 'exp', id) end
  end
end
`;

/** ARGV: prefix, now, nonce, id, min, max, ttlMs, n, then per line: key, wtag, limit, base, per, scope, unit. */
const RESERVE = `
sweep()
local nonce, id = ARGV[3], ARGV[4]
local min, max, ttlMs, n = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local rk = P .. 'r:' .. id
local existing, doneBy = readReservation(rk)
if existing then
  if existing.nonce ~= nonce then return fail('reserve: reservation "' .. id .. '" is already live') end
  -- The same call again (a client resend after a lost reply): answer as before, charge nothing.
  local out = { 'ok', num(existing.granted), num(existing.exp) }
  for i = 1, existing.n do
    local L = load(existing['k' .. i], nil, NOW); refresh(L, NOW)
    out[#out + 1] = num(math.max(0, tonumber(existing['l' .. i]) - used(L)))
  end
  saveAll()
  return out
end
if doneBy then saveAll(); return fail('reserve: reservation "' .. id .. '" already ended') end

local lines, Ls = {}, {}
local granted, worst, worstFit = max, -1, math.huge
for i = 1, n do
  local o = 8 + (i - 1) * 7
  local line = { key = ARGV[o + 1], w = ARGV[o + 2], limit = tonumber(ARGV[o + 3]), base = tonumber(ARGV[o + 4]),
    per = tonumber(ARGV[o + 5]), scope = ARGV[o + 6], unit = ARGV[o + 7] }
  lines[i] = line
  local L, err = load(line.key, line.w, NOW)
  if not L then saveAll(); return fail(err) end
  refresh(L, NOW)
  Ls[i] = L
  local available = line.limit - used(L)
  local f
  if not (line.base <= available) then f = -1
  elseif line.per <= 0 or max == 0 then f = max
  else
    f = math.min(max, math.floor((available - line.base) / line.per))
    while f < max and line.base + line.per * (f + 1) <= available do f = f + 1 end
    while f > 0 and line.base + line.per * f > available do f = f - 1 end
  end
  if f < granted then granted = f end
  if f < min and f < worstFit then worst = i; worstFit = f end
end
if worst > 0 then
  local line, L = lines[worst], Ls[worst]
  local needed = line.base + line.per * min
  local u = used(L)
  local at = ''
  if needed <= line.limit then
    local r = resetAt(L, needed - (line.limit - u))
    if r then at = num(r) end
  end
  saveAll()
  return { 'refused', tostring(worst - 1), num(math.max(0, line.limit - u)), num(needed), at }
end

local exp = NOW + ttlMs
local fields = { 'nonce', nonce, 'n', n, 'granted', granted, 'consumed', 0, 'exp', num(exp) }
local out = { 'ok', num(granted), num(exp) }
for i = 1, n do
  local line, L = lines[i], Ls[i]
  local hold = line.base + line.per * granted
  L.held = L.held + hold; L.holds = L.holds + 1; L.dirty = true
  for _, kv in ipairs({ { 'k', line.key }, { 'h', num(hold) }, { 'b', num(line.base) }, { 'p', num(line.per) },
      { 'l', num(line.limit) }, { 's', line.scope }, { 'u', line.unit } }) do
    fields[#fields + 1] = kv[1] .. i; fields[#fields + 1] = kv[2]
  end
  out[#out + 1] = num(math.max(0, line.limit - used(L)))
end
redis.call('HSET', rk, unpack(fields))
redis.call('ZADD', P .. 'exp', num(exp), id)
saveAll()
return out
`;

/** ARGV: prefix, now, nonce, id, outputTokens. */
const CHARGE = `
sweep()
local nonce, id, tokens = ARGV[3], ARGV[4], tonumber(ARGV[5])
local rk = P .. 'r:' .. id
local r = readReservation(rk)
if not r then saveAll(); return { 'not_found' } end
if r.cn == nonce then saveAll(); return cjson.decode(r.cr) end
local function answer(out)
  redis.call('HSET', rk, 'consumed', num(r.consumed), 'granted', num(r.granted), 'cn', nonce, 'cr', cjson.encode(out))
  saveAll()
  return out
end
local consumed = r.consumed + tokens
if consumed <= r.granted then
  r.consumed = consumed
  return answer({ 'ok', num(consumed), num(r.granted) })
end
local extra = consumed - r.granted
for i = 1, r.n do
  local L = load(r['k' .. i], nil, NOW)
  refresh(L, NOW)
  local needed = tonumber(r['p' .. i]) * extra
  local limit = tonumber(r['l' .. i])
  if needed > 0 and used(L) + needed > limit then
    r.consumed = r.granted
    local u = used(L)
    local at = ''
    if needed <= limit then
      local ra = resetAt(L, needed - (limit - u))
      if ra then at = num(ra) end
    end
    return answer({ 'exhausted', num(r.consumed), num(r.granted), tostring(i - 1), num(math.max(0, limit - u)), num(needed), at,
      r['k' .. i], r['s' .. i], r['u' .. i], r['l' .. i] })
  end
end
local fields = {}
for i = 1, r.n do
  local L = ledgers[r['k' .. i]]
  local grow = tonumber(r['p' .. i]) * extra
  L.held = L.held + grow; L.dirty = true
  fields[#fields + 1] = 'h' .. i; fields[#fields + 1] = num(tonumber(r['h' .. i]) + grow)
end
redis.call('HSET', rk, unpack(fields))
r.granted = consumed; r.consumed = consumed
return answer({ 'ok', num(consumed), num(consumed) })
`;

/** ARGV: prefix, now, nonce, id, n, amounts... → '1' settled, '0' not live, 'R' replay of this very settle. */
const SETTLE = `
sweep()
local nonce, id, n = ARGV[3], ARGV[4], tonumber(ARGV[5])
local r, doneBy = readReservation(P .. 'r:' .. id)
if not r then saveAll(); if doneBy == nonce then return 'R' end; return '0' end
if r.n ~= n then saveAll(); return fail('settle: expected ' .. r.n .. ' amounts, one per line (got ' .. n .. ')') end
local over = '1'
for i = 1, n do if tonumber(ARGV[5 + i]) > tonumber(r['h' .. i]) then over = '2' end end
finish(id, r, function(i) return tonumber(ARGV[5 + i]) end, NOW, nonce)
saveAll()
return over
`;

/** ARGV: prefix, now, nonce, id. */
const RELEASE = `
sweep()
local nonce, id = ARGV[3], ARGV[4]
local r, doneBy = readReservation(P .. 'r:' .. id)
if not r then saveAll(); if doneBy == nonce then return 'R' end; return '0' end
finish(id, r, function(i) return recorded(r, i) end, NOW, nonce)
saveAll()
return '1'
`;

/** ARGV: prefix, now, n, then per query: key, wtag, limit → per query committed, held, remaining, resetAt. */
const USAGE = `
sweep()
saveAll()
local n = tonumber(ARGV[3])
local out = {}
for i = 1, n do
  local o = 3 + (i - 1) * 3
  local key, w, limit = ARGV[o + 1], ARGV[o + 2], tonumber(ARGV[o + 3])
  local L = ledgers[key]
  if not L then
    -- A stored ledger answers as it is; an absent one as a fresh ledger of the asked window (never written).
    if redis.call('EXISTS', P .. 'b:' .. key) == 1 then L = load(key, nil, NOW) else L = load(key, w, NOW) end
  end
  refresh(L, NOW)
  local at = nextReset(L)
  out[#out + 1] = { num(L.committed), num(L.held), num(math.max(0, limit - L.committed - L.held)), at and num(at) or '' }
end
return out
`;

export const BUDGET_SCRIPTS = {
  keelBudgetReserve: PREAMBLE + RESERVE,
  keelBudgetCharge: PREAMBLE + CHARGE,
  keelBudgetSettle: PREAMBLE + SETTLE,
  keelBudgetRelease: PREAMBLE + RELEASE,
  keelBudgetUsage: PREAMBLE + USAGE,
} as const;
