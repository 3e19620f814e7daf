-- wrk script for bench/mirror.sh v: every request asks the issue list a different question.
-- State open, closed or all; sort updated, created, number or comments, either direction;
-- half the requests filter by one of the 20 labels fakehub seeds; pages 1 to 40 of 25.
-- About 20,000 distinct URLs, ten times what ghgov's response cache keeps, so the run
-- measures the queries, not the cache.
local states = { "open", "closed", "all" }
local sorts = { "updated", "created", "number", "comments" }
local directions = { "desc", "asc" }
local names = { "bug", "enhancement", "good first issue", "help wanted", "question",
  "priority: high", "priority: medium", "priority: low", "area: api", "area: ui",
  "area: storage", "area: infra", "wontfix", "needs triage" }
local labels = {}
for i = 1, 20 do
  local name = names[(i - 1) % #names + 1]
  if i > #names then name = name .. " " .. (math.floor((i - 1) / #names) + 1) end
  labels[i] = name:gsub("[^%w]", function(c) return string.format("%%%02X", string.byte(c)) end)
end

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

function init(args)
  math.randomseed(os.time() * 100 + (seed or 0))
end

function request()
  local path = "/api/v1/issues?per_page=25&state=" .. states[math.random(#states)]
    .. "&sort=" .. sorts[math.random(#sorts)]
    .. "&direction=" .. directions[math.random(#directions)]
    .. "&page=" .. math.random(40)
  if math.random(2) == 1 then
    path = path .. "&label=" .. labels[math.random(#labels)]
  end
  return wrk.format("GET", path)
end

-- wrk counts answers other than 2xx/3xx; a run with any is a failure, not a fast response.
function done(summary, latency, requests)
  io.write(string.format("non-200 answers: %d\n", summary.errors.status))
end
