-- wrk script for bench/fakehub.sh: pages through a Projects v2 board 100 items at a time
-- over GraphQL, each item with its field values, carrying the cursor from one answer to the
-- next request of the same thread (back to the first page after the last). The project's
-- node id is the script's argument: wrk ... -s bench/project_items.lua URL -- PVT_...
local query = "query($p: ID!, $c: String) { node(id: $p) { ... on ProjectV2 { "
  .. "items(first: 100, after: $c) { pageInfo { endCursor hasNextPage } nodes { id "
  .. "fieldValues(first: 10) { nodes { __typename "
  .. "... on ProjectV2ItemFieldSingleSelectValue { name optionId } "
  .. "... on ProjectV2ItemFieldNumberValue { number } "
  .. "... on ProjectV2ItemFieldTextValue { text } } } } } } } }"

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

local project = nil
local cursor = nil
errors = 0
pages = 0

local headers = {}
function init(args)
  project = args[1]
  -- wrk.format replaces wrk.headers (the -H options) when given headers: keep them.
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = "application/json"
end

function request()
  local c = cursor and ('"' .. cursor .. '"') or "null"
  local body = '{"query":"' .. query .. '","variables":{"p":"' .. project .. '","c":' .. c .. '}}'
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then
    errors = errors + 1
    cursor = nil
    return
  end
  pages = pages + 1
  local c = body:match('"endCursor":"([^"]*)"')
  if c and body:find('"hasNextPage":true', 1, true) then
    cursor = c
  else
    cursor = nil
  end
end

-- GraphQL answers its errors with 200; a run with any is a failure, not a fast response.
function done(summary, latency, requests)
  local e, p = 0, 0
  for _, t in ipairs(threads) do
    e = e + t:get("errors")
    p = p + t:get("pages")
  end
  io.write(string.format("GraphQL pages: %d errors: %d\n", p, e))
end
